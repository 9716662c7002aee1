"""A pipeline -> the chat page: gradio layout, escaped rendering of answers and sources, kept conversations
(SQLite) and the feedback log; corpus changes go through app.corpus."""
