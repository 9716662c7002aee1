"""Question + Hits -> Answer: what the question asks, follow-up resolution, candidate sentences scored by a
fitted model, quotes composed with citations and checked; the optional LLM path and briefing exports."""
