"""Article identity: the public ``id`` derived from a corpus path (see the API contract)."""

from pathlib import PurePosixPath

_COLLECTION_BY_FOLDER = {
    "gnews": "gnews",
    "transcript": "transcript",
    "gettr": "gettr",
    "court-case-2024": "court-case",
    "templates": "page",
    "docs": "page",
}
# Dated top-level folders (content/2020/...) hold articles; anything else is a page.
_DATED, _OTHER = "article", "page"
COLLECTIONS = tuple(sorted({*_COLLECTION_BY_FOLDER.values(), _DATED, _OTHER}))
"""Every collection ``collection_of`` can answer, sorted."""


def article_id(path: str) -> str:
    """``content/gnews/2444750.md`` -> ``gnews-2444750``; stable on every mirror."""
    ident = path
    if ident.startswith("content/"):
        ident = ident[len("content/") :]
    if ident.endswith(".md"):
        ident = ident[: -len(".md")]
    return ident.replace("/", "-")


def collection_of(path: str) -> str:
    """The collection an article belongs to, from the folder its file sits in."""
    parts = PurePosixPath(path).parts
    rest = parts[1:] if parts and parts[0] == "content" else parts
    if len(rest) <= 1:
        return _OTHER
    head = rest[0]
    if head in _COLLECTION_BY_FOLDER:
        return _COLLECTION_BY_FOLDER[head]
    if head.isdigit() and len(head) == 4:
        return _DATED
    return _OTHER
