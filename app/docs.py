"""``/docs`` (Swagger UI) and ``/redoc`` served with no network: their assets come from the
``fastapi-offline`` package's files, served by this app under ``/docs-assets``."""

import base64
import hashlib
import re
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
_INLINE = re.compile(rb"<(script|style)>(.*?)</\1>", re.DOTALL)
# Everything from this service only: no other host, no plugins, no framing, no forms.
_BASE_POLICY = (
    "default-src 'none'; connect-src 'self'; img-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)


def content_security_policy(page: bytes, *, runtime_styles: bool = False) -> str:
    """A strict CSP for ``page``: its own inline scripts and styles by hash, else 'self' only.

    ``runtime_styles``: ReDoc's styled-components insert ``<style>`` elements as it renders,
    which no hash can name; it needs ``'unsafe-inline'`` styles (never scripts) and a
    ``blob:`` worker for its search.
    """
    hashes: dict[bytes, list[str]] = {b"script": [], b"style": []}
    for kind, body in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    script = " ".join(["'self'", *hashes[b"script"]])
    style = "'self' 'unsafe-inline'" if runtime_styles else " ".join(["'self'", *hashes[b"style"]])
    policy = f"{_BASE_POLICY}; script-src {script}; style-src {style}"
    return policy + ("; worker-src blob:" if runtime_styles else "")


def _with_policy(page: HTMLResponse, *, runtime_styles: bool = False) -> Callable[[], HTMLResponse]:
    """The page, rendered once, served with its policy (a new response each time: the
    middleware add headers to the one they are given)."""
    body = bytes(page.body)
    policy = content_security_policy(body, runtime_styles=runtime_styles)
    return lambda: HTMLResponse(body, headers={"Content-Security-Policy": policy})


def install_docs(app: FastAPI) -> None:
    """Serves Swagger UI at /docs and ReDoc at /redoc from local files (no CDN, no fonts)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    swagger_page = _with_policy(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would otherwise send the spec to an online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc_page = _with_policy(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        ),
        runtime_styles=True,
    )

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return swagger_page()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return redoc_page()
