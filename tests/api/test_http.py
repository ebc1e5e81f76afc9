"""HTTP behaviour: ETag/304 on every GET, Cache-Control, gzip, CORS, request ids, access log."""

import gzip
import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from api.conftest import Archive
from api.factory import ArticleSpec, add_articles
from app.http.access_log import json_log_handler

READ_URLS = [
    "/articles",
    "/articles?tag=美国&limit=3&fields=title",
    "/articles/gnews-0003",
    "/tags",
    "/tags/美国/articles",
]
OTHER_GET_URLS = ["/healthz", "/readyz", "/openapi.json", "/docs", "/redoc"]


# Other engineers' GET routes, with the parameters they need, checked when the app has them.
# (/export streams the whole archive: too big to hash before sending, so it has no ETag.)
OPTIONAL_GET_URLS = {
    "/changes": "/changes?since=0",
    "/changes/digest": "/changes/digest",
    "/search": "/search?q=美国",
}


def _get_urls(client: TestClient) -> list[str]:
    """Our read URLs, health, spec and docs, and the optional routes the app has."""
    paths = client.get("/openapi.json").json()["paths"]
    present = [url for path, url in OPTIONAL_GET_URLS.items() if "get" in paths.get(path, {})]
    return READ_URLS + OTHER_GET_URLS + present


def test_every_get_endpoint_answers_304_to_its_current_etag(
    client: TestClient, archive: Archive
) -> None:
    for url in _get_urls(client):
        first = client.get(url)
        assert first.status_code == 200, (url, first.text)
        etag = first.headers.get("etag")
        assert etag and etag.startswith('"') and not etag.startswith("W/"), url
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.content == b"", url
        assert again.headers["etag"] == etag, url
        # a list of tags, and a stale tag, are handled as RFC 9110 says
        assert client.get(url, headers={"If-None-Match": f'"old", {etag}'}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"old"'}).status_code == 200


def test_etags_change_when_content_changes(client: TestClient, archive: Archive) -> None:
    before = {url: client.get(url).headers["etag"] for url in READ_URLS}
    add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [ArticleSpec(id="gnews-9999", published_at=None, tags=[("美国", "entity")])],
    )
    after = {url: client.get(url).headers["etag"] for url in READ_URLS}
    # the new article is undated: it lands on the last page of /articles, not the first
    assert after["/articles"] == before["/articles"]
    assert after["/articles/gnews-0003"] == before["/articles/gnews-0003"]
    assert after["/tags"] != before["/tags"]  # count of 美国 went up
    new_last = client.get("/articles", params={"sort": "published_at", "limit": 1})
    assert new_last.json()["items"][0]["id"] == "article-x"
    stale = client.get(
        "/articles?tag=美国&limit=3&fields=title",
        headers={"If-None-Match": before["/articles?tag=美国&limit=3&fields=title"]},
    )
    assert stale.status_code == 304  # its first page holds the same articles


def test_cache_control_suits_each_resource(client: TestClient, archive: Archive) -> None:
    assert client.get("/articles/gnews-0003").headers["cache-control"] == "public, max-age=300"
    for url in ("/articles", "/tags", "/tags/美国/articles"):
        assert client.get(url).headers["cache-control"] == "public, max-age=30"
    assert (
        client.get(
            "/articles/gnews-0003",
            headers={"If-None-Match": client.get("/articles/gnews-0003").headers["etag"]},
        ).headers["cache-control"]
        == "public, max-age=300"
    )


def test_gzip_over_1_kib_when_accepted(client: TestClient, archive: Archive) -> None:
    big = client.get("/articles/gnews-0003", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in big.headers["vary"]
    assert big.json()["id"] == "gnews-0003"  # httpx decoded it
    raw = client.get("/articles/gnews-0003", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(raw.content) > 1024
    small = client.get(
        "/articles", params={"limit": 1, "fields": "title"}, headers={"Accept-Encoding": "gzip"}
    )
    assert len(small.content) < 1024 and "content-encoding" not in small.headers
    # the bytes on the wire are gzip
    with client.stream("GET", "/articles/gnews-0003", headers={"Accept-Encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert json.loads(gzip.decompress(wire))["id"] == "gnews-0003"


def test_cors_for_get_from_any_origin(client: TestClient, archive: Archive) -> None:
    r = client.get("/articles", headers={"Origin": "https://reader.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "link", "x-request-id"} <= exposed
    pre = client.options(
        "/articles",
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert pre.status_code == 200
    assert "GET" in pre.headers["access-control-allow-methods"]


def test_a_response_without_origin_still_varies_on_origin(
    client: TestClient, archive: Archive
) -> None:
    # A cache must not serve a copy made for no Origin to a cross-origin reader, or back.
    plain = client.get("/articles/gnews-0003", headers={"Accept-Encoding": "gzip"})
    assert "access-control-allow-origin" not in plain.headers
    vary = {v.strip() for v in plain.headers["vary"].split(",")}
    assert {"Origin", "Accept-Encoding"} <= vary
    crossed = client.get("/articles/gnews-0003", headers={"Origin": "https://reader.example"})
    assert crossed.headers["access-control-allow-origin"] == "*"


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert unsafe.headers["x-request-id"] != "a b\tc"
    problem = client.get("/articles/nope", headers={"X-Request-ID": "r-404"})
    assert problem.headers["x-request-id"] == "r-404"


def test_one_json_access_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/articles?limit=2", headers={"X-Request-ID": "log-1"})
        client.get("/articles/nope", headers={"X-Request-ID": "log-2"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "app.access"]
    assert [(line["request_id"], line["status"], line["path"]) for line in lines] == [
        ("log-1", 200, "/articles"),
        ("log-2", 404, "/articles/nope"),
    ]
    assert lines[0]["method"] == "GET" and lines[0]["query"] == "limit=2"
    assert lines[0]["duration_ms"] >= 0 and lines[0]["bytes"] > 0


def test_docs_pages_name_no_outside_host(client: TestClient) -> None:
    for url in ("/docs", "/redoc"):
        html = client.get(url).text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        for asset in [part.split('"')[0] for part in html.split('src="')[1:]] + [
            part.split('"')[0] for part in html.split('href="')[1:]
        ]:
            assert asset.startswith("/docs-assets/"), asset
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 1000, asset


def test_cors_origins_come_from_settings(database_url: str) -> None:
    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(database_url=database_url, cors_origins=["https://reader.example"]))
    with TestClient(app) as c:
        allowed = c.get("/healthz", headers={"Origin": "https://reader.example"})
        other = c.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    app.state.engine.dispose()
    assert allowed.headers["access-control-allow-origin"] == "https://reader.example"
    assert "access-control-allow-origin" not in other.headers


def test_the_apps_other_log_lines_carry_the_request_id(client: TestClient) -> None:
    out = io.StringIO()
    handler = json_log_handler(out)
    auth_log = logging.getLogger("app.auth")
    auth_log.addHandler(handler)
    try:
        refused = client.delete("/articles/gnews-1", headers={"X-Request-ID": "req-42.a"})
    finally:
        auth_log.removeHandler(handler)
    assert refused.status_code == 401
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["logger"], x["level"], x["request_id"]) for x in lines] == [
        ("app.auth", "WARNING", "req-42.a")
    ]
    assert "write refused: no bearer token" in lines[0]["message"]
