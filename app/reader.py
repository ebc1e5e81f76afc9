"""The reading page at ``/``: one HTML page, one JS module and one stylesheet from ``app/static``.

The page reads everything through the public API (``/articles``, ``/tags``, ``/search``,
``/articles/{id}``); this module only serves its files. Nothing comes from another host.
"""

import hashlib
from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.identity import COLLECTIONS

ASSETS_PATH = "/reader-assets"
ASSETS_DIR = Path(str(files("app") / "static" / "reader"))
# Only this origin, no inline script or style, no plugins, no framing, no <base> rewrites.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The page is tiny and names its assets by content hash: revalidate it, cache those.
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def asset_url(name: str) -> str:
    """The URL of one asset, versioned by its content so a new release is never served stale."""
    digest = hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{ASSETS_PATH}/{name}?v={digest}"


def render_page() -> str:
    """The page's HTML: the template with its asset URLs and the corpus's collections."""
    options = "".join(
        f'<option value="{escape(name)}">{escape(name)}</option>' for name in COLLECTIONS
    )
    return (
        (ASSETS_DIR / "index.html")
        .read_text(encoding="utf-8")
        .replace("{{collections}}", options)
        .replace("{{reader.css}}", asset_url("reader.css"))
        .replace("{{reader.js}}", asset_url("reader.js"))
        .replace("{{icon.svg}}", asset_url("icon.svg"))
    )


def install_reader(app: FastAPI) -> None:
    """Serves the reading page at / and its assets under /reader-assets (not in the spec)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="reader-assets")
    page = render_page().encode()

    @app.get("/", include_in_schema=False)
    def reading_page() -> HTMLResponse:
        return HTMLResponse(page, headers=PAGE_HEADERS)
