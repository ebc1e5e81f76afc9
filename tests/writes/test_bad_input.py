"""Bad input gets a problem+json answer and nothing else: store and change feed as before.

Every test here runs on SQLite and PostgreSQL, on a store seeded through an upload, and
compares every table's rows and ``/changes/digest`` before and after.
"""

import io
import os
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from writes.articles import (
    article_bytes,
    gnews_path,
    multipart_body,
    tar_archive,
    tar_with_link,
    zip_archive,
)
from writes.store import make_token

pytestmark = pytest.mark.usefixtures("seeded")


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


def _upload(
    client: TestClient, auth: dict[str, str], *files: tuple[str, bytes], **data: str
) -> Any:
    return client.post("/articles", headers=auth, files=[("file", f) for f in files], data=data)


# -- tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "/articles"), ("PUT", "/articles/gnews-101"), ("DELETE", "/articles/gnews-101")],
)
def test_writes_without_a_token_are_401(
    client: TestClient, snapshot: Callable[[], Any], method: str, url: str
) -> None:
    before = snapshot()
    body, ctype = multipart_body([("file", gnews_path(1), article_bytes(1))])
    if method == "PUT":
        body, ctype = article_bytes(101, body="不该写入。"), "text/markdown"
    r = client.request(method, url, content=body, headers={"Content-Type": ctype})
    _problem(r, 401)
    assert snapshot() == before


def test_writes_with_a_read_token_are_403(
    client: TestClient, engine: Engine, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    headers = {"Authorization": f"Bearer {make_token(engine, 'reader', ['read'])}"}
    _problem(_upload(client, headers, (gnews_path(1), article_bytes(1))), 403)
    _problem(client.delete("/articles/gnews-101", headers=headers), 403)
    assert snapshot() == before


# -- media types and malformed bodies ---------------------------------------------------


@pytest.mark.parametrize(
    "ctype", ["application/json", "text/markdown", "application/x-www-form-urlencoded", None]
)
def test_an_upload_that_is_not_multipart_is_415(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any], ctype: str | None
) -> None:
    before = snapshot()
    headers = {**auth, **({"Content-Type": ctype} if ctype else {})}
    _problem(client.post("/articles", headers=headers, content=article_bytes(1)), 415)
    assert snapshot() == before


@pytest.mark.parametrize("ctype", ["application/json", "multipart/form-data; boundary=x"])
def test_a_put_that_is_not_markdown_is_415(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any], ctype: str
) -> None:
    before = snapshot()
    r = client.put("/articles/gnews-101", headers={**auth, "Content-Type": ctype}, content=b"{}")
    _problem(r, 415)
    assert snapshot() == before


