"""Liveness and readiness."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.api.problems import database_unavailable, problem_responses
from app.db_faults import unavailable_reason
from app.migrate import current_revision, head_revision
from app.replica import ReadRoute

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's state."""

    status: str = Field(description="`ok` when healthy.", examples=["ok"])


class Readiness(Health):
    """Readiness: the database answers and its schema is at the code's head revision."""

    database: str = Field(description="The database dialect.", examples=["sqlite"])
    schema_revision: str | None = Field(
        description="Alembic revision of the database.", examples=["0001"]
    )
    primary: str = Field(
        description="`ok`, or why the primary (`DATABASE_URL`) cannot serve now.", examples=["ok"]
    )
    replica: str | None = Field(
        description=(
            "`ok`, or why the read replica (`DATABASE_READ_URL`) cannot serve now (reads then "
            "go to the primary); null without one."
        ),
        examples=[None],
    )


def _unready(engine: Engine) -> tuple[str | None, str | None]:
    """Why ``engine``'s database cannot serve (None when it can), and its schema revision."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means "not ready", never a 500
        return unavailable_reason(exc) or f"database unreachable: {type(exc).__name__}", None
    if revision != head_revision():
        return f"schema at {revision}, code expects {head_revision()}", revision
    return None, revision


@router.get("/healthz", summary="Liveness", response_model=Health)
def healthz() -> Health:
    """Answers while the process is up; touches no database."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses=problem_responses(503),
)
def readyz(request: Request) -> Readiness:
    """200 while reads can be served: the primary, or the read replica, is reachable and
    migrated to head (`status` is `degraded` when one of the two is not); else 503."""
    route: ReadRoute = request.app.state.read_route
    primary, revision = _unready(route.primary)
    replica: str | None = None
    if route.replica is not None:
        replica, replica_revision = _unready(route.replica)
        revision = revision or replica_revision
        if primary is not None and replica is None:
            return _readiness("degraded", route.replica, replica_revision, primary, "ok")
    if primary is not None:
        raise database_unavailable(primary if replica is None else f"{primary}; replica: {replica}")
    status = "ok" if replica is None else "degraded"
    shown = None if route.replica is None else (replica or "ok")
    return _readiness(status, route.primary, revision, "ok", shown)


def _readiness(
    status: str, engine: Engine, revision: str | None, primary: str, replica: str | None
) -> Readiness:
    return Readiness(
        status=status,
        database=engine.dialect.name,
        schema_revision=revision,
        primary=primary,
        replica=replica,
    )
