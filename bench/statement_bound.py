"""What SQLite's statement bound (``db_faults.bound_sqlite_statements``) costs the hottest reads.

The service's own read of one article's stored bytes and of a page's 20 summaries, each in
its own pooled read-only session as a request does it, on two engines over one database:
with the bound (the service's engine) and without it, in turns A B, B A, ...; prints reads per
second of each side per round and the ratio. A benchmark: run it under ``flock``.
"""

import argparse
import time
from collections.abc import Callable
from unittest import mock

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from app import db
from app.db import make_engine, read_only
from app.db_faults import DatabaseTimeouts
from app.models import Article
from app.queries import articles as queries

TIMEOUTS = DatabaseTimeouts(connect_s=2, pool_s=1, statement_s=3)


def _engines(url: str) -> dict[str, Engine]:
    bounded = make_engine(url, timeouts=TIMEOUTS)
    with mock.patch.object(db, "bound_sqlite_statements", lambda *_: None):
        unbounded = make_engine(url, timeouts=TIMEOUTS)
    return {"bound": bounded, "no bound": unbounded}


def _reads(engine: Engine, ids: list[str]) -> dict[str, Callable[[int], object]]:
    def article(i: int) -> object:
        with read_only(engine) as session:
            return queries.article_json(session, article_id=ids[i % len(ids)])

    def page(i: int) -> object:
        start = (i * 20) % max(1, len(ids) - 20)
        with read_only(engine) as session:
            return queries.summaries(session, ids[start : start + 20])

    return {"one article": article, "page of 20": page}


def _rate(read: Callable[[int], object], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        read(done)
        done += 1
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="an ingested SQLite database")
    parser.add_argument("--seconds", type=float, default=3.0, help="per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engines = _engines(args.database_url)
    with read_only(engines["bound"]) as session:
        ids = list(session.execute(select(col(Article.id)).limit(2000)).scalars())
    for engine in engines.values():  # both sides' pools and page caches warm
        for read in _reads(engine, ids).values():
            _rate(read, 1.0)
    for kind in ("one article", "page of 20"):
        for n in range(1, args.rounds + 1):
            # Turns: A B, then B A, so that neither side always runs on the warmer machine.
            order = list(engines.items()) if n % 2 else list(engines.items())[::-1]
            rates = {side: _rate(_reads(engine, ids)[kind], args.seconds) for side, engine in order}
            ratio = rates["bound"] / rates["no bound"]
            print(
                f"{kind}, round {n}: bound {rates['bound']:.0f}/s, "
                f"no bound {rates['no bound']:.0f}/s, ratio {ratio:.3f}"
            )


if __name__ == "__main__":
    main()