def test_multipart_without_a_boundary_is_400(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    headers = {**auth, "Content-Type": "multipart/form-data"}
    _problem(client.post("/articles", headers=headers, content=b"--x--\r\n"), 400)
    assert snapshot() == before


def test_a_body_cut_before_its_closing_boundary_is_400(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    body, ctype = multipart_body([("file", gnews_path(1), article_bytes(1))])
    cut = body[: len(body) // 2]
    _problem(client.post("/articles", headers={**auth, "Content-Type": ctype}, content=cut), 400)
    assert snapshot() == before


@pytest.mark.parametrize(
    "parts",
    [
        [("notes", None, b"hello"), ("file", gnews_path(1), article_bytes(1))],
        [("path", None, gnews_path(1).encode())],
        [
            ("path", None, b"content/gnews/1.md"),
            ("path", None, b"content/gnews/2.md"),
            ("file", "a.md", article_bytes(1)),
        ],
    ],
    ids=["unknown-field", "no-file", "path-twice"],
)
def test_wrong_form_parts_are_422(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any], parts: Any
) -> None:
    before = snapshot()
    body, ctype = multipart_body(parts)
    _problem(client.post("/articles", headers={**auth, "Content-Type": ctype}, content=body), 422)
    assert snapshot() == before


# -- sizes --------------------------------------------------------------------------------


def test_a_body_declared_over_the_limit_is_413_unread(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_upload_bytes=10_000)
    before = snapshot()
    body, ctype = multipart_body([("file", gnews_path(1), article_bytes(1) * 100)])
    r = small.post("/articles", headers={**auth, "Content-Type": ctype}, content=body)
    assert "10000" in _problem(r, 413)["detail"]
    assert snapshot() == before


def test_a_chunked_body_over_the_limit_is_413_while_streaming(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_upload_bytes=10_000)
    before = snapshot()
    body, ctype = multipart_body([("file", "a.tar.gz", os.urandom(50_000))])
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 1000):
            sent.append(start)
            yield body[start : start + 1000]

    r = small.post("/articles", headers={**auth, "Content-Type": ctype}, content=chunks())
    _problem(r, 413)
    assert snapshot() == before


def test_a_content_length_that_lies_does_not_lift_the_limit(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_upload_bytes=10_000)
    before = snapshot()
    body, ctype = multipart_body([("file", "a.zip", os.urandom(50_000))])
    headers = {**auth, "Content-Type": ctype, "Content-Length": "500"}
    _problem(small.post("/articles", headers=headers, content=body), 413)
    assert snapshot() == before


def test_a_markdown_part_over_the_file_limit_is_413(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_file_bytes=2_000)
    before = snapshot()
    big = article_bytes(1, body="长" * 2_000)
    _problem(_upload(small, auth, (gnews_path(1), big)), 413)
    assert snapshot() == before


def test_a_put_over_the_file_limit_is_413(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_file_bytes=2_000)
    before = snapshot()
    big = article_bytes(101, body="长" * 2_000)
    r = small.put(
        "/articles/gnews-101", headers={**auth, "Content-Type": "text/markdown"}, content=big
    )
    _problem(r, 413)
    assert snapshot() == before


def test_more_file_parts_than_allowed_is_413(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_upload_parts=2)
    before = snapshot()
    files = [(gnews_path(n), article_bytes(n)) for n in (1, 2, 3)]
    assert "2 file parts" in _problem(_upload(small, auth, *files), 413)["detail"]
    assert snapshot() == before


# -- file content -------------------------------------------------------------------------

BAD_FILES = {
    "not-utf8": ("測試".encode("big5") + b" \xff\xfe", "not UTF-8"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64), "binary file"),
    "empty": (b"", "empty file"),
    "blank": (b"  \n\r\n\t", "empty file"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_markdown_upload_is_422_with_the_reason(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any], kind: str
) -> None:
    before = snapshot()
    data, reason = BAD_FILES[kind]
    body = _problem(_upload(client, auth, (gnews_path(1), data)), 422)
    assert body["errors"][0]["msg"].startswith(reason)
    assert reason in body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_markdown_put_is_422_with_the_reason(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any], kind: str
) -> None:
    before = snapshot()
    data, reason = BAD_FILES[kind]
    r = client.put(
        "/articles/gnews-101", headers={**auth, "Content-Type": "text/markdown"}, content=data
    )
    assert _problem(r, 422)["detail"].startswith(reason)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("filename", "fields", "reason"),
    [
        ("123.md", {}, "must start with 'content/'"),
        ("a.md", {"path": "gnews/1.md"}, "must start with 'content/'"),
        ("a.md", {"path": "../content/gnews/1.md"}, ".."),
        ("a.md", {"path": "/etc/content/gnews/1.md"}, "absolute path"),
        ("a.png", {}, "not a markdown or text file"),
    ],
)
def test_a_file_without_a_corpus_path_is_422(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], Any],
    filename: str,
    fields: dict[str, str],
    reason: str,
) -> None:
    before = snapshot()
    body = _problem(_upload(client, auth, (filename, article_bytes(1)), **fields), 422)
    assert reason in body["detail"]
    assert snapshot() == before


