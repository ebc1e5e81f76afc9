"""Recall of this service's /search and of Datasette's `_search` on the query set, over HTTP.

A query's recall is the share of the ground truth's files found: by path where the truth lists
them (up to 1,000), else from the totals (min(found, truth) / truth). Both sides count every
file (the service with include_empty=true), as the truth does.
"""

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from datasette_peer import DATABASE, TABLE


@dataclass(frozen=True)
class Recall:
    """Mean recall of one side over the queries, and how many it found completely."""

    mean: float
    complete: int
    queries: int


def queries(path: Path) -> list[dict[str, Any]]:
    """The query set: one {"q", "total", "paths"} a line."""
    with path.open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


def service_found(client: httpx.Client, q: str, want_paths: bool) -> tuple[int, set[str]]:
    """The service's total for ``q``, and its hits' paths when asked (every page)."""
    params: dict[str, str] = {"q": q, "include_empty": "true", "fields": "path"}
    params["limit"] = "200" if want_paths else "1"
    paths: set[str] = set()
    while True:
        page = client.get("/search", params=params)
        page.raise_for_status()
        body = page.json()
        paths.update(hit["path"] for hit in body["items"])
        if not want_paths or not body["next"]:
            return int(body["total"]), paths
        params["cursor"] = body["next"]


def datasette_found(client: httpx.Client, q: str, want_paths: bool) -> tuple[int, set[str]]:
    """Datasette's count of ``q`` through `_search`, and the paths found when asked."""
    params = {
        "_search": q,
        "_col": "path",
        "_shape": "objects",
        "_size": "1000" if want_paths else "1",
        "_nofacet": "1",
        "_nosuggest": "1",
    }
    page = client.get(f"/{DATABASE}/{TABLE}.json", params=params)
    page.raise_for_status()
    body = page.json()
    return int(body["filtered_table_rows_count"]), {row["path"] for row in body["rows"]}


def recall_of(query: dict[str, Any], total: int, paths: set[str]) -> float:
    """One query's recall against its ground truth."""
    if query["paths"] is not None:
        truth = set(query["paths"])
        return len(truth & paths) / len(truth) if truth else float(not paths)
    expected = int(query["total"])
    return min(total, expected) / expected if expected else float(total == 0)


def recall(base: str, query_set: list[dict[str, Any]], datasette: bool) -> Recall:
    """Mean recall of the server at ``base`` (the service, or Datasette) on ``query_set``."""
    found = datasette_found if datasette else service_found
    values = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for query in query_set:
            total, paths = found(client, query["q"], query["paths"] is not None)
            values.append(recall_of(query, total, paths))
    return Recall(statistics.fmean(values), sum(v >= 1.0 for v in values), len(values))


def recall_of_common(base: str, q: str, truth_total: int | None, datasette: bool) -> str:
    """``found/truth`` for one term (the search workload's), from the totals."""
    found = datasette_found if datasette else service_found
    with httpx.Client(base_url=base, timeout=120) as client:
        total, _ = found(client, q, False)
    return f"{total}" + (f"/{truth_total} = {total / truth_total:.2f}" if truth_total else "")
