"""The index follows upserts and deletes inside the caller's transaction, and never commits."""

from pathlib import Path

import pytest
from api.factory import ArticleSpec, add_article, add_articles
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import dialect_name, unit_of_work
from app.ingest import ingest
from app.search import (
    PreparedText,
    SearchDocument,
    backend_for,
    index_articles,
    postgres_index,
    unindex_articles,
)
from app.search.postgres_search import phrase_query
from app.search.query import parse_query
from app.search.sqlite_search import phrase_expression


def indexed_ids(engine: Engine, term: str) -> set[str]:
    """Ids whose index holds the folded ``term`` as a phrase, read straight from the index."""
    [parsed] = parse_query(f'"{term}"')
    with Session(engine) as session:
        if dialect_name(session) == "postgresql":
            rows = session.execute(
                text(
                    "SELECT DISTINCT article_id FROM article_search_chunk "
                    "WHERE tokens @@ CAST(:q AS tsquery)"
                ),
                {"q": phrase_query(parsed)},
            )
        else:
            rows = session.execute(
                text(
                    "SELECT s.article_id FROM article_search_fts f "
                    "JOIN article_search_text s ON s.rowid = f.rowid "
                    "WHERE article_search_fts MATCH :q"
                ),
                {"q": phrase_expression(parsed)},
            )
        return {row[0] for row in rows}


def _index(engine: Engine, docs: list[SearchDocument]) -> None:
    with unit_of_work(engine) as session:
        index_articles(session, docs)


def test_index_then_replace_then_remove(engine: Engine) -> None:
    first, second = add_articles(
        engine, [ArticleSpec(title="郭文貴談話"), ArticleSpec(title="其他")]
    )
    _index(engine, [
        SearchDocument(id=first, title="郭文貴談話", body_text="Steve Bannon 与文贵"),
        SearchDocument(id=second, title="其他", body_text="无关的文字"),
    ])
    assert indexed_ids(engine, "郭文贵") == {first}
    assert indexed_ids(engine, "bannon") == {first}
    assert indexed_ids(engine, "文") == {first, second}

    _index(engine, [SearchDocument(id=first, title="新标题", body_text="全新的正文")])
    assert indexed_ids(engine, "郭文贵") == set()
    assert indexed_ids(engine, "全新") == {first}

    with unit_of_work(engine) as session:
        unindex_articles(session, [first, "no-such-article"])
    assert indexed_ids(engine, "全新") == set()
    assert indexed_ids(engine, "无关") == {second}


def test_rolled_back_upsert_leaves_the_index_as_before(engine: Engine) -> None:
    [article_id] = add_articles(engine, [ArticleSpec(title="旧标题")])
    _index(engine, [SearchDocument(id=article_id, title="旧标题", body_text="旧的正文")])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), unit_of_work(engine) as session:
        add_article(session, ArticleSpec(title="另一篇"))
        index_articles(
            session, [SearchDocument(id=article_id, title="新标题", body_text="新的正文")]
        )
        unindex_articles(session, ["nothing"])
        raise Boom
    assert indexed_ids(engine, "旧的正文") == {article_id}
    assert indexed_ids(engine, "新的") == set()

    with pytest.raises(Boom), unit_of_work(engine) as session:
        unindex_articles(session, [article_id])
        raise Boom
    assert indexed_ids(engine, "旧的正文") == {article_id}


def test_index_never_commits(engine: Engine) -> None:
    [article_id] = add_articles(engine, [ArticleSpec(title="标题")])
    session = Session(engine)
    index_articles(session, [SearchDocument(id=article_id, title="标题", body_text="不会提交")])
    session.rollback()
    session.close()
    assert indexed_ids(engine, "不会提交") == set()


