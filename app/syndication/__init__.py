"""Feeds for feed readers: Atom 1.0 and JSON Feed 1.1, made from stored article summaries.

Pure: a ``FeedPage`` (built by ``entries``) in, the bytes of one format out. The routes
(``app.api.feeds``) choose the articles; nothing here reads the database.
"""
