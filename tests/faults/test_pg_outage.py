"""A hung or stopped PostgreSQL: every request is a quick 503, and the service recovers alone.

A real ``corpus serve`` runs over a cluster of the test's own, which is SIGSTOPped (its kernel
still ACKs TCP, so only the client's own bounds can end a wait) or stopped like a crash,
then brought back. Reads and writes are sent at once, as clients would.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from mirror.processes import Server
from sqlalchemy.engine import Engine
from writes.store import dump_store

from faults.cluster import PgCluster

# The bar: a 503 within 5 s of the request, a 200 within 5 s of the database's return.
BAR_S = 5.0
ARTICLE = "gnews-9000101"
MARKDOWN = "# 换了标题\n\n**发布时间：** 2024-03-04 08:37\n\n正文。\n".encode()

pytestmark = pytest.mark.slow


@dataclass
class Answer:
    """What one request got, and how long it took."""

    label: str
    status: int
    seconds: float
    content_type: str
    retry_after: str | None
    body: str


def _send(server: Server, token: str, label: str) -> Answer:
    method, _, path = label.partition(" ")
    headers = {"Authorization": f"Bearer {token}"}
    kwargs: dict[str, object] = {}
    if method == "PUT":
        kwargs = {"content": MARKDOWN, "headers": {**headers, "Content-Type": "text/markdown"}}
    elif method == "POST":
        files = {"file": ("content/gnews/9999001.md", MARKDOWN, "text/markdown")}
        kwargs = {"files": files, "headers": headers}
    elif method == "DELETE":
        kwargs = {"headers": headers}
    started = time.monotonic()
    response = httpx.request(method, server.url + path, timeout=60, **kwargs)  # type: ignore[arg-type]
    return Answer(
        label,
        response.status_code,
        time.monotonic() - started,
        response.headers.get("content-type", ""),
        response.headers.get("retry-after"),
        response.text[:300],
    )


REQUESTS = [
    "GET /articles",
    f"GET /articles/{ARTICLE}",
    "GET /readyz",
    "GET /tags",
    "GET /search?q=%E8%8F%9C%E5%9C%92",
    "GET /changes",
    f"PUT /articles/{ARTICLE}",
    f"DELETE /articles/{ARTICLE}",
    "POST /articles",
]


def _all_at_once(server: Server, token: str) -> list[Answer]:
    """Every request of ``REQUESTS`` sent at the same time."""
    with ThreadPoolExecutor(len(REQUESTS)) as pool:
        return list(pool.map(lambda label: _send(server, token, label), REQUESTS))


def _assert_quick_503s(answers: list[Answer]) -> None:
    for answer in answers:
        assert answer.status == 503, answer
        assert answer.content_type == "application/problem+json", answer
        assert answer.retry_after is not None and int(answer.retry_after) > 0, answer
        assert answer.seconds < BAR_S, answer


def _seconds_until_ready(server: Server) -> float:
    """Polls ``/articles`` until it answers 200; the seconds that took (fails past 30 s)."""
    started = time.monotonic()
    while time.monotonic() - started < 30:
        try:
            if httpx.get(f"{server.url}/articles", timeout=10).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not answer 200 within 30 s of the database's return")


def _assert_serves_again(server: Server, token: str) -> None:
    for label in ("GET /articles", f"GET /articles/{ARTICLE}", "GET /readyz", "GET /tags"):
        answer = _send(server, token, label)
        assert answer.status == 200, answer


def test_a_hung_database_is_answered_503_in_time_and_recovered_from(
    pg_cluster: PgCluster, cluster_database: Engine, cluster_service: Server, cluster_token: str
) -> None:
    _assert_serves_again(cluster_service, cluster_token)  # every pooled connection in use once
    before = dump_store(cluster_database)
    pg_cluster.pause()
    try:
        first = _all_at_once(cluster_service, cluster_token)
        second = _all_at_once(cluster_service, cluster_token)  # the pool's state after the first
    finally:
        pg_cluster.resume()
    back_after = _seconds_until_ready(cluster_service)
    _assert_quick_503s(first)
    _assert_quick_503s(second)
    assert back_after < BAR_S
    _assert_serves_again(cluster_service, cluster_token)
    assert dump_store(cluster_database) == before  # the refused writes left nothing behind
    assert _send(cluster_service, cluster_token, f"PUT /articles/{ARTICLE}").status == 200


def test_a_stopped_database_is_answered_503_and_a_restart_is_picked_up(
    pg_cluster: PgCluster, cluster_database: Engine, cluster_service: Server, cluster_token: str
) -> None:
    _assert_serves_again(cluster_service, cluster_token)
    before = dump_store(cluster_database)
    cluster_database.dispose()
    pg_cluster.stop("immediate")
    _assert_quick_503s(_all_at_once(cluster_service, cluster_token))
    pg_cluster.start()
    back_after = _seconds_until_ready(cluster_service)
    assert back_after < BAR_S
    _assert_serves_again(cluster_service, cluster_token)
    assert dump_store(cluster_database) == before
    assert _send(cluster_service, cluster_token, f"PUT /articles/{ARTICLE}").status == 200
