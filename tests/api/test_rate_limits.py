"""Rate limits: a token bucket per client on search, the feed with documents, export, writes."""

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from writes.articles import article_bytes, gnews_path
from writes.store import dump_store, make_token

from app.config import Settings, parse_rate
from app.http.buckets import Buckets, MemoryBuckets, Policy, RedisBuckets, Verdict
from app.main import create_app

REDIS_URL = os.environ.get("CORPUS_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def redis_url() -> str:
    """The test Redis; skipped when unreachable, except under CI=true, where it fails."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def make_buckets(request: pytest.FixtureRequest) -> Callable[[], Buckets]:
    """Makes each store of buckets (inside the event loop that will use it)."""
    url = redis_url() if request.param == "redis" else None
    return lambda: RedisBuckets(url) if url else MemoryBuckets()


def _policy(capacity: int, window_s: float) -> Policy:
    # A name of its own, so that runs sharing one Redis never share a bucket.
    return Policy(f"test-{uuid.uuid4().hex}", capacity, window_s)


def test_a_bucket_lets_its_capacity_through_then_refuses(
    make_buckets: Callable[[], Buckets],
) -> None:
    policy = _policy(5, 3600)

    async def run() -> tuple[list[Verdict], Verdict]:
        buckets = make_buckets()
        first = [await buckets.hit(policy, "a") for _ in range(7)]
        other = await buckets.hit(policy, "b")
        await buckets.close()
        return first, other

    first, other = asyncio.run(run())
    assert [v.allowed for v in first] == [True] * 5 + [False] * 2
    assert [v.remaining for v in first] == [4, 3, 2, 1, 0, 0, 0]
    refused = first[-1]
    # One token comes back every 720 s; the bucket is full again 5 tokens' time from now.
    assert 710 <= refused.retry_after_s <= 720
    assert 3590 <= refused.reset_s <= 3600
    assert other.allowed and other.remaining == 4  # per client


def test_tokens_come_back_at_the_rate(make_buckets: Callable[[], Buckets]) -> None:
    policy = _policy(2, 4.0)  # a token every 2 s: wide, for a loaded machine

    async def run() -> list[bool]:
        buckets = make_buckets()
        out = [(await buckets.hit(policy, "c")).allowed for _ in range(3)]
        await asyncio.sleep(2.2)
        out += [(await buckets.hit(policy, "c")).allowed for _ in range(2)]
        await buckets.close()
        return out

    assert asyncio.run(run()) == [True, True, False, True, False]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("120/minute", (120, 60.0)), ("10/5 seconds", (10, 5.0)), (" 3 / hour ", (3, 3600.0))],
)
def test_rates_parse(text: str, parsed: tuple[int, float]) -> None:
    assert parse_rate(text) == parsed


@pytest.mark.parametrize("text", ["", "120", "0/minute", "5/0 minutes", "5/fortnight", "-1/s"])
def test_a_bad_rate_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="is not a rate"):
        Settings(database_url="sqlite://", rate_limit_search=text)


@pytest.fixture
def limited(database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Makes a client whose limits are on, with chosen rates."""
    opened: list[TestClient] = []

    def make(**rates: Any) -> TestClient:
        app = create_app(Settings(database_url=database_url, rate_limits_enabled=True, **rates))
        client = TestClient(app).__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


def _assert_refused(response: Any, bucket: str, capacity: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429 and body["type"] == "/problems/rate-limited"
    assert f"'{bucket}' limit of {capacity} requests" in body["detail"]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-policy"] == f'"{bucket}";q={capacity};w=3600'
    assert response.headers["ratelimit"].startswith(f'"{bucket}";r=0;t=')
    assert response.headers["x-request-id"]


def test_search_is_limited_per_client_and_says_so(limited: Callable[..., TestClient]) -> None:
    client = limited(rate_limit_search="3/hour")
    answers = [client.get("/search", params={"q": "美国"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.headers["ratelimit"].split(";")[1] for r in answers] == ["r=2", "r=1", "r=0"]
    assert answers[0].headers["ratelimit-policy"] == '"search";q=3;w=3600'
    _assert_refused(client.get("/search", params={"q": "美国"}), "search", 3)
    # The search feeds draw from the same bucket.
    _assert_refused(client.get("/feeds/search.atom", params={"q": "美国"}), "search", 3)
    # Reads of articles are never limited, and carry no limit fields.
    for _ in range(10):
        r = client.get("/articles")
        assert r.status_code == 200 and "ratelimit" not in r.headers


def test_the_feed_is_limited_with_documents_only(limited: Callable[..., TestClient]) -> None:
    client = limited(rate_limit_changes="2/hour", rate_limit_export="1/hour")
    for _ in range(5):
        assert client.get("/changes").status_code == 200
        assert client.get("/changes", params={"include_docs": "false"}).status_code == 200
    docs = [client.get("/changes", params={"include_docs": "true"}) for _ in range(3)]
    assert [r.status_code for r in docs[:2]] == [200, 200]
    _assert_refused(docs[2], "changes", 2)
    assert client.get("/export").status_code == 200
    _assert_refused(client.get("/export"), "export", 1)


def test_writes_are_limited_per_token_before_the_body_is_read(
    limited: Callable[..., TestClient], engine: Any
) -> None:
    client = limited(rate_limit_write="2/hour")
    anna = {"Authorization": f"Bearer {make_token(engine, 'anna', ['write'])}"}
    ben = {"Authorization": f"Bearer {make_token(engine, 'ben', ['write'])}"}
    for n in (1, 2):
        r = client.put(
            f"/articles/gnews-{n}",
            params={"path": gnews_path(n)},
            content=article_bytes(n),
            headers={**anna, "Content-Type": "text/markdown"},
        )
        assert r.status_code in (200, 201), r.text
    before = dump_store(engine)
    refused = client.put(
        "/articles/gnews-3",
        params={"path": gnews_path(3)},
        content=article_bytes(3),
        headers={**anna, "Content-Type": "text/markdown"},
    )
    _assert_refused(refused, "write", 2)
    assert client.delete("/articles/gnews-1", headers=anna).status_code == 429
    assert dump_store(engine) == before  # refused writes changed nothing
    # Another token has its own bucket; no token at all is the address's bucket, then 401.
    assert client.delete("/articles/gnews-1", headers=ben).status_code == 204
    assert client.delete("/articles/gnews-2").status_code == 401


def test_an_unlimited_token_is_never_limited(
    limited: Callable[..., TestClient], engine: Any
) -> None:
    client = limited(rate_limit_search="1/hour")
    free = {"Authorization": f"Bearer {make_token(engine, 'mirror', ['read', 'unlimited'])}"}
    for _ in range(5):
        r = client.get("/search", params={"q": "美国"}, headers=free)
        assert r.status_code == 200 and "ratelimit" not in r.headers
    # A made-up token is no way around the limit: it counts as the caller's address.
    fake = {"Authorization": "Bearer corpus_made-up"}
    assert client.get("/search", params={"q": "美国"}, headers=fake).status_code == 200
    assert client.get("/search", params={"q": "美国"}).status_code == 429


def test_off_means_off(client: TestClient) -> None:
    for _ in range(200):
        r = client.get("/search", params={"q": "美国"})
        assert r.status_code == 200 and "ratelimit" not in r.headers


def test_every_limited_operation_documents_its_429() -> None:
    spec = create_app(Settings(database_url="sqlite://", rate_limits_enabled=False)).openapi()
    limited = {
        ("get", "/search"),
        ("get", "/feeds/search.atom"),
        ("get", "/feeds/search.json"),
        ("get", "/changes"),
        ("get", "/export"),
        ("post", "/articles"),
        ("put", "/articles/{id}"),
        ("delete", "/articles/{id}"),
    }
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            has = "429" in operation["responses"]
            assert has == ((method, path) in limited), (method, path)
            if has:
                assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(
                    operation["responses"]["429"]["headers"]
                )
