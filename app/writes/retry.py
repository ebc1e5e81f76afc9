"""A write that a concurrent writer got in the way of runs again, then is a 409 or a 503."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from app.db_faults import RETRY_AFTER_S, outage_reason
from app.errors import Conflict, ServiceUnavailable

T = TypeVar("T")
log = logging.getLogger("app.writes")

# How many times a write runs before a concurrent writer's conflict is reported (409/503).
WRITE_ATTEMPTS = 3


def retrying(write: Callable[[], T]) -> T:
    """Runs a write transaction again when a concurrent write got in its way.

    Two editors uploading the same new article at once: the second insert fails on the key
    (PostgreSQL) or on a stale snapshot (SQLite, "database is locked"). The whole write runs
    again from its input, sees the other write committed, and comes out unchanged or updated.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except (IntegrityError, OperationalError) as exc:
            if outage_reason(exc) is not None:
                raise  # down or hung: a second try would wait as long again (a 503 upstream)
            log.warning("write attempt %d of %d failed: %s", attempt, WRITE_ATTEMPTS, exc.orig)
            if attempt == WRITE_ATTEMPTS:
                if isinstance(exc, IntegrityError):
                    raise Conflict(
                        "other writes kept changing the same articles; send the request again"
                    ) from exc
                raise ServiceUnavailable(
                    "the database did not take the write; send the request again",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                ) from exc
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
