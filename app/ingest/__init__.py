"""Files -> articles -> passages: reading .txt/.md/.html/.docx, OCR repair, headline, date and byline,
sections (one per interview or speaker), who speaks each sentence, sentence-aligned passages (Chunk)."""
