"""A running pipeline -> speed and memory figures: indexing throughput, query latency by corpus size, cold
start, RSS, the two store backends side by side, and the load test against a running server."""
