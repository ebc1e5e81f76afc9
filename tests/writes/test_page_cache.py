"""An upload's transaction runs with a small SQLite page cache, put back afterwards."""

from sqlalchemy.engine import Engine

from app.db import dialect_name, small_page_cache, unit_of_work


def test_small_page_cache_is_put_back(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        if dialect_name(session) != "sqlite":
            with small_page_cache(session):  # nothing to do on PostgreSQL, and no error
                return
        connection = session.connection()
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        with small_page_cache(session, kib=4096):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -4096
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
        assert before != -4096
