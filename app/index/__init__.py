"""Passages -> a searchable store and back: the FAISS index folder (default) or Milvus, BM25 over jieba
tokens, dense/lexical/hybrid retrieval with filters; takes Chunks and vectors, gives ranked Hits and corpus statistics."""
