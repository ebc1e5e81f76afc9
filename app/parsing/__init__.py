"""Markdown text in, ParsedArticle out. Pure: no FastAPI, no database.

``parse_article`` reads one file: ``head`` (header, title, meta line, source), ``footer``
(boilerplate at the end), ``tokens`` + ``body`` (markdown-it-py's token stream: sections,
links, images, plain text), ``byline`` (credits), ``script`` (Simplified or Traditional).
``parse_index_page`` recognises the archive's README lists of links by their content.
The figures (speed, agreement with the index ground truth) come from bench/parser_truth.py.
"""

from app.parsing.article import parse_article
from app.parsing.index_page import parse_index_page
from app.parsing.model import (
    Byline,
    IndexRecord,
    ParsedArticle,
    ParsedImage,
    ParsedLink,
    ParsedSection,
    Source,
)

__all__ = [
    "Byline",
    "IndexRecord",
    "ParsedArticle",
    "ParsedImage",
    "ParsedLink",
    "ParsedSection",
    "Source",
    "parse_article",
    "parse_index_page",
]
