"""Full-text search over articles: folding, segmenting, the two index backends and queries."""

from app.search.backend import SearchBackend, backend_for
from app.search.indexer import SearchDocument, index_articles, unindex_articles
from app.search.prepared import PreparedText

__all__ = [
    "PreparedText",
    "SearchBackend",
    "SearchDocument",
    "backend_for",
    "index_articles",
    "unindex_articles",
]
