"""Atom 1.0 (RFC 4287), with RFC 5005 paging: a ``FeedPage`` as the bytes of one feed document."""

from xml.etree.ElementTree import Element, SubElement, tostring

from app.syndication.entries import FeedEntry, FeedPage

ATOM_MEDIA_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "corpus-api"
JSON = "application/json"


def _text(parent: Element, tag: str, text: str) -> Element:
    child = SubElement(parent, tag)
    child.text = text
    return child


def _link(parent: Element, rel: str, href: str, media_type: str | None = None) -> None:
    attributes = {"rel": rel, "href": href}
    if media_type:
        attributes["type"] = media_type
    SubElement(parent, "link", attributes)


def _entry(feed: Element, entry: FeedEntry) -> None:
    node = SubElement(feed, "entry")
    _text(node, "id", entry.url)
    _text(node, "title", entry.title)
    _text(node, "updated", entry.updated)
    if entry.published:
        _text(node, "published", entry.published)
    for name in entry.authors:
        _text(SubElement(node, "author"), "name", name)
    # The API's JSON is the entry itself; the page it was reposted from is where it came via.
    _link(node, "alternate", entry.url, JSON)
    if entry.source_url:
        _link(node, "via", entry.source_url)
    for tag in entry.tags:
        SubElement(node, "category", {"term": tag})
    if entry.summary:
        _text(node, "summary", entry.summary)


def atom_bytes(page: FeedPage) -> bytes:
    """The Atom document of ``page``, UTF-8, newest entry first as given."""
    # A plain ``xmlns`` attribute: ElementTree then writes unprefixed Atom element names.
    feed = Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "id", page.id)
    _text(feed, "title", page.title)
    _text(feed, "updated", page.updated)
    _link(feed, "self", page.self_url, ATOM_MEDIA_TYPE)
    _link(feed, "alternate", page.list_url, JSON)
    if page.next_url:
        _link(feed, "next", page.next_url, ATOM_MEDIA_TYPE)
    # Required on the feed unless every entry names an author; many articles credit no one.
    _text(SubElement(feed, "author"), "name", page.publisher)
    generator = _text(feed, "generator", GENERATOR)
    generator.set("version", page.version)
    for entry in page.entries:
        _entry(feed, entry)
    document: bytes = tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
