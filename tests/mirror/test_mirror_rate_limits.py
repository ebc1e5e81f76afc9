"""A mirror against an origin with its rate limits on: it waits out a 429 as Retry-After
says, and with an ``unlimited`` token (``--token``) it is never limited."""

from pathlib import Path

import httpx
import pytest
from api.factory import ArticleSpec
from changes.feedkit import publish
from sqlalchemy.engine import Engine
from writes.store import make_token

from app.mirror.sync import BATCH
from mirror.processes import Server, run_mirror

pytestmark = pytest.mark.slow

FEED_WITH_DOCS = "/changes?include_docs=true"


def _limited_origin(origin_url: str, log: Path, bucket: str) -> Server:
    env = {"CORPUS_RATE_LIMITS_ENABLED": "true", "CORPUS_RATE_LIMIT_CHANGES": bucket}
    return Server(origin_url, log, env=env).start()


def test_a_mirror_waits_out_the_origins_429s(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # More than a page: the mirror asks the limited feed at least twice in a row.
    publish(origin_engine, *[ArticleSpec() for _ in range(BATCH + 1)])
    origin = _limited_origin(origin_url, tmp_path / "origin.log", "1/2 seconds")
    try:
        code, out = run_mirror(origin.url, database_url, tmp_path / "mirror.log")
    finally:
        origin.stop()
    assert code == 0, out
    assert "digest MATCH" in out
    assert "origin rate-limited /changes; waiting" in out  # the 429 was seen and waited out
    assert "origin unreachable" not in out  # not taken for an outage


def test_a_mirror_with_an_unlimited_token_is_not_limited(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    publish(origin_engine, *[ArticleSpec() for _ in range(3)])
    token = make_token(origin_engine, "mirror", ["read", "unlimited"])
    origin = _limited_origin(origin_url, tmp_path / "origin.log", "1/hour")
    try:
        statuses = [httpx.get(origin.url + FEED_WITH_DOCS, timeout=30).status_code for _ in "ab"]
        assert statuses == [200, 429]  # the limit is on for a client without the token
        code, out = run_mirror(
            origin.url, database_url, tmp_path / "mirror.log", options=["--token", token]
        )
    finally:
        origin.stop()
    assert code == 0, out
    assert "digest MATCH" in out
    assert "rate-limited" not in out
