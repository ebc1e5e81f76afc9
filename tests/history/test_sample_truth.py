"""The shared history sample (1,003 real commits of slot files and index pages) against its
truth file: titles, source links, dates, one article per GNews article, one revision per
version, and every index version's entries on the articles they listed. Both databases."""

import html
import json
import re
from datetime import datetime

import pytest
from conftest import SHARED
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.ingest import GitHistory, ingest
from app.models import Article, ArticleRevision, IndexEntry

BUNDLE = SHARED / "corpus" / "ourhimalayas-txt-history-sample.git.bundle"
TRUTH = SHARED / "corpus" / "history-sample-truth.jsonl"
BAR = 0.995
_ZH = re.compile(r"\[\[zh:([^\]\[]*)\]\]")
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d]")


def _clean(title: str | None) -> str | None:
    """A title as the truth is compared: entities decoded, markup, invisibles and runs of
    white space dropped (the comparison rules of the index truth, FORMATS.md §9)."""
    if title is None:
        return None
    text = _INVISIBLE.sub("", _ZH.sub(r"\1", html.unescape(title)))
    return re.sub(r"\s+", " ", text).strip()


def _bare(url: str | None) -> str:
    return (url or "").split("://")[-1].rstrip("/")


@pytest.mark.slow
def test_the_sample_serves_the_truths_articles(engine: Engine, settings: Settings) -> None:
    if not BUNDLE.is_file():
        pytest.fail(f"history sample not found at {BUNDLE}; set CORPUS_SHARED")
    truth = [json.loads(line) for line in TRUTH.read_text().splitlines()]
    report = ingest(engine, GitHistory(BUNDLE, settings), settings=settings, workers=2)
    with Session(engine) as session:
        served = {a.id: a for a in session.scalars(select(Article))}
        per_article = select(ArticleRevision.article_id, func.count()).group_by(
            ArticleRevision.article_id  # type: ignore[arg-type]
        )
        kept = dict(session.execute(per_article).tuples().all())
        entries = {e.path: e.title for e in session.scalars(select(IndexEntry))}
    # Served = distinct articles: no slot-number duplicates, no merged id spaces.
    assert len(served) == len(truth) == 5382
    titles = urls = dates = 0
    versions = {f"gnews-zh-hans-{item['gnews_id']}": item["versions"] for item in truth}
    assert kept == versions  # every distinct version of every article, once
    for item in truth:
        article = served.get(f"gnews-zh-hans-{item['gnews_id']}")
        if article is None:
            continue
        titles += _clean(article.title) == _clean(item["title"])
        urls += _bare(article.source_url) == _bare(item["source_url"])
        first = datetime.fromisoformat(item["first_seen"].replace("Z", "+00:00"))
        assert article.first_seen_at is not None
        close = abs((article.first_seen_at - first).total_seconds()) <= 60
        undated = article.published_precision == "first_seen"
        dates += close and (not undated or article.published_at == article.first_seen_at)
    assert titles >= BAR * len(truth), titles
    # Every version of the two index pages was read (1,002 + 1,000; the first README.md is
    # the repository's two-line description, no index page), its links to slots resolved
    # at its commit: the newest listing of each article has the truth's title, but for a
    # few translations a slot showed in the original's place.
    assert report.index_pages == 2001
    listed = sum(
        _clean(entries.get(f"content/gnews/zh-hans/{item['gnews_id']}.md")) == _clean(item["title"])
        for item in truth
    )
    assert listed >= BAR * len(truth), listed
    assert not any("README" in path for path in entries)
    assert urls >= BAR * len(truth), urls
    assert dates >= BAR * len(truth), dates
    # What the slots show of other GNews sites with no link to an article of the two spaces.
    assert all("@" in f.path for f in report.failed) and len(report.failed) < 100
