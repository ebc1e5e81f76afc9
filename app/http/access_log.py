"""Request ids and one structured (JSON) access-log line per request, on logger ``app.access``;
the app's other log lines carry the id of the request they were written for."""

import json
import logging
import random
import re
import sys
import time
from contextvars import ContextVar
from typing import TextIO

from starlette.types import Scope

from app.metrics import ROUTE_TEMPLATE_KEY, observe_request

log = logging.getLogger("app.access")
# One encoder for every access line: ``json.dumps`` with options builds a new one per call.
_ACCESS_LINE = json.JSONEncoder(ensure_ascii=False)
REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed only when it is short, printable ASCII: it goes into logs and headers.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_from(given: str | None) -> str:
    """The client's X-Request-ID when it is safe to echo, else a new one."""
    if given and _SAFE_ID.match(given):
        return given
    # 32 hex digits like uuid4().hex, without a system call: an id must be unique, not secret
    # (``random`` reseeds in every forked worker).
    return f"{random.getrandbits(128):032x}"


# The request being answered, for every log line written while it is (see JsonLines).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class JsonLines(logging.Formatter):
    """One JSON object a line: the access line as it is, any other with its request id."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == log.name:
            return record.getMessage()
        line = {
            "event": "log",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def stamp_request_id(record: logging.LogRecord) -> bool:
    """A handler filter: notes the current request's id on the record, when it is written."""
    record.request_id = current_request_id.get()
    return True


def json_log_handler(stream: TextIO) -> logging.Handler:
    """A handler writing ``JsonLines`` to ``stream``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(stamp_request_id)
    return handler


def ensure_access_handler() -> None:
    """Print the app's log lines (``app.*``) as JSON on stderr when nothing else shows them."""
    app_log = logging.getLogger("app")
    if not app_log.handlers and not logging.getLogger().handlers:
        app_log.addHandler(json_log_handler(sys.stderr))
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


def log_request(
    scope: Scope,
    request_id: str,
    user_agent: str | None,
    status: int,
    sent: int,
    started: float,
) -> None:
    """Counts the answered request in the metrics and writes its access line."""
    seconds = time.perf_counter() - started
    route = scope.get("route")  # set by the router when a route matched
    template = getattr(route, "path", None) or scope.get(ROUTE_TEMPLATE_KEY)
    observe_request(scope["method"], template, status, seconds)
    if not log.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    line = _ACCESS_LINE.encode(
        {
            "event": "request",
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": status,
            "bytes": sent,
            "duration_ms": round(seconds * 1000, 3),
            "client": client[0] if client else None,
            "user_agent": user_agent,
        }
    )
    # ``log.info`` without its search of the stack for the caller: the line says where it is.
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None, "log_request"))
