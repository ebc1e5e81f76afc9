"""The SQLite file's connection pool lends the connection returned last (LIFO).

The event loop's reads take one connection at a time; lent in turn (FIFO), every pooled
connection grew its own page cache, each up to ``cache_size``.
"""

from pathlib import Path

from app.db import make_engine


def test_a_sqlite_file_pool_lends_the_last_connection_returned(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        first, second = engine.raw_connection(), engine.raw_connection()
        first_driver, second_driver = first.driver_connection, second.driver_connection
        first.close()  # back to the pool: first, then second
        second.close()
        again = engine.raw_connection()
        assert again.driver_connection is second_driver
        assert again.driver_connection is not first_driver
        again.close()
    finally:
        engine.dispose()
