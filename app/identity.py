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
    if not rest:
        return "page"
    if len(rest) == 1:
        return "page"
    head = rest[0]
    if head in _COLLECTION_BY_FOLDER:
        return _COLLECTION_BY_FOLDER[head]
    if head.isdigit() and len(head) == 4:
        return "article"
    return "page"
