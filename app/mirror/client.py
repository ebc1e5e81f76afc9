"""The HTTP side of a mirror: what it asks of the origin's ``/changes`` and ``/export``."""

import ipaddress
import json
import time
from collections.abc import Callable, Iterator
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


# A 429 is waited out as its Retry-After says, but never longer than this a time, nor more
# than this many times in a row: past that the origin is treated as unreachable (backoff).
RATE_LIMIT_WAIT_CAP_S = 60.0
RATE_LIMIT_TRIES = 5


def _retry_after(response: httpx.Response) -> float:
    """The seconds a 429 asks the client to wait (1 when it does not say), capped."""
    try:
        seconds = float(response.headers.get("retry-after", "1"))
    except ValueError:  # an HTTP date: the origin gives seconds, so this is a proxy's
        seconds = 1.0
    return min(max(seconds, 0.0), RATE_LIMIT_WAIT_CAP_S)


class OriginClient:
    """Talks to one origin; every call raises ``httpx.HTTPError`` when the origin is down.

    With ``token`` every request carries it (``Authorization: Bearer``): a token with the
    origin's ``unlimited`` scope is never rate-limited. A ``429`` is waited out (``Retry-After``,
    bounded) and asked again, told through ``say``.
    """

    def __init__(
        self,
        origin: str,
        *,
        timeout: float = 60.0,
        token: str | None = None,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.origin = origin.rstrip("/")
        self.say = say
        # Over loopback, gzip only spends the CPU both ends share; elsewhere it saves bytes.
        headers = {"Accept-Encoding": "identity"} if _is_loopback(self.origin) else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=self.origin, timeout=timeout, headers=headers)

    def close(self) -> None:
        """Closes the connection pool."""
        self.http.close()

    def _rate_limited(self, response: httpx.Response, tries: int) -> bool:
        """Whether ``response`` is a 429 to wait out (then waited) rather than raise."""
        if response.status_code != 429 or tries >= RATE_LIMIT_TRIES:
            return False
        wait = _retry_after(response)
        self.say(f"origin rate-limited {response.request.url.path}; waiting {wait:g}s")
        time.sleep(wait)
        return True

    def _get(self, path: str, params: dict[str, Any], *, timeout: float | None = None) -> Any:
        kwargs: dict[str, Any] = {"params": params}
        if timeout is not None:
            kwargs["timeout"] = timeout
        tries = 1
        response = self.http.get(path, **kwargs)
        while self._rate_limited(response, tries):
            tries += 1
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
        for tries in range(1, RATE_LIMIT_TRIES + 1):
            with self.http.stream(
                "GET",
                "/export",
                params={"include_text": "true", "include_revisions": "true"},
                timeout=httpx.Timeout(60.0, read=300.0),
            ) as response:
                if self._rate_limited(response, tries):
                    continue
                response.raise_for_status()
                for line in response.iter_lines():
                    if line:
                        yield json.loads(line)
                return
