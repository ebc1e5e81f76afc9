"""Fixtures of the fault tests: a PostgreSQL cluster of the test's own, and a service over it."""

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirror.processes import CORPUS, Server, env_for
from sqlalchemy.engine import Engine
from writes.store import make_token

from app.db import make_engine
from app.migrate import upgrade_to_head
from faults.cluster import PgCluster

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "corpus"


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    """A running PostgreSQL cluster on a free port, removed (stopped at once) at the end."""
    # Not pytest's tmp_path: its folders are root's alone, and the server runs as `postgres`.
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="corpus-pg-")))
    try:
        yield cluster.init().start()
    finally:
        cluster.remove()


@pytest.fixture
def cluster_database(pg_cluster: PgCluster) -> Iterator[Engine]:
    """A migrated database on the cluster, holding the example corpus."""
    url = pg_cluster.create_database()
    upgrade_to_head(url)
    subprocess.run(
        [CORPUS, "ingest", str(EXAMPLES), "--workers", "0"],
        env=env_for(url),
        check=True,
        capture_output=True,
    )
    engine = make_engine(url, pool=False)
    yield engine
    engine.dispose()


@pytest.fixture
def cluster_service(cluster_database: Engine, tmp_path: Path) -> Iterator[Server]:
    """A real ``corpus serve`` over the cluster's database, with the default timeouts."""
    url = cluster_database.url.render_as_string(hide_password=False)
    server = Server(url, tmp_path / "serve.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def cluster_token(cluster_database: Engine) -> str:
    """A write token on the cluster's database."""
    return make_token(cluster_database, "editor", ["write"])


@pytest.fixture
def pg_replica(pg_cluster: PgCluster, cluster_database: Engine) -> Iterator[PgCluster]:
    """A streaming replica of ``pg_cluster`` (its database included), removed at the end."""
    replica = pg_cluster.replica(Path(tempfile.mkdtemp(prefix="corpus-pg-replica-")))
    try:
        yield replica
    finally:
        replica.remove()


@pytest.fixture
def replica_service(
    cluster_database: Engine, pg_replica: PgCluster, tmp_path: Path
) -> Iterator[Server]:
    """A real ``corpus serve`` over the cluster's database, reading from its replica."""
    url = cluster_database.url.render_as_string(hide_password=False)
    server = Server(url, tmp_path / "serve.log", env={"DATABASE_READ_URL": pg_replica.url()})
    try:
        yield server.start()
    finally:
        server.stop()
