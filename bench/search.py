"""Benchmark of search over an ingested archive: recall, precision, latency and index size.

    corpus ingest ../shared/corpus/ourhimalayas-txt-dev.tar.xz        # once, into DATABASE_URL
    .venv/bin/python bench/search.py --database-url sqlite:///corpus.db
    .venv/bin/python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Runs every query of queries-dev.jsonl through GET /search (first page of 20, snippets and
total; include_empty=true, since the ground truth counts every file) and prints mean recall
and precision against the ground truth (bars: >= 0.99 each; where the ground truth gives only
a `total`, recall and precision come from the totals), p50/p95 latency (bars on SQLite:
20 ms / 150 ms), the size of the search structures against the stored text (bar: <= 3x),
and every miss and extra hit with its likely cause. A benchmark, not a test.
"""

import argparse
import json
import logging
import re
import statistics
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.models import Article
from app.queries.filters import ArticleFilter
from app.search.backend import backend_for
from app.search.folding import fold
from app.search.query import Term, parse_query

QUERIES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "queries-dev.jsonl"
_URL = re.compile(r"(?:https?|ipfs|ftp)://\S+|\]\([^)]*\)")


def matching_paths(session: Session, terms: list[Term]) -> set[str]:
    """Paths of every article the index finds for ``terms`` (no filter but the ids)."""
    ids = backend_for(session).hit_ids(terms)
    stmt = select(col(Article.path)).join(ids, ids.c.article_id == col(Article.id))
    return set(session.scalars(ArticleFilter(include_empty=True).apply(stmt)))


def searched_text(engine: Engine, path: str) -> str | None:
    """The title and text the index holds for the article at ``path`` (None: not indexed)."""
    with Session(engine) as session:
        ident = session.scalar(select(col(Article.id)).where(col(Article.path) == path))
        if ident is None:
            return None
        texts = backend_for(session).stored_texts(session.connection(), [ident])
    if ident not in texts:
        return None
    stored = texts[ident]
    body = stored.rest() if stored.rest is not None else stored.head
    return f"{stored.title}\n{body}"


def cause(engine: Engine, corpus: Path | None, path: str, terms: list[Term], miss: bool) -> str:
    """Why the index and the ground truth disagree about ``path`` (a best guess)."""
    searched = searched_text(engine, path)
    if searched is None:
        return "article not in the database" if miss else "?"
    found = all(t.pattern().search(fold(searched)) for t in terms)
    if not miss:
        return "terms present in the searched text (ground truth differs)" if found else "BUG?"
    if found:
        return "terms present in the searched text but not found: INDEX BUG"
    if corpus is not None and (corpus / path).is_file():
        raw = (corpus / path).read_text(errors="replace")
        in_urls = " ".join(m.group() for m in _URL.finditer(raw))
        if all(t.pattern().search(fold(in_urls)) for t in terms):
            return "only inside a URL or link target (never matches, per the contract)"
    return "not in the searched text (stripped as markup)"


def index_bytes(engine: Engine) -> tuple[int, int]:
    """(bytes of the search structures, bytes of stored article title + body text)."""
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT sum(length(CAST(coalesce(title, '') AS BLOB)) "
                "+ length(CAST(body_text AS BLOB))) FROM article"
            )
            if engine.dialect.name == "sqlite"
            else text(
                "SELECT sum(octet_length(coalesce(title, '')) + octet_length(body_text)) "
                "FROM article"
            )
        ).scalar_one()
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            size = conn.execute(
                text(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search%' "
                    "OR name LIKE 'sqlite_autoindex_article_search%' "
                    "OR name = 'ix_article_search_filter'"
                )
            ).scalar_one()
        else:
            size = conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "WHERE c.relname IN ('article_search_text', 'article_search_chunk', "
                    "'article_search_length', 'ix_article_search_filter')"
                )
            ).scalar_one()
    return int(size or 0), int(stored or 0)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument(
        "--corpus", type=Path, help="the unpacked archive (for the causes of misses)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over the query set")
    parser.add_argument(
        "--slowest", type=int, default=0, help="also print the N slowest queries (median ms)"
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)

    engine = make_engine(args.database_url)
    queries: list[dict[str, Any]] = [json.loads(line) for line in args.queries.open()]
    recalls, precisions, causes = [], [], []
    with Session(engine) as session:
        for query in queries:
            terms = parse_query(query["q"])
            found = matching_paths(session, terms)
            if query["paths"] is None:
                agree = min(len(found), query["total"])
                recalls.append(agree / query["total"] if query["total"] else 1.0)
                precisions.append(agree / len(found) if found else 1.0)
                if len(found) != query["total"]:
                    causes.append((query["q"], f"total {len(found)} vs {query['total']}", ""))
                continue
            truth = set(query["paths"])
            recalls.append(len(found & truth) / len(truth) if truth else float(not found))
            precisions.append(len(found & truth) / len(found) if found else float(not truth))
            for path in sorted(truth - found):
                why = cause(engine, args.corpus, path, terms, True)
                causes.append((query["q"], "miss " + path, why))
            for path in sorted(found - truth):
                why = cause(engine, args.corpus, path, terms, False)
                causes.append((query["q"], "extra " + path, why))

    # Latency of the search itself: the bucket of one client would refuse most of the queries.
    app = create_app(Settings(database_url=args.database_url, rate_limits_enabled=False))
    latencies: list[float] = []
    per_query: dict[str, list[float]] = {}
    with TestClient(app) as client:
        for _ in range(args.rounds):
            for query in queries:
                started = time.perf_counter()
                params = {"q": query["q"], "limit": 20, "include_empty": "true"}
                response = client.get("/search", params=params)
                latencies.append((time.perf_counter() - started) * 1000)
                per_query.setdefault(query["q"], []).append(latencies[-1])
                assert response.status_code == 200, response.text
    size, stored = index_bytes(engine)

    latencies.sort()
    print(f"database            {engine.dialect.name}")
    print(f"queries             {len(queries)}")
    print(f"mean recall         {statistics.mean(recalls):.4f}   (bar >= 0.99)")
    print(f"mean precision      {statistics.mean(precisions):.4f}   (bar >= 0.99)")
    print(f"latency p50         {latencies[len(latencies) // 2]:.1f} ms   (SQLite bar <= 20 ms)")
    p95 = latencies[int(len(latencies) * 0.95)]
    print(f"latency p95         {p95:.1f} ms   (SQLite bar <= 150 ms)")
    print(f"latency max         {latencies[-1]:.1f} ms")
    print(
        f"search structures   {size / 1e6:.1f} MB; stored title+body text {stored / 1e6:.1f} MB; "
        f"ratio {size / stored if stored else float('nan'):.2f}x   (bar <= 3x)"
    )
    slowest = sorted(per_query.items(), key=lambda item: -statistics.median(item[1]))
    for q, times in slowest[: args.slowest]:
        print(f"  slow {statistics.median(times):8.1f} ms  {q}")
    print(f"disagreements       {len(causes)}")
    for q, what, why in causes:
        print(f"  {q}\t{what}\t{why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
