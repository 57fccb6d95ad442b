"""``/docs``: Swagger UI served from the installed ``swagger_ui_bundle`` package, not a CDN,
so an offline studio's API docs work; its one inline script is allowed by its hash."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_assets_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def docs_csp(html: str) -> str:
    """The page's CSP: our own files, plus each inline script of the page by its SHA-256."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' {hashes}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ))


def mount_api_docs(app: FastAPI, *, openapi_url: str, title: str, docs_url: str = "/docs") -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_assets_dir()), name="docs-assets")
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{title} - API docs",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
    )
    html = bytes(page.body).decode()
    headers = {"Content-Security-Policy": docs_csp(html)}

    @app.get(docs_url, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
