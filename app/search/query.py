"""Reading a search query: terms separated by white space, "quoted phrases", all folded."""

import re
from dataclasses import dataclass

from app.errors import Unprocessable
from app.search.folding import fold
from app.search.segmenting import CJK_CLASS, QueryToken, query_tokens

MAX_TERMS = 16
_PART = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = rf"[^\W{CJK_CLASS}]"
# Between the units of a term the index skips everything that is not a token character.
_GAP = r"\W*?"


@dataclass(frozen=True, slots=True)
class Term:
    """One thing every hit must contain: a word, a CJK string or a phrase, folded."""

    text: str
    folded: str
    tokens: tuple[QueryToken, ...]

    def pattern(self) -> re.Pattern[str]:
        """A regular expression finding this term in folded text, as the index matches it."""
        parts = []
        for match in re.finditer(rf"([{CJK_CLASS}]+)|({_WORD}+)", self.folded):
            if match.group(1) is not None:
                parts.append(re.escape(match.group(1)))
            else:
                parts.append(rf"(?<!{_WORD}){re.escape(match.group(2))}(?!{_WORD})")
        return re.compile(_GAP.join(parts))


def parse_query(q: str) -> list[Term]:
    """The terms of ``q``; ``Unprocessable`` (422) when nothing searchable is left."""
    terms: list[Term] = []
    seen: set[tuple[QueryToken, ...]] = set()
    for match in _PART.finditer(q):
        text = match.group(1) if match.group(1) is not None else match.group(2)
        folded = fold(text).strip()
        tokens = tuple(query_tokens(folded))
        if not tokens or tokens in seen:
            continue
        seen.add(tokens)
        terms.append(Term(text=text, folded=folded, tokens=tokens))
    if not terms:
        raise Unprocessable(
            "q: nothing to search for: give at least one word or character (punctuation "
            "and markup alone match nothing)"
        )
    if len(terms) > MAX_TERMS:
        raise Unprocessable(f"q: at most {MAX_TERMS} terms")
    return terms
