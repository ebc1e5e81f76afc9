"""A mirror finds what its origin finds, with the same scores, header and footer words too.

The origin indexes each ingested file as a reader sees it (返回 in the header, 轉載自GNews
under the title...), which is more than the article document holds; the mirror gets that
text through ``include_text`` on ``/changes`` and ``/export``.
"""

from pathlib import Path
from typing import Any

import pytest
from api.factory import ArticleSpec
from changes.feedkit import publish
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from mirror.conftest import fresh_sqlite
from mirror.processes import Server, run_mirror
from mirror.test_mirror_ingest import EXAMPLES, ingest

pytestmark = pytest.mark.slow

# Words of the files' headers and source lines (not in any body), and of bodies.
QUERIES = ["返回", "转载", "gnews", "返回 首页", "郭文贵", "视频"]


def _found(page: dict[str, Any]) -> dict[str, float]:
    return {item["id"]: item["score"] for item in page["items"]}


def _body_texts(database_url: str) -> str:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        joined = "\n".join(
            f"{title or ''} {body}"
            for title, body in conn.execute(text("SELECT title, body_text FROM article"))
        )
    engine.dispose()
    return joined


def assert_same_search(origin: Server, mirror_url: str) -> dict[str, dict[str, float]]:
    """Every query finds the same articles at the mirror, with the same scores."""
    app = create_app(Settings(database_url=mirror_url))
    found = {}
    with TestClient(app) as mirror:
        for q in QUERIES:
            theirs = _found(origin.get("/search", q=q, limit=100, include_empty="true"))
            response = mirror.get("/search", params={"q": q, "limit": 100, "include_empty": True})
            assert response.status_code == 200, response.text
            ours = _found(response.json())
            assert ours.keys() == theirs.keys(), q
            for ident, score in theirs.items():
                assert ours[ident] == pytest.approx(score, rel=1e-6, abs=2e-6), (q, ident)
            found[q] = theirs
    app.state.engine.dispose()
    return found


def test_a_mirror_searches_the_files_as_its_origin_does(
    origin_url: str, database_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    ingest(EXAMPLES, origin_url)
    origin = Server(origin_url, tmp_path / "origin.log").start()
    try:
        code, out = run_mirror(origin.url, database_url, tmp_path / "mirror.log")
        assert code == 0 and "digest MATCH" in out, out
        found = assert_same_search(origin, database_url)
        # Not vacuous: the header words are found, and in no article's title or body text.
        assert found["返回"] and found["转载"]
        bodies = _body_texts(database_url)
        assert "返回" not in bodies and "轉載" not in bodies and "转载" not in bodies

        # A mirror that already holds articles reconciles through /export instead.
        second_url = fresh_sqlite(sqlite_template, tmp_path, "second")
        engine = make_engine(second_url)
        publish(engine, ArticleSpec(title="只在镜像里"))  # the origin never had it
        engine.dispose()
        code, out = run_mirror(origin.url, second_url, tmp_path / "second.log")
        assert code == 0 and "reconciled with the export" in out, out
        assert_same_search(origin, second_url)
    finally:
        origin.stop()
