"""POST /articles: files and archives in, the ingest report out, one change per article."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.models import ApiToken
from writes.articles import (
    article_bytes,
    gnews_path,
    multipart_body,
    tar_archive,
    zip_archive,
)


def _changes(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/changes", params={"since": 0, "limit": 1000})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def test_a_single_file_with_a_path_field_is_added(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post(
        "/articles",
        headers=auth,
        files={"file": ("anything.md", article_bytes(7), "text/markdown")},
        data={"path": gnews_path(7)},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["added"], report["updated"], report["unchanged"]) == (["gnews-7"], [], 0)
    assert report["failed"] == [] and report["files"] == 1 and report["complete"] is True
    assert report["counts"]["added"] == 1
    article = client.get("/articles/gnews-7")
    assert article.status_code == 200
    assert article.json()["title"] == "测试文章第7号：编辑上传的例子"
    assert [(c["id"], c["op"]) for c in _changes(client)] == [("gnews-7", "upsert")]


def test_a_file_named_by_its_corpus_path_needs_no_path_field(
    client: TestClient, auth: dict[str, str]
) -> None:
    r = client.post("/articles", headers=auth, files={"file": (gnews_path(8), article_bytes(8))})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == ["gnews-8"]


def test_files_and_every_archive_kind_in_one_upload(
    client: TestClient, auth: dict[str, str]
) -> None:
    files = [
        ("file", (gnews_path(1), article_bytes(1))),
        ("file", ("a.tar.gz", tar_archive([(gnews_path(2), article_bytes(2))]))),
        ("file", ("b.tar.xz", tar_archive([(gnews_path(3), article_bytes(3))], mode="w:xz"))),
        (
            "file",
            (
                "c.zip",
                zip_archive([(gnews_path(4), article_bytes(4)), (gnews_path(5), article_bytes(5))]),
            ),
        ),
    ]
    r = client.post("/articles", headers=auth, files=files)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["added"]) == [f"gnews-{n}" for n in range(1, 6)]
    assert sorted(c["id"] for c in _changes(client)) == [f"gnews-{n}" for n in range(1, 6)]


def test_uploading_again_changes_nothing_and_an_edit_is_one_change(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Any
) -> None:
    before = snapshot()
    again = tar_archive((gnews_path(n), article_bytes(n)) for n in (101, 102, 103))
    r = client.post("/articles", headers=auth, files={"file": ("again.tgz", again)})
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["updated"], r.json()["unchanged"]) == ([], [], 3)
    assert snapshot() == before

    last_seq = client.get("/changes/digest").json()["last_seq"]
    edited = article_bytes(102, body="改过的正文。")
    r = client.post("/articles", headers=auth, files={"file": (gnews_path(102), edited)})
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["updated"]) == ([], ["gnews-102"])
    changes = _changes(client)
    assert [(c["id"], c["op"]) for c in changes if c["seq"] > last_seq] == [("gnews-102", "upsert")]
    assert "改过的正文" in client.get("/articles/gnews-102").json()["body_text"]


def test_one_bad_file_refuses_the_whole_upload(
    client: TestClient, auth: dict[str, str], seeded: list[str], snapshot: Any
) -> None:
    before = snapshot()
    archive = tar_archive(
        [
            (gnews_path(201), article_bytes(201)),
            (gnews_path(202), "旧编码".encode("gb18030")),
            (gnews_path(101), article_bytes(101, body="会被撤销的修改。")),
        ]
    )
    files = [("file", ("batch.tar.gz", archive)), ("file", (gnews_path(203), b""))]
    r = client.post("/articles", headers=auth, files=files)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    reasons = {e["loc"][1]: e["msg"] for e in problem["errors"]}
    assert set(reasons) == {gnews_path(202), gnews_path(203)}
    assert reasons[gnews_path(202)].startswith("not UTF-8")
    assert reasons[gnews_path(203)] == "empty file"
    assert "nothing was stored" in problem["detail"]
    assert snapshot() == before


def test_a_write_marks_the_token_used(
    client: TestClient, auth: dict[str, str], engine: Engine
) -> None:
    r = client.post("/articles", headers=auth, files={"file": (gnews_path(9), article_bytes(9))})
    assert r.status_code == 200
    with engine.connect() as conn:
        used = conn.execute(select(ApiToken.last_used_at)).scalar_one()  # type: ignore[call-overload]
    assert used is not None


@pytest.mark.parametrize("archive_name", ["x.tar.gz", "x.zip"])
def test_an_archive_made_from_the_repository_folder_keeps_corpus_paths(
    client: TestClient, auth: dict[str, str], archive_name: str
) -> None:
    members = [(f"txt-main/{gnews_path(11)}", article_bytes(11))]
    data = zip_archive(members) if archive_name.endswith(".zip") else tar_archive(members)
    r = client.post("/articles", headers=auth, files={"file": (archive_name, data)})
    assert r.status_code == 200, r.text
    assert client.get("/articles/gnews-11").json()["path"] == gnews_path(11)


def test_a_file_part_without_a_name_takes_the_path_field(
    client: TestClient, auth: dict[str, str]
) -> None:
    body, ctype = multipart_body(
        [("path", None, b"content/gnews/12.md"), ("file", None, article_bytes(12))]
    )
    r = client.post("/articles", headers={**auth, "Content-Type": ctype}, content=body)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == ["gnews-12"]
