"""The service's Prometheus metrics (prometheus-client), correct across N worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``corpus serve --workers N`` sets it), every process
writes its samples to files there and a scrape of any worker adds them all up; without it
they live in this process. The variable is read when ``prometheus_client`` is first
imported, so it must be set before the worker processes start.
"""

import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "corpus_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "corpus_http_request_duration_seconds",
    "Time from a request's arrival to its last byte, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
POOL_IN_USE = Gauge(
    "corpus_db_pool_connections_in_use",
    "Database connections checked out of the pools right now (summed over live workers).",
    multiprocess_mode="livesum",
)
INGESTED = Counter(
    "corpus_ingest_files",
    "Files this service ingested (uploads, PUT), by outcome.",
    ["outcome"],
)
# The route of a request that matched none: 404 paths must not each become a label value.
UNMATCHED = "unmatched"
# Where middleware that answers before the router (the rate limits' 429) names the route.
ROUTE_TEMPLATE_KEY = "corpus.route_template"


@cache  # bounded: methods x route templates x statuses
def _request_series(method: str, template: str, status: int) -> tuple[Counter, Histogram]:
    """The counter and histogram children of one label set (``labels()`` takes a lock and
    builds its key on every call)."""
    return REQUESTS.labels(method, template, str(status)), LATENCY.labels(method, template)


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Counts one answered request and its latency."""
    requests, latency = _request_series(method, route or UNMATCHED, status)
    requests.inc()
    latency.observe(seconds)


INGEST_OUTCOMES = ("added", "updated", "unchanged", "deleted", "failed")


def count_ingest(counts: Mapping[str, int]) -> None:
    """Adds one ingest's counts of each outcome (added, updated, unchanged, deleted, failed)."""
    for outcome in INGEST_OUTCOMES:
        if counts.get(outcome):
            INGESTED.labels(outcome).inc(counts[outcome])


def watch_pool(engine: Engine) -> None:
    """Keeps ``corpus_db_pool_connections_in_use`` in step with ``engine``'s pool."""
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())
    # A connection taken out of the pool for good (``app.kept_reads``) is not checked in.
    event.listen(engine, "detach", lambda *_: POOL_IN_USE.dec())


def share_between_workers(workers: int) -> Path | None:
    """Before N > 1 workers start: a fresh folder for their samples (the operator's, emptied).

    Returns the folder to remove afterwards when it was made here, else None.
    """
    if workers <= 1:
        return None
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        # Samples of an earlier run's processes would be added to this run's.
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="corpus-metrics-"))
    os.environ[MULTIPROC_ENV] = str(made)
    return made


class _Gauges(Collector):
    """Gauges read at scrape time (from the database, the same for every worker)."""

    def __init__(self, values: Iterable[tuple[str, str, float]]) -> None:
        self.values = list(values)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, documentation, value in self.values:
            yield GaugeMetricFamily(name, documentation, value=value)


def exposition(gauges: Iterable[tuple[str, str, float]]) -> bytes:
    """The text exposition: every process's metrics, then ``gauges`` (name, help, value)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(_Gauges(gauges))
    return processes + generate_latest(scraped)
