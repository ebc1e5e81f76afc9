"""How the feed tests read a feed: as a feed reader (feedparser) and against the formats' rules."""

import json
from pathlib import Path
from typing import Any

import feedparser
from jsonschema import Draft202012Validator

from feeds.atom_rules import RFC3339, atom_problems, is_absolute

JSON_FEED_SCHEMA = json.loads(
    (Path(__file__).parent / "json_feed_1_1.schema.json").read_text(encoding="utf-8")
)
_JSON_FEED = Draft202012Validator(JSON_FEED_SCHEMA)


def read_atom(body: bytes) -> Any:
    """The feed as feedparser reads it; fails on any bozo error or broken RFC 4287 rule."""
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert atom_problems(body) == []
    return parsed


def json_feed_problems(body: bytes) -> list[str]:
    """Every breach of JSON Feed 1.1 in ``body``: the schema, absolute URLs, RFC 3339 dates."""
    feed = json.loads(body)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in _JSON_FEED.iter_errors(feed)]
    if problems:
        return problems
    urls = [feed.get(k) for k in ("home_page_url", "feed_url", "next_url")]
    for item in feed["items"]:
        urls += [item.get("url"), item.get("external_url")]
        for key in ("date_published", "date_modified"):
            if key in item and not RFC3339.match(item[key]):
                problems.append(f"{item['id']}: {key} {item[key]!r} is not RFC 3339")
    problems += [f"{url!r} is not an absolute URL" for url in urls if url and not is_absolute(url)]
    return problems


def read_json_feed(body: bytes) -> dict[str, Any]:
    """The JSON Feed document; fails when it breaks JSON Feed 1.1."""
    assert json_feed_problems(body) == []
    feed: dict[str, Any] = json.loads(body)
    return feed
