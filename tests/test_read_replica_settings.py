"""``DATABASE_READ_URL`` over SQLite is refused with a clear error, by the app and the CLI."""

import subprocess
from pathlib import Path

import pytest
from mirror.processes import CORPUS, env_for

from app.config import Settings
from app.main import create_app


def test_the_app_refuses_a_read_url_over_sqlite(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        database_read_url=f"sqlite:///{tmp_path / 'b.db'}",
    )
    with pytest.raises(ValueError, match="PostgreSQL read replica"):
        create_app(settings)


def test_serve_refuses_a_read_url_over_sqlite_before_touching_the_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "corpus.db"
    env = env_for(f"sqlite:///{database}", {"DATABASE_READ_URL": "postgresql://x@127.0.0.1/y"})
    done = subprocess.run([CORPUS, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "error: DATABASE_READ_URL names a PostgreSQL read replica" in done.stderr
    assert not database.exists()
