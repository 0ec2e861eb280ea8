"""The pages a browser loads: the chat page, its icon, and the API docs, all served offline.

- `GET /` is rag/http/web/index.html with the question limit (`RAG_MAX_QUESTION_CHARS`, the one
  POST /api/ask enforces) written into `data-max-question-chars`, so the page counts against it.
- `GET /favicon.ico` is a small SVG (browsers ask for it on every load).
- `GET /docs` (Swagger UI) and `GET /redoc` (ReDoc) load their scripts and styles from the
  `fastapi-offline` package under /docs-assets, never from a CDN; neither page has an inline
  script (Swagger UI starts from /web/swagger-init.js).
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from rag.http.deps import get_state
from rag.http.examples import add_examples

WEB_DIR = Path(__file__).resolve().parent / "web"
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"
LIMIT_ATTRIBUTE = 'data-max-question-chars="1000"'

FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="#1f5fbf"/>
<text x="32" y="46" font-family="Georgia, serif" font-size="40" font-weight="700"
 text-anchor="middle" fill="#ffffff">§</text>
</svg>
"""

PLACEHOLDER = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Press-release questions</title></head><body>
<h1>Press-release questions</h1>
<p>The service is running. Ask with <code>POST /api/ask</code>; see <a href="/docs">/docs</a>.</p>
</body></html>"""

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/favicon.ico" type="image/svg+xml">
  {head}
</head>
<body>
  {body}
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def _page_template() -> str | None:
    page = WEB_DIR / "index.html"
    return page.read_text(encoding="utf-8") if page.is_file() else None


def chat_page(max_question_chars: int) -> str:
    """The chat page with the configured question limit, or a placeholder without rag/http/web."""
    template = _page_template()
    if template is None:
        return PLACEHOLDER
    return template.replace(
        LIMIT_ATTRIBUTE, f'data-max-question-chars="{int(max_question_chars)}"', 1
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return HTMLResponse(chat_page(get_state(request).settings.max_question_chars))


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(
        FAVICON,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _docs_html(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(_DOCS_PAGE.format(title=html.escape(title), head=head, body=body))


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    title = f"{request.app.title} — API docs"
    return _docs_html(
        title,
        f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">',
        '<div id="swagger-ui" data-openapi-url="/openapi.json"></div>\n'
        f'  <script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>\n'
        '  <script src="/web/swagger-init.js"></script>',
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    title = f"{request.app.title} — API reference"
    return _docs_html(
        title,
        "",
        '<redoc spec-url="/openapi.json"></redoc>\n'
        f'  <script src="{ASSETS_URL}/redoc.standalone.js"></script>',
    )


def install(app: FastAPI) -> None:
    """Add the pages and the docs assets to `app` (created with docs_url=redoc_url=None), and
    response examples to its OpenAPI document."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    add_examples(app)
