"""Short queries use the index too: the query plans of 1-, 2- and 3-character and Latin terms."""

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import dialect_name
from app.search import postgres_search, sqlite_search
from app.search.query import parse_query
from search.conftest import Doc

QUERIES = ["中", "中共", "中共党", "bannon", "中 bannon", '"rule of law"']


def _plan(engine: Engine, q: str, *, scored: bool = True) -> str:
    terms = parse_query(q)
    with Session(engine) as session:
        if dialect_name(session) == "postgresql":
            # On a table this small the planner rightly prefers a scan; forbidding it shows
            # that the GIN index serves the query (it would be chosen on the real archive).
            session.execute(select(1))
            session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
            hits = (
                postgres_search.hits(session.connection(), terms)
                if scored
                else postgres_search.hit_ids(terms)
            )
            statement = select(hits)
            compiled = statement.compile(session.get_bind())
            rows = session.connection().exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.params
            )
        else:
            statement = select(sqlite_search.hits(session.connection(), terms))
            compiled = statement.compile(session.get_bind())
            rows = session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(compiled.params.values())
            )
        return "\n".join(" ".join(str(part) for part in row) for row in rows)


@pytest.mark.parametrize("q", QUERIES)
def test_query_plan_uses_the_search_index(engine: Engine, index: object, q: str) -> None:
    index([Doc("中共党", "中共 rule of law bannon"), Doc("别的", "无关")])  # type: ignore[operator]
    plan = _plan(engine, q)
    if engine.dialect.name == "postgresql":
        assert "Seq Scan on article_search_chunk" not in plan, plan
        matching = _plan(engine, q, scored=False)
        assert "Bitmap Index Scan on ix_article_search_chunk_tokens" in matching, matching
        assert "Seq Scan" not in matching, matching
    else:
        assert "VIRTUAL TABLE INDEX" in plan and ":M" in plan, plan  # an FTS5 MATCH lookup
        assert "SCAN article " not in plan, plan
