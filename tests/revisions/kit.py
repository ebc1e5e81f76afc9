"""Reading revisions back in revision tests: through the API, and the table as it is."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.articles.revisions import REVISION


def listed(client: TestClient, article_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """Every revision ``GET /articles/{id}/revisions`` lists, walking all its pages."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = client.get(f"/articles/{article_id}/revisions", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next"] is None:
            return items
        params["cursor"] = page["next"]


def served(client: TestClient, article_id: str, content_hash: str) -> dict[str, Any]:
    """One revision as ``GET /articles/{id}/revisions/{content_hash}`` serves it."""
    response = client.get(f"/articles/{article_id}/revisions/{content_hash}")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{content_hash}"'
    body: dict[str, Any] = response.json()
    assert body["content_hash"] == content_hash
    return body


def every_version(client: TestClient, article_id: str) -> list[dict[str, Any]]:
    """Each listed revision as served, newest first."""
    return [served(client, article_id, r["content_hash"]) for r in listed(client, article_id)]


def table(engine: Engine) -> list[tuple[Any, ...]]:
    """Every stored revision row, whole, in key order (to check a store is as before)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(REVISION).order_by(REVISION.c.article_id, REVISION.c.content_hash)
        )
        return [tuple(row) for row in rows]
