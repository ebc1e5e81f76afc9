"""The app's HTTP layer (app/http/layer.py): request id + access log, nosniff, HEAD, CORS,
gzip, ETag, outermost first, composed once."""

from fastapi import FastAPI

from app.config import Settings
from app.http.access_log import REQUEST_ID_HEADER, ensure_access_handler
from app.http.compression import Compression
from app.http.hygiene import ProblemCORSMiddleware
from app.http.layer import HttpLayer

GZIP_MINIMUM_BYTES = 1024
# Level 1: a transcript's JSON (~1 MB of UTF-8 Chinese) compresses in a few ms instead of ~100 ms
# at level 9, for a body about 15% larger.
GZIP_LEVEL = 1


def cors_of(settings: Settings) -> ProblemCORSMiddleware:
    """The CORS policy: GET from the configured origins, with the headers a reader needs."""
    return ProblemCORSMiddleware(
        _no_app,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", REQUEST_ID_HEADER],
        expose_headers=["ETag", "Link", REQUEST_ID_HEADER],
        max_age=3600,
    )


async def _no_app(*_: object) -> None:
    raise AssertionError("the HTTP layer asks the CORS policy, it never runs it as an app")


def install_http(app: FastAPI, settings: Settings) -> None:
    """Adds the shared HTTP behaviour to ``app`` (outside every middleware added before)."""
    app.add_middleware(
        HttpLayer,
        cors=cors_of(settings),
        compression=Compression(minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL),
    )
    ensure_access_handler()
