"""Character-level clean-up shared by every part of the parser (FORMATS.md §7.2, §7.8)."""

import html
import re

# Zero-width and formatting characters carry nothing a reader sees (§7.8).
_DROP = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u200e\u200f\u2060\u00ad"), None)
# Wide and no-break spaces become plain spaces; U+2028 is used as a line break in credit lines.
_SPACES = {ord("\u00a0"): " ", ord("\u3000"): " ", ord("\u2028"): "\n", ord("\u2029"): "\n"}
_TRANSLATE = {**_DROP, **_SPACES}
_ODD = re.compile("[" + "".join(map(chr, _TRANSLATE)) + "]")
_REPLACEMENTS = [(chr(code), new or "") for code, new in _TRANSLATE.items()]

ENTITY_TAG = re.compile(r"\[\[zh:([^\]\[]*)\]\]")
_WHITESPACE = re.compile(r"\s+")


def normalise_characters(text: str) -> str:
    """Unify line ends, drop invisible characters and turn odd spaces into plain ones."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.translate looks every character up in a dict; a search finds the files that need a
    # change, and a C-speed replace per character present does the change.
    if _ODD.search(text) is None:
        return text
    for char, replacement in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, replacement)
    return text


def strip_entity_markup(text: str) -> str:
    """``[[zh:美国]]`` -> ``美国``."""
    if "[[zh:" not in text:
        return text
    # An unclosed ``[[zh:`` is broken markup, still not text.
    return ENTITY_TAG.sub(r"\1", text).replace("[[zh:", "")


def entity_tags_of(text: str) -> list[str]:
    """The ``[[zh:X]]`` tags of a text, in order of first appearance, without repeats."""
    if "[[zh:" not in text:
        return []
    seen: dict[str, None] = {}
    for match in ENTITY_TAG.finditer(text):
        tag = match.group(1).strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def collapse_whitespace(text: str) -> str:
    """Runs of white space become one space; ends trimmed."""
    return _WHITESPACE.sub(" ", text).strip()


def clean_title(raw: str) -> str:
    """A title as a reader sees it: entities decoded, markup stripped, spaces collapsed."""
    title = strip_entity_markup(raw)
    if "&" in title:
        title = html.unescape(title)
    return collapse_whitespace(title)
