"""The client-side bound ends a statement already sent when the server hangs under it."""

import threading
import time

import pytest
from sqlalchemy import exc, text

from app.db import make_engine
from app.db_faults import DatabaseTimeouts, outage_reason
from faults.cluster import PgCluster

pytestmark = pytest.mark.slow


def test_a_statement_in_flight_when_the_server_hangs_ends_within_the_bound(
    pg_cluster: PgCluster,
) -> None:
    engine = make_engine(
        pg_cluster.create_database(),
        timeouts=DatabaseTimeouts(connect_s=2, pool_s=1, statement_s=1),
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    pause = threading.Timer(0.3, pg_cluster.pause)
    # Without the bound the statement would wait for this; the test then fails on time.
    backstop = threading.Timer(10, pg_cluster.resume)
    pause.start()
    backstop.start()
    try:
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as raised, engine.connect() as conn:
            # Sent before the hang, answered never: only the client's bound (1 + 0.5 s) ends it.
            conn.execute(text("SELECT pg_sleep(0.8)"))
        elapsed = time.monotonic() - started
        pause.join()
        assert 1.5 <= elapsed < 3, elapsed
        assert outage_reason(raised.value) == "the database gave no answer in time"
        assert raised.value.connection_invalidated  # discarded, not handed back to the pool
    finally:
        backstop.cancel()
        pg_cluster.resume()
    with engine.connect() as conn:  # the same engine serves again: no restart
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
