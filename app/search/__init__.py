"""Full-text search over articles: folding, tokens, the two index backends and queries."""

from app.search.indexer import SearchDocument, index_articles, unindex_articles

__all__ = ["SearchDocument", "index_articles", "unindex_articles"]
