"""Re-running the ingest: unchanged files cost nothing, a modified one is one update and one
change, --prune deletes with tombstones, index pages fill in whichever arrives first."""

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.articles.mapping import document_hash, load_stored
from app.config import Settings
from app.ingest import ingest
from app.models import Article, Change
from app.queries.articles import load_articles
from app.schemas import content_hash_of
from ingest.corpus_kit import copy_examples, dump, feed_rows, last_seq, tag_counts_in_step

GARDEN = "content/gnews/9000101.md"
RIVER = "content/gnews/1900104.md"  # empty title: the index gives it
STUB = "content/transcript/2019/03/20190305-9000108.md"
GNEWS_INDEX = "content/gnews/README.md"
TRANSCRIPT_INDEX = "content/transcript/README.md"


def _articles(engine: Engine) -> dict[str, Article]:
    with Session(engine) as session:
        return {a.path: a for a in session.scalars(select(Article))}


def _changes(engine: Engine) -> dict[str, Change]:
    with Session(engine) as session:
        return {c.article_id: c for c in session.scalars(select(Change))}


def test_second_run_reports_nothing_and_writes_nothing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    first = ingest(engine, corpus, settings=settings)
    assert first.failed == [] and len(first.added) == 13 and first.index_pages == 2
    before, feed_before = dump(engine), feed_rows(engine)
    second = ingest(engine, corpus, settings=settings)
    assert second.changes == 0 and second.unchanged == 13 and second.failed == []
    assert feed_rows(engine) == feed_before
    assert dump(engine) == before


