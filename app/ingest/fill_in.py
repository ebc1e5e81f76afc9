"""Index entries: what the archive's index pages say of an article, and filling in with it.

An index page lists articles with a title, a date, a summary and an author. These fill in
what an article's own file lacks (an empty or placeholder title, no date or only the file
name's date, no summary, no author), whichever of the page and the article arrives first:
``article.lacks`` remembers which fields the file itself lacked, so an entry that arrives
or changes later can be applied again without the file.
"""

import html
import re
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from app.articles.mapping import TABLES, Row
from app.parsing import IndexRecord

_ENTITY_TAG = re.compile(r"\[\[zh:([^\]\[]*)\]\]")
_SPACE = re.compile(r"\s+")
ENTRY_FIELDS = ("title", "summary", "published_at", "author")


def clean_text(value: str | None) -> str | None:
    """Index text as shown: entities decoded, ``[[zh:]]`` markup dropped, spaces collapsed."""
    if value is None:
        return None
    cleaned = _SPACE.sub(" ", _ENTITY_TAG.sub(r"\1", html.unescape(value))).strip()
    return cleaned or None


def entry_path(path: str) -> str:
    """An index link target as a corpus path (``/content/x.md`` -> ``content/x.md``)."""
    return path.strip().lstrip("/")


def entry_of(record: IndexRecord, index_path: str) -> Row:
    """The ``index_entry`` row values one index record gives."""
    published = record.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # index dates are labelled UTC
    author = clean_text(record.author)
    return {
        "path": entry_path(record.path),
        "title": clean_text(record.title),
        "summary": clean_text(record.summary),
        "published_at": published,
        "author": author[:300] if author else None,
        "index_path": index_path,
    }


def merged(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Row:
    """An entry after another listing of the same path: a non-empty value wins over none."""
    if old is None:
        return dict(new)
    out = dict(old)
    for name in ENTRY_FIELDS:
        if new[name] is not None:
            out[name] = new[name]
    return out


def same_entry(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when two entries say the same things (which page said it does not count)."""
    return all(a[name] == b[name] for name in ENTRY_FIELDS)


def load_entries(session: Session) -> dict[str, Row]:
    """Every stored index entry, by path."""
    table = TABLES["index_entry"]
    return {row.path: dict(row._mapping) for row in session.execute(select(table))}


def store_entries(
    session: Session,
    entries: dict[str, Row],
    records: Iterable[IndexRecord],
    index_path: str,
    now: Any,
) -> list[str]:
    """Writes the entries of one index page; returns the paths whose entry changed."""
    table = TABLES["index_entry"]
    fresh: dict[str, Row] = {}
    for record in records:
        entry = entry_of(record, index_path)
        if entry["path"]:
            fresh[entry["path"]] = merged(fresh.get(entry["path"]), entry)
    added: list[Row] = []
    changed: list[Row] = []
    for path, entry in fresh.items():
        old = entries.get(path)
        new = merged(old, entry)
        if old is not None and same_entry(old, new):
            continue
        new["updated_at"] = now
        (changed if old is not None else added).append(new)
        entries[path] = new
    if added:
        session.execute(insert(table), added)
    for row in changed:
        session.execute(
            update(table)
            .where(table.c.path == row["path"])
            .values({k: row[k] for k in (*ENTRY_FIELDS, "updated_at")})
        )
    return [row["path"] for row in (*added, *changed)]


def fill_in(article: Row, entry: Mapping[str, Any] | None) -> bool:
    """Fills the fields the article's file lacks from an index entry; True if any changed."""
    if entry is None:
        return False
    lacks = article.get("lacks") or []
    before = {
        k: article[k]
        for k in ("title", "summary", "published_at", "published_precision", "authors")
    }
    if "title" in lacks and entry["title"]:
        article["title"] = entry["title"]
    if "summary" in lacks and entry["summary"]:
        article["summary"] = entry["summary"]
    if "published_at" in lacks and entry["published_at"] is not None:
        article["published_at"] = entry["published_at"]
        article["published_precision"] = "index"
    if "authors" in lacks and entry["author"]:
        article["authors"] = [entry["author"]]
    return any(article[k] != v for k, v in before.items())
