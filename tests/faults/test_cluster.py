"""The throwaway cluster itself: it pauses and resumes, and makes a streaming replica."""

import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from mirror.processes import wait_for

from faults.cluster import PgCluster

pytestmark = pytest.mark.slow


def _rows(url: str) -> list[tuple[int]]:
    with psycopg.connect(url, connect_timeout=2) as conn:
        return conn.execute("SELECT x FROM t ORDER BY x").fetchall()


def test_a_paused_cluster_answers_nothing_until_resumed(pg_cluster: PgCluster) -> None:
    with psycopg.connect(pg_cluster.admin_url):  # one backend more to stop
        pg_cluster.pause()
    try:
        assert len(pg_cluster.pids()) > 2 and pg_cluster.states() == {"T"}
        started = time.monotonic()
        assert not pg_cluster.accepts()  # the connect timeout (2 s) ends the wait
        assert time.monotonic() - started < 10
    finally:
        pg_cluster.resume()
    assert "T" not in pg_cluster.states()
    assert pg_cluster.accepts()


def test_a_replica_streams_what_the_primary_commits(pg_cluster: PgCluster) -> None:
    replica = pg_cluster.replica(Path(tempfile.mkdtemp(prefix="corpus-pg-replica-")))
    try:
        with psycopg.connect(replica.admin_url) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        with psycopg.connect(pg_cluster.admin_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
        wait_for(lambda: _has_rows(replica.admin_url), timeout=30, what="the replica to catch up")
        assert _rows(replica.admin_url) == [(1,), (2,)]
        with (
            psycopg.connect(replica.admin_url) as conn,
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
        ):
            conn.execute("INSERT INTO t VALUES (3)")
    finally:
        replica.remove()


def _has_rows(url: str) -> bool:
    try:
        return len(_rows(url)) == 2
    except psycopg.errors.UndefinedTable:
        return False
