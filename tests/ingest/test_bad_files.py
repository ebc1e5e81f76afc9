"""Bad files never stop a run, never leave a half-written article, and are reported; the store
is exactly as before."""

import os
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.ingest import ingest
from app.models import Article, Change
from app.parsing import ParsedArticle, parse_article
from ingest.corpus_kit import (
    add_tar_link,
    copy_examples,
    dump,
    member_bytes,
    tag_counts_in_step,
    write_tar,
    write_zip,
)

GARDEN = "content/gnews/9000101.md"


def _binary(p: Path) -> Path:
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return p


def _latin1(p: Path) -> Path:
    p.write_bytes("## Café crème\n\nUn article écrit en Latin-1.\n".encode("latin-1"))
    return p


def _empty(p: Path) -> Path:
    p.write_bytes(b"")
    return p


def _too_large(p: Path) -> Path:
    p.write_bytes(("## 大文件\n\n" + "很长的正文。" * 2000).encode())
    return p


def _symlink(p: Path) -> Path:
    os.symlink("/etc/hostname", p)
    return p


FOLDER_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "binary": (_binary, "binary"),
    "not-utf8": (_latin1, "not UTF-8"),
    "empty": (_empty, "empty"),
    "too-large": (_too_large, "too large"),
    "symlink": (_symlink, "symbolic link"),
}


@pytest.fixture
def small_files(database_url: str) -> Settings:
    """Settings whose file size limit the too-large case crosses (the examples stay under it)."""
    return Settings(database_url=database_url, max_file_bytes=8000)


@pytest.mark.parametrize("case", sorted(FOLDER_CASES))
def test_a_bad_file_in_a_folder(
    engine: Engine, small_files: Settings, tmp_path: Path, case: str
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=small_files)
    before = dump(engine)
    make, reason = FOLDER_CASES[case]
    make(corpus / "content" / "gnews" / "9999999.md")

    report = ingest(engine, corpus, settings=small_files)

    assert [f.path for f in report.failed] == ["content/gnews/9999999.md"]
    assert reason in report.failed[0].reason
    assert report.unchanged == 13 and report.changes == 0
    assert dump(engine) == before


def test_a_stored_article_whose_file_turns_bad_is_kept(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    before = dump(engine)
    _binary(corpus / GARDEN)

    report = ingest(engine, corpus, settings=settings, prune=True)

    assert [(f.path, "binary" in f.reason) for f in report.failed] == [(GARDEN, True)]
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("kind", "name", "reason"),
    [
        ("tar", "../evil.md", "escapes"),
        ("tar", "content/../../evil.md", "escapes"),
        ("tar", "/etc/evil.md", "absolute"),
        ("tar-symlink", "content/gnews/evil.md", "link"),
        ("tar-hardlink", "content/gnews/evil.md", "link"),
        ("zip", "../evil.md", "escapes"),
        ("zip", "/evil.md", "absolute"),
    ],
)
def test_a_bad_archive_member(
    engine: Engine, settings: Settings, tmp_path: Path, kind: str, name: str, reason: str
) -> None:
    ingest(engine, copy_examples(tmp_path / "corpus"), settings=settings)
    before = dump(engine)
    if kind == "zip":
        archive = write_zip(tmp_path / "bad.zip", [*member_bytes(), (name, b"## evil\n")])
    elif kind == "tar":
        archive = write_tar(tmp_path / "bad.tar", [*member_bytes(), (name, b"## evil\n")], "w")
    else:
        archive = write_tar(tmp_path / "bad.tar", member_bytes(), "w")
        link = tarfile.SYMTYPE if kind == "tar-symlink" else tarfile.LNKTYPE
        add_tar_link(
            archive,
            name,
            "content/gnews/9000101.md" if link == tarfile.LNKTYPE else "/etc/passwd",
            link,
        )

    report = ingest(engine, archive, settings=settings, prune=True)

    assert len(report.failed) == 1 and reason in report.failed[0].reason
    assert report.unchanged == 13 and report.changes == 0
    assert dump(engine) == before


