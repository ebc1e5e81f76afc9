"""Read API figures over real HTTP, one client, against a `corpus serve` process.

    .venv/bin/python bench/read_api.py --database-url sqlite:///dev.db

The database should hold the shared dev archive (`corpus ingest .../ourhimalayas-txt-dev.tar.xz`).
Prints p50/p95 of GET /articles?limit=20 (bar: p50 < 10 ms) and of GET /articles/{id} for
transcripts over 100 KB (bar: p95 < 50 ms), then walks /articles?limit=200 and three tag
filters page by page, checking each stored article comes exactly once.
"""

import argparse
import sys
import time

import httpx
from served import served
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import make_engine
from app.models import Article, ArticleTag, Tag

TRANSCRIPT_BYTES = 100 * 1024


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``, nearest-rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed(client: httpx.Client, urls: list[str]) -> list[float]:
    """Milliseconds per GET, each answered 200 and read whole."""
    out = []
    for url in urls:
        started = time.perf_counter()
        r = client.get(url)
        r.read()
        out.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
    return out


def walk(client: httpx.Client, params: dict[str, str]) -> tuple[list[str], list[float]]:
    """Every id of every page, following `next`; and milliseconds per page."""
    ids: list[str] = []
    times: list[float] = []
    query = dict(params)
    while True:
        started = time.perf_counter()
        r = client.get("/articles", params=query)
        times.append((time.perf_counter() - started) * 1000)
        r.raise_for_status()
        body = r.json()
        ids += [item["id"] for item in body["items"]]
        if body["next"] is None:
            return ids, times
        query["cursor"] = body["next"]


def report_walk(name: str, ids: list[str], expected: set[str], times: list[float]) -> bool:
    """Prints one walk's counts against the database's; True when each article came once."""
    once = len(ids) == len(set(ids)) and set(ids) == expected
    print(
        f"walk {name}: {len(ids)} listed, {len(set(ids))} distinct, "
        f"{len(expected)} in the database, "
        f"{'EXACTLY ONCE' if once else 'MISMATCH'}; {len(times)} pages, "
        f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms per page"
    )
    return once


def main() -> None:
    """Runs the figures and prints them; exits 1 when a walk is not exact."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=500, help="Timed requests per figure.")
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    with Session(engine) as session:
        listed = set(
            session.scalars(select(col(Article.id)).where(col(Article.is_empty).is_(False)))
        )
        total = session.scalar(select(func.count()).select_from(Article)) or 0
        transcripts = list(
            session.scalars(
                select(col(Article.id))
                .where(
                    col(Article.collection) == "transcript",
                    col(Article.size_bytes) > TRANSCRIPT_BYTES,
                )
                .order_by(col(Article.id))
            )
        )
        top_tags = list(
            session.scalars(select(col(Tag.name)).order_by(col(Tag.article_count).desc()).limit(3))
        )
        tagged = {
            name: set(
                session.scalars(
                    select(col(ArticleTag.article_id))
                    .join(Tag, col(Tag.id) == col(ArticleTag.tag_id))
                    .join(Article, col(Article.id) == col(ArticleTag.article_id))
                    .where(col(Tag.name) == name, col(Article.is_empty).is_(False))
                )
            )
            for name in top_tags
        }
    engine.dispose()
    print(
        f"database: {total} articles ({len(listed)} listed by default), "
        f"{len(transcripts)} transcripts over 100 KB"
    )

    ok = True
    with (
        served(args.database_url) as server,
        httpx.Client(base_url=server.base, timeout=30) as client,
    ):
        timed(client, ["/articles?limit=20"] * 20)  # warm the process and the page cache
        first_page = timed(client, ["/articles?limit=20"] * args.requests)
        print(
            f"GET /articles?limit=20: n={len(first_page)} p50 {percentile(first_page, 50):.2f} ms "
            f"p95 {percentile(first_page, 95):.2f} ms (bar: p50 < 10 ms)"
        )
        if transcripts:
            urls = [f"/articles/{transcripts[i % len(transcripts)]}" for i in range(args.requests)]
            timed(client, urls[:20])
            big = timed(client, urls)
            print(
                f"GET /articles/{{id}} (transcripts > 100 KB): n={len(big)} "
                f"p50 {percentile(big, 50):.2f} ms p95 {percentile(big, 95):.2f} ms "
                "(bar: p95 < 50 ms)"
            )
        ids, times = walk(client, {"limit": "200"})
        ok &= report_walk("/articles?limit=200", ids, listed, times)
        for name in top_tags:
            ids, times = walk(client, {"limit": "200", "tag": name})
            ok &= report_walk(f"/articles?tag={name}&limit=200", ids, tagged[name], times)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
