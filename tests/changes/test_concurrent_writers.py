"""Concurrent writers against a reader: no seq ever shown out of order, none missed.

The writers store articles through ``ArticleStore``, as the ingest and the upload endpoint
do, and hold their transaction open for a while after it took their seqs, so without the
lock on the feed's counter a larger seq would commit before a smaller one and a reader
would see the gap fill.
"""

import random
import threading
import time

from sqlalchemy.engine import Engine
from writes.articles import article_bytes, gnews_path

from app.db import make_engine, snapshot_session, unit_of_work
from app.feed import read_changes
from app.ingest.prepare import PreparedArticle, prepare, source_hash
from app.ingest.store import ArticleStore

WRITERS, TRANSACTIONS, CHANGES_PER_TRANSACTION = 4, 15, 3


def _batch(number: int, t: int) -> list[PreparedArticle]:
    """The new articles writer ``number`` stores in its transaction ``t``."""
    batch = []
    for c in range(CHANGES_PER_TRANSACTION):
        n = 10_000 * (number + 1) + CHANGES_PER_TRANSACTION * t + c
        data = article_bytes(n)
        prepared = prepare(gnews_path(n), data, source_hash(data))
        assert isinstance(prepared, PreparedArticle)
        batch.append(prepared)
    return batch


def _writer(url: str, number: int, failures: list[BaseException]) -> None:
    engine = make_engine(url)
    rng = random.Random(number)
    try:
        for t in range(TRANSACTIONS):
            batch = _batch(number, t)
            with unit_of_work(engine) as session:
                outcome = ArticleStore(session).write(session, batch)
                assert len(outcome.added) == CHANGES_PER_TRANSACTION, outcome
                # The seqs are taken (the store records its changes last): commit late.
                time.sleep(rng.random() * 0.012)
    except BaseException as exc:  # reported by the test thread
        failures.append(exc)
    finally:
        engine.dispose()


def test_reader_never_sees_a_seq_out_of_order_nor_misses_one(
    database_url: str, engine: Engine
) -> None:
    failures: list[BaseException] = []
    writers = [
        threading.Thread(target=_writer, args=(database_url, n, failures)) for n in range(WRITERS)
    ]
    for w in writers:
        w.start()
    seen: list[int] = []
    since = 0
    while True:
        writing = any(w.is_alive() for w in writers)
        with snapshot_session(engine) as session:
            page = read_changes(session, since=since, limit=7)
        for entry in page.entries:
            assert not seen or entry.seq > seen[-1], f"seq {entry.seq} shown after {seen[-1]}"
            seen.append(entry.seq)
        # Never told to go past a seq it was not shown: that would skip a change for good.
        assert page.last_seq == (seen[-1] if seen else 0)
        since = page.last_seq
        if not writing and not page.entries:
            break  # every writer had finished before this read, which found nothing new
    for w in writers:
        w.join()
    assert failures == []
    assert seen == list(range(1, WRITERS * TRANSACTIONS * CHANGES_PER_TRANSACTION + 1))
