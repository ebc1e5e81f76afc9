"""Snippets: pieces of a hit's original text around its matches, with highlight offsets.

The terms are matched in the original text through ``original_pattern`` (every spelling that
folds to a term), so each highlight covers the characters the reader sees (Traditional,
full-width, upper case) and no offset map from folded text is needed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.search.query import Term
from app.search.variants import original_pattern

CONTEXT = 40  # characters shown before a match
WIDTH = 160  # characters of a snippet at most
MAX_SNIPPETS = 3
MAX_MATCHES = 200  # enough to place a few snippets; a common word may match thousands of times
_LINE_BREAKS = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of one field's original text and the spans in it that matched."""

    field: str
    text: str
    highlights: list[tuple[int, int]]


def _original_spans(original: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Spans of ``original`` whose folded form matches a term, in order."""
    spans: list[tuple[int, int]] = []
    for term in terms:
        for count, match in enumerate(original_pattern(term.folded).finditer(original)):
            if count >= MAX_MATCHES:
                break
            if match.end() > match.start():
                spans.append((match.start(), match.end()))
    return sorted(spans)


def _flat(text: str) -> str:
    # Same length, so offsets stay valid: line breaks and tabs shown as spaces.
    return _LINE_BREAKS.sub(" ", text)


def _windows(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for start, end in spans:
        if windows and start < windows[-1][1] and end <= windows[-1][1]:
            continue  # already shown
        if len(windows) == MAX_SNIPPETS:
            break
        begin = max(0, start - CONTEXT)
        windows.append((begin, min(length, max(end, begin + WIDTH))))
    return windows


def field_snippets(field: str, original: str, terms: Sequence[Term]) -> list[Snippet]:
    """Snippets of one field: the whole title, or windows of the body around its matches."""
    spans = _original_spans(original, terms)
    if not spans:
        return []
    if field == "title":
        return [Snippet(field, _flat(original), spans)]
    snippets = []
    for begin, end in _windows(len(original), spans):
        inside = [(s - begin, min(e, end) - begin) for s, e in spans if s >= begin and s < end]
        snippets.append(Snippet(field, _flat(original[begin:end]), inside))
    return snippets


def snippets_of(title: str, body: str, terms: Sequence[Term]) -> list[Snippet]:
    """Snippets of a hit: its title when it matches, then up to three pieces of its text."""
    return field_snippets("title", title, terms) + field_snippets("body", body, terms)
