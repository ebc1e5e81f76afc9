"""Cursors are opaque and tamper-checked: anything but a cursor we issued for this list is a 422."""

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from api.conftest import Archive
from app.models import Article
from app.pagination import CursorError, decode_cursor, encode_cursor, scope_of


def _first_cursor(client: TestClient, **params: object) -> str:
    body = client.get("/articles", params={"limit": 2, **params}).json()
    assert body["next"]
    return str(body["next"])


def _reforge(cursor: str, change: dict[str, object]) -> str:
    payload, signature = cursor.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(change)
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


def _assert_cursor_problem(client: TestClient, params: dict[str, object]) -> None:
    r = client.get("/articles", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 422
    assert "cursor" in r.json()["detail"]


def test_forged_malformed_and_foreign_cursors_are_422(client: TestClient, archive: Archive) -> None:
    good = _first_cursor(client)
    payload, signature = good.split(".")
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(Article))
    bad = [
        "",
        "garbage",
        "a.b.c",
        good + "x",
        f"{payload}.{signature[::-1]}",
        f"{payload[:-2]}.{signature}",
        _reforge(good, {"k": ["2030-01-01T00:00:00+00:00", "zzz"]}),
        "€." + signature,
        "x" * 1001,
    ]
    for cursor in bad:
        _assert_cursor_problem(client, {"cursor": cursor})
    # a genuine cursor used with another sort or another filter
    _assert_cursor_problem(client, {"cursor": good, "sort": "published_at"})
    _assert_cursor_problem(client, {"cursor": good, "tag": "美国"})
    _assert_cursor_problem(client, {"cursor": good, "include_empty": "true"})
    tagged = _first_cursor(client, tag="美国")
    _assert_cursor_problem(client, {"cursor": tagged})
    r = client.get("/tags", params={"cursor": good})
    assert r.status_code == 422
    # reading is all these requests did
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == before


def test_the_same_cursor_with_another_limit_is_fine(client: TestClient, archive: Archive) -> None:
    cursor = _first_cursor(client)
    r = client.get("/articles", params={"cursor": cursor, "limit": 5})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == archive.expected()[2:7]


def test_tag_order_of_parameters_does_not_change_the_cursor_scope(
    client: TestClient, archive: Archive
) -> None:
    body = client.get(
        "/articles", params=[("tag", "美国"), ("tag", "TikTok"), ("limit", "1")]
    ).json()
    r = client.get(
        "/articles", params=[("tag", "TikTok"), ("tag", "美国"), ("cursor", body["next"])]
    )
    assert r.status_code == 200


def test_encode_decode_round_trip_and_checks() -> None:
    scope = scope_of("articles", "-published_at", {"tags": []})
    cursor = encode_cursor(["2024-03-04T08:37:00+00:00", "gnews-1"], scope=scope, secret="s1")
    assert decode_cursor(cursor, scope=scope, secret="s1") == [
        "2024-03-04T08:37:00+00:00",
        "gnews-1",
    ]
    with pytest.raises(CursorError):
        decode_cursor(cursor, scope=scope, secret="another secret")
    with pytest.raises(CursorError):
        decode_cursor(cursor, scope=scope_of("articles", "published_at"), secret="s1")
    # opaque: the key is not plain text in the cursor
    assert "gnews-1" not in cursor
