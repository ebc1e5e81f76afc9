"""Run the Alembic migrations from code: ``corpus serve`` and the tests use this."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

_PACKAGE = Path(__file__).resolve().parent
# The scripts live in the source tree's top-level migrations/; a built package carries them
# as app/_migrations (see pyproject.toml), so an installed corpus runs from any folder.
_SCRIPT_FOLDERS = (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations")


def script_location() -> Path:
    """The folder of the migration scripts: inside the installed package, or the source tree's."""
    for folder in _SCRIPT_FOLDERS:
        if (folder / "env.py").is_file():
            return folder
    searched = ", ".join(str(folder) for folder in _SCRIPT_FOLDERS)
    raise FileNotFoundError(f"the migration scripts are in none of: {searched}")


def alembic_config(database_url: str) -> Config:
    """The project's Alembic config, pointed at ``database_url``.

    Built in code rather than read from ``alembic.ini``: that file serves the ``alembic``
    command in the source tree, and the package must not depend on the working folder.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logging"] = False
    return cfg


def upgrade_to_head(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema."""
    command.upgrade(alembic_config(database_url), "head")


def head_revision() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
