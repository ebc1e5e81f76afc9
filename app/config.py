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
