"""The README's demo examples, pasted as a newcomer would, against `make run`'s data.

`make run` migrates, ingests examples/corpus/ and serves; this does the same in a temporary
folder (a real ``corpus serve`` on loopback) and runs each ``curl`` line of the README's
demo block through bash and the real curl: each must answer 2xx and find something.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from mirror.processes import CORPUS, Server, env_for

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- demo-examples:"
README_BASE = "http://127.0.0.1:8000"


def demo_commands() -> list[str]:
    """The curl lines of the README block that follows the demo marker."""
    text = README.read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r".*?\n```sh\n(.*?)\n```", text, re.S)
    assert block, "the README lost its demo examples block"
    return [line for line in block.group(1).splitlines() if line.startswith("curl ")]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if shutil.which("curl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is not installed (apt-get install curl)")
        pytest.skip("curl is not installed")
    folder = tmp_path_factory.mktemp("demo")
    database_url = f"sqlite:///{folder / 'corpus.db'}"
    for command in (["migrate"], ["ingest", str(ROOT / "examples" / "corpus")]):
        subprocess.run(
            [CORPUS, *command], env=env_for(database_url), check=True, capture_output=True
        )
    server = Server(database_url, folder / "serve.log").start()
    yield server
    server.stop()


def _found(body: bytes, content_type: str) -> int:
    """How many things the answer holds (items, entries, or 1 for an article)."""
    if content_type.startswith("application/atom+xml"):
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        return len(feed.entries)
    data = json.loads(body)
    return len(data["items"]) if "items" in data else int("id" in data)


@pytest.mark.parametrize("command", demo_commands())
def test_each_demo_example_answers_and_finds_something(
    demo_server: Server, command: str, tmp_path: Path
) -> None:
    out = tmp_path / "body"
    local = command.replace(README_BASE, demo_server.url)
    assert local != command, "an example that does not talk to the README's server"
    # Exactly what a person pastes, plus where to put the body and what to print (right
    # after `curl`: a line may end in a comment).
    flags = f"-sS -o {shlex.quote(str(out))} -w '%{{http_code}} %{{content_type}}'"
    run = subprocess.run(
        ["bash", "-c", local.replace("curl ", f"curl {flags} ", 1)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    status, content_type = run.stdout.split(" ", 1)
    assert status.startswith("2"), (command, status, out.read_text())
    assert _found(out.read_bytes(), content_type) > 0, (command, out.read_text()[:500])


def test_the_demo_block_covers_the_kinds_of_example() -> None:
    commands = " ".join(demo_commands())
    for needed in ("/articles/", "/tags/", "/search", "/feeds/", "--data-urlencode"):
        assert needed in commands, needed
