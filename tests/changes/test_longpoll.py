"""feed=longpoll: answers when a change arrives, holding no database connection meanwhile."""

import threading
import time

from api.factory import ArticleSpec
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from changes.feedkit import publish


def test_longpoll_answers_with_the_change_that_arrives_while_waiting(
    client: TestClient, engine: Engine
) -> None:
    publish(engine, ArticleSpec())
    answer: dict[str, object] = {}

    def wait() -> None:
        answer["body"] = client.get(
            "/changes", params={"since": 1, "feed": "longpoll", "timeout": 120}
        ).json()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.6)  # let the request start waiting (not a timing assertion)
    assert waiter.is_alive()
    # While it waits between polls, the app's pool lends out no connection.
    pool = client.app.state.engine.pool  # type: ignore[attr-defined]
    idle_seen = False
    for _ in range(50):
        if pool.checkedout() == 0:
            idle_seen = True
            break
        time.sleep(0.01)
    assert idle_seen
    [new] = publish(engine, ArticleSpec())
    waiter.join(timeout=100)
    assert not waiter.is_alive()
    body = answer["body"]
    assert isinstance(body, dict)
    assert [r["id"] for r in body["results"]] == [new]
    assert body["last_seq"] == 2


def test_longpoll_that_times_out_answers_empty_at_since(client: TestClient, engine: Engine) -> None:
    publish(engine, ArticleSpec())
    body = client.get("/changes", params={"since": 1, "feed": "longpoll", "timeout": 0.3}).json()
    assert body == {"results": [], "last_seq": 1}


def test_longpoll_with_changes_waiting_answers_at_once(client: TestClient, engine: Engine) -> None:
    publish(engine, ArticleSpec(), ArticleSpec())
    body = client.get("/changes", params={"since": 0, "feed": "longpoll", "timeout": 300}).json()
    assert [r["seq"] for r in body["results"]] == [1, 2]
