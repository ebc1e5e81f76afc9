"""Every way a folded character may be written: lets snippets match the original text directly.

Folding a whole transcript (400k characters) to find its matches, then mapping offsets back,
costs tens of milliseconds per hit. Instead, each query term becomes a pattern over the
original text in which a folded character stands for every character that folds to it
(贵 for 贵 and 貴, a for a, A, ａ and Ａ); its matches are already in original offsets.
"""

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from app.search.folding import _t2s
from app.search.segmenting import CJK_CLASS

# Where the characters that fold to something else live: Latin, punctuation, enclosed
# alphanumerics, CJK (radicals, symbols, ideographs, compatibility), full-width forms.
_RANGES = (
    (0x0020, 0x0250),
    (0x0370, 0x0530),
    (0x1E00, 0x2000),
    (0x2100, 0x2190),
    (0x2460, 0x2500),
    (0x2E80, 0x2FE0),
    (0x3000, 0x3100),
    (0x3200, 0x3400),
    (0x3400, 0x4DC0),
    (0x4E00, 0xA000),
    (0xF900, 0xFB00),
    (0xFE30, 0xFE70),
    (0xFF00, 0xFFF0),
)
_WORD = rf"[^\W{CJK_CLASS}]"


@lru_cache(maxsize=1)
def variants() -> dict[str, str]:
    """For each folded character, the characters that fold to it (itself included)."""
    chars = [chr(cp) for low, high in _RANGES for cp in range(low, high)]
    normalised = [unicodedata.normalize("NFKC", ch) for ch in chars]
    # One OpenCC call for all of them: lines never merge into phrases.
    simplified = str(_t2s().convert("\n".join(normalised))).split("\n")
    if len(simplified) != len(chars):  # pragma: no cover - a line break folded away
        simplified = [str(_t2s().convert(n)) for n in normalised]
    groups: dict[str, set[str]] = defaultdict(set)
    for ch, folded in zip(chars, simplified, strict=True):
        folded = folded.casefold()
        if len(folded) == 1:
            groups[folded].add(ch)
    return {folded: "".join(sorted(group | {folded})) for folded, group in groups.items()}


def _char_class(folded_char: str) -> str:
    spelled = variants().get(folded_char, folded_char)
    if len(spelled) == 1:
        return re.escape(spelled)
    return "[" + "".join(re.escape(ch) for ch in spelled) + "]"


@lru_cache(maxsize=256)
def original_pattern(folded_term: str) -> re.Pattern[str]:
    """A pattern finding ``folded_term`` in original (unfolded) text, as the index matches it."""
    parts = []
    for match in re.finditer(rf"([{CJK_CLASS}]+)|({_WORD}+)", folded_term):
        spelled = "".join(_char_class(ch) for ch in match.group())
        if match.group(1) is not None:
            parts.append(spelled)
        else:
            parts.append(rf"(?<!{_WORD}){spelled}(?!{_WORD})")
    # Between the units of a term the index skips everything that is not a token character.
    return re.compile(r"\W*?".join(parts))
