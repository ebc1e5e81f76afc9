"""Settings, read from the environment (prefix ``CORPUS_``; ``DATABASE_URL`` as is)."""

import re
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> tuple[int, float]:
    """``"120/minute"`` or ``"10/5 seconds"`` -> (requests, window in seconds)."""
    match = _RATE.match(text)
    if not match or int(match[1]) < 1 or match[2] == "0":
        raise ValueError(
            f"{text!r} is not a rate: write REQUESTS/PERIOD, e.g. 120/minute or 10/5 seconds"
        )
    return int(match[1]), float(int(match[2] or 1) * _UNIT_SECONDS[match[3]])


def default_database_url() -> str:
    """A SQLite file in the working folder: the embedded default."""
    return f"sqlite:///{Path.cwd() / 'corpus.db'}"


class Settings(BaseSettings):
    """Every knob of the service; each one is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="CORPUS_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "CORPUS_DATABASE_URL"),
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db",
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "CORPUS_DATABASE_READ_URL"),
        description=(
            "SQLAlchemy URL of a PostgreSQL read replica of DATABASE_URL: reads that need not "
            "see their own writes go there (refused over SQLite)."
        ),
    )
    mirror_token: str | None = Field(
        default=None,
        description=(
            "Bearer token `corpus mirror` sends to its origin (or --token); one with the "
            "origin's `unlimited` scope is never rate-limited."
        ),
    )
    cors_origins: list[str] = Field(default=["*"], description="Origins allowed to GET.")
    change_retention_days: int = Field(
        default=30, description="How long tombstones of deleted articles are kept in /changes."
    )
    max_upload_bytes: int = Field(
        default=200 * 1024 * 1024, description="Largest request body POST /articles accepts."
    )
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, description="Largest single markdown file ingested."
    )
    max_archive_members: int = Field(
        default=100_000, description="Most files one uploaded archive may hold."
    )
    max_archive_uncompressed_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        description="Most bytes one uploaded archive may unpack to (zip-bomb guard).",
    )
    max_upload_parts: int = Field(default=100, description="Most file parts in one upload.")
    upload_temp_dir: str | None = Field(
        default=None,
        description=(
            "Folder where upload parts wait on disk while checked and stored "
            "(default: the system temp folder)."
        ),
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    cursor_secret: str = Field(
        default="corpus-api-cursor-v1",
        description=(
            "Key of the HMAC that tamper-checks page cursors. The fixed default lets every "
            "worker and restart accept each other's cursors; set your own in production."
        ),
    )
    cache_max_age_article: int = Field(
        default=300, description="Cache-Control max-age (seconds) of GET /articles/{id}."
    )
    cache_max_age_list: int = Field(
        default=30, description="Cache-Control max-age (seconds) of list pages (/articles, /tags)."
    )
    db_connect_timeout: float = Field(
        default=2.0,
        gt=0,
        description=(
            "Seconds to open a PostgreSQL connection, or to see that a pooled one still "
            "answers (libpq counts whole seconds, at least 2)."
        ),
    )
    db_pool_timeout: float = Field(
        default=1.0, gt=0, description="Seconds a request waits for a free pooled connection."
    )
    db_statement_timeout: float = Field(
        default=3.0,
        gt=0,
        description=(
            "Seconds one statement may run (PostgreSQL's statement_timeout); 0.5 s later the "
            "service gives up on a server that gives no answer at all and answers 503."
        ),
    )

    facet_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Values per facet a list answers when the request gives no `facet_size`.",
    )

    related_scan_limit: int = Field(
        default=5000,
        ge=1,
        description=(
            "Most tag links GET /articles/{id}/related reads: the article's rarest entity "
            "tags are taken first, the commonest (least telling) left out past this."
        ),
    )

    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has for a request's headers (then 408, or a close).",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Longest pause (seconds) between two pieces of a request body (then 408).",
    )
    keep_alive_timeout: int = Field(
        default=5, gt=0, description="Seconds an idle keep-alive connection stays open."
    )
    max_concurrent_uploads: int = Field(
        default=4, ge=1, description="Most POST /articles received at once per process (503)."
    )
    feed_page_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1,
        description="Most article bytes in one /changes page or one /export read step.",
    )

    rate_limits_enabled: bool = Field(
        default=True,
        description="Rate-limit search, the change feed with documents, export and writes.",
    )
    rate_limit_search: str = Field(
        default="120/minute",
        description="Token bucket of /search and the search feeds, per client (IP or token).",
    )
    rate_limit_changes: str = Field(
        default="120/minute", description="Token bucket of /changes?include_docs=true, per client."
    )
    rate_limit_export: str = Field(
        default="10/minute", description="Token bucket of /export, per client."
    )
    rate_limit_write: str = Field(
        default="60/minute",
        description="Token bucket of POST, PUT and DELETE /articles, per client.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis holding the rate-limit buckets, shared by every worker (else memory).",
    )

    @field_validator(
        "rate_limit_search", "rate_limit_changes", "rate_limit_export", "rate_limit_write"
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse_rate(value)
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