def test_text_prepared_ahead_indexes_like_the_markdown(engine: Engine) -> None:
    markdown = "###  [:house:返回](README.md)\n---\n\n## 标题\n正文里有[[zh:鳳凰]]和 Bannon。\n"
    first, second, third = add_articles(
        engine, [ArticleSpec(title="标题"), ArticleSpec(title="标题"), ArticleSpec(title="标题")]
    )
    # As a parse worker prepares it for this database, and as an upload does (text only).
    ahead = backend_for(engine).prepare(markdown)
    text_only = PreparedText.from_markdown(markdown)
    _index(
        engine,
        [
            SearchDocument(id=first, title="标题", body_text="正文", markdown=markdown),
            SearchDocument(id=second, title="标题", body_text="正文", prepared=ahead),
            SearchDocument(id=third, title="标题", body_text="正文", prepared=text_only),
        ],
    )
    for term in ("返回", "凤凰", "bannon", "标题"):
        assert indexed_ids(engine, term) == {first, second, third}, term
    assert indexed_ids(engine, "readme") == set()


def test_title_only_change_keeps_the_file_text(engine: Engine) -> None:
    [article_id] = add_articles(engine, [ArticleSpec(title="旧")])
    markdown = "###  [:house:返回](README.md)\n---\n\n## 旧\n正文在此。\n免责声明：本文内容\n"
    first = SearchDocument(id=article_id, title="旧", body_text="正文在此。", markdown=markdown)
    _index(engine, [first])
    _index(engine, [SearchDocument(id=article_id, title="新的标题", body_text="正文在此。")])
    assert indexed_ids(engine, "免责声明") == {article_id}  # still the whole file
    assert indexed_ids(engine, "新的标题") == {article_id}
    [other] = add_articles(engine, [ArticleSpec(title="别")])
    _index(engine, [SearchDocument(id=other, title="别", body_text="只有正文")])
    _index(engine, [SearchDocument(id=other, title="别", body_text="换了正文")])
    assert indexed_ids(engine, "只有") == set()  # a body-only article follows its body
    assert indexed_ids(engine, "换了") == {other}


def _postgres_index_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every chunk row, then every (article_id, token_count), in a fixed order."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT article_id, field, chunk, tokens::text FROM article_search_chunk "
            "ORDER BY 1, 2, 3"
        )] + [tuple(r) for r in conn.exec_driver_sql(
            "SELECT article_id, token_count FROM article_search_length ORDER BY 1"
        )]


def test_postgres_chunks_made_while_parsing_equal_the_writers(
    engine: Engine, sample_dir: Path
) -> None:
    """The ingest makes PostgreSQL's chunks where it parses; the rebuild makes them in the
    writing process from the stored text: the same rows either way."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's index has chunks")
    report = ingest(engine, sample_dir, settings=Settings(database_url=str(engine.url)))
    assert report.counts()["failed"] == 0
    made_while_parsing = _postgres_index_rows(engine)
    assert len(made_while_parsing) > 60
    with engine.begin() as conn:
        postgres_index.rebuild(conn)
    assert _postgres_index_rows(engine) == made_while_parsing


def test_postgres_rebuild_reproduces_the_index(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the re-tokenising migrations (0005, 0006) run on PostgreSQL only")
    ids = add_articles(engine, [ArticleSpec(title="郭文貴"), ArticleSpec(title="标题")])
    _index(engine, [
        SearchDocument(id=ids[0], title="郭文貴", body_text="长文。" * 3000 + "Bannon"),
        SearchDocument(id=ids[1], title="标题", body_text="短文"),
    ])

    before = _postgres_index_rows(engine)
    chunk_rows = [row for row in before if len(row) == 4]  # (lengths are pairs)
    assert len(chunk_rows) > 3  # the long text took several chunks
    with engine.begin() as conn:
        postgres_index.rebuild(conn, batch=1)
    assert _postgres_index_rows(engine) == before
    assert indexed_ids(engine, "贵") == {ids[0]}


def test_postgres_chunks_stay_in_their_rows(engine: Engine) -> None:
    """A long text of many different characters is cut into chunks that PostgreSQL keeps in
    the table's pages (migration 0011), none in TOAST, and each of them is still searched."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's index has chunks")
    # 3,000 different characters in a scrambled order: a 4,000-token chunk of them would
    # take about 40 KB.
    body = "".join(chr(0x4E00 + n * 7919 % 3000) for n in range(20_000))
    [ident] = add_articles(engine, [ArticleSpec(title="长文")])
    _index(engine, [SearchDocument(id=ident, title="长文", body_text=body)])
    with engine.connect() as conn:
        sizes = [size for (size,) in conn.exec_driver_sql(
            "SELECT pg_column_size(tokens) FROM article_search_chunk WHERE field = 1"
        )]
        toasted = conn.exec_driver_sql(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class "
            "WHERE relname = 'article_search_chunk'"
        ).scalar_one()
    assert len(sizes) > 20
    assert max(sizes) <= postgres_index.CHUNK_BYTES + 100
    assert toasted == 0
    assert indexed_ids(engine, body[-30:]) == {ident}
    assert indexed_ids(engine, body[9_990:10_010]) == {ident}


