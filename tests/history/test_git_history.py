"""``GitHistory``: every path a ref ever held, at its newest version, dated by its commits;
the rolling slot files as versions of the GNews articles they name. Both databases."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.ingest import GitHistory, ingest
from app.models import Article
from app.queries.articles import load_articles
from history.repo_kit import Repo, at, gnews

NEWS = "content/gnews/1600100.md"
TALK = "content/transcript/2021/01/20210101-1600200.md"
POST = "content/gettr/p1abc.md"
SLOT1, SLOT2 = "content/gnews/1/README.md", "content/gnews/2/README.md"
OLD = "https://gnews.org/zh-hans/{}/"
NEW = "https://gnews.org/articles/{}"


def _talk(title: str) -> bytes:
    return f"## {title}\n[轉載自GNews](https://gnews.org/ThreadView/1600200)\n\n文字版。\n".encode()


def _served(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        ids = list(session.scalars(select(Article.id)))
        return {a.id: a.model_dump(mode="json") for a in load_articles(session, ids)}


def _rows(engine: Engine) -> dict[str, Article]:
    with Session(engine) as session:
        return {a.id: a for a in session.scalars(select(Article))}


@pytest.fixture
def files_repo(tmp_path: Path) -> Repo:
    """Added, edited, deleted, re-added: NEWS edited once, TALK deleted, POST deleted and
    re-added with new text, and a non-article file."""
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("初版", OLD.format(1600100)), TALK: _talk("对谈"), "a.png": b"\x89"})
    repo.commit({NEWS: gnews("改版", OLD.format(1600100))})  # 1
    repo.commit({TALK: None, POST: _talk("帖子")})  # 2
    repo.commit({POST: None})  # 3
    repo.commit({POST: _talk("帖子又来")})  # 4
    return repo


def test_every_path_ever_committed_is_served_at_its_newest_version(
    engine: Engine, settings: Settings, files_repo: Repo
) -> None:
    report = ingest(engine, GitHistory(files_repo.root, settings), settings=settings)
    assert report.failed == [] and sorted(report.added) == sorted(
        ["gnews-1600100", "transcript-2021-01-20210101-1600200", "gettr-p1abc"]
    )
    served = _served(engine)
    news, talk, post = (
        served["gnews-1600100"],
        served["transcript-2021-01-20210101-1600200"],
        served["gettr-p1abc"],
    )
    assert news["title"] == "改版"
    assert (news["first_seen_at"], news["last_seen_at"], news["in_head"]) == (
        f"{at(0):%Y-%m-%dT%H:%M:%SZ}",
        f"{at(1):%Y-%m-%dT%H:%M:%SZ}",
        True,
    )
    # Deleted by commit 2: kept, last seen at the last commit that held it.
    assert talk["title"] == "对谈" and talk["in_head"] is False
    assert talk["last_seen_at"] == f"{at(1):%Y-%m-%dT%H:%M:%SZ}"
    # Deleted and re-added: its newest text, first seen when it first came.
    assert post["title"] == "帖子又来" and post["in_head"] is True
    assert post["first_seen_at"] == f"{at(2):%Y-%m-%dT%H:%M:%SZ}"
    assert post["last_seen_at"] == f"{at(4):%Y-%m-%dT%H:%M:%SZ}"
    # No date of its own, none in an index: published when the archive first showed it.
    rows = _rows(engine)
    assert news["published_at"] == news["first_seen_at"]
    assert rows["gnews-1600100"].published_precision == "first_seen"


def test_a_working_tree_a_bare_repository_and_a_bundle_read_the_same(
    engine: Engine, settings: Settings, files_repo: Repo, tmp_path: Path
) -> None:
    first = ingest(engine, GitHistory(files_repo.bundle(tmp_path / "r.bundle"), settings))
    assert len(first.added) == 3
    before = _served(engine)
    for other in (files_repo.root, files_repo.bare(tmp_path / "bare.git")):
        again = ingest(engine, GitHistory(other, settings), settings=settings)
        assert again.changes == 0 and again.unchanged == 3 and again.failed == []
    assert _served(engine) == before


def test_a_ref_reads_that_branch_only(engine: Engine, settings: Settings, files_repo: Repo) -> None:
    files_repo.git("checkout", "--quiet", "-b", "side", "HEAD~3")  # NEWS edited, TALK there
    files_repo.commit({"content/gnews/1600999.md": gnews("支线", OLD.format(1600999))})
    files_repo.git("checkout", "--quiet", "main")
    ingest(engine, GitHistory(files_repo.root, settings, ref="side"), settings=settings)
    served = _served(engine)
    assert set(served) == {
        "gnews-1600100",
        "transcript-2021-01-20210101-1600200",
        "gnews-1600999",
    }
    assert served["transcript-2021-01-20210101-1600200"]["in_head"] is True


def test_an_unknown_ref_is_a_failure_of_the_source(
    engine: Engine, settings: Settings, files_repo: Repo
) -> None:
    report = ingest(engine, GitHistory(files_repo.root, settings, ref="nope"), settings=settings)
    assert report.complete is False and "no commit 'nope'" in report.failed[0].reason


def test_a_non_utf8_blob_and_a_symbolic_link_are_reported(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("好", OLD.format(1600100)), "content/gnews/2.md": b"\xff\xfe bad"})
    (repo.root / "content" / "gnews" / "3.md").symlink_to("1600100.md")
    repo.commit({})
    report = ingest(engine, GitHistory(repo.root, settings), settings=settings)
    reasons = {f.path: f.reason for f in report.failed}
    assert reasons["content/gnews/2.md"].startswith("not UTF-8")
    assert reasons["content/gnews/3.md"] == "symbolic link"
    assert report.added == ["gnews-1600100"]


def test_slot_versions_are_versions_of_the_articles_they_name(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    a, b, c = (gnews(t, OLD.format(n)) for t, n in (("甲", 1700001), ("乙", 1700002), ("丙", 500)))
    a2 = gnews("甲改", OLD.format(1700001))
    reused = gnews("新空间同号", NEW.format(500))  # the same number in the other id space
    nameless = gnews("无链接", "https://example.org/x")
    translation = gnews(
        "Translated", "https://gnews.org/1700999/", "Ref: https://gnews.org/zh-hans/1700002/"
    )
    repo.commit({SLOT1: a})  # 0
    repo.commit({SLOT1: b, SLOT2: a})  # 1: a rolls over to slot 2
    repo.commit({SLOT1: c, SLOT2: b})  # 2: a has left every slot
    repo.commit({SLOT1: a2, SLOT2: c})  # 3: a new version of a
    repo.commit({SLOT1: reused, SLOT2: nameless})  # 4
    repo.commit({SLOT1: translation, "content/gnews/500.md": gnews("文件", OLD.format(500))})  # 5
    report = ingest(engine, GitHistory(repo.root, settings), settings=settings)

    assert [f.path for f in report.failed] == [f"{SLOT2}@{repo.git('rev-parse', 'HEAD~1')[:12]}"]
    served = _served(engine)
    # One article per (space, id); none per slot; zh-hans 500 is the file's own article.
    assert set(served) == {
        "gnews-zh-hans-1700001",
        "gnews-zh-hans-1700002",
        "gnews-500",
        "gnews-articles-500",
    }
    first = served["gnews-zh-hans-1700001"]
    assert first["title"] == "甲改" and first["path"] == "content/gnews/zh-hans/1700001.md"
    assert first["first_seen_at"] == f"{at(0):%Y-%m-%dT%H:%M:%SZ}"
    assert first["last_seen_at"] == f"{at(3):%Y-%m-%dT%H:%M:%SZ}" and first["in_head"] is False
    assert first["published_at"] == first["first_seen_at"]
    # A translation linking its original is that article's newest version; its source
    # is still the original.
    second = served["gnews-zh-hans-1700002"]
    assert second["title"] == "Translated" and second["in_head"] is True
    assert second["source"]["url"] == OLD.format(1700002)
    assert served["gnews-500"]["title"] == "文件"  # newer than the slot's version
    assert served["gnews-500"]["first_seen_at"] == f"{at(2):%Y-%m-%dT%H:%M:%SZ}"
    assert served["gnews-articles-500"]["title"] == "新空间同号"
    assert served["gnews-articles-500"]["source"]["url"] == NEW.format(500)


def test_a_renamed_file_keeps_both_paths(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Real history renames files (2023-03: ``content/gnews/960452.md`` became
    ``content/gnews/1014238.md``): the log is read without rename detection, so that is
    a deletion and an addition, and both paths stay served, the old one out of the ref."""
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("原文", OLD.format(1600100))})
    repo.git("mv", NEWS, "content/gnews/1600101.md")
    repo.commit({})
    report = ingest(engine, GitHistory(repo.root, settings), settings=settings)
    assert sorted(report.added) == ["gnews-1600100", "gnews-1600101"] and report.failed == []
    served = _served(engine)
    assert served["gnews-1600100"]["in_head"] is False
    assert served["gnews-1600100"]["last_seen_at"] == f"{at(0):%Y-%m-%dT%H:%M:%SZ}"
    renamed = served["gnews-1600101"]
    assert renamed["in_head"] is True and renamed["title"] == "原文"
    assert renamed["first_seen_at"] == f"{at(1):%Y-%m-%dT%H:%M:%SZ}"


def test_an_older_version_too_large_to_read_is_reported_with_its_commit(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The versions on either side are kept; the one over the size limit is a failure named
    ``path@commit`` (its size is unknown: the blob is not read past the limit)."""
    small = Settings(database_url=database_url, rate_limits_enabled=False, max_file_bytes=4000)
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("初版", OLD.format(1600100))})
    big = repo.commit({NEWS: gnews("大版", OLD.format(1600100), "长" * 3000)})
    repo.commit({NEWS: gnews("终版", OLD.format(1600100))})
    report = ingest(engine, GitHistory(repo.root, small), settings=small)
    assert [(f.path, f.reason) for f in report.failed] == [
        (f"{NEWS}@{big[:12]}", "file too large (more; the limit is 4000 bytes)")
    ]
    assert report.added == ["gnews-1600100"]
    news = _served(engine)["gnews-1600100"]
    assert news["title"] == "终版" and news["first_seen_at"] == f"{at(0):%Y-%m-%dT%H:%M:%SZ}"
