"""Index pages read at every commit of a history: every version's entries fill in what the
articles lack, the newest where versions disagree; links to slot files mean the article the
slot held at that commit. Both databases."""

from pathlib import Path
from typing import Any

from ingest.corpus_kit import feed_rows
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.ingest import ingest_history
from app.models import Article, IndexEntry
from app.queries.articles import load_articles
from history.repo_kit import Repo, gnews

SLOT1, SLOT2, SLOT3 = (f"content/gnews/{n}/README.md" for n in (1, 2, 3))
NEWS = "content/gnews/1600100.md"
TALK = "content/transcript/2021/01/20210101-1600200.md"
HEAD = "###  [:house:返回首頁](https://github.com/ourhimalayas/txt)\r\n---\r\n\r\n"


def _old(n: int) -> str:
    return f"https://gnews.org/zh-hans/{n}/"


def _slot_entry(slot: int, title: str, farm: str) -> str:
    """An entry of the oldest GNews index: a link to a slot file and the farm."""
    return f"### [{title}](/content/gnews/{slot}/README.md)\r\n ` {farm}`\r\n\r\n"


def _entry(path: str, title: str, summary: str, when: str) -> str:
    """An entry of the third GNews index format: title, summary, date and farm."""
    return f"#### [{title}](/{path})\r\n{summary} `{when} UTC 农场新闻`\r\n\r\n"


def _page(*entries: str) -> bytes:
    return (HEAD + "".join(entries)).encode()


def _newest_page(summary: str) -> bytes:
    """A third-format page listing NEWS with ``summary``, and two others: an index page
    lists three articles at least."""
    return _page(
        _entry(NEWS, "新闻", summary, "3/2/2023 9:00 AM"),
        _entry("content/gnews/1600101.md", "别的", "摘要", "3/2/2023 9:00 AM"),
        _entry("content/gnews/1600102.md", "别的", "摘要", "3/2/2023 9:00 AM"),
    )


def _talk() -> bytes:
    # A stub transcript: an empty title, which an index title fills in.
    return b"## \n[\xe8\xbd\x89\xe8\xbc\x89\xe8\x87\xaaGNews](https://gnews.org/ThreadView/0)\n"


def _repo(root: Path) -> Repo:
    """Three index versions: slot links (slot 1 holds 甲, then 乙 while 甲 moves to slot 2),
    then the third format, which no longer lists 甲 or the transcript."""
    repo = Repo(root)
    # 甲's version has no title of its own: the index gives it.
    a, b = gnews("", _old(1700001)), gnews("乙", _old(1700002))
    nameless = gnews("无链接", "https://example.org/x")
    repo.commit(
        {
            SLOT1: a,
            SLOT3: nameless,
            NEWS: gnews("新闻", _old(1600100)),
            TALK: _talk(),
            "README.md": _page(
                _slot_entry(1, "甲初", "农场一"),
                _slot_entry(3, "无链接", "农场三"),
                f"[对谈的标题](/{TALK})\r\n\r\n",
                _entry(NEWS, "新闻", "旧摘要", "3/1/2023 8:39 AM"),
            ),
        }
    )
    repo.commit(
        {
            SLOT1: b,
            SLOT2: a,
            "README.md": _page(
                _slot_entry(1, "乙", "农场乙"),
                _slot_entry(2, "甲", "农场二"),
                _slot_entry(3, "无链接", "农场三"),
            ),
        }
    )
    repo.commit({"README.md": _newest_page("新摘要")})
    return repo


