"""The built wheel on its own: it carries every module and migration, and ``corpus`` runs from /.

The wheel is built from a copy of the files the Dockerfile copies (never from the work tree,
whose ``build/`` folder may hold modules that no longer exist), installed into a fresh venv
whose only other packages are this venv's dependencies, and started from ``/`` so nothing can
come from the source tree or the working folder.
"""

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest
from mirror.processes import START_TIMEOUT_S, free_port, stop, wait_for

from app.migrate import head_revision

REPO = Path(__file__).resolve().parent.parent
# What `pip install .` in the Dockerfile builds from.
BUILD_INPUTS = ("pyproject.toml", "README.md", "app", "migrations")

# One worker builds the wheel once for all three tests (`--dist loadgroup`).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def _run(*args: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from a clean copy of the build inputs."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            skip = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO / name, source / name, ignore=skip)
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    log = _run(sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", out, ".", cwd=source)
    # setuptools' deprecations (e.g. of the license table) say the build stops working one day.
    assert "SetuptoolsDeprecationWarning" not in log, log[-3000:]
    (built,) = out.glob("corpus_api-*.whl")
    return built


@pytest.fixture(scope="module")
def corpus(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``corpus`` script of a fresh venv that has the wheel installed."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    # The dependencies come from this venv (a .pth line adds its site-packages after the new
    # venv's own): installing them afresh from the index would take a minute. A .pth found
    # there is not run, so this venv's editable `app` stays out.
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(purelib.strip(), "corpus_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python]
    _run(*pip, "install", "--no-deps", "--no-index", wheel)
    # Every requirement the wheel declares is met: the same check a full install would make.
    _run(*pip, "check")
    where = _run(python, "-c", "import app; print(app.__file__)", cwd=Path("/"))
    assert Path(where.strip()).is_relative_to(venv), where
    return venv / "bin" / "corpus"


def _installed_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DATABASE_URL=database_url, CORPUS_LOG_LEVEL="WARNING")
    return env


def test_the_wheel_carries_every_module_and_migration(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        shipped = set(z.namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "app").rglob("*.py")}
    migrations = {
        "app/_migrations/" + p.relative_to(REPO / "migrations").as_posix()
        for p in (REPO / "migrations").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert {"app/_migrations/env.py", "app/_migrations/script.py.mako"} <= migrations
    # A package left out of pyproject's list shows here, not in production.
    assert modules - shipped == set()
    assert migrations - shipped == set()


def test_corpus_help_runs_outside_the_source_folder(corpus: Path, tmp_path: Path) -> None:
    out = _run(corpus, "--help", cwd=Path("/"), env=_installed_env(f"sqlite:///{tmp_path}/x.db"))
    assert "serve" in out and "ingest" in out


def test_corpus_serve_migrates_and_answers_from_root(corpus: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = _installed_env(f"sqlite:///{tmp_path / 'corpus.db'}")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [corpus, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd="/",
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"corpus serve exited: {log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(answers, timeout=START_TIMEOUT_S, what=f"{url} to answer")
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        # The installed scripts reach the same head as the source tree's.
        assert ready.json()["schema_revision"] == head_revision()
    finally:
        stop(process)
    # It stopped on SIGTERM (uvicorn re-raises the signal once shut down), not on the kill.
    assert process.returncode in (0, -signal.SIGTERM), log.read_text()[-3000:]
