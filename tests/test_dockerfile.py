"""What can be checked of the Dockerfile without a Docker engine."""

import json
import re
import shlex
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _all(keyword: str) -> list[str]:
    return [rest for kw, rest in instructions() if kw == keyword]


def test_base_image_is_slim_python() -> None:
    (base,) = _all("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"


def test_runs_as_a_non_root_user() -> None:
    users = _all("USER")
    assert users and users[-1] not in ("root", "0", "0:0")
    assert any("useradd" in run and users[-1] in run for run in _all("RUN"))


def test_installs_this_package_from_pyproject() -> None:
    runs = _all("RUN")
    assert any(re.search(r"\bpip install (--[\w-]+ )*\.(\s|$)", run) for run in runs)
    copied = " ".join(_all("COPY"))
    assert "pyproject.toml" in copied and "app" in copied
    # The console script the CMD runs is the one pyproject declares.
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["corpus"] == "app.cli:main"


def test_every_copied_file_exists_and_migrations_are_copied() -> None:
    sources = []
    for rest in _all("COPY"):
        parts = shlex.split(rest)
        sources += [p for p in parts[:-1] if not p.startswith("--")]
    assert {"alembic.ini", "migrations"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert not set(sources) & set(ignored)


def test_health_check_hits_healthz_without_curl() -> None:
    (check,) = _all("HEALTHCHECK")
    assert "/healthz" in check and "curl" not in check
    command = json.loads(check[check.index("CMD") + 3 :].strip())
    assert command[0] == "python" and "urllib" in command[2]


def test_cmd_runs_corpus_serve_which_migrates_first() -> None:
    (cmd,) = _all("CMD")
    assert json.loads(cmd)[:2] == ["corpus", "serve"]
    assert "--host" in json.loads(cmd) and "0.0.0.0" in json.loads(cmd)
    cli = (REPO / "app" / "cli.py").read_text(encoding="utf-8")
    serve = cli[cli.index("def serve(") :]
    assert serve.index("upgrade_to_head") < serve.index("uvicorn.run")
