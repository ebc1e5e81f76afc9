"""A cap on the uploads received at once: each holds a temp folder, disk and a thread."""

from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import ServiceUnavailable

# What a refused client is told to wait before it tries again (seconds).
RETRY_AFTER_S = 10


class UploadSlots:
    """At most ``size`` uploads at once in this process; one more is a 503 at once.

    Taken and given back on the event loop only (the upload route is ``async``), so a
    plain counter needs no lock.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Holds one slot for the ``with`` block; ``ServiceUnavailable`` when none is free."""
        if self.taken >= self.size:
            raise ServiceUnavailable(
                f"{self.size} uploads are being received already; send yours again later",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        self.taken += 1
        try:
            yield
        finally:
            self.taken -= 1
