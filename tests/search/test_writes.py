"""Through the write API: search follows PUT and DELETE at once, and a refused write leaves it."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from writes.articles import article_bytes, gnews_path
from writes.store import make_token

MARKDOWN = {"Content-Type": "text/markdown; charset=utf-8"}


def found(client: TestClient, q: str) -> list[str]:
    """Ids /search finds for ``q``."""
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_search_follows_put_and_delete(client: TestClient, engine: Engine) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine, 'editor', ['write'])}"}
    url = "/articles/gnews-555"
    first = article_bytes(555, title="独角兽的故事", body="这里写着独角兽。")
    headers = {**auth, **MARKDOWN}
    r = client.put(url, params={"path": gnews_path(555)}, headers=headers, content=first)
    assert r.status_code == 201, r.text
    assert found(client, "独角兽") == ["gnews-555"]
    assert found(client, "轉載自") == ["gnews-555"]  # the file's source line is searched too
    etag = client.get(url).headers["etag"]

    second = article_bytes(555, title="麒麟的故事", body="现在写着麒麟。")
    r = client.put(url, headers={**auth, **MARKDOWN, "If-Match": etag}, content=second)
    assert r.status_code == 200, r.text
    assert found(client, "独角兽") == []
    assert found(client, "麒麟") == ["gnews-555"]

    stale = article_bytes(555, title="凤凰的故事", body="凤凰。")
    r = client.put(url, headers={**auth, **MARKDOWN, "If-Match": etag}, content=stale)
    assert r.status_code == 412, r.text
    assert found(client, "凤凰") == []  # the refused write left the index as it was
    assert found(client, "麒麟") == ["gnews-555"]

    assert client.delete(url, headers=auth).status_code in (200, 204)
    assert found(client, "麒麟") == []
    assert client.get("/search", params={"q": "麒麟"}).json()["total"] == 0
