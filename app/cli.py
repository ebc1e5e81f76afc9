"""The ``corpus`` command line.

The serving, mirroring and spec commands import their stacks (uvicorn, the app and its
routes, the mirror's client) inside their own functions: `corpus ingest`, which an operator
runs every few seconds beside a live server, would otherwise pay ~0.7 s of CPU a run for
importing what it never uses, on the cores the server answers with.
"""

import json
import shutil
import sys
from typing import Any

import typer

from app.api_token_commands import cli as token_cli
from app.config import get_settings
from app.db import make_engine
from app.feed import prune_changes
from app.ingest.command import ingest_command
from app.migrate import upgrade_to_head
from app.replica import refuse_sqlite_replica

cli = typer.Typer(
    name="corpus",
    help="Serve, ingest, search and mirror an archive of markdown articles.",
    no_args_is_help=True,
    add_completion=False,
)
cli.add_typer(token_cli, name="token")
WORKER_HEALTHCHECK_S = 60
APP_FACTORY = "app.server:served_app"  # the app, with its start-up objects frozen
cli.command("ingest")(ingest_command)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Worker processes over the same database; with N > 1 set CORPUS_REDIS_URL so "
        "that the rate limits hold across them.",
    ),
) -> None:
    """Migrate the database to head, then serve the API."""
    import uvicorn

    from app.metrics import share_between_workers
    from app.server import bound_malloc_arenas, server_options
    from app.workers import WorkerSupervisor

    settings = get_settings()
    try:
        refuse_sqlite_replica(settings.database_url, settings.database_read_url)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    upgrade_to_head(settings.database_url)
    # Tombstones past their retention leave the feed at each start (see prune-changes).
    prune_changes(make_engine(settings.database_url), retention_days=settings.change_retention_days)
    if workers > 1 and settings.rate_limits_enabled and not settings.redis_url:
        typer.echo(
            f"warning: {workers} workers keep {workers} separate rate-limit buckets per client; "
            "set CORPUS_REDIS_URL to share them",
            err=True,
        )
    metrics_dir = share_between_workers(workers)  # before the workers import prometheus_client
    bound_malloc_arenas()  # before the request threads and the workers start
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": settings.log_level.lower(),
        "access_log": False,  # the app writes its own structured access line
        # A worker answers uvicorn's health check only once the app is imported: ~2 s on a
        # quiet machine, but the default 5 s killed every worker on a loaded one, forever.
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_S,
        **server_options(settings),
    }
    try:
        if workers > 1:  # uvicorn.run's own way, with a supervisor that forgets dead workers
            config = uvicorn.Config(APP_FACTORY, **options)
            WorkerSupervisor(config, sockets=[config.bind_socket()]).run()
        else:
            uvicorn.run(APP_FACTORY, **options)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    upgrade_to_head(get_settings().database_url)
    typer.echo("database at head")


@cli.command()
def mirror(
    url: str = typer.Argument(..., help="Base URL of the origin service, e.g. http://host:8000"),
    follow: bool = typer.Option(False, "--follow", help="Keep following the origin's changes."),
    token: str | None = typer.Option(
        None,
        "--token",
        help="Bearer token sent to the origin (default CORPUS_MIRROR_TOKEN); one with the "
        "origin's `unlimited` scope is never rate-limited.",
    ),
) -> None:
    """Make the local database a mirror of the service at URL; exit 1 if digests differ."""
    from app.mirror.sync import OriginUnreachable, run_mirror

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    try:
        verdict = run_mirror(
            make_engine(settings.database_url),
            url,
            typer.echo,
            follow=follow,
            token=token or settings.mirror_token,
        )
    except KeyboardInterrupt:  # the operator stopped --follow: every applied page is committed
        raise typer.Exit(130) from None
    except OriginUnreachable as error:
        typer.echo(f"giving up: {error}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(0 if verdict.matches else 1)


@cli.command("prune-changes")
def prune_changes_command(
    days: int | None = typer.Option(
        None, help="Retention in days (default: CORPUS_CHANGE_RETENTION_DAYS)."
    ),
) -> None:
    """Drop tombstones older than the retention from the change feed."""
    settings = get_settings()
    retention = settings.change_retention_days if days is None else days
    dropped = prune_changes(make_engine(settings.database_url), retention_days=retention)
    typer.echo(f"{dropped} tombstones older than {retention} days dropped")


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (the source of openapi/openapi.json)."""
    from app.main import create_app

    spec = create_app().openapi()
    sys.stdout.write(json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def main() -> None:
    """Entry point of the ``corpus`` console script."""
    cli()
