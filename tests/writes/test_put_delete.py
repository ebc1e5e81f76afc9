"""PUT /articles/{id} replaces or adds one article; DELETE removes it; one change each."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from writes.articles import article_bytes, gnews_path

MARKDOWN = {"Content-Type": "text/markdown; charset=utf-8"}


def _new_changes(client: TestClient, since: int) -> list[tuple[str, str]]:
    r = client.get("/changes", params={"since": since})
    assert r.status_code == 200, r.text
    return [(c["id"], c["op"]) for c in r.json()["results"]]


def _last_seq(client: TestClient) -> int:
    return int(client.get("/changes/digest").json()["last_seq"])


def test_put_replaces_an_article_with_one_change(
    client: TestClient, auth: dict[str, str], seeded: list[str]
) -> None:
    seq = _last_seq(client)
    body = article_bytes(101, title="改过的标题", body="改过的正文。")
    r = client.put("/articles/gnews-101", headers={**auth, **MARKDOWN}, content=body)
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "updated" and r.json()["path"] == gnews_path(101)
    assert r.headers["location"] == "/articles/gnews-101"
    article = client.get("/articles/gnews-101").json()
    assert article["title"] == "改过的标题"
    assert article["content_hash"] == r.json()["content_hash"]
    assert _new_changes(client, seq) == [("gnews-101", "upsert")]


def test_put_of_the_same_text_changes_nothing(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    r = client.put("/articles/gnews-102", headers={**auth, **MARKDOWN}, content=article_bytes(102))
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "unchanged"
    assert snapshot() == before


def test_put_of_a_new_id_with_its_path_adds_it(
    client: TestClient, auth: dict[str, str], seeded: list[str]
) -> None:
    seq = _last_seq(client)
    r = client.put(
        "/articles/gnews-555",
        params={"path": gnews_path(555)},
        headers={**auth, **MARKDOWN},
        content=article_bytes(555),
    )
    assert r.status_code == 201, r.text
    assert r.json()["result"] == "added"
    assert client.get("/articles/gnews-555").status_code == 200
    assert _new_changes(client, seq) == [("gnews-555", "upsert")]


@pytest.mark.parametrize(
    ("url", "params", "reason"),
    [
        ("/articles/gnews-556", {}, "give its `path`"),
        ("/articles/gnews-556", {"path": gnews_path(557)}, "gives the id 'gnews-557'"),
        ("/articles/gnews-556", {"path": "gnews/556.md"}, "content/"),
        (
            "/articles/gnews-556",
            {"path": "content/gnews/../gnews/556.md"},
            "not a plain corpus path",
        ),
        ("/articles/gnews-101", {"path": "content/gnews/x/101.md"}, "cannot move it"),
    ],
    ids=["new-without-path", "path-of-another-id", "outside-content", "dotdot", "move"],
)
def test_put_with_a_wrong_path_is_422(
    client: TestClient,
    auth: dict[str, str],
    seeded: list[str],
    snapshot: Callable[[], Any],
    url: str,
    params: dict[str, str],
    reason: str,
) -> None:
    before = snapshot()
    r = client.put(url, params=params, headers={**auth, **MARKDOWN}, content=article_bytes(556))
    assert r.status_code == 422, r.text
    assert reason in r.json()["detail"]
    assert snapshot() == before


def test_delete_removes_the_article_with_a_delete_change(
    client: TestClient, auth: dict[str, str], seeded: list[str]
) -> None:
    seq = _last_seq(client)
    tags_before = {t["name"]: t["count"] for t in client.get("/tags").json()["items"]}
    r = client.delete("/articles/gnews-103", headers=auth)
    assert r.status_code == 204 and r.content == b""
    assert client.get("/articles/gnews-103").status_code in (404, 410)
    assert _new_changes(client, seq) == [("gnews-103", "delete")]
    tags_after = {t["name"]: t["count"] for t in client.get("/tags").json()["items"]}
    assert tags_after["测试农场"] == tags_before["测试农场"] - 1
    digest = client.get("/changes/digest").json()
    assert digest["count"] == 2


def test_delete_of_an_unknown_id_is_404_and_changes_nothing(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    r = client.delete("/articles/gnews-999999", headers=auth)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert snapshot() == before


def test_put_with_the_current_etag_succeeds_and_a_stale_one_is_412(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Callable[[], Any]
) -> None:
    etag = client.get("/articles/gnews-101").headers["etag"]
    first = article_bytes(101, body="编辑甲的修改。")
    r = client.put(
        "/articles/gnews-101", headers={**auth, **MARKDOWN, "If-Match": etag}, content=first
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == client.get("/articles/gnews-101").headers["etag"] != etag

    before = snapshot()
    second = article_bytes(101, body="编辑乙基于旧版本的修改。")
    r = client.put(
        "/articles/gnews-101", headers={**auth, **MARKDOWN, "If-Match": etag}, content=second
    )
    assert r.status_code == 412
    assert r.headers["content-type"] == "application/problem+json"
    assert snapshot() == before


def test_put_with_if_none_match_star_only_adds(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    headers = {**auth, **MARKDOWN, "If-None-Match": "*"}
    r = client.put("/articles/gnews-101", headers=headers, content=article_bytes(101, body="新"))
    assert r.status_code == 412
    assert snapshot() == before
    r = client.put(
        "/articles/gnews-777",
        params={"path": gnews_path(777)},
        headers=headers,
        content=article_bytes(777),
    )
    assert r.status_code == 201, r.text


def test_delete_with_a_stale_etag_is_412(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    r = client.delete("/articles/gnews-102", headers={**auth, "If-Match": '"' + "0" * 64 + '"'})
    assert r.status_code == 412
    assert snapshot() == before
    etag = client.get("/articles/gnews-102").headers["etag"]
    r = client.delete("/articles/gnews-102", headers={**auth, "If-Match": etag})
    assert r.status_code == 204
