"""The RFC 4287 (Atom 1.0) rules a feed document must keep, checked with ElementTree.

No Atom validator installs from PyPI or npm (the W3C Feed Validator is not published
there), so the tests check the RFC's MUSTs themselves, besides parsing with feedparser.
"""

import re
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, fromstring

NS = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FEED_CHILDREN = {
    "author", "category", "contributor", "generator", "icon", "id", "link", "logo",
    "rights", "subtitle", "title", "updated", "entry",
}  # fmt: skip
ENTRY_CHILDREN = {
    "author", "category", "content", "contributor", "id", "link", "published", "rights",
    "source", "summary", "title", "updated",
}  # fmt: skip
FEED_AT_MOST_ONE = {"generator", "icon", "logo", "rights", "subtitle"}
ENTRY_AT_MOST_ONE = {"content", "published", "rights", "source", "summary"}
EXACTLY_ONE = {"id", "title", "updated"}


def is_absolute(iri: str) -> bool:
    parts = urlsplit(iri)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "tag"))


def _children(node: Element, allowed: set[str], where: str) -> tuple[dict[str, int], list[str]]:
    counts: dict[str, int] = {}
    problems = []
    for child in node:
        if not child.tag.startswith(NS):
            continue  # foreign markup is allowed anywhere
        name = child.tag.removeprefix(NS)
        if name not in allowed:
            problems.append(f"{where}: unknown Atom element {name}")
        counts[name] = counts.get(name, 0) + 1
    return counts, problems


def _common(node: Element, where: str, at_most_one: set[str]) -> list[str]:
    problems = []
    counts, found = _children(node, FEED_CHILDREN if where == "feed" else ENTRY_CHILDREN, where)
    problems += found
    for name in EXACTLY_ONE:
        if counts.get(name, 0) != 1:
            problems.append(f"{where}: {counts.get(name, 0)} {name} elements, must be 1")
    for name in at_most_one:
        if counts.get(name, 0) > 1:
            problems.append(f"{where}: more than one {name}")
    node_id = node.findtext(f"{NS}id") or ""
    if not is_absolute(node_id.strip()):
        problems.append(f"{where}: id {node_id!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for date in node.findall(f"{NS}{name}"):
            if not RFC3339.match(date.text or ""):
                problems.append(f"{where}: {name} {date.text!r} is not an RFC 3339 date-time")
    for name in ("title", "summary", "rights", "subtitle"):
        for text in node.findall(f"{NS}{name}"):
            if text.get("type", "text") not in ("text", "html", "xhtml"):
                problems.append(f"{where}: {name} has type {text.get('type')!r}")
    alternates: set[tuple[str | None, str | None]] = set()
    for link in node.findall(f"{NS}link"):
        href = link.get("href")
        if not href or not is_absolute(href):
            problems.append(f"{where}: link href {href!r} missing or not absolute")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where}: two alternate links of one type and hreflang")
            alternates.add(key)
    for category in node.findall(f"{NS}category"):
        if not category.get("term"):
            problems.append(f"{where}: category without term")
    for person in node.findall(f"{NS}author") + node.findall(f"{NS}contributor"):
        if len(person.findall(f"{NS}name")) != 1:
            problems.append(f"{where}: a person construct needs exactly one name")
    return problems


def atom_problems(document: bytes) -> list[str]:
    """Every breach of RFC 4287's MUSTs in ``document`` (empty when it keeps them all)."""
    root = fromstring(document)
    if root.tag != f"{NS}feed":
        return [f"root element is {root.tag}, not atom:feed"]
    problems = _common(root, "feed", FEED_AT_MOST_ONE)
    entries = root.findall(f"{NS}entry")
    every_entry_has_author = all(e.find(f"{NS}author") is not None for e in entries)
    if root.find(f"{NS}author") is None and not every_entry_has_author:
        problems.append("feed: no author, and not every entry has one")
    if not any(link.get("rel") == "self" for link in root.findall(f"{NS}link")):
        problems.append("feed: no link rel=self")  # a SHOULD, but this service always can
    for i, entry in enumerate(entries):
        where = f"entry {i}"
        problems += _common(entry, where, ENTRY_AT_MOST_ONE)
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{NS}link")
        )
        if entry.find(f"{NS}content") is None and not has_alternate:
            problems.append(f"{where}: neither content nor an alternate link")
    return problems
