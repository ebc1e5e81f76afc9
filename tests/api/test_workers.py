"""A real ``corpus serve --workers 2``: one rate limit across both workers (Redis), and
``/metrics`` that adds up both workers' samples (prometheus-client's multiprocess mode)."""

import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from mirror.processes import Server
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from writes.store import make_token

from api.test_rate_limits import redis_url

pytestmark = pytest.mark.slow

SEARCHES, CAPACITY, MAX_BATCHES = 60, 20, 10


def _requests_total(families: object, route: str) -> dict[str, float]:
    """``corpus_http_requests_total`` of ``route``, by status."""
    out: dict[str, float] = {}
    for family in families:  # type: ignore[attr-defined]
        for sample in family.samples:
            if sample.name == "corpus_http_requests_total" and sample.labels["route"] == route:
                status = sample.labels["status"]
                out[status] = out.get(status, 0) + sample.value
    return out


def _per_worker(metrics_dir: Path, tmp_path: Path, route: str) -> list[dict[str, float]]:
    """Each worker's own counts of ``route``, read from its own sample file."""
    counts = []
    for n, file in enumerate(sorted(metrics_dir.glob("counter_*.db"))):
        alone = tmp_path / f"worker-{n}"
        alone.mkdir(parents=True)
        shutil.copy(file, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        counts.append(_requests_total(registry.collect(), route))
    return counts


def test_two_workers_share_one_bucket_and_one_metrics_view(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    name = f"n2-{uuid.uuid4().hex[:12]}"  # its own bucket in the shared Redis
    headers = {"Authorization": f"Bearer {make_token(engine, name, ['read'])}"}
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "CORPUS_RATE_LIMITS_ENABLED": "true",
        "CORPUS_REDIS_URL": redis_url(),
        # Per day: a token comes back every 72 min, so a slow run sees no refill.
        "CORPUS_RATE_LIMIT_SEARCH": f"{CAPACITY}/day",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    server = Server(database_url, tmp_path / "server.log", workers=2, env=env)
    try:  # stopped also when it fails to start in time, so that no worker outlives the test
        server.start()

        def search(_: int) -> int:
            # A connection of its own each time, so the kernel hands it to either worker.
            url = f"{server.url}/search"
            return httpx.get(url, params={"q": "美国"}, headers=headers, timeout=30).status_code

        # The kernel hands each new connection to either worker, not in turns: on a loaded
        # machine one worker can take a whole batch. Batches go on until both have answered
        # (the second one then answers from the bucket the first one emptied).
        statuses: list[int] = []
        workers: list[dict[str, float]] = []
        for batch in range(MAX_BATCHES):
            with ThreadPoolExecutor(8) as pool:
                statuses += pool.map(search, range(SEARCHES))
            workers = [w for w in _per_worker(metrics_dir, tmp_path / f"b{batch}", "/search") if w]
            if len(workers) == 2:
                break
        assert len(workers) == 2, workers  # both workers answered searches
        assert statuses.count(200) == CAPACITY, statuses
        assert statuses.count(429) == len(statuses) - CAPACITY, statuses
        assert sum(w.get("200", 0) for w in workers) == CAPACITY
        assert sum(w.get("429", 0) for w in workers) == len(statuses) - CAPACITY
        for _ in range(6):  # whichever worker answers the scrape, it counts both
            scrape = httpx.get(f"{server.url}/metrics", timeout=30)
            assert scrape.status_code == 200
            families = text_string_to_metric_families(scrape.text)
            assert _requests_total(families, "/search") == {
                "200": CAPACITY,
                "429": len(statuses) - CAPACITY,
            }
    finally:
        server.stop()
