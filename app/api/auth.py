"""Bearer-token check for the write endpoints: reads stay public, writes need ``write``.

The check runs as a dependency, before any request body is read, so an unauthenticated
upload is refused without the server taking in a byte of it.
"""

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import EngineDep
from app.api_tokens import WRITE_SCOPE, TokenInfo, find_token
from app.db import unit_of_work
from app.errors import Forbidden, Unauthorized

log = logging.getLogger("app.auth")

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token printed by `corpus token create --name NAME --scope write`.",
)


def _refuse(request: Request, reason: str, token_name: str | None = None) -> None:
    # Never the token itself, nor its hash: a log line must not grant access.
    client = request.client.host if request.client else "-"
    log.warning(
        "write refused: %s; %s %s from %s%s",
        reason,
        request.method,
        request.url.path,
        client,
        f" (token {token_name!r})" if token_name else "",
    )


def require_write(
    request: Request,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> TokenInfo:
    """The caller's token, when it is live and has the write scope; else 401 or 403."""
    challenge = 'Bearer realm="corpus"'
    if credentials is None or not credentials.credentials:
        _refuse(request, "no bearer token")
        raise Unauthorized(
            "this endpoint needs an `Authorization: Bearer TOKEN` header",
            headers={"WWW-Authenticate": challenge},
        )
    with unit_of_work(engine) as session:
        token = find_token(session, credentials.credentials)
    if token is None or token.revoked_at is not None:
        _refuse(
            request,
            "unknown token" if token is None else "revoked token",
            None if token is None else token.name,
        )
        raise Unauthorized(
            "the bearer token is unknown or revoked",
            headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'},
        )
    if not token.allows(WRITE_SCOPE):
        _refuse(request, "token lacks the write scope", token.name)
        raise Forbidden(
            f"the token {token.name!r} lacks the {WRITE_SCOPE!r} scope",
            headers={"WWW-Authenticate": f'{challenge}, error="insufficient_scope", scope="write"'},
        )
    return token


WriteToken = Annotated[TokenInfo, Depends(require_write)]
