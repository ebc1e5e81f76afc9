"""Liveness and readiness."""

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


def test_healthz_answers_ok(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_database_at_head(client: TestClient, database_url: str) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["database"] == database_url.split(":")[0].split("+")[0]
    assert body["schema_revision"] is not None


def test_readyz_is_503_problem_on_unmigrated_database(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 503