def test_a_file_part_without_a_name_or_path_is_422(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    body, ctype = multipart_body([("file", None, article_bytes(1))])
    r = client.post("/articles", headers={**auth, "Content-Type": ctype}, content=body)
    assert "needs a `path` field" in _problem(r, 422)["detail"]
    assert snapshot() == before


def test_a_path_field_with_several_files_is_422(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    files = [(gnews_path(1), article_bytes(1)), (gnews_path(2), article_bytes(2))]
    _problem(_upload(client, auth, *files, path=gnews_path(3)), 422)
    assert snapshot() == before


def test_the_same_path_twice_in_an_upload_is_422(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    archive = tar_archive([(gnews_path(1), article_bytes(1))])
    body = _problem(
        _upload(client, auth, (gnews_path(1), article_bytes(1)), ("a.tgz", archive)), 422
    )
    assert "twice" in body["detail"]
    assert snapshot() == before


# -- archives -----------------------------------------------------------------------------


def _escape_markers() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if "escaped" in name}


@pytest.mark.parametrize(
    ("archive_name", "archive", "reason"),
    [
        ("abs.tar.gz", tar_archive([("/tmp/escaped-abs.md", article_bytes(1))]), "absolute path"),
        ("dots.tar.gz", tar_archive([("content/../../escaped-dots.md", article_bytes(1))]), ".."),
        ("sym.tar.gz", tar_with_link("content/gnews/escaped-sym.md", "/etc/passwd"), "link"),
        (
            "hard.tar.gz",
            tar_with_link("content/gnews/escaped-hard.md", "/etc/passwd", tarfile.LNKTYPE),
            "link",
        ),
        ("abs.zip", zip_archive([("/tmp/escaped-abs.md", article_bytes(1))]), "absolute path"),
        ("dots.zip", zip_archive([("content/../../escaped-dots.md", article_bytes(1))]), ".."),
    ],
    ids=["tar-absolute", "tar-dotdot", "tar-symlink", "tar-hardlink", "zip-absolute", "zip-dotdot"],
)
def test_unsafe_archive_members_are_refused_and_nothing_lands_outside(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], Any],
    archive_name: str,
    archive: bytes,
    reason: str,
) -> None:
    before = snapshot()
    markers = _escape_markers()
    good = (gnews_path(1), article_bytes(1))
    body = _problem(_upload(client, auth, good, (archive_name, archive)), 422)
    assert reason in body["detail"]
    assert snapshot() == before
    assert _escape_markers() == markers


def test_a_zip_symlink_member_is_refused(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("content/gnews/escaped-link.md")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    body = _problem(_upload(client, auth, ("link.zip", out.getvalue())), 422)
    assert "link" in body["detail"]
    assert snapshot() == before


def test_a_corrupt_archive_is_422(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    _problem(_upload(client, auth, ("broken.tar.gz", b"\x1f\x8b\x08garbage" * 10)), 422)
    _problem(_upload(client, auth, ("broken.zip", b"PK\x03\x04garbage" * 10)), 422)
    assert snapshot() == before


def _zip_bomb(members: int, member_bytes: int) -> bytes:
    return zip_archive(
        (f"content/gnews/{9000 + i}.md", b"\n" * member_bytes) for i in range(members)
    )


def test_a_zip_bomb_stops_at_the_unpacked_bytes_limit(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_archive_uncompressed_bytes=1_000_000, max_file_bytes=5_000_000)
    before = snapshot()
    bomb = _zip_bomb(4, 400_000)  # 1.6 MB of newlines in a few KB
    assert len(bomb) < 20_000
    assert (
        "unpacks to more than" in _problem(_upload(small, auth, ("bomb.zip", bomb)), 413)["detail"]
    )
    assert snapshot() == before


def test_a_tar_bomb_stops_at_the_member_count_limit(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_archive_members=5)
    before = snapshot()
    many = tar_archive((gnews_path(5000 + i), article_bytes(5000 + i)) for i in range(8))
    assert (
        "more than 5 files" in _problem(_upload(small, auth, ("many.tar.gz", many)), 413)["detail"]
    )
    assert snapshot() == before


def test_an_archive_member_over_the_file_limit_is_422(
    client_with: Callable[..., TestClient], auth: dict[str, str], snapshot: Callable[[], Any]
) -> None:
    small = client_with(max_file_bytes=100_000)
    before = snapshot()
    bomb = _zip_bomb(1, 5_000_000)
    assert "file too large" in _problem(_upload(small, auth, ("big.zip", bomb)), 422)["detail"]
    assert snapshot() == before
