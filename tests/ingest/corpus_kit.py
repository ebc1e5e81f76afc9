"""What the ingest tests share: the example corpus, archives of it, and a dump of the store."""

import io
import shutil
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from app.models import ArticleTag, Tag

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "corpus"


def example_files() -> list[Path]:
    """Every file of the example corpus, sorted."""
    return sorted(p for p in EXAMPLES.rglob("*") if p.is_file())


def copy_examples(into: Path) -> Path:
    """A copy of the example corpus at ``into`` (a folder holding ``content/``)."""
    shutil.copytree(EXAMPLES, into)
    return into


def member_bytes(prefix: str = "") -> list[tuple[str, bytes]]:
    """(archive member name, bytes) of every example file, names under ``prefix``."""
    return [(prefix + p.relative_to(EXAMPLES).as_posix(), p.read_bytes()) for p in example_files()]


def write_tar(path: Path, members: Iterable[tuple[str, bytes]], mode: str) -> Path:
    """A tar archive (``w:xz``, ``w:gz``...) of plain file members."""
    with tarfile.open(path, mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def add_tar_link(path: Path, name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> None:
    """Appends a symbolic (or hard) link member to an uncompressed tar archive."""
    with tarfile.open(path, "a") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        tar.addfile(info)


def write_zip(path: Path, members: Iterable[tuple[str, bytes]]) -> Path:
    """A zip archive of plain file members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (search tables included), sorted: the whole store."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        for name in sorted(names):
            if name == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def feed_rows(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The ``change`` and ``feed_state`` tables."""
    with engine.connect() as conn:
        changes = sorted(
            tuple(r)
            for r in conn.execute(text("SELECT seq, article_id, op, content_hash FROM change"))
        )
        state = sorted(tuple(r) for r in conn.execute(text("SELECT name, value FROM feed_state")))
    return changes, state


def last_seq(engine: Engine) -> int:
    """``feed_state.last_seq``."""
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT value FROM feed_state WHERE name = 'last_seq'")).scalar_one()
        )


def tag_counts_in_step(engine: Engine) -> bool:
    """True when every ``tag.article_count`` equals its number of ``article_tag`` rows."""
    with engine.connect() as conn:
        counted = dict(
            conn.execute(select(ArticleTag.tag_id, func.count()).group_by(ArticleTag.tag_id)).all()  # type: ignore[call-overload]
        )
        stored = dict(conn.execute(select(Tag.id, Tag.article_count)).all())  # type: ignore[call-overload]
    return all(stored[tag_id] == counted.get(tag_id, 0) for tag_id in stored)
