"""The FastAPI application: ``create_app(settings)``, and ``app`` for uvicorn (built on use)."""

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import __version__
from app.api import (
    articles,
    changes,
    feeds,
    health,
    metrics,
    names,
    revisions,
    search,
    tags,
    writes,
)
from app.api.problems import install_problem_handlers
from app.api.rate_limits import install_rate_limits
from app.api.spec import LICENSE, SERVERS, install_spec
from app.config import Settings, get_settings
from app.db import make_engine
from app.db_faults import database_timeouts
from app.docs import install_docs
from app.http.route_index import install_route_index
from app.http.setup import install_http
from app.metrics import watch_pool
from app.reader import install_reader
from app.replica import ReadRoute, refuse_sqlite_replica
from app.writes.slots import UploadSlots

DESCRIPTION = """
A JSON API over an archive of markdown articles (the ourhimalayas/txt corpus): list, open,
search and browse them by tag, and mirror the archive through a change feed.

Every error is `application/problem+json`. Lists page with an opaque `next` cursor.
"""


def operation_id(route: APIRoute) -> str:
    """Stable operationIds: the route function's name, e.g. ``list_articles``."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (the environment's when omitted)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Article archive API",
        version=__version__,
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        servers=SERVERS,
        license_info=LICENSE,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    refuse_sqlite_replica(settings.database_url, settings.database_read_url)
    timeouts = database_timeouts(settings)
    app.state.engine = make_engine(settings.database_url, timeouts=timeouts)
    replica = None
    if settings.database_read_url is not None:
        replica = make_engine(settings.database_read_url, timeouts=timeouts)
    app.state.read_route = ReadRoute(app.state.engine, replica)
    app.state.upload_slots = UploadSlots(settings.max_concurrent_uploads)
    for engine in (app.state.engine, replica):
        if engine is not None:
            watch_pool(engine)
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(changes.router)
    app.include_router(articles.router)
    app.include_router(revisions.router)
    app.include_router(tags.router)
    app.include_router(names.router)
    app.include_router(search.router)
    app.include_router(feeds.router)
    app.include_router(writes.router)
    install_rate_limits(app, settings)  # innermost middleware: a 429 is logged, CORS and all
    install_http(app, settings)
    install_docs(app)
    install_reader(app)
    install_spec(app)
    install_route_index(app)
    return app


def __getattr__(name: str) -> FastAPI:
    """``app`` for ``uvicorn app.main:app``, built from the environment on first use: importing
    this module (the CLI does, for every command) builds no app and opens no engine, so a
    misconfiguration is reported by the command that meets it, not as an import traceback."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    built = globals()["app"] = create_app()
    return built
