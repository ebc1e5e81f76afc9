"""The text a reader sees in an article file: what search covers when the ingest passes it.

A file shows more than its body: the header's 返回 link, the meta line with the farm's name,
轉載自GNews, the disclaimer and the ROL links at the foot. Readers search for those words
too, so the index covers the whole file as plain text: link and image markup reduced to the
words shown, ``[[zh:X]]`` to X, URLs and HTML entities gone.
"""

import html
import re

_ENTITY_TAG = re.compile(r"\[\[zh:([^\]\[]*)\]\]")
# An image or a link: keep the alt text or the link text, drop the target.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# A URL ends at white space or at the first non-ASCII character (text is often glued on).
_URL = re.compile(r"(?:https?|ipfs|ftp)://[!-~]*|www\.[!-~]+")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\s*/?>")
# Emphasis and code marks go without a trace: blogspot files bold every number
# (**2019****年**), and 2019年 should still match.
_EMPHASIS = re.compile(r"\*+|`+")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]*", re.MULTILINE)


def visible_text(markdown: str) -> str:
    """``markdown`` reduced to the words a reader sees (no markup, no URLs)."""
    text = _ENTITY_TAG.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    text = _HEADING.sub("", text)
    return html.unescape(text)
