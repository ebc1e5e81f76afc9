"""Routing by the path's first segment: a request is matched against the routes that can match
it, not against every route of the app in turn.

The router asks each of its routes in order whether the path matches, and an included router
asks each of its own; ``/articles/{id}`` was tried against the health, metrics and change-feed
routers before its own. A route whose every path template starts with a literal segment
(``/articles/...``, a mount at ``/docs-assets``) can only match paths that start with that
segment, so for a path starting with ``articles`` the routes that cannot match are left out
and the router's own code runs over the rest, in their order: which route answers, 404, 405
and the trailing-slash redirect (which keeps the first segment) come out as they would.
A path whose first segment no route names literally, a route whose paths cannot be read,
and any scope with a ``root_path`` go to the whole router.
"""

import copy
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Router
from starlette.types import Receive, Scope, Send

# A route that may match any first segment (a template starting with a parameter, a mount at
# the root, a route of a kind whose paths are not known here).
ANY_SEGMENT = None


def first_segment(path: str) -> str | None:
    """A request path's first segment; None when it is empty (``/``, ``//x``: the whole router)."""
    return path[1:].partition("/")[0] or None if path.startswith("/") else None


def template_segment(template: str) -> str | None:
    """The first segment every path a template matches starts with; ``ANY_SEGMENT`` when it
    is not literal (``/{id}``, ``/item-{id}``, a mount at the root). ``/`` gives ``""``,
    which no request is routed by."""
    if not template.startswith("/"):
        return ANY_SEGMENT
    segment = template[1:].partition("/")[0]
    return ANY_SEGMENT if "{" in segment else segment


def _templates(route: BaseRoute) -> Iterable[str | None]:
    """The path templates a route matches with (None: unknown)."""
    contexts = getattr(route, "effective_route_contexts", None)  # FastAPI's included routers
    if contexts is not None:
        for context in contexts():
            yield getattr(context, "path", None) or getattr(context, "path_format", None)
        return
    yield getattr(route, "path", None)


def segments_of(route: BaseRoute) -> set[str | None]:
    """The first segments a route can match paths of (``ANY_SEGMENT`` among them: any)."""
    return {template_segment(t) if t is not None else ANY_SEGMENT for t in _templates(route)}


class RouteIndex:
    """The router, asked through views that hold only the routes a first segment can reach."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.whole = router.middleware_stack
        self.indexed: tuple[list[BaseRoute], int] | None = None
        self.views: dict[str, Router] = {}

    def _view(self, segment: str) -> Router | None:
        routes = self.router.routes
        # Routes added after the app was built (tests do) are indexed when they first count.
        if self.indexed is None or self.indexed[0] is not routes or self.indexed[1] != len(routes):
            self._build(routes)
        return self.views.get(segment)

    def _build(self, routes: list[BaseRoute]) -> None:
        """Views over ``routes`` for every literal first segment a route names."""
        reach = [(route, segments_of(route)) for route in routes]
        named = {s for _, segments in reach for s in segments if s}
        views: dict[str, Router] = {}
        for segment in named:
            view = copy.copy(self.router)
            view.routes = [r for r, s in reach if segment in s or ANY_SEGMENT in s]
            views[segment] = view
        self.views = views
        self.indexed = (routes, len(routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self.whole(scope, receive, send)
            return
        segment = first_segment(scope["path"])
        view = self._view(segment) if segment is not None else None
        if view is None:
            await self.whole(scope, receive, send)
            return
        # ``url_for`` and FastAPI's dependencies look the router up here: the whole one.
        scope.setdefault("router", self.router)
        await view.app(scope, receive, send)


def install_route_index(app: FastAPI) -> None:
    """Routes ``app``'s requests through a ``RouteIndex`` (the last step of building the app)."""
    router: Any = app.router
    if router.middleware_stack == router.app:  # no router middleware to keep in front
        router.middleware_stack = RouteIndex(router)
