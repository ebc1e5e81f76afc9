"""Keyset pagination: a stable order, opaque tamper-checked cursors, and the page query.

A cursor holds the sort key of the last row of a page, a fingerprint of the sort and filters
it was made for, and an HMAC over both. The next page is the rows strictly after that key in
the order, so rows inserted meanwhile never shift a page: each row is seen once.

A nullable leading key (``published_at``) counts NULL as smaller than every value on both
databases: NULLs come last in a descending order and first in an ascending one. Rather than
``NULLS FIRST/LAST`` (which PostgreSQL cannot serve from a plain index in both directions),
the rows are read in two segments, non-NULL and NULL, each in plain index order.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.db import DriverStatement, typed_row
from app.errors import Unprocessable

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 1000


class CursorError(Unprocessable):
    """A cursor that is malformed, forged, or made for another sort or filter."""

    type_slug = "invalid-cursor"


def scope_of(*parts: Any) -> str:
    """A short fingerprint of what a cursor is valid for (endpoint, sort, filters)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha256).digest()[:18])


def encode_cursor(key: Sequence[Any], *, scope: str, secret: str) -> str:
    """An opaque cursor for the row whose sort key is ``key`` (JSON values), valid for ``scope``."""
    return _cursor(tuple(key), scope, secret)