def test_a_truncated_archive_is_reported_and_nothing_is_pruned(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ingest(engine, copy_examples(tmp_path / "corpus"), settings=settings)
    before = dump(engine)
    archive = write_tar(tmp_path / "cut.tar.gz", member_bytes(), "w:gz")
    archive.write_bytes(archive.read_bytes()[:3000])

    report = ingest(engine, archive, settings=settings, prune=True)

    assert report.complete is False and report.deleted == []
    assert [f.path for f in report.failed] == [str(archive)]
    assert dump(engine) == before


def test_a_parser_exception(
    engine: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    before = dump(engine)
    garden = corpus / GARDEN
    garden.write_text(garden.read_text(encoding="utf-8") + "\n新的一段。\n", encoding="utf-8")

    def parse(path: str, text: str) -> ParsedArticle:
        if path == GARDEN:
            raise IndexError("list index out of range")
        return parse_article(path, text)

    monkeypatch.setattr("app.ingest.prepare.parse_article", parse)
    report = ingest(engine, corpus, settings=settings)

    assert [(f.path, f.reason) for f in report.failed] == [
        (GARDEN, "parser error: IndexError: list index out of range")
    ]
    assert dump(engine) == before


def test_an_article_the_database_refuses_costs_only_itself(
    engine: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One article in the middle of a batch breaks a key; the others are stored whole."""
    corpus = copy_examples(tmp_path / "corpus")

    def parse(path: str, text: str) -> ParsedArticle:
        parsed = parse_article(path, text)
        if path == GARDEN:  # two sections with one index: the section key refuses it
            parsed.sections = [*parsed.sections, replace(parsed.sections[-1])]
        return parsed

    monkeypatch.setattr("app.ingest.prepare.parse_article", parse)
    report = ingest(engine, corpus, settings=settings, batch_size=100)

    assert [f.path for f in report.failed] == [GARDEN]
    assert report.failed[0].reason.startswith("the database refused it")
    assert len(report.added) == 12 and "gnews-9000101" not in report.added
    with Session(engine) as session:
        stored = set(session.scalars(select(Article.id)))
        changed = set(session.scalars(select(Change.article_id)))
    assert len(stored) == 12 and "gnews-9000101" not in stored and changed == stored
    with engine.connect() as conn:
        for table in ("byline", "section", "cited_link", "image", "article_tag"):
            rows = conn.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE article_id = 'gnews-9000101'"
            )
            assert rows.scalar_one() == 0, table
        entries = conn.exec_driver_sql("SELECT count(*) FROM index_entry").scalar_one()
    assert entries == 6  # both index pages of the batch were written
    assert tag_counts_in_step(engine)


BROKEN_MARKDOWN = {
    "unclosed-fence": "## 标题\n\n```python\nprint('never closed')\n" + "代码行\n" * 200,
    "deep-quotes": "## 标题\n\n" + ">" * 5000 + " 引用\n",
    "deep-brackets": "## 标题\n\n" + "[" * 20000 + "链接" + "](" * 5000 + "\n",
    "deep-lists": "## 标题\n\n" + "".join("  " * i + "- 项\n" for i in range(400)),
    "stray-html": "## 标题\n\n<div><table><tr><td>未闭合\n\n<b>粗体\n"
    + "&#xffffffff; &bogus; \\" * 50,
}


@pytest.mark.parametrize("case", sorted(BROKEN_MARKDOWN))
def test_broken_markdown_is_stored_whole_or_reported(
    engine: Engine, settings: Settings, tmp_path: Path, case: str
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    path = "content/gnews/9999998.md"
    (corpus / path).write_text(BROKEN_MARKDOWN[case], encoding="utf-8")

    report = ingest(engine, corpus, settings=settings)

    assert len(report.added) + len(report.failed) == 14
    assert [f.path for f in report.failed] in ([], [path])
    with Session(engine) as session:
        stored = session.get(Article, "gnews-9999998")
        changes = session.scalars(
            select(Change.article_id).where(Change.article_id == "gnews-9999998")
        ).all()
    assert (stored is None) == bool(report.failed)
    assert len(changes) == (0 if report.failed else 1)
    assert tag_counts_in_step(engine)
