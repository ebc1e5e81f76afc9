"""Do SQLite and PostgreSQL rank alike? The first page of every query of the set, compared.

    .venv/bin/python bench/same_ranking.py --sqlite sqlite:////tmp/dev.db \
        --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/bench

Both databases must hold the same ingest of the same archive. Prints how many queries give
the same first page (ids in the same order) on both, the largest score difference between
paired hits, and each query whose pages differ. A check of the whole archive, not a test.
"""

import argparse
import json
import logging
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

QUERIES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "queries-dev.jsonl"
Page = list[tuple[str, float]]


def first_pages(database_url: str, queries: list[str], limit: int) -> dict[str, Page]:
    """The first page of each query: (id, score) in order."""
    app = create_app(Settings(database_url=database_url))
    pages = {}
    with TestClient(app) as client:
        for q in queries:
            params = {"q": q, "limit": limit, "include_empty": "true"}
            items = client.get("/search", params=params).json()["items"]
            pages[q] = [(item["id"], item["score"]) for item in items]
    app.state.engine.dispose()
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", required=True)
    parser.add_argument("--postgresql", required=True)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # no access log lines
    queries = [json.loads(line)["q"] for line in QUERIES.open(encoding="utf-8")]
    lite = first_pages(args.sqlite, queries, args.limit)
    pg = first_pages(args.postgresql, queries, args.limit)
    differ = [q for q in queries if [i for i, _ in lite[q]] != [i for i, _ in pg[q]]]
    largest = max(
        (abs(a[1] - b[1]) for q in queries for a, b in zip(lite[q], pg[q], strict=False)),
        default=0.0,
    )
    print(f"queries             {len(queries)}")
    print(f"same first page     {len(queries) - len(differ)} (ids in the same order)")
    print(f"largest score gap   {largest:.6f} (between hits paired by position)")
    for q in differ:
        print(f"  {q}\tsqlite {lite[q][:3]}\tpostgresql {pg[q][:3]}")
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
