"""The rolling GNews slot files ``content/gnews/<N>/README.md``: which article a version is.

Slot N held the N-th newest GNews article, so one article's version moves from slot to slot
as newer ones arrive (FORMATS.md §1, §9). A version is identified by the GNews link on its
meta line, in one of two id spaces: ``zh-hans`` (``gnews.org/zh-hans/<id>/``, 2021-22) and
``articles`` (``gnews.org/articles/<id>``, 2023-24), whose numbers overlap.

Identity rule: the versions of (space, id) are the article of ``content/gnews/<id>.md`` when
the repository's history holds that file and its own link is in the same space; otherwise
they are an article of their own at the path ``content/gnews/<space>/<id>.md`` (id
``gnews-<space>-<id>``), a path no file of the archive has, so two unrelated articles that
share a number never merge. A version that links to no article of the two spaces is
reported, not guessed. The 2021-22 index pages link to slots, not articles: such a link
means the article the slot held at the page's commit (``resolve_slot_links``).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from app.parsing import IndexRecord
from app.parsing.index_page import is_slot

_FILE = re.compile(r"content/gnews/(\d+)\.md")
# The meta line's source link; a slot's head is a few short lines, the link within them.
_LINK = re.compile(r"\[轉載自GNews\]\(\s*(?:https?://)?gnews\.org/(zh-hans|articles)/(\d+)")
# Any link into the two spaces: a translation's reference to the article it translates.
_ORIGINAL = re.compile(r"gnews\.org/(zh-hans|articles)/(\d+)")
_ANY_LINK = re.compile(r"\[轉載自GNews\]\(\s*([^)\s]*)")
_OWN = re.compile(r"content/gnews/(zh-hans|articles)/(\d+)\.md")
_HEAD_BYTES = 4096

Identity = tuple[str, str]  # (space, GNews id)


def index_named(path: str) -> bool:
    """True for a README other than a slot file: where the archive keeps its index pages (the
    content still decides what a file is; the name only says where to look first)."""
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith("readme") and name.endswith(".md") and not is_slot(path)


def identity_of(data: bytes) -> Identity | None:
    """The (space, GNews id) a version's source link names, or None when it names none.

    A translation posted on another GNews site (``gnews.org/<id>/``, ``gnews.org/fr/<id>``)
    is a version of the article it links to in one of the two spaces (its "Reference:" to
    the original), as the slot showed it in that article's place.
    """
    head = data[:_HEAD_BYTES].decode("utf-8", errors="ignore")
    found = _LINK.search(head)
    if found is None:
        found = _ORIGINAL.search(data.decode("utf-8", errors="ignore"))
    return (found.group(1), found.group(2)) if found else None


def file_identity(path: str, data: bytes) -> Identity | None:
    """The identity of a ``content/gnews/<id>.md`` file: its id, in its own link's space."""
    named = _FILE.fullmatch(path)
    own = identity_of(data) if named else None
    if named is None or own is None or own[1] != named.group(1):
        return None
    return own


def other_site_link(data: bytes) -> str | None:
    """The source link of a version posted on a GNews site outside the two spaces."""
    found = _ANY_LINK.search(data[:_HEAD_BYTES].decode("utf-8", errors="ignore"))
    return found.group(1) if found else None


def nameless(data: bytes) -> str:
    """Why a slot version is no version of an article (``identity_of`` found none)."""
    link = other_site_link(data)
    if link:
        return f"slot version links no article of the zh-hans or articles id spaces ({link})"
    return "slot version names no GNews article (no GNews source link with an id)"


def source_of(path: str) -> dict[str, str] | None:
    """The GNews source an article stored at ``own_path`` names (its path says which)."""
    found = _OWN.fullmatch(path)
    if found is None:
        return None
    space, gnews_id = found.groups()
    url = f"https://gnews.org/zh-hans/{gnews_id}/" if space == "zh-hans" else ""
    return {
        "name": "GNews",
        "url": url or f"https://gnews.org/articles/{gnews_id}",
        "external_id": gnews_id,
    }


def own_path(identity: Identity) -> str:
    """Where the versions of an article with no file of its own are stored."""
    space, gnews_id = identity
    return f"content/gnews/{space}/{gnews_id}.md"


def resolve_slot_links(
    records: Iterable[IndexRecord], slots: Mapping[str, str]
) -> list[IndexRecord]:
    """An index page's entries with links to slots made links to the articles the slots held
    at the page's commit (``slots``: slot path -> article path); a link to a slot that held
    no article then is left out."""
    out = []
    for record in records:
        if not is_slot(record.path):
            out.append(record)
        elif (target := slots.get(record.path)) is not None:
            out.append(replace(record, path=target))
    return out
