"""Simplified or Traditional Chinese (FORMATS.md §7.9), told by OpenCC's conversions."""

import re

import opencc

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_MIN_TELLING = 3
_TRADITIONAL_SHARE = 0.8
_SIMPLIFIED_SHARE = 0.2
# Enough characters to tell; counting over whole transcripts would only cost time.
_SAMPLE = 2000


def _changed_by(config: str) -> re.Pattern[str]:
    """A pattern matching the characters OpenCC's ``config`` rewrites."""
    every = "".join(map(chr, range(0x4E00, 0xA000)))
    converted = opencc.OpenCC(config).convert(every)
    if len(converted) == len(every):
        changed = (a for a, b in zip(every, converted, strict=True) if a != b)
    else:  # a phrase rule changed the length: convert one character at a time
        one = opencc.OpenCC(config)
        changed = (a for a in every if one.convert(a) != a)
    return re.compile("[" + "".join(changed) + "]")


# Traditional-only characters are those t2s rewrites; simplified-only those s2t rewrites.
_TRADITIONAL = _changed_by("t2s")
_SIMPLIFIED = _changed_by("s2t")


def script_of(text: str) -> str | None:
    """``simplified``, ``traditional``, ``mixed``, or None when too few characters tell."""
    sample = "".join(_CJK.findall(text[:_SAMPLE]))
    if not sample:
        return None
    traditional = len(_TRADITIONAL.findall(sample))
    simplified = len(_SIMPLIFIED.findall(sample))
    telling = traditional + simplified
    if telling < _MIN_TELLING:
        return None
    share = traditional / telling
    if share > _TRADITIONAL_SHARE:
        return "traditional"
    if share < _SIMPLIFIED_SHARE:
        return "simplified"
    return "mixed"
