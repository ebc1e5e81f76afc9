"""Relevance: BM25 over the title and body, and a tier that puts title matches first.

Both databases score the same way, with SQLite FTS5's ``bm25()`` as the reference: for each
term, ``idf * f * (K1 + 1) / (f + K1 * (1 - B + B * D / avgdl))``, where ``f`` counts the
term's occurrences (a title occurrence counts ``TITLE_WEIGHT`` times), ``D`` is the article's
length in tokens (title and text) and ``avgdl`` the mean over the index, and
``idf = max(ln((N - n + 0.5) / (n + 0.5)), 1e-6)`` for ``n`` articles holding the term out of
``N``. A token is a CJK character or a word, on both databases.
"""

K1, B = 1.2, 0.75  # FTS5's constants
TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0
MIN_IDF = 1e-6  # a term in more than half the articles still counts a little (as in FTS5)
# Title matches outrank body-only matches whatever the BM25 scores (< 1000 in practice).
TITLE_TIER = 1000.0
SCORE_SCALE = 1_000_000  # scores travel as integers: exact in cursors, on both databases
