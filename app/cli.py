"""The ``corpus`` command line."""

import json
import sys

import typer
import uvicorn

from app.config import get_settings
from app.main import create_app
from app.migrate import upgrade_to_head
from app.token_commands import cli as token_cli

cli = typer.Typer(
    name="corpus",
    help="Serve, ingest, search and mirror an archive of markdown articles.",
    no_args_is_help=True,
    add_completion=False,
)
cli.add_typer(token_cli, name="token")


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Migrate the database to head, then serve the API."""
    upgrade_to_head(get_settings().database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=get_settings().log_level.lower(),
        access_log=False,  # the app writes its own structured access line
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    upgrade_to_head(get_settings().database_url)
    typer.echo("database at head")


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (the source of openapi/openapi.json)."""
    spec = create_app().openapi()
    sys.stdout.write(json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def main() -> None:
    """Entry point of the ``corpus`` console script."""
    cli()