# The same first pages are asked for again and again, each ending at the same key: its
# cursor (JSON, base64 and an HMAC, ~4% of a page request under load) is made once. A key's
# values are a keyset's JSON scalars (strings, ints, None), which compare as their JSON does.
@lru_cache(maxsize=4096)
def _cursor(key: tuple[Any, ...], scope: str, secret: str) -> str:
    body = json.dumps({"v": CURSOR_VERSION, "s": scope, "k": list(key)}, separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{payload}.{_sign(payload, secret)}"


def decode_cursor(cursor: str, *, scope: str, secret: str) -> list[Any]:
    """The sort key inside ``cursor``; ``CursorError`` (422) unless it is ours and for ``scope``."""
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise CursorError("malformed cursor: use the `next` value of a page as given")
    payload, signature = cursor.split(".")
    if not hmac.compare_digest(signature.encode("ascii", "replace"), _sign_safe(payload, secret)):
        raise CursorError("invalid cursor: it was not issued by this service or was altered")
    try:
        body = json.loads(_unb64(payload))
    except (ValueError, binascii.Error) as exc:
        raise CursorError("malformed cursor") from exc
    if (
        not isinstance(body, dict)
        or body.get("v") != CURSOR_VERSION
        or not isinstance(body.get("k"), list)
    ):
        raise CursorError("cursor from an older version of the service: start from the first page")
    if body.get("s") != scope:
        raise CursorError("cursor was made for another sort or filter: start from the first page")
    return list(body["k"])


def _sign_safe(payload: str, secret: str) -> bytes:
    try:
        return _sign(payload, secret).encode("ascii")
    except UnicodeEncodeError as exc:
        raise CursorError("malformed cursor") from exc


@dataclass(frozen=True)
class SortKey:
    """One column of an order; ``nullable`` only for a leading key (NULL counts as smallest)."""

    column: Any
    attr: str
    descending: bool = False
    kind: type = str
    nullable: bool = False

    def to_json(self, value: Any) -> Any:
        """The key value as JSON (datetimes as ISO 8601 in UTC)."""
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        return value

    def from_json(self, value: Any) -> Any:
        """The key value back from JSON; ``CursorError`` if it cannot be one of this key's."""
        if value is None:
            if self.nullable:
                return None
            raise CursorError("invalid cursor key")
        if self.kind is datetime and isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError as exc:
                raise CursorError("invalid cursor key") from exc
            if parsed.tzinfo is None:
                raise CursorError("invalid cursor key")
            return parsed
        if self.kind is int and type(value) is int:
            return value
        if self.kind is str and isinstance(value, str):
            return value
        raise CursorError("invalid cursor key")

    def order(self) -> Any:
        """The ORDER BY term (no NULLS clause: each segment is all NULL or all non-NULL)."""
        return self.column.desc() if self.descending else self.column.asc()

    def beyond(self, value: Any) -> ColumnElement[bool]:
        """Rows strictly after ``value`` in this key's direction (``value`` not NULL)."""
        result: ColumnElement[bool] = (
            self.column < value if self.descending else self.column > value
        )
        return result

    def reached(self, value: Any) -> ColumnElement[bool]:
        """Rows at or after ``value``: lets the database seek in an index."""
        result: ColumnElement[bool] = (
            self.column <= value if self.descending else self.column >= value
        )
        return result

    def bound(self, index: int, value: Any) -> Any:
        """``value`` as the named bind of the ``index``-th key of a cursor (``after{index}``)."""
        return bindparam(f"after{index}", value, type_=self.column.type)


@dataclass(frozen=True)
class Keyset:
    """A total order of rows: some sort keys, the last one unique (the id)."""

    name: str
    keys: tuple[SortKey, ...]

    def key_of(self, row: Any) -> list[Any]:
        """The JSON sort key of a loaded row, for its cursor."""
        return [k.to_json(getattr(row, k.attr)) for k in self.keys]

    def parse_key(self, values: Sequence[Any]) -> list[Any]:
        """A sort key from a cursor, checked against this order's keys."""
        if len(values) != len(self.keys):
            raise CursorError("invalid cursor key")
        return [k.from_json(v) for k, v in zip(self.keys, values, strict=True)]

    def after_params(self, after: Sequence[Any] | None) -> dict[str, Any]:
        """The values of the named binds ``segments(after)`` makes."""
        if after is None:
            return {}
        return {f"after{i}": v for i, v in enumerate(after) if v is not None}

    def order_by(self) -> list[Any]:
        """The ORDER BY terms of one segment."""
        return [k.order() for k in self.keys]

    def segments(self, after: Sequence[Any] | None) -> list[ColumnElement[bool]]:
        """WHERE clauses of the segments to read, in order, for rows after ``after``."""
        lead = self.keys[0]
        if after is not None:  # named binds: a statement of the same shape takes new values
            after = [
                None if v is None else k.bound(i, v)
                for i, (k, v) in enumerate(zip(self.keys, after, strict=True))
            ]
        if not lead.nullable:
            return [true() if after is None else _after(self.keys, after)]
        is_null, not_null = lead.column.is_(None), lead.column.is_not(None)
        if lead.descending:  # non-NULL values first, NULLs last
            if after is None:
                return [not_null, is_null]
            if after[0] is None:
                return [and_(is_null, _after(self.keys[1:], after[1:]))]
            return [and_(not_null, _after(self.keys, after)), is_null]
        if after is None:  # ascending: NULLs first
            return [is_null, not_null]
        if after[0] is None:
            return [and_(is_null, _after(self.keys[1:], after[1:])), not_null]
        return [_after(self.keys, after)]


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the lexicographic order of ``keys`` (no NULLs)."""
    if not keys:
        return false()
    head, value = keys[0], values[0]
    if len(keys) == 1:
        return head.beyond(value)
    return and_(
        head.reached(value),
        or_(head.beyond(value), and_(head.column == value, _after(keys[1:], values[1:]))),
    )


@dataclass(frozen=True)
class Shaped:
    """A page's statement by shape: ``build()`` makes the same SQL for every filter of the
    same ``shape``, its varying values named binds, whose values are ``params``."""

    shape: Hashable
    build: Callable[[], Select[Any]]
    params: Mapping[str, Any]


@dataclass
class Page:
    """One page of rows, and the sort key of its last row when more rows follow."""

    rows: list[Any]
    next_key: list[Any] | None


# The page queries of the shaped lists, compiled once per shape (bounded: sorts x filter
# shapes x cursor shapes x segments).
_SHAPED = DriverStatement()


_SEGMENTS: dict[tuple[str, str], list[ColumnElement[bool]]] = {}


def _after_shape(after: Sequence[Any] | None) -> str:
    """Which segments a cursor leads to: none given, a NULL leading key, or a value."""
    return "first" if after is None else "null" if after[0] is None else "value"


def _segments(keyset: Keyset, after: Sequence[Any] | None) -> list[ColumnElement[bool]]:
    """``keyset.segments(after)``, built once per cursor shape: their values are named binds,
    given anew to every statement of the shape (``Keyset.after_params``)."""
    key = (keyset.name, _after_shape(after))
    found = _SEGMENTS.get(key)
    if found is None:
        found = _SEGMENTS[key] = keyset.segments(after)
    return found


def fetch_page(
    session: Session,
    stmt: Select[Any] | Shaped,
    keyset: Keyset,
    *,
    after: Sequence[Any] | None,
    limit: int,
) -> Page:
    """Up to ``limit`` rows of ``stmt`` after ``after`` in ``keyset`` order, never with OFFSET.

    ``stmt`` selects columns, among them the keyset's (rows are tuples with those names).
    A ``Shaped`` statement runs compiled once per shape, straight on the driver.
    """
    rows: list[Any] = []
    segments = _segments(keyset, after) if isinstance(stmt, Shaped) else keyset.segments(after)
    for index, where in enumerate(segments):
        wanted = limit + 1 - len(rows)
        if wanted <= 0:
            break
        if isinstance(stmt, Shaped):
            rows.extend(_shaped_segment(session, stmt, keyset, after, index, where, wanted))
            continue
        query = stmt.where(where).order_by(*keyset.order_by())
        rows.extend(session.connection().execute(query.limit(wanted)).all())
    return page_of(rows, keyset, limit)


def _shaped_segment(
    session: Session,
    stmt: Shaped,
    keyset: Keyset,
    after: Sequence[Any] | None,
    index: int,
    where: ColumnElement[bool],
    wanted: int,
) -> list[Any]:
    """The ``index``-th segment's rows of a shaped statement, compiled once per shape."""

    def build(_shape: Hashable) -> Select[Any]:
        query = stmt.build().where(where).order_by(*keyset.order_by())
        return query.limit(bindparam("page_limit", wanted))

    shape = (stmt.shape, keyset.name, _after_shape(after), index)
    params = {**stmt.params, **keyset.after_params(after), "page_limit": wanted}
    # Untyped: the page's key of its last row is typed by ``page_of``, the others are not needed.
    return _SHAPED.run(session, shape, params, build, typed=False)


def page_of(rows: list[Any], keyset: Keyset, limit: int) -> Page:
    """The page of up to ``limit + 1`` rows read in ``keyset`` order: more follow if over."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows=rows, next_key=keyset.key_of(typed_row(rows[-1])))
    return Page(rows=rows, next_key=None)
