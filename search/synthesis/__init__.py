"""Thematic syntheses and their renderings (Markdown, HTML, DOCX), with the optional LLM rewrite."""
