"""Liveness and readiness."""

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from app.api.deps import EngineDep
from app.api.problems import database_unavailable, problem_responses
from app.db_faults import unavailable_reason
from app.migrate import current_revision, head_revision

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
def readyz(engine: EngineDep) -> Readiness:
    """Answers 200 when the database is reachable and migrated to head, else 503."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any driver error means "not ready", never a 500
        reason = unavailable_reason(exc) or f"database unreachable: {type(exc).__name__}"
        raise database_unavailable(reason) from exc
    if revision != head_revision():
        raise database_unavailable(f"schema at {revision}, code expects {head_revision()}")
    return Readiness(status="ok", database=engine.dialect.name, schema_revision=revision)
