"""Folding: the one normal form that index and query share (NFKC, OpenCC t2s, casefold).

Search matches folded text; readers see the original (``app.search.variants`` finds the
matches in the original text for snippets).
"""

import threading
import unicodedata

import opencc

# OpenCC converters are not documented as thread-safe; one per thread costs little.
_local = threading.local()


def _t2s() -> opencc.OpenCC:
    converter = getattr(_local, "t2s", None)
    if converter is None:
        converter = opencc.OpenCC("t2s")
        _local.t2s = converter
    return converter


def fold(text: str) -> str:
    """The folded form of ``text``: NFKC, then Traditional to Simplified, then casefold."""
    if not text:
        return ""
    return str(_t2s().convert(unicodedata.normalize("NFKC", text))).casefold()
