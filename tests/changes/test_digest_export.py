"""GET /changes/digest and GET /export: what a mirror compares and bootstraps from."""

import hashlib
import json

from api.factory import ArticleSpec
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import snapshot_session
from app.feed import archive_digest
from app.queries.articles import load_articles
from changes.feedkit import publish, withdraw


def test_digest_of_an_empty_archive_is_the_hash_of_nothing(client: TestClient) -> None:
    assert client.get("/changes/digest").json() == {
        "last_seq": 0,
        "count": 0,
        "digest": hashlib.sha256(b"").hexdigest(),
        "revisions": 0,
        "revisions_digest": hashlib.sha256(b"").hexdigest(),
    }


def test_digest_follows_the_documented_algorithm(client: TestClient, engine: Engine) -> None:
    # Ids chosen so that byte order and a locale's order would differ.
    ids = publish(
        engine,
        ArticleSpec(id="gnews-b"),
        ArticleSpec(id="gnews-B"),
        ArticleSpec(id="gnews-a_1"),
        ArticleSpec(id="gnews-a-2"),
    )
    withdraw(engine, ids[0])
    with Session(engine) as session:
        live = {a.id: a.content_hash for a in load_articles(session, ids[1:])}
    lines = "".join(f"{i}\t{live[i]}\n" for i in sorted(live))

    body = client.get("/changes/digest").json()

    # Written by hand (api.factory), these articles have no revisions.
    assert body == {
        "last_seq": 5,
        "count": 3,
        "digest": hashlib.sha256(lines.encode()).hexdigest(),
        "revisions": 0,
        "revisions_digest": hashlib.sha256(b"").hexdigest(),
    }
    with snapshot_session(engine) as session:
        assert archive_digest(session).digest == body["digest"]


def test_export_streams_every_article_then_the_trailer(client: TestClient, engine: Engine) -> None:
    ids = publish(engine, *[ArticleSpec(tags=[("台湾", "entity")]) for _ in range(450)])
    withdraw(engine, ids[7])

    r = client.get("/export")

    assert r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.text.splitlines()]
    *articles, trailer = lines
    assert [a["id"] for a in articles] == sorted(set(ids) - {ids[7]})
    with Session(engine) as session:
        assert articles[:3] == [
            a.model_dump(mode="json")
            for a in load_articles(session, [a["id"] for a in articles[:3]])
        ]
    assert trailer == client.get("/changes/digest").json()
    assert trailer["count"] == 449 and trailer["last_seq"] == 451


def test_export_of_an_empty_archive_is_the_trailer_alone(client: TestClient) -> None:
    lines = client.get("/export").text.splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "last_seq": 0,
            "digest": hashlib.sha256(b"").hexdigest(),
            "count": 0,
            "revisions": 0,
            "revisions_digest": hashlib.sha256(b"").hexdigest(),
        }
    ]