def test_postgres_edge_chunks_are_small_and_written_first(engine: Engine) -> None:
    """A long text's first and last tokens are chunks of their own, stored ahead of the
    batch's other chunks (migration 0013), where a header or footer term is read from them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's index has chunks")
    body = "头部轉載自" + "".join(chr(0x4E00 + n * 7919 % 3000) for n in range(9_000)) + "免责声明"
    ids = add_articles(engine, [ArticleSpec(title="长文一"), ArticleSpec(title="长文二")])
    _index(engine, [SearchDocument(id=i, title="长文", body_text=body) for i in ids])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT article_id, chunk, length(tokens), "
            " chunk IN (0, max(chunk) OVER (PARTITION BY article_id)) AS edge "
            "FROM article_search_chunk WHERE field = 1 ORDER BY ctid"
        ).all()
    edges = [row for row in rows if row.edge]
    assert len(edges) == 4 and len(rows) > 8
    assert rows[:4] == edges  # both articles' edges, then the middles
    assert all(row.length <= postgres_index.EDGE_TOKENS for row in edges)
    for term in ("轉載自", "免责声明"):
        assert indexed_ids(engine, term) == set(ids)


def test_postgres_totals_follow_every_write(engine: Engine) -> None:
    """``article_search_total`` (migration 0013) holds the count and summed length of
    ``article_search_length`` after indexing, replacing, removing, deleting an article (a
    cascade) and a rebuild, as BM25's N and mean length need."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's index keeps its totals in a table")

    def totals() -> tuple[tuple[int, int], tuple[int, int]]:
        with engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT articles, tokens FROM article_search_total")
            counted = conn.exec_driver_sql(
                "SELECT count(*), coalesce(sum(token_count), 0) FROM article_search_length"
            )
            return tuple(kept.one()), tuple(counted.one())  # type: ignore[return-value]

    ids = add_articles(engine, [ArticleSpec(title=f"篇{n}") for n in range(3)])
    _index(
        engine,
        [SearchDocument(id=i, title="标题", body_text="正文" * (n + 1)) for n, i in enumerate(ids)],
    )
    kept, counted = totals()
    assert kept == counted == (3, 3 * 2 + 2 + 4 + 6)
    _index(engine, [SearchDocument(id=ids[0], title="新标题", body_text="长一些的正文")])
    with unit_of_work(engine) as session:
        unindex_articles(session, [ids[1]])
    kept, counted = totals()
    assert kept == counted == (2, 3 + 6 + 2 + 6)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM article WHERE id = :id"), {"id": ids[2]})
    assert totals() == ((1, 9), (1, 9))
    with engine.begin() as conn:
        postgres_index.rebuild(conn)
    assert totals() == ((1, 9), (1, 9))
