"""The HTTP side of a mirror: what it asks of the origin's ``/changes`` and ``/export``."""

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import httpx


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FeedGone(Exception):
    """The origin answered 410: the mirror's position is no longer in its feed."""


class OriginClient:
    """Talks to one origin; every call raises ``httpx.HTTPError`` when the origin is down."""

    def __init__(self, origin: str, *, timeout: float = 60.0) -> None:
        self.origin = origin.rstrip("/")
        # Over loopback, gzip only spends the CPU both ends share; elsewhere it saves bytes.
        headers = {"Accept-Encoding": "identity"} if _is_loopback(self.origin) else {}
        self.http = httpx.Client(base_url=self.origin, timeout=timeout, headers=headers)

    def close(self) -> None:
        """Closes the connection pool."""
        self.http.close()

    def _get(self, path: str, params: dict[str, Any], *, timeout: float | None = None) -> Any:
        kwargs: dict[str, Any] = {"params": params}
        if timeout is not None:
            kwargs["timeout"] = timeout
        response = self.http.get(path, **kwargs)
        if response.status_code == 410:
            raise FeedGone(response.json().get("detail", "feed position gone"))
        response.raise_for_status()
        return response.json()

    def changes(self, *, since: int, limit: int, wait: float = 0.0) -> dict[str, Any]:
        """A page of changes after ``since`` with their documents; long-polls when ``wait``."""
        # The searched text too, so that search here finds what it finds at the origin, and
        # the revisions, so that it serves every version the origin does.
        params: dict[str, Any] = {
            "since": since,
            "limit": limit,
            "include_docs": "true",
            "include_text": "true",
            "include_revisions": "true",
        }
        if wait > 0:
            params.update(feed="longpoll", timeout=wait)
        page: dict[str, Any] = self._get("/changes", params, timeout=wait + 60.0)
        return page

    def digest(self) -> dict[str, Any]:
        """The origin's ``{last_seq, count, digest}`` (and its revisions' from a newer one)."""
        body: dict[str, Any] = self._get("/changes/digest", {})
        return body

    def export(self) -> Iterator[dict[str, Any]]:
        """The origin's ``/export`` one parsed line at a time (the last one is the trailer)."""
        with self.http.stream(
            "GET",
            "/export",
            params={"include_text": "true", "include_revisions": "true"},
            timeout=httpx.Timeout(60.0, read=300.0),
        ) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)
