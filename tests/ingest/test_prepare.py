"""Bytes -> rows: bad bytes refused before anything is written, and the hashed document is
exactly what the API serves for it."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.ingest.prepare import (
    FailedFile,
    PreparedArticle,
    PreparedIndexPage,
    decode,
    prepare,
    source_hash,
)
from app.schemas import ArticlePublic, content_hash_of
from ingest.corpus_kit import EXAMPLES, example_files


def _prepare(path: Path) -> object:
    data = path.read_bytes()
    return prepare(path.relative_to(EXAMPLES).as_posix(), data, source_hash(data))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\r\n\t", "empty"),
        (b"## title\x00\x01\x02", "binary"),
        ("## 标题\n正文".encode("gb18030"), "not UTF-8"),
        (b"\xff\xfe## t", "not UTF-8"),
    ],
)
def test_bad_bytes_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    text, problem = decode(data)
    assert text is None and problem is not None and reason in problem
    failed = prepare("content/gnews/1.md", data, source_hash(data))
    assert isinstance(failed, FailedFile) and reason in failed.reason


def test_a_byte_order_mark_is_dropped() -> None:
    assert decode("\ufeff# 关于".encode()) == ("# 关于", None)


def test_index_pages_are_recognised_by_content_not_name(tmp_path: Path) -> None:
    index = (EXAMPLES / "content" / "gnews" / "README.md").read_bytes()
    as_other_name = prepare("content/gnews/listing.md", index, source_hash(index))
    assert isinstance(as_other_name, PreparedIndexPage) and len(as_other_name.records) == 3
    article = (EXAMPLES / "content" / "gnews" / "9000101.md").read_bytes()
    as_readme = prepare("content/gnews/5/README.md", article, source_hash(article))
    assert isinstance(as_readme, PreparedArticle)


def test_a_parser_exception_is_the_files_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: str, text: str) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("app.ingest.prepare.parse_article", broken)
    failed = _prepare(EXAMPLES / "content" / "gnews" / "9000101.md")
    assert isinstance(failed, FailedFile) and failed.reason.startswith(
        "parser error: RecursionError"
    )


@pytest.mark.parametrize(
    "path", [p for p in example_files() if p.name != "README.md"], ids=lambda p: p.name
)
def test_the_hashed_document_is_what_the_api_serves(path: Path) -> None:
    prepared = _prepare(path)
    assert isinstance(prepared, PreparedArticle)
    document = prepared.document()
    served = ArticlePublic.model_validate(
        {**document, "content_hash": prepared.content_hash, "updated_at": datetime.now(UTC)}
    ).model_dump(mode="json")
    assert {k: v for k, v in served.items() if k not in ("content_hash", "updated_at")} == document
    assert content_hash_of(served) == prepared.content_hash == prepared.article["content_hash"]
    assert prepared.article["source_hash"] == source_hash(path.read_bytes())


def test_lacks_lists_what_the_file_does_not_say() -> None:
    stub = _prepare(EXAMPLES / "content" / "transcript" / "2019" / "03" / "20190305-9000108.md")
    full = _prepare(EXAMPLES / "content" / "gnews" / "9000101.md")
    assert isinstance(stub, PreparedArticle) and isinstance(full, PreparedArticle)
    assert stub.article["is_empty"] is True
    assert stub.article["lacks"] == ["title", "summary", "published_at", "authors"]
    assert full.article["lacks"] == ["summary"]
