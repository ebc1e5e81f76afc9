"""/docs and /redoc render in a real headless Chromium with every outside host unreachable."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mirror.processes import free_port, stop
from reading.cdp import headless_chromium, require_chromium

READ_OPERATIONS = ["list_articles", "get_article", "list_tags", "list_tag_articles"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`corpus serve` as a real process on a free loopback port; its base URL."""
    require_chromium()
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    corpus = Path(sys.executable).parent / "corpus"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'corpus.db'}"}
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(corpus), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"corpus serve exited: {(folder / 'serve.log').read_text()}")
            time.sleep(0.1)
        else:
            pytest.fail("corpus serve did not answer /healthz in 30 s")
        yield base
    finally:
        stop(process)
        log.close()


def _rendered_dom(url: str, profile: Path) -> str:
    """The DOM after the page's scripts ran, in headless Chromium that can reach only loopback."""
    result = subprocess.run(
        headless_chromium(profile, "--virtual-time-budget=15000", "--dump-dom", url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_swagger_ui_renders_the_operations(served: str, tmp_path: Path) -> None:
    dom = _rendered_dom(f"{served}/docs", tmp_path / "profile")
    assert 'class="swagger-ui' in dom
    for operation_id in READ_OPERATIONS:
        assert (
            f"operations-articles-{operation_id}" in dom or f"operations-tags-{operation_id}" in dom
        ), operation_id
    for path in ("/articles", "/articles/{id}", "/tags", "/tags/{name}/articles"):
        assert f'data-path="{path}"' in dom, path


def test_redoc_renders_the_operations(served: str, tmp_path: Path) -> None:
    dom = _rendered_dom(f"{served}/redoc", tmp_path / "profile")
    for operation_id in READ_OPERATIONS:
        assert f"operation/{operation_id}" in dom, operation_id
    assert "List articles" in dom
