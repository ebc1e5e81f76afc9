"""The search backend is chosen once from the database and travels to parse workers."""

import pickle

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.search import backend_for
from app.search.backend import POSTGRES_SEARCH, SQLITE_SEARCH
from app.search.folding import fold
from app.search.postgres_index import field_chunks
from app.search.segmenting import token_string
from app.search.sqlite_index import unpack

MARKDOWN = "## 标题\n正文里有[[zh:鳳凰]]和 Bannon。\n"


def test_the_backend_follows_the_database(engine: Engine) -> None:
    expected = POSTGRES_SEARCH if engine.dialect.name == "postgresql" else SQLITE_SEARCH
    assert backend_for(engine) is expected
    with Session(engine) as session:
        assert backend_for(session) is expected


def test_backends_and_their_prepared_text_pickle() -> None:
    for backend in (SQLITE_SEARCH, POSTGRES_SEARCH):
        assert pickle.loads(pickle.dumps(backend)) == backend
        prepared = backend.prepare(MARKDOWN)
        assert pickle.loads(pickle.dumps(prepared)) == prepared


def test_each_backend_prepares_only_what_it_indexes() -> None:
    lite = SQLITE_SEARCH.prepare(MARKDOWN)
    assert lite.tokens == token_string(fold(lite.text))
    assert lite.stored is not None and unpack(lite.stored) == lite.text
    assert lite.chunks is None
    pg = POSTGRES_SEARCH.prepare(MARKDOWN)
    assert pg.text == lite.text
    assert pg.chunks == field_chunks(token_string(fold(pg.text)))
    assert pg.tokens is None and pg.stored is None
