"""``corpus ingest PATH [--history [--ref REF]] [--prune] [--report FILE]``: the command line."""

import os
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.config import get_settings
from app.db import make_engine
from app.db_faults import DATABASE_ERRORS, unavailable_reason
from app.ingest.history_runs import ingest_history
from app.ingest.report import IngestReport
from app.ingest.run import IngestProgress, ingest
from app.ingest.sources import is_archive_name
from app.migrate import upgrade_to_head


def _stopped_by_the_database(console: Console, reason: str) -> None:
    """Says, in one paragraph instead of a traceback, why the run stopped and what is stored."""
    console.print(
        f"[red]ingest stopped[/]: {reason}.\n"
        "The batch being written was rolled back; batches stored before it are complete "
        "(each with its change events). Run the same command again once the database can "
        "take writes: files already stored are skipped.",
        markup=True,
        highlight=False,
    )


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
    full: bool = typer.Option(
        False,
        "--full",
        help="With --history: read the whole history again, not only the commits after the "
        "last run's (after the history was rewritten).",
    ),
) -> None:
    """Ingest a folder or an archive of articles: incremental, idempotent, bad files reported."""
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="PATH")
    if (ref is not None or full) and not history:
        raise typer.BadParameter("--ref and --full need --history", param_hint="--ref/--full")
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    console = Console(stderr=True)

    def run(progress: Callable[[IngestProgress], None] | None) -> IngestReport:
        if history:
            done, _ = ingest_history(
                engine, path, settings, ref=ref, full=full, workers=workers, progress=progress
            )
            return done
        return ingest(
            engine,
            path,
            prune=prune,
            reparse=reparse,
            settings=settings,
            workers=workers,
            progress=progress,
        )

    try:
        result = (
            _with_progress_bar(console, path, history, run) if console.is_terminal else run(None)
        )
    except DATABASE_ERRORS as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise  # a bug, not the database's state: its traceback is what helps
        _stopped_by_the_database(console, reason)
        raise typer.Exit(1) from exc
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
    path: Path,
    history: bool,
    run: Callable[[Callable[[IngestProgress], None] | None], IngestReport],
) -> IngestReport:
    unit = "bytes" if not history and path.is_file() and is_archive_name(path.name) else "files"
    columns = [
        TextColumn("[bold]ingest[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn() if unit == "files" else TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[files]} files"),
        TimeElapsedColumn(),
    ]
    # No refresh thread (auto_refresh off): the ingest forks its parse workers, and a process
    # with other threads running should not fork. The bar is redrawn as progress comes in.
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
        # A history's bar first counts the commits replayed, then the files read.
        task = bar.add_task("commits" if history else unit, total=None, files=0)

        def show(p: IngestProgress) -> None:
            stage = p.stage if p.stage == "commits" else unit
            bar.update(task, description=stage, completed=p.done, total=p.total, files=p.files)
            bar.refresh()

        return run(show)
