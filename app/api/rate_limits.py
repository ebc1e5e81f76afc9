"""Rate limits: a token bucket per client on the costly operations, 429 when it is empty.

Pure ASGI middleware, so that a request on any other route costs one dictionary lookup and
a refused upload is answered before a byte of its body is read. A client is its bearer
token when it sends a live one (a token with the ``unlimited`` scope is never limited),
else its address (behind a proxy, run uvicorn with ``--forwarded-allow-ips`` so that the
address is the client's, not the proxy's).
"""

import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem_of, problem_responses
from app.api_tokens import UNLIMITED_SCOPE, TokenInfo, find_token
from app.config import Settings, parse_rate
from app.db import unit_of_work
from app.db_faults import DATABASE_ERRORS
from app.errors import TooManyRequests
from app.http.buckets import Buckets, MemoryBuckets, Policy, RedisBuckets, Verdict
from app.metrics import ROUTE_TEMPLATE_KEY

log = logging.getLogger("app.ratelimit")

# The limited operations, once: the middleware matches requests against them and the spec
# documents their 429. ``/changes`` is limited only with ``include_docs`` (see ``_costs``).
LIMITED_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/search"): "search",
    ("GET", "/feeds/search.atom"): "search",
    ("GET", "/feeds/search.json"): "search",
    ("GET", "/changes"): "changes",
    ("GET", "/export"): "export",
    ("POST", "/articles"): "write",
    ("PUT", "/articles/{id}"): "write",
    ("DELETE", "/articles/{id}"): "write",
}
_EXACT = {(m, p): name for (m, p), name in LIMITED_OPERATIONS.items() if "{" not in p}
_ONE_SEGMENT = {
    (m, p.split("{")[0]): (name, p) for (m, p), name in LIMITED_OPERATIONS.items() if "{" in p
}
_FALSE = {"", "0", "false", "no", "off", "f", "n"}

RETRY_AFTER_DOC = {
    "Retry-After": {
        "description": "Seconds until the request would be let through.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Policy": {
        "description": 'The bucket (IETF RateLimit fields), e.g. `"search";q=120;w=60`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of it, e.g. `"search";r=0;t=3`.',
        "schema": {"type": "string"},
    },
}


def limited_operation(method: str, path: str) -> tuple[str, str] | None:
    """(bucket, route template) of a request of ``method`` on ``path``; None when unlimited."""
    method = "GET" if method == "HEAD" else method
    if (method, path) in _EXACT:
        return _EXACT[(method, path)], path
    if path.count("/") == 2:
        return _ONE_SEGMENT.get((method, path[: path.rindex("/") + 1]))
    return None


def _costs(name: str, query_string: bytes) -> bool:
    # The feed without documents is a few bytes a change: a mirror's cheap poll stays free.
    if name != "changes":
        return True
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(k == "include_docs" and v.strip().lower() not in _FALSE for k, v in query)


def policies_of(settings: Settings) -> dict[str, Policy]:
    """The buckets the settings configure, by name."""
    rates = {
        "search": settings.rate_limit_search,
        "changes": settings.rate_limit_changes,
        "export": settings.rate_limit_export,
        "write": settings.rate_limit_write,
    }
    return {name: Policy(name, *parse_rate(rate)) for name, rate in rates.items()}


def rate_headers(policy: Policy, verdict: Verdict) -> dict[str, str]:
    """The IETF RateLimit-Policy and RateLimit fields (draft 10), plus Retry-After on a 429."""
    headers = {
        "RateLimit-Policy": f'"{policy.name}";q={policy.capacity};w={round(policy.window_s)}',
        "RateLimit": f'"{policy.name}";r={verdict.remaining};t={verdict.reset_s}',
    }
    if not verdict.allowed:
        headers["Retry-After"] = str(verdict.retry_after_s)
    return headers


def _bearer(headers: Headers) -> str | None:
    scheme, _, secret = headers.get("authorization", "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


class RateLimitMiddleware:
    """Takes a token from the client's bucket on each limited request; 429 when it is empty."""

    def __init__(
        self, app: ASGIApp, *, engine: Engine, buckets: Buckets, policies: dict[str, Policy]
    ) -> None:
        self.app = app
        self.engine = engine
        self.buckets = buckets
        self.policies = policies

    def _token(self, secret: str) -> TokenInfo | None:
        with unit_of_work(self.engine) as session:
            return find_token(session, secret)

    async def _client_key(self, scope: Scope) -> str | None:
        """``token:NAME`` or ``ip:ADDRESS``; None for a token that is never limited."""
        secret = _bearer(Headers(scope=scope))
        if secret is not None:
            try:
                token = await run_in_threadpool(self._token, secret)
            except DATABASE_ERRORS:
                # The route answers the outage itself (503 with Retry-After); until then the
                # token cannot be told, so the request counts as its address.
                token = None
            if token is not None and token.revoked_at is None:
                return None if token.allows(UNLIMITED_SCOPE) else f"token:{token.name}"
        # An unknown token counts as its address: made-up tokens get no buckets of their own.
        client = scope.get("client")
        return f"ip:{client[0] if client else '-'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = limited_operation(scope["method"], scope["path"])
        if operation is None or not _costs(operation[0], scope.get("query_string", b"")):
            await self.app(scope, receive, send)
            return
        name, scope[ROUTE_TEMPLATE_KEY] = operation
        key = await self._client_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        policy = self.policies[name]
        try:
            verdict = await self.buckets.hit(policy, key)
        except Exception as exc:  # noqa: BLE001 - a limiter outage must not take the API down
            log.warning("rate limit store unavailable, request let through: %r", exc)
            await self.app(scope, receive, send)
            return
        headers = rate_headers(policy, verdict)
        if not verdict.allowed:
            log.info("rate limited: %s on %s bucket %r", key, scope["path"], name)
            response = problem_of(
                TooManyRequests(
                    f"the {name!r} limit of {policy.capacity} requests per "
                    f"{round(policy.window_s)} s is used up; retry in {verdict.retry_after_s} s",
                    headers=headers,
                )
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def document_rate_limits(spec: dict[str, Any]) -> None:
    """Adds the 429 problem (with its headers) to every limited operation of ``spec``."""
    for (method, path), _name in LIMITED_OPERATIONS.items():
        operation = spec.get("paths", {}).get(path, {}).get(method.lower())
        if operation is not None:
            response = problem_responses(429)[429]
            operation["responses"]["429"] = {**response, "headers": RETRY_AFTER_DOC}


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    """Enforces the limits unless the settings turn them off (the spec documents them always)."""
    if not settings.rate_limits_enabled:
        return
    buckets: Buckets = RedisBuckets(settings.redis_url) if settings.redis_url else MemoryBuckets()
    app.state.rate_limit_buckets = buckets
    app.add_middleware(
        RateLimitMiddleware,
        engine=app.state.engine,
        buckets=buckets,
        policies=policies_of(settings),
    )
