"""API tokens: created once, stored only as a SHA-256 hash, checked in constant time.

A token is ``corpus_`` plus 43 URL-safe characters (256 bits from ``secrets``). Only its
hash reaches the database, so a leaked database copy gives no way to write. Revoking keeps
the row (with ``revoked_at``) so ``corpus token list`` still shows who had access.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app.models import ApiToken, utcnow

TOKEN_PREFIX = "corpus_"
SCOPES = ("read", "write", "unlimited")
WRITE_SCOPE = "write"
# Exempts its holder from the rate limits (a mirror, a trusted batch job, the fuzzing tests).
UNLIMITED_SCOPE = "unlimited"
MAX_NAME_LENGTH = 100


class TokenError(ValueError):
    """A token operation the caller asked for cannot be done (bad name, unknown scope...)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the service knows of a token: never the secret."""

    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def allows(self, scope: str) -> bool:
        """True when the token is live and carries ``scope``."""
        return self.revoked_at is None and scope in self.scopes


def hash_token(secret: str) -> str:
    """The SHA-256 hex digest stored in place of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        scopes=tuple(row.scope.split()),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _check_scopes(scopes: list[str]) -> str:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"unknown scope {unknown or scopes!r}; known scopes: {', '.join(SCOPES)}")
    return " ".join(dict.fromkeys(scopes))  # keep order, drop repeats


def create_token(session: Session, *, name: str, scopes: list[str]) -> str:
    """Stores a new token under ``name`` and returns its secret: the only time it is shown."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"a token name has 1 to {MAX_NAME_LENGTH} characters")
    scope = _check_scopes(scopes)
    existing = session.execute(
        select(ApiToken).where(col(ApiToken.name) == name)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.revoked_at is None:
            raise TokenError(f"a live token named {name!r} exists; revoke it first")
        # A revoked name may be reused: that is how an operator rotates a token.
        session.execute(delete(ApiToken).where(col(ApiToken.id) == existing.id))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(name=name, token_hash=hash_token(secret), scope=scope, created_at=utcnow())
    )
    session.flush()
    return secret


def find_token(session: Session, secret: str) -> TokenInfo | None:
    """The token whose secret is ``secret`` (revoked ones too), or None."""
    wanted = hash_token(secret)
    row = session.execute(
        select(ApiToken).where(col(ApiToken.token_hash) == wanted)
    ).scalar_one_or_none()
    # The lookup is by hash, so its timing says nothing of the secret; the constant-time
    # comparison keeps it that way should the lookup ever become a scan or a prefix match.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return _info(row)


def mark_used(session: Session, name: str) -> None:
    """Notes that the token ``name`` just made a write (in the caller's transaction)."""
    session.execute(
        update(ApiToken).where(col(ApiToken.name) == name).values(last_used_at=utcnow())
    )


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, live or revoked, by name."""
    rows = session.execute(select(ApiToken).order_by(col(ApiToken.name))).scalars().all()
    return [_info(row) for row in rows]


def revoke_token(session: Session, name: str) -> TokenInfo:
    """Revokes the token ``name``; it stops working at once. Revoking twice is harmless."""
    row = session.execute(select(ApiToken).where(col(ApiToken.name) == name)).scalar_one_or_none()
    if row is None:
        raise TokenError(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return _info(row)
