"""Concurrent writers against a reader: no seq ever shown out of order, none missed.

Writers hold their transaction open for a while after taking a seq, so without the row
lock a larger seq would commit before a smaller one and a reader would see the gap fill.
"""

import random
import threading
import time

from sqlalchemy.engine import Engine

from app.db import make_engine, unit_of_work
from app.feed import OP_UPSERT, record_change
from app.feed_read import read_changes, snapshot

WRITERS, TRANSACTIONS, CHANGES_PER_TRANSACTION = 4, 15, 3


def _writer(url: str, number: int, failures: list[BaseException]) -> None:
    engine = make_engine(url)
    rng = random.Random(number)
    try:
        for t in range(TRANSACTIONS):
            with unit_of_work(engine) as session:
                for c in range(CHANGES_PER_TRANSACTION):
                    record_change(
                        session,
                        article_id=f"w{number}-{t}-{c}",
                        op=OP_UPSERT,
                        content_hash="0" * 64,
                    )
                    time.sleep(rng.random() * 0.004)
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
        with snapshot(engine) as session:
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
