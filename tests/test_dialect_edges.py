"""Only the modules at the edges know which database they run on.

A module names a dialect when its code (not its docstrings or comments) imports a driver
or ``sqlalchemy.dialects``; reads the dialect (``.dialect``, ``dialect_name``); hands SQL
straight to the driver (``exec_driver_sql``, ``driver_connection``); holds a string that is
a dialect's name or a ``PRAGMA``; has a name that is one (a ``postgresql`` flag); or tests a
URL for a dialect's scheme. A URL itself (a default setting) names none. Every other module
of ``app/`` is written once for both databases. Alembic's ``migrations/`` lie outside
``app/`` and are an edge by nature (a migration's DDL is per dialect); they are not read.
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Each module allowed to name a dialect, and why. Edit this list, not the rules below.
ALLOWED = {
    "db.py": "the engine's settings per dialect, COPY and the conflict-ignoring insert",
    "search/backend.py": "chooses the search backend from the dialect",
    "search/sqlite_index.py": "the SQLite search backend (FTS5)",
    "search/sqlite_search.py": "the SQLite search backend (FTS5)",
    "search/postgres_index.py": "the PostgreSQL search backend (tsvector)",
    "search/postgres_search.py": "the PostgreSQL search backend (tsvector)",
    "models.py": "UTCDateTime: SQLite keeps no time zone, a column type's binding is per dialect",
    "api/health.py": "readiness reports which database it is (branches on nothing)",
    "db_faults.py": "bounds on the driver's waits for the server; which driver errors are outages",
}

DRIVERS = ("psycopg", "psycopg2", "sqlite3", "sqlalchemy.dialects")
DIALECT_NAMES = {"sqlite", "postgresql", "postgres"}
URL_SCHEMES = ("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")
DIALECT_READS = {"dialect", "driver_connection", "exec_driver_sql", "get_backend_name"}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the constants that are docstrings (a body's leading string)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def _identifier(node: ast.AST) -> str:
    """The name a node gives or uses: a variable, parameter, keyword argument or attribute."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, ast.keyword):
        return node.arg or ""
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_driver(module: str) -> bool:
    return any(module == d or module.startswith(d + ".") for d in DRIVERS)


def _names_a_dialect(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in DIALECT_NAMES or lowered.startswith("pragma ")


def _scheme_tests(tree: ast.AST) -> list[tuple[int, str]]:
    """``x.startswith("postgresql://")`` and the like: a URL tested for a dialect."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in ("startswith", "removeprefix"):
                continue
            for arg in node.args:
                for value in ast.walk(arg):
                    if (
                        isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and value.value.lower().startswith(URL_SCHEMES)
                    ):
                        found.append((node.lineno, f"{node.func.attr}({value.value!r})"))
    return found


def dialect_mentions(source: str) -> list[str]:
    """Where ``source`` names a dialect: ``line: what``, in order."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = _scheme_tests(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [(line, f"import {a.name}") for a in node.names if _is_driver(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if _is_driver(node.module):
                found.append((line, f"from {node.module} import"))
            found += [
                (line, f"import {a.name}")
                for a in node.names
                if (node.module, a.name) == ("sqlalchemy", "dialects") or a.name == "dialect_name"
            ]
        elif isinstance(node, ast.Attribute) and node.attr in DIALECT_READS:
            found.append((line, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id == "dialect_name":
            found.append((line, "dialect_name"))
        elif _identifier(node).lower() in DIALECT_NAMES:
            found.append((line, f"named {_identifier(node)}"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _names_a_dialect(node.value)
        ):
            found.append((line, repr(node.value)[:60]))
    return [f"{line}: {what}" for line, what in sorted(found)]


def _modules() -> dict[str, list[str]]:
    return {
        path.relative_to(APP).as_posix(): dialect_mentions(path.read_text(encoding="utf-8"))
        for path in sorted(APP.rglob("*.py"))
    }


def test_only_the_edges_name_a_dialect() -> None:
    leaks = {
        name: mentions
        for name, mentions in _modules().items()
        if mentions and name not in ALLOWED
    }
    assert leaks == {}, "these modules name a dialect; move that to an edge (or to ALLOWED)"


def test_allowed_modules_still_name_a_dialect() -> None:
    """An entry whose module no longer names a dialect (or is gone) is taken off the list."""
    modules = _modules()
    stale = sorted(name for name in ALLOWED if not modules.get(name))
    assert stale == []


@pytest.mark.parametrize(
    "source",
    [
        "import psycopg",
        "import sqlite3",
        "from psycopg.errors import UniqueViolation",
        "from sqlalchemy.dialects import postgresql",
        "from sqlalchemy.dialects.sqlite import insert",
        "from sqlalchemy import dialects",
        "if engine.dialect.name == 'postgresql':\n    pass",
        "x = session.get_bind().dialect",
        "from app.db import dialect_name",
        "if dialect_name(session) != 'sqlite':\n    pass",
        "kind = 'postgresql' if on_server else 'sqlite'",
        "match name:\n    case 'sqlite':\n        pass",
        "ok = url.startswith('postgresql://')",
        "ok = url.startswith(('postgres://', 'postgresql://'))",
        "def prepare(path, *, postgresql=False):\n    pass",
        "prepare(path, postgresql=True)",
        "chunks = field_chunks(text) if self.postgresql else None",
        "connection.exec_driver_sql('SELECT 1')",
        "raw = connection.connection.driver_connection",
        "cursor.execute('PRAGMA foreign_keys=ON')",
        "cursor.execute(f'PRAGMA cache_size={n}')",
        "def f():\n    '''Docstring.'''\n    return {'sqlite': 1}",
    ],
)
def test_these_name_a_dialect(source: str) -> None:
    assert dialect_mentions(source), source


@pytest.mark.parametrize(
    "source",
    [
        '"""Works on SQLite and PostgreSQL (``postgresql``); sqlite is the default."""',
        "def f():\n    '''On ``sqlite`` this ...'''\n",
        "# sqlite3 and psycopg release the GIL\nx = 1",
        "url: str = Field(description='sqlite:///file.db or postgresql+psycopg://host/db')",
        "DEFAULT_URL = f'sqlite:///{Path.cwd() / \"corpus.db\"}'",
        "head = ScriptDirectory.from_config(alembic_config('sqlite://'))",
        "from sqlalchemy import select, text",
        "name = 'sqlite_index'",
        "rows = session.execute(text('SELECT 1'))",
    ],
)
def test_these_do_not(source: str) -> None:
    assert dialect_mentions(source) == [], source
