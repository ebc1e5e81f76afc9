"""Revisions from folder ingests, uploads and PUT: a changed article adds one and keeps the
version it replaced as it was served; nothing else adds one; a refused write leaves the
revisions as they were. Both databases."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from writes.articles import article_bytes, gnews_path, tar_archive
from writes.store import make_token

import app.ingest.revisions as revisions
from app.config import Settings
from app.ingest import ingest
from revisions.kit import every_version, listed, table

MARKDOWN = {"Content-Type": "text/markdown"}
INDEX = (
    "###  [:house:首页](/README.md)\n---\n\n\n"
    "#### [测试文章第101号：编辑上传的例子](/content/gnews/101.md)\n"
    "索引里的摘要。 `3/4/2024 8:37 AM UTC`\n\n"
    "#### [另一篇](/content/gnews/102.md)\n另一篇的摘要。\n\n"
    "#### [第三篇](/content/gnews/103.md)\n第三篇的摘要。\n"
)


@pytest.fixture
def auth(engine: Engine) -> dict[str, str]:
    """Headers carrying a write token."""
    return {"Authorization": f"Bearer {make_token(engine, 'editor', ['write'])}"}


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_a_changed_file_adds_a_revision_and_keeps_the_one_it_replaced_as_served(
    engine: Engine, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    first = article_bytes(101)
    root = _folder(
        tmp_path / "corpus", {gnews_path(101): first, gnews_path(102): article_bytes(102)}
    )
    started = datetime.now(UTC)
    ingest(engine, root, settings=settings)
    [only] = listed(client, "gnews-101")
    assert only["commit"] is None and only["title"] == "测试文章第101号：编辑上传的例子"
    assert started <= datetime.fromisoformat(only["committed_at"]) <= datetime.now(UTC)
    before = client.get("/articles/gnews-101").json()

    _folder(root, {gnews_path(101): article_bytes(101, title="改过的标题")})
    assert ingest(engine, root, settings=settings).updated == ["gnews-101"]
    versions = every_version(client, "gnews-101")
    assert versions == [client.get("/articles/gnews-101").json(), before]
    assert [r["title"] for r in listed(client, "gnews-101")] == ["改过的标题", only["title"]]

    kept = table(engine)
    ingest(engine, root, settings=settings)  # nothing changed: no revision
    assert table(engine) == kept

    # Back to the first bytes: the first content again, now the newest; still two.
    _folder(root, {gnews_path(101): first})
    ingest(engine, root, settings=settings)
    items = listed(client, "gnews-101")
    assert [r["content_hash"] for r in items] == [
        before["content_hash"],
        versions[0]["content_hash"],
    ]
    assert items[0]["committed_at"] > items[1]["committed_at"]
    assert every_version(client, "gnews-101")[0] == client.get("/articles/gnews-101").json()


def test_an_index_entry_filling_an_article_in_adds_no_revision(
    engine: Engine, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    root = _folder(tmp_path / "corpus", {gnews_path(101): article_bytes(101)})
    ingest(engine, root, settings=settings)
    _folder(root, {"content/gnews/README.md": INDEX.encode()})
    assert ingest(engine, root, settings=settings).updated == ["gnews-101"]

    article = client.get("/articles/gnews-101").json()
    assert article["summary"] == "索引里的摘要。"
    # The same file: its one revision took the new content hash.
    assert every_version(client, "gnews-101") == [article]


def test_uploads_and_puts_add_revisions_and_a_delete_removes_them(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    upload = tar_archive([(gnews_path(101), article_bytes(101))])
    r = client.post("/articles", headers=auth, files=[("file", ("a.tar.gz", upload))])
    assert r.status_code == 200, r.text
    uploaded = client.get("/articles/gnews-101").json()

    edit = article_bytes(101, body="换了正文。")
    put = client.put("/articles/gnews-101", headers={**auth, **MARKDOWN}, content=edit)
    assert put.status_code == 200, put.text
    assert every_version(client, "gnews-101") == [
        client.get("/articles/gnews-101").json(),
        uploaded,
    ]
    kept = table(engine)
    assert (
        client.put("/articles/gnews-101", headers={**auth, **MARKDOWN}, content=edit).status_code
        == 200
    )
    assert table(engine) == kept  # the same article again: no revision

    assert client.delete("/articles/gnews-101", headers=auth).status_code == 204
    assert client.get("/articles/gnews-101/revisions").status_code == 404
    assert table(engine) == []


def test_refused_writes_leave_the_revisions_as_they_were(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    seed = tar_archive([(gnews_path(n), article_bytes(n)) for n in (101, 102)])
    assert client.post("/articles", headers=auth, files=[("file", ("a.tar.gz", seed))]).is_success
    kept, article = table(engine), client.get("/articles/gnews-101").json()

    # An upload changing 101 beside a bad file: all or nothing.
    bad = tar_archive(
        [(gnews_path(101), article_bytes(101, title="新")), (gnews_path(103), b"\xff\xfe")]
    )
    assert (
        client.post("/articles", headers=auth, files=[("file", ("b.tar.gz", bad))]).status_code
        == 422
    )
    # A PUT naming a version that is not the stored one.
    stale = client.put(
        "/articles/gnews-101",
        headers={**auth, **MARKDOWN, "If-Match": '"' + "0" * 64 + '"'},
        content=article_bytes(101, title="新"),
    )
    assert stale.status_code == 412
    assert table(engine) == kept
    assert client.get("/articles/gnews-101").json() == article


def test_a_revision_the_database_refuses_costs_its_article_alone(
    engine: Engine,
    settings: Settings,
    client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _folder(tmp_path / "corpus", {gnews_path(n): article_bytes(n) for n in (101, 102)})
    ingest(engine, root, settings=settings)
    kept = [row for row in table(engine) if row[0] == "gnews-102"]
    served = client.get("/articles/gnews-102").json()

    real = revisions.copy_rows

    def refuse_102(session: object, table_: object, rows: list[dict[str, object]]) -> None:
        if any(r["article_id"] == "gnews-102" for r in rows):
            raise IntegrityError("INSERT INTO article_revision", None, Exception("refused"))
        real(session, table_, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(revisions, "copy_rows", refuse_102)
    _folder(root, {gnews_path(n): article_bytes(n, title=f"改{n}") for n in (101, 102)})
    report = ingest(engine, root, settings=settings)

    assert report.updated == ["gnews-101"] and len(listed(client, "gnews-101")) == 2
    assert [(f.path, f.reason[:26]) for f in report.failed] == [
        (gnews_path(102), "the database refused it: r")
    ]
    assert [row for row in table(engine) if row[0] == "gnews-102"] == kept
    assert client.get("/articles/gnews-102").json() == served
