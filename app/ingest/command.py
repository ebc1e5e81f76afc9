"""``corpus ingest PATH [--history [--ref REF]] [--prune] [--report FILE]``: the command line."""

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from app.config import get_settings
from app.db import make_engine
from app.ingest.git_history import GitHistory
from app.ingest.report import IngestReport
from app.ingest.run import IngestProgress, ingest
from app.ingest.sources import is_archive_name
from app.migrate import upgrade_to_head


def _default_workers() -> int:
    # Two parse processes saturate a 2-core machine while this process writes.
    return max(1, min(2, os.cpu_count() or 1))


def ingest_command(
    path: Path = typer.Argument(
        ..., help="A folder, a .md/.txt file, or a .tar.xz/.tar.gz/.zip archive."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Delete stored articles whose files are not in PATH."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write one JSON line per failed file (path, reason) to this file."
    ),
    reparse: bool = typer.Option(
        False, "--reparse", help="Parse unchanged files too (after a parser upgrade)."
    ),
    workers: int = typer.Option(
        _default_workers(), help="Parse processes (0: parse in this process)."
    ),
    history: bool = typer.Option(
        False,
        "--history",
        help="PATH is a git repository (working tree, bare or .bundle): ingest every article "
        "its ref ever held, each at its newest version, with the commit times it was seen.",
    ),
    ref: str | None = typer.Option(
        None, "--ref", help="With --history: the branch, tag or commit to read (default HEAD)."
    ),
) -> None:
    """Ingest a folder or an archive of articles: incremental, idempotent, bad files reported."""
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="PATH")
    if ref is not None and not history:
        raise typer.BadParameter("--ref needs --history", param_hint="--ref")
    settings = get_settings()
    source: Path | GitHistory = GitHistory(path, settings, ref=ref) if history else path
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    console = Console(stderr=True)
    try:
        if console.is_terminal:
            result = _with_progress_bar(console, engine, source, prune, reparse, workers)
        else:
            result = ingest(
                engine, source, prune=prune, reparse=reparse, settings=settings, workers=workers
            )
    finally:
        engine.dispose()
    if report is not None:
        result.write_failures(report)
    for failure in result.failed[:20]:
        console.print(
            f"[yellow]failed[/] {failure.path}: {failure.reason}", markup=True, highlight=False
        )
    if len(result.failed) > 20:
        console.print(
            f"... and {len(result.failed) - 20} more failed files"
            + ("" if report else " (see --report)")
        )
    typer.echo(result.summary())


def _with_progress_bar(
    console: Console,
    engine: Engine,
    path: Path | GitHistory,
    prune: bool,
    reparse: bool,
    workers: int,
) -> IngestReport:
    archive = isinstance(path, Path) and path.is_file() and is_archive_name(path.name)
    unit = "bytes" if archive else "files"
    columns = [
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn() if unit == "files" else TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[files]} files"),
        TimeElapsedColumn(),
    ]
    # No refresh thread (auto_refresh off): the ingest forks its parse workers, and a process
    # with other threads running should not fork. The bar is redrawn as progress comes in.
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("ingest", total=None, files=0)

        def show(p: IngestProgress) -> None:
            bar.update(task, completed=p.done, total=p.total, files=p.files)
            bar.refresh()

        return ingest(
            engine,
            path,
            prune=prune,
            reparse=reparse,
            settings=get_settings(),
            workers=workers,
            progress=show,
        )
