"""Markdown text in, ParsedArticle out. Pure: no FastAPI, no database."""

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
