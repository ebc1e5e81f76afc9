"""Full-text search over articles: folding, tokens, the two index backends and queries."""

from app.search.indexer import SearchDocument, index_articles, unindex_articles
from app.search.prepared import PreparedText, prepare_search_text

__all__ = [
    "PreparedText",
    "SearchDocument",
    "index_articles",
    "prepare_search_text",
    "unindex_articles",
]