def _served(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        ids = list(session.scalars(select(Article.id)))
        return {a.id: a.model_dump(mode="json") for a in load_articles(session, ids)}


def _entries(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with Session(engine) as session:
        return {
            e.path: (e.title, e.summary, e.published_at, e.author, e.index_path)
            for e in session.scalars(select(IndexEntry))
        }


def test_every_version_of_an_index_page_fills_in(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    report, _ = ingest_history(engine, _repo(tmp_path / "repo").root, settings)
    # The slot version that names no article is reported as ever; the index reads fine.
    assert [f.path.split("@")[0] for f in report.failed] == [SLOT3]
    assert report.index_pages == 3
    served = _served(engine)
    assert set(served) == {
        "gnews-zh-hans-1700001",
        "gnews-zh-hans-1700002",
        "gnews-1600100",
        "transcript-2021-01-20210101-1600200",
    }
    # 甲 was listed through slot 1, then slot 2: the newer listing wins.
    assert served["gnews-zh-hans-1700001"]["title"] == "甲"
    assert served["gnews-zh-hans-1700002"]["title"] == "乙"
    # Only the first version listed the transcript: its title still fills the stub's in.
    assert served["transcript-2021-01-20210101-1600200"]["title"] == "对谈的标题"
    news = served["gnews-1600100"]
    assert news["summary"] == "新摘要" and news["published_at"] == "2023-03-02T09:00:00Z"
    with Session(engine) as session:
        assert session.get(Article, "gnews-1600100").published_precision == "index"  # type: ignore[union-attr]
    # A link to a slot is stored as the article it meant, never as the slot's path; the
    # slot that held no article names nothing.
    entries = _entries(engine)
    assert not any("/README.md" in path for path in entries)
    assert entries["content/gnews/zh-hans/1700001.md"][::3] == ("甲", "农场二")
    assert entries["content/gnews/zh-hans/1700002.md"][::3] == ("乙", "农场乙")


def test_an_index_version_written_later_is_read_alone(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    ingest_history(engine, repo.root, settings)
    before = feed_rows(engine)
    again, _ = ingest_history(engine, repo.root, settings)
    assert again.files == 0 and again.index_pages == 0 and feed_rows(engine) == before
    repo.commit({"README.md": _newest_page("最新摘要")})
    report, _ = ingest_history(engine, repo.root, settings)
    assert report.index_pages == 1 and report.updated == ["gnews-1600100"]
    assert report.added == [] and report.failed == []
    assert _served(engine)["gnews-1600100"]["summary"] == "最新摘要"


def test_a_bad_index_version_is_reported_with_its_commit(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("新闻", _old(1600100)), "README.md": b"\xff\xfe not UTF-8"})
    bad = repo.git("rev-parse", "HEAD").strip()
    repo.commit({"README.md": _newest_page("摘要")})
    report, _ = ingest_history(engine, repo.root, settings)
    assert [(f.path, f.reason[:9]) for f in report.failed] == [
        (f"README.md@{bad[:12]}", "not UTF-8")
    ]
    # The other version is read as ever; nothing of the bad one is stored.
    assert report.index_pages == 1
    assert _served(engine)["gnews-1600100"]["summary"] == "摘要"
    assert set(_entries(engine)) == {NEWS, "content/gnews/1600101.md", "content/gnews/1600102.md"}


def test_an_index_version_too_large_to_read_is_reported_with_its_commit(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    small = Settings(database_url=database_url, rate_limits_enabled=False, max_file_bytes=4000)
    listing = [_entry(NEWS, "新闻", "旧摘要" * 40, "3/1/2023 8:39 AM")] * 20
    repo = Repo(tmp_path / "repo")
    big = repo.commit({NEWS: gnews("新闻", _old(1600100)), "README.md": _page(*listing)})
    repo.commit({"README.md": _newest_page("摘要")})
    report, _ = ingest_history(engine, repo.root, small)
    assert [(f.path, f.reason) for f in report.failed] == [
        (f"README.md@{big[:12]}", "file too large (more; the limit is 4000 bytes)")
    ]
    assert report.index_pages == 1
    assert _served(engine)["gnews-1600100"]["summary"] == "摘要"


def test_index_versions_read_the_same_in_parse_workers(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ingest_history(engine, _repo(tmp_path / "repo").root, settings, workers=2)
    assert _served(engine)["gnews-zh-hans-1700001"]["title"] == "甲"


def test_a_listing_that_comes_back_wins_again(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Versions repeat most listings (each is applied only where it differs from the
    version before it): a summary changed and changed back is the one served."""
    repo = Repo(tmp_path / "repo")
    repo.commit({NEWS: gnews("新闻", _old(1600100))})
    others = [
        _entry(f"content/gnews/160010{n}.md", "别的", "摘要", "3/2/2023 9:00 AM") for n in (1, 2)
    ]
    for summary in ("甲", "甲", "乙", "乙", "甲", "甲"):
        repo.commit(
            {"README.md": _page(_entry(NEWS, "新闻", summary, "3/2/2023 9:00 AM"), *others)}
        )
    report, _ = ingest_history(engine, repo.root, settings, workers=1)
    assert report.index_pages == 3 and report.failed == []  # three distinct blobs
    assert _served(engine)["gnews-1600100"]["summary"] == "甲"
