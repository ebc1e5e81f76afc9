"""openapi/openapi.json as the tools of a client developer take it: Redocly's linter, the
openapi-typescript + openapi-fetch pair (type-checked by tsc), openapi-python-client.

The tools come from npm and PyPI at pinned versions into a temporary folder (nothing is
committed but the usage script). Without npm the test skips, except under CI=true, where a
skip would hide a broken spec: it fails.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "openapi.json"
USAGE = Path(__file__).resolve().parent / "spec_clients"
PYTHON_CLIENT_CONFIG = ROOT / "openapi" / "openapi-python-client.yaml"
IN_CI = os.environ.get("CI", "").lower() == "true"

NPM_PACKAGES = (
    "@redocly/cli@2.77.0",
    "openapi-typescript@7.13.0",
    "openapi-fetch@0.17.0",
    "typescript@5.9.3",  # openapi-typescript needs TypeScript's JS API, which 7.x no longer has
)
PYTHON_CLIENT = "openapi-python-client==0.29.1"
# The problems Redocly is told to ignore (.redocly.lint-ignore.yaml says why).
IGNORED_LINT_PROBLEMS = 4  # /metrics joined /healthz, /readyz and /changes/digest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spec_clients")]


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


@pytest.fixture(scope="module")
def node_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the npm tools installed (node_modules/.bin) and the usage script."""
    if shutil.which("npm") is None:
        if IN_CI:
            pytest.fail("npm is not installed: the spec's client checks cannot run")
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("spec-clients")
    for name in ("usage.ts", "tsconfig.json"):
        shutil.copy(USAGE / name, folder / name)
    (folder / "package.json").write_text('{"private": true}')
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES]
    installed = _run(npm, folder)
    assert installed.returncode == 0, installed.stderr
    return folder


def test_redocly_lint_has_no_error_and_no_warning(node_tools: Path) -> None:
    redocly = node_tools / "node_modules" / ".bin" / "redocly"
    lint = _run([str(redocly), "lint", "openapi/openapi.json", "--format", "json"], ROOT)
    report = json.loads(lint.stdout)
    problems = [f"{p['ruleId']}: {p['message']}" for p in report["problems"]]
    assert report["totals"]["errors"] == 0, problems
    assert report["totals"]["warnings"] == 0, problems
    assert report["totals"]["ignored"] == IGNORED_LINT_PROBLEMS
    assert lint.returncode == 0


def _typescript(folder: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = folder / "node_modules" / ".bin"
    types = _run([str(bin_dir / "openapi-typescript"), str(SPEC), "-o", "api.ts"], folder)
    assert types.returncode == 0, types.stderr
    return _run([str(bin_dir / "tsc"), "-p", "."], folder)


def test_typescript_usage_type_checks_against_openapi_typescript(node_tools: Path) -> None:
    checked = _typescript(node_tools)
    assert checked.returncode == 0, checked.stdout


def test_the_typescript_check_fails_on_a_wrong_use(node_tools: Path, tmp_path: Path) -> None:
    # A 422 read as FastAPI's HTTPValidationError (detail a list) must not type-check.
    wrong = tmp_path / "wrong"
    shutil.copytree(node_tools, wrong, symlinks=True)
    usage = (wrong / "usage.ts").read_text()
    (wrong / "usage.ts").write_text(usage.replace("problem.detail.trim()", "problem.detail[0].msg"))
    checked = _typescript(wrong)
    assert checked.returncode != 0
    assert "usage.ts" in checked.stdout


def test_openapi_python_client_generates_without_a_warning(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    assert created.returncode == 0, created.stderr
    pip = _run([str(venv / "bin" / "pip"), "install", "--quiet", PYTHON_CLIENT], tmp_path)
    assert pip.returncode == 0, pip.stderr
    generate = [
        str(venv / "bin" / "openapi-python-client"),
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(PYTHON_CLIENT_CONFIG),
    ]
    # Its post-hooks format the client with ruff: the project's own (dev extras).
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    generated = _run(generate, tmp_path, PATH=path)
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    api = tmp_path / "article-archive-api-client" / "article_archive_api_client" / "api"
    # Every operation made it into the client, PUT (a markdown body) included.
    assert (api / "writes" / "put_article.py").exists()
    assert (api / "feeds" / "articles_json_feed.py").exists()
