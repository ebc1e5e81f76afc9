"""Folding: the one normal form that index and query share (NFKC, OpenCC t2s, casefold).

Search matches folded text; readers see the original. ``fold_with_offsets`` keeps, for each
folded character, where it came from, so highlights land on the original characters.
"""

import threading
import unicodedata
from functools import lru_cache

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


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    return fold(ch)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character the index of its original character.

    The whole string is folded at once (OpenCC converts some words as a whole); only when
    that changes the length is the text folded character by character to learn the map.
    """
    folded = fold(text)
    if len(folded) == len(text):
        return folded, list(range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = _fold_char(ch)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin
