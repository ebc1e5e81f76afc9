"""``/metrics``: Prometheus text with requests by route and status, latency, pool, feed, ingest."""

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from writes.articles import article_bytes, gnews_path, tar_archive
from writes.store import make_token

from app.config import Settings
from app.main import create_app

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    """Every sample of one scrape, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _requests(samples: Samples, route: str, status: str) -> float:
    key = ("corpus_http_requests_total", (("method", "GET"), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


def _latency_count(samples: Samples, route: str) -> float:
    key = ("corpus_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
    return samples.get(key, 0.0)


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    before = scrape(client)  # counters are the process's: compare with a scrape before
    for n in range(3):
        assert client.get(f"/articles/gnews-{n}").status_code == 404
    assert client.get("/articles").status_code == 200
    assert client.get("/no/such/route/42").status_code == 404
    after = scrape(client)
    assert (
        _requests(after, "/articles/{id}", "404") - _requests(before, "/articles/{id}", "404") == 3
    )
    assert _requests(after, "/articles", "200") - _requests(before, "/articles", "200") == 1
    # Unknown paths share one label value: a scan of random URLs cannot grow the series.
    assert _requests(after, "unmatched", "404") - _requests(before, "unmatched", "404") == 1
    assert not any("/no/such" in str(labels) for _, labels in after)
    assert _latency_count(after, "/articles/{id}") - _latency_count(before, "/articles/{id}") == 3
    assert after[("corpus_db_pool_connections_in_use", ())] >= 0


def test_feed_seq_articles_and_ingest_counts(client: TestClient, engine: Engine) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine, 'editor', ['write'])}"}
    before = scrape(client)
    assert before[("corpus_database_up", ())] == 1
    assert before[("corpus_change_feed_last_seq", ())] == 0
    assert before[("corpus_articles", ())] == 0
    archive = tar_archive((gnews_path(n), article_bytes(n)) for n in (1, 2, 3))
    r = client.post("/articles", headers=auth, files=[("file", ("a.tar.gz", archive))])
    assert r.status_code == 200, r.text
    after = scrape(client)
    assert after[("corpus_change_feed_last_seq", ())] == 3
    assert after[("corpus_articles", ())] == 3
    added = ("corpus_ingest_files_total", (("outcome", "added"),))
    assert after[added] - before.get(added, 0.0) == 3


def test_a_refused_request_is_counted_under_its_route(database_url: str) -> None:
    limited = Settings(database_url=database_url, rate_limit_search="1/hour")
    with TestClient(create_app(limited)) as client:
        before = scrape(client)
        statuses = [client.get("/search", params={"q": "美国"}).status_code for _ in range(3)]
        assert statuses == [200, 429, 429]
        after = scrape(client)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
    assert _requests(after, "/search", "429") - _requests(before, "/search", "429") == 2
    assert _requests(after, "/search", "200") - _requests(before, "/search", "200") == 1


def test_metrics_answer_while_the_database_is_unreachable(tmp_path: Path) -> None:
    gone = Settings(database_url=f"sqlite:///{tmp_path / 'no-such-folder' / 'corpus.db'}")
    with TestClient(create_app(gone)) as client:
        samples = scrape(client)
    assert samples[("corpus_database_up", ())] == 0
    assert ("corpus_change_feed_last_seq", ()) not in samples
    assert any(name == "corpus_http_requests_total" for name, _ in samples)
