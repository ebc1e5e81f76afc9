"""The supervisor of ``corpus serve --workers N``: uvicorn's, plus the metrics of dead workers.

prometheus-client keeps each worker's samples in files named by its pid; a live-only gauge
(the pool's connections in use, ``livesum``) drops a worker's file only when told the
worker died. uvicorn's supervisor reaps and replaces a worker that exited or was killed
(SIGKILL, the OOM killer), so this one tells prometheus-client when it does.
"""

import os

from prometheus_client import multiprocess
from uvicorn.supervisors import Multiprocess

from app.metrics import MULTIPROC_ENV


class WorkerSupervisor(Multiprocess):
    """uvicorn's ``Multiprocess``, marking every worker it replaces dead for the metrics."""

    def keep_subprocess_alive(self) -> None:
        """Replaces dead or hung workers (uvicorn), then drops their live-only samples."""
        before = self._pids()
        super().keep_subprocess_alive()
        self._forget(before - self._pids())

    def restart_all(self) -> None:
        """Replaces every worker (SIGHUP), then drops the retired ones' live-only samples."""
        before = self._pids()
        super().restart_all()
        self._forget(before - self._pids())

    def _pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid is not None}

    def _forget(self, pids: set[int]) -> None:
        if os.environ.get(MULTIPROC_ENV):
            for pid in pids:
                multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
