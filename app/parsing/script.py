"""Simplified or Traditional Chinese (FORMATS.md §7.9), told by OpenCC's conversions."""

import re

import opencc

_TO_SIMPLIFIED = opencc.OpenCC("t2s")
_TO_TRADITIONAL = opencc.OpenCC("s2t")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# A few thousand characters decide it; converting whole transcripts would cost more than parsing.
_SAMPLE = 3000
_MIN_TELLING = 5
_TRADITIONAL_SHARE = 0.8
_SIMPLIFIED_SHARE = 0.2


def _differing(a: str, b: str) -> int:
    if len(a) != len(b):  # a phrase conversion changed the length: compare as sets instead
        return len(set(a) - set(b))
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def script_of(text: str) -> str | None:
    """``simplified``, ``traditional``, ``mixed``, or None when too few characters tell."""
    sample = "".join(_CJK.findall(text[: _SAMPLE * 4]))[:_SAMPLE]
    if not sample:
        return None
    traditional = _differing(sample, _TO_SIMPLIFIED.convert(sample))
    simplified = _differing(sample, _TO_TRADITIONAL.convert(sample))
    telling = traditional + simplified
    if telling < _MIN_TELLING:
        return None
    share = traditional / telling
    if share > _TRADITIONAL_SHARE:
        return "traditional"
    if share < _SIMPLIFIED_SHARE:
        return "simplified"
    return "mixed"
