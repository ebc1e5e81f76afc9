"""A throwaway PostgreSQL cluster of the test's own, on a free port: stopped, paused, restarted.

Fault tests must never stop or pause the shared server, so each one initdb's a cluster in a
temporary folder (as the ``postgres`` user when run as root, since the server refuses to run
as root), starts it on a free loopback port with its socket in that folder, and stops it at
the end. ``replica()`` makes a streaming standby of it with ``pg_basebackup -R`` on another
port, for tests of reads sent to a replica.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
from mirror.processes import free_port, wait_for

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
START_TIMEOUT_S = 60.0


def postgres_bin(name: str) -> str:
    """The path of a PostgreSQL server program (initdb, pg_ctl, ...), newest version first."""
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"PostgreSQL's {name} not found (apt-get install postgresql)")
    return found


def _as_owner(args: list[str]) -> list[str]:
    # The server refuses to run as root; the cluster's files belong to `postgres` then.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PgCluster:
    """One PostgreSQL cluster in ``folder``, listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.port = port or free_port()
        self.log = folder / "server.log"

    @property
    def admin_url(self) -> str:
        """A libpq URL of the ``postgres`` database, for setup statements."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str = "corpus") -> str:
        """The SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
            os.chmod(self.folder, 0o755)

    def init(self) -> "PgCluster":
        """Creates the cluster's files (trust authentication for local connections)."""
        self._prepare_folder()
        subprocess.run(
            _as_owner(
                [
                    postgres_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale",
                    "C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            # Small and quick: a test cluster needs no durability across a machine crash.
            conf.write("fsync = off\nshared_buffers = 32MB\nmax_connections = 40\n")
            conf.write("wal_level = replica\nmax_wal_senders = 4\n")
        return self

    def start(self) -> "PgCluster":
        """Starts the server and waits until it accepts connections."""
        subprocess.run(
            _as_owner(
                [
                    postgres_bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    f"-p {self.port} -k {self.socket_dir} -h 127.0.0.1",
                    "-w",
                    "-t",
                    str(int(START_TIMEOUT_S)),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        wait_for(self.accepts, timeout=START_TIMEOUT_S, what=f"cluster on port {self.port}")
        return self

    def accepts(self) -> bool:
        """Whether the server answers a connection now."""
        try:
            with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def stop(self, mode: str = "fast") -> None:
        """Stops the server (``immediate``: like a crash); a stopped one is left as it is."""
        if not (self.data / "postmaster.pid").exists():
            return
        self.resume()  # a paused server cannot shut down
        subprocess.run(
            _as_owner([postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=False,
            capture_output=True,
        )

    def create_database(self, name: str = "corpus") -> str:
        """Creates database ``name`` and returns its SQLAlchemy URL."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _postmaster(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def _children(self, postmaster: int) -> list[int]:
        """Every process the postmaster forked (backends, checkpointer, ...)."""
        found = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def pids(self) -> list[int]:
        """The postmaster's process id and its children's (empty when the server is down)."""
        postmaster = self._postmaster()
        return [] if postmaster is None else [postmaster, *self._children(postmaster)]

    def pause(self) -> None:
        """SIGSTOPs the server and all its processes: a hung database whose kernel still ACKs."""
        postmaster = self._postmaster()
        if postmaster is None:
            return
        # The postmaster first: stopped, it forks no new backend that the list below misses.
        os.kill(postmaster, signal.SIGSTOP)
        for pid in self._children(postmaster):
            with contextlib.suppress(ProcessLookupError):  # a backend that exited meanwhile
                os.kill(pid, signal.SIGSTOP)
        # A signal is delivered when the process is next scheduled: on a loaded machine a
        # backend may still answer for a moment after kill() returned.
        wait_for(lambda: self.states() == {"T"}, timeout=START_TIMEOUT_S, what="the pause")

    def resume(self) -> None:
        """SIGCONTs what ``pause`` stopped."""
        postmaster = self._postmaster()
        if postmaster is None:
            return
        for pid in [*self._children(postmaster), postmaster]:
            with contextlib.suppress(ProcessLookupError):  # a backend that exited meanwhile
                os.kill(pid, signal.SIGCONT)
        wait_for(lambda: "T" not in self.states(), timeout=START_TIMEOUT_S, what="the resume")

    def states(self) -> set[str]:
        """The scheduler states of the server's live processes (``T``: stopped by a signal).

        Zombies (``Z``) are left out: a backend that exited while the postmaster was stopped
        stays one until the postmaster runs again and reaps it.
        """
        found = set()
        for pid in self.pids():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # exited meanwhile
                found.add(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0])
        return found - {"Z"}

    def replica(self, folder: Path) -> "PgCluster":
        """A streaming standby of this cluster (``pg_basebackup -R``), started on its own port."""
        standby = PgCluster(folder)
        standby._prepare_folder()
        subprocess.run(
            _as_owner(
                [
                    postgres_bin("pg_basebackup"),
                    "-D",
                    str(standby.data),
                    "-R",
                    "-X",
                    "stream",
                    # Not a spread checkpoint: that one waits out most of checkpoint_timeout.
                    "--checkpoint=fast",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ]
            ),
            check=True,
            capture_output=True,
        )
        return standby.start()

    def remove(self) -> None:
        """Stops the server at once and deletes its files."""
        self.stop("immediate")
        deadline = time.monotonic() + 10
        while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