def test_a_modified_file_is_one_update_and_one_change(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    before = _articles(engine)
    seq = last_seq(engine)
    garden = corpus / GARDEN
    garden.write_text(
        garden.read_text(encoding="utf-8").replace("四十种", "五十种"), encoding="utf-8"
    )

    report = ingest(engine, corpus, settings=settings)

    after = _articles(engine)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (
        [],
        ["gnews-9000101"],
        [],
        12,
    )
    assert last_seq(engine) == seq + 1
    change = _changes(engine)["gnews-9000101"]
    assert (change.seq, change.op, change.content_hash) == (
        seq + 1,
        "upsert",
        after[GARDEN].content_hash,
    )
    assert after[GARDEN].content_hash != before[GARDEN].content_hash
    assert (
        "五十种" in (after[GARDEN].title or "")
        and after[GARDEN].created_at == before[GARDEN].created_at
    )
    for path, article in before.items():
        if path != GARDEN:
            assert after[path].updated_at == article.updated_at
    assert tag_counts_in_step(engine)


def test_new_bytes_with_the_same_content_are_no_change(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    feed_before = feed_rows(engine)
    garden = corpus / GARDEN
    garden.write_bytes(garden.read_bytes().replace(b"\n", b"\r\n"))  # CRLF, as most corpus files

    report = ingest(engine, corpus, settings=settings)

    assert report.changes == 0 and report.unchanged == 13
    assert feed_rows(engine) == feed_before
    again = ingest(engine, corpus, settings=settings)  # the new bytes' hash was kept
    assert again.changes == 0 and again.unchanged == 13


def test_prune_deletes_what_is_gone_with_a_tombstone(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    (corpus / GARDEN).unlink()
    shutil.rmtree(corpus / "content" / "gettr")

    kept = ingest(engine, corpus, settings=settings)
    assert kept.deleted == [] and GARDEN in _articles(engine)

    seq = last_seq(engine)
    pruned = ingest(engine, corpus, prune=True, settings=settings)

    gone = ["gettr-p9exmpl0001", "gettr-p9exmpl0002", "gnews-9000101"]
    assert sorted(pruned.deleted) == gone and pruned.added == pruned.updated == []
    assert not set(gone) & {a.id for a in _articles(engine).values()}
    changes = _changes(engine)
    assert [changes[i].op for i in gone] == ["delete"] * 3
    assert all(changes[i].content_hash is None for i in gone)
    assert last_seq(engine) == seq + 3
    assert tag_counts_in_step(engine)
    with engine.connect() as conn:
        for table in ("byline", "section", "cited_link", "image", "article_tag"):
            rows = conn.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE article_id = 'gnews-9000101'"
            )
            assert rows.scalar_one() == 0, table
    assert ingest(engine, corpus, prune=True, settings=settings).changes == 0


def test_index_after_articles_fills_them_in_with_one_change_each(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    shutil.move(corpus / GNEWS_INDEX, tmp_path / "gnews-index.md")
    shutil.move(corpus / TRANSCRIPT_INDEX, tmp_path / "transcript-index.md")
    ingest(engine, corpus, settings=settings)
    unfilled = _articles(engine)
    assert unfilled[RIVER].title is None and unfilled[STUB].title is None
    seq = last_seq(engine)

    shutil.move(tmp_path / "gnews-index.md", corpus / GNEWS_INDEX)
    shutil.move(tmp_path / "transcript-index.md", corpus / TRANSCRIPT_INDEX)
    report = ingest(engine, corpus, settings=settings)

    filled = _articles(engine)
    assert filled[RIVER].title == "示例河流水位上涨 沿岸步道暂时关闭"
    assert filled[RIVER].published_precision == "index"
    assert filled[RIVER].summary and filled[STUB].title == "2019年3月5日示例直播（文字版待补）"
    # The garden's own title and date win over the index; only its missing summary is filled.
    assert filled[GARDEN].title == unfilled[GARDEN].title
    assert filled[GARDEN].published_at == unfilled[GARDEN].published_at
    assert filled[GARDEN].summary
    changed = {i for i in report.updated}
    assert {"gnews-1900104", "gnews-9000101", "transcript-2019-03-20190305-9000108"} <= changed
    assert report.added == [] and report.index_pages == 2
    assert last_seq(engine) == seq + len(changed)
    changes = _changes(engine)
    for path, article in filled.items():
        if article.id in changed:
            assert article.content_hash != unfilled[path].content_hash
            assert changes[article.id].content_hash == article.content_hash
        else:
            assert article.content_hash == unfilled[path].content_hash


def test_index_before_articles_fills_them_in_as_they_arrive(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    only_index = tmp_path / "index-only"
    (only_index / "content" / "gnews").mkdir(parents=True)
    shutil.copyfile(corpus / GNEWS_INDEX, only_index / GNEWS_INDEX)
    first = ingest(engine, only_index, settings=settings)
    assert first.index_pages == 1 and first.changes == 0 and _articles(engine) == {}

    seq = last_seq(engine)
    report = ingest(engine, corpus, settings=settings)

    filled = _articles(engine)
    assert filled[RIVER].title == "示例河流水位上涨 沿岸步道暂时关闭"
    assert len(report.added) == 13 and report.updated == []
    assert last_seq(engine) == seq + 13


def test_a_changed_index_entry_is_applied_again(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    index = corpus / GNEWS_INDEX
    index.write_text(
        index.read_text(encoding="utf-8").replace("沿岸步道暂时关闭", "步道关闭三天"),
        encoding="utf-8",
    )

    report = ingest(engine, corpus, settings=settings)

    assert report.updated == ["gnews-1900104"]
    assert _articles(engine)[RIVER].title == "示例河流水位上涨 步道关闭三天"


def test_a_file_that_becomes_an_index_page_stops_being_an_article(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    ingest(engine, corpus, settings=settings)
    shutil.copyfile(corpus / GNEWS_INDEX, corpus / GARDEN)

    report = ingest(engine, corpus, settings=settings)

    assert report.deleted == ["gnews-9000101"] and GARDEN not in _articles(engine)
    assert _changes(engine)["gnews-9000101"].op == "delete"
    assert tag_counts_in_step(engine)


def test_empty_stubs_are_stored_and_flagged(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ingest(engine, copy_examples(tmp_path / "corpus"), settings=settings)
    flagged = {path for path, a in _articles(engine).items() if a.is_empty}
    assert flagged == {STUB}


def test_stored_rows_give_back_the_stored_hash(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """What a refill rebuilds from the database hashes as the worker hashed it."""
    ingest(engine, copy_examples(tmp_path / "corpus"), settings=settings)
    with Session(engine) as session:
        hashes = {a.id: a.content_hash for a in session.scalars(select(Article))}
        stored = load_stored(session, list(hashes))
        served = load_articles(session, list(hashes))
    assert {i: document_hash(s.document()) for i, s in stored.items()} == hashes
    assert {a.id: content_hash_of(a.model_dump(mode="json")) for a in served} == hashes
