"""``corpus token create|list|revoke``: the operator's side of write access."""

import typer
from sqlalchemy.engine import Engine

from app.api_tokens import WRITE_SCOPE, TokenError, create_token, list_tokens, revoke_token
from app.config import get_settings
from app.db import make_engine, unit_of_work
from app.migrate import upgrade_to_head

cli = typer.Typer(
    help="Create, list and revoke API tokens for the write endpoints.", no_args_is_help=True
)


def _engine() -> Engine:
    url = get_settings().database_url
    # The token table may be the first thing an operator touches on a new database.
    upgrade_to_head(url)
    return make_engine(url)


@cli.command("create")
def create(
    name: str = typer.Option(
        ..., "--name", help="A name for whoever holds the token, e.g. editor-anna."
    ),
    scope: list[str] = typer.Option(
        [WRITE_SCOPE],
        "--scope",
        help="A scope to grant (write, read, unlimited); repeat for several.",
    ),
) -> None:
    """Create a token and print it once; only its hash is stored."""
    engine = _engine()
    try:
        with unit_of_work(engine) as session:
            secret = create_token(session, name=name, scopes=scope)
    except TokenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(secret)
    typer.echo(f"token {name!r} created; it is shown only this once.", err=True)


@cli.command("list")
def list_() -> None:
    """List tokens: name, scopes, created, last used, revoked (never the secret)."""
    engine = _engine()
    try:
        with unit_of_work(engine) as session:
            tokens = list_tokens(session)
    finally:
        engine.dispose()
    typer.echo("name\tscopes\tcreated_at\tlast_used_at\trevoked_at")
    for t in tokens:
        fields = [t.name, " ".join(t.scopes), t.created_at, t.last_used_at, t.revoked_at]
        typer.echo("\t".join("-" if f is None else str(f) for f in fields))


@cli.command("revoke")
def revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a token: it stops working at once."""
    engine = _engine()
    try:
        with unit_of_work(engine) as session:
            revoke_token(session, name)
    except TokenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    typer.echo(f"token {name!r} revoked")
