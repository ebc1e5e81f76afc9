"""``/metrics``: the Prometheus text exposition of every worker, plus the database's gauges."""

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.db import unit_of_work
from app.metrics import METRICS_MEDIA_TYPE, exposition
from app.models import Article, FeedState

router = APIRouter(tags=["health"])
log = logging.getLogger("app.metrics")

EXAMPLE = """# HELP corpus_http_requests_total HTTP requests answered, by method, route and status.
# TYPE corpus_http_requests_total counter
corpus_http_requests_total{method="GET",route="/articles/{id}",status="200"} 1027.0
# HELP corpus_change_feed_last_seq The change feed's newest seq.
# TYPE corpus_change_feed_last_seq gauge
corpus_change_feed_last_seq 46301.0
"""


UP = ("corpus_database_up", "1 when the database answered this scrape, else 0.")


def database_gauges(engine: Engine) -> list[tuple[str, str, float]]:
    """The feed's newest seq and the number of stored articles, read now."""
    try:
        with unit_of_work(engine) as session:
            seq = FeedState.read(session, FeedState.LAST_SEQ)
            articles = session.execute(select(func.count()).select_from(Article)).scalar_one()
    except Exception as exc:  # noqa: BLE001 - the processes' metrics matter most in an outage
        log.warning("metrics: database unreachable: %s", type(exc).__name__)
        return [(*UP, 0.0)]
    return [
        (*UP, 1.0),
        ("corpus_change_feed_last_seq", "The change feed's newest seq.", float(seq)),
        ("corpus_articles", "Articles stored (live, not deleted).", float(articles)),
    ]


@router.get(
    "/metrics",
    summary="Metrics (Prometheus)",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": EXAMPLE}},
        }
    },
)
async def metrics(request: Request) -> Response:
    """Requests by route and status, latency, pool use, ingest counts, the feed's seq."""
    gauges = await run_in_threadpool(database_gauges, request.app.state.engine)
    return Response(
        exposition(gauges),
        media_type=METRICS_MEDIA_TYPE,
        headers={"Cache-Control": "no-store"},
    )
