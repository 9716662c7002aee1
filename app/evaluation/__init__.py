"""Question sets with gold evidence -> figures: retrieval and answer metrics, the seed, held-out, news-dev,
CMRC and RGB suites, the LangChain baseline, the fitted answer model, and the report folder."""
