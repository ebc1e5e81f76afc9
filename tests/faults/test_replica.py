"""Reads from a real streaming replica (``DATABASE_READ_URL``), writes on the primary.

A cluster of the test's own and a ``pg_basebackup -R`` standby of it, each on a free port;
a real ``corpus serve`` over both. Each side is stopped, paused or held back (replay paused)
in turn: reads keep being answered by the side that serves, writes by the primary only.
"""

import time

import httpx
import psycopg
import pytest
from mirror.processes import Server, wait_for
from sqlalchemy.engine import Engine

from app.db import unit_of_work
from app.db_faults import RETRY_AFTER_S
from app.models import FeedState
from faults.cluster import PgCluster

pytestmark = pytest.mark.slow

ARTICLE = "gnews-9000101"
TITLE = "副本读到的标题"
MARKDOWN = f"# {TITLE}\n\n**发布时间：** 2024-03-04 08:37\n\n正文。\n".encode()
BAR_S = 5.0  # issue 13's bound on any answer while a database is down or hung
READS = ["/articles", f"/articles/{ARTICLE}", "/tags", "/search?q=%E6%AD%A3%E6%96%87", "/changes"]


def _put(server: Server, token: str) -> httpx.Response:
    return httpx.put(
        f"{server.url}/articles/{ARTICLE}",
        content=MARKDOWN,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/markdown"},
        timeout=30,
    )


def _title(server: Server, token: str | None = None) -> str:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = httpx.get(f"{server.url}/articles/{ARTICLE}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    title: str = response.json()["title"]
    return title


def _timed_get(server: Server, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(server.url + path, timeout=60)
    return response, time.monotonic() - started


def _replay(replica: PgCluster, action: str) -> None:
    """Pauses or resumes the standby's replay of the primary's WAL (``pause``/``resume``)."""
    with psycopg.connect(replica.admin_url, autocommit=True) as conn:
        conn.execute(f"SELECT pg_wal_replay_{action}()")


def test_a_write_is_read_back_from_the_replica_and_reads_outlive_the_primary(
    pg_cluster: PgCluster,
    pg_replica: PgCluster,
    cluster_database: Engine,
    replica_service: Server,
    cluster_token: str,
) -> None:
    assert _title(replica_service) != TITLE
    assert _put(replica_service, cluster_token).status_code == 200
    wait_for(lambda: _title(replica_service) == TITLE, timeout=30, what="the replica to replay")
    ready = replica_service.get("/readyz")
    assert (ready["status"], ready["primary"], ready["replica"]) == ("ok", "ok", "ok")

    cluster_database.dispose()
    pg_cluster.stop("immediate")
    for path in READS:  # only the replica can answer these now
        response, seconds = _timed_get(replica_service, path)
        assert response.status_code == 200, (path, response.text)
        assert seconds < BAR_S, (path, seconds)
    assert _title(replica_service) == TITLE
    refused = _put(replica_service, cluster_token)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    ready = replica_service.get("/readyz")
    assert ready["status"] == "degraded" and ready["replica"] == "ok"
    assert ready["primary"] != "ok"


def _assert_reads_answered_in_time(server: Server) -> None:
    for path in READS:
        response, seconds = _timed_get(server, path)
        assert response.status_code == 200, (path, response.text)
        assert seconds < BAR_S, (path, seconds)


def _assert_degraded_replica(server: Server) -> None:
    ready, seconds = _timed_get(server, "/readyz")
    assert ready.status_code == 200 and seconds < BAR_S, (ready.text, seconds)
    assert ready.json()["status"] == "degraded" and ready.json()["replica"] != "ok"
    assert ready.json()["primary"] == "ok"


def test_reads_go_to_the_primary_while_the_replica_is_hung_then_stopped(
    pg_replica: PgCluster, replica_service: Server, cluster_token: str
) -> None:
    _assert_reads_answered_in_time(replica_service)  # every pooled replica connection used
    pg_replica.pause()  # hung: only the bounded waits end a read sent to it
    try:
        _assert_reads_answered_in_time(replica_service)
        assert _put(replica_service, cluster_token).status_code == 200
        assert _title(replica_service) == TITLE  # from the primary: the replica rests
        _assert_degraded_replica(replica_service)
    finally:
        pg_replica.resume()
    pg_replica.stop("immediate")  # down: refused at once
    time.sleep(RETRY_AFTER_S)  # past the rest the hang earned: the replica is tried again
    _assert_reads_answered_in_time(replica_service)
    _assert_degraded_replica(replica_service)


def test_a_writer_reads_its_writes_and_the_feed_never_goes_back_under_lag(
    pg_replica: PgCluster, cluster_database: Engine, replica_service: Server, cluster_token: str
) -> None:
    before = _title(replica_service)
    _replay(pg_replica, "pause")
    try:
        assert _put(replica_service, cluster_token).status_code == 200
        assert _title(replica_service, cluster_token) == TITLE  # a token reads the primary
        assert _title(replica_service) == before  # the replica lags: documented, not hidden
        with unit_of_work(cluster_database) as session:
            last_seq = FeedState.read(session, FeedState.LAST_SEQ)  # the primary's
        # The feed is read from the replica even with a token (a mirror's): behind, whole.
        auth = {"Authorization": f"Bearer {cluster_token}"}
        replica_seq = httpx.get(f"{replica_service.url}/changes", headers=auth, timeout=30)
        assert replica_seq.json()["last_seq"] < last_seq
        # A reader shown the primary's seq and then served by the lagging replica is not
        # told 410 (start again): the primary answers it.
        ahead = httpx.get(f"{replica_service.url}/changes?since={last_seq}", timeout=30)
        assert ahead.status_code == 200, ahead.text
        assert ahead.json() == {"results": [], "last_seq": last_seq}
    finally:
        _replay(pg_replica, "resume")
    wait_for(lambda: _title(replica_service) == TITLE, timeout=30, what="the replica to replay")
