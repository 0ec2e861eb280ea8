"""Request guards that run before any route: body size and time limits, cross-site writes,
OPTIONS, and the security headers every response carries.

- Bodies: a declared `Content-Length` over the limit is refused (413) without reading a byte;
  otherwise the body is read here, counting, and refused as soon as it passes the limit
  (chunked bodies included) or when it takes longer than `RAG_BODY_TIMEOUT` (408). The route
  then reads the buffered copy. Document uploads get `RAG_MAX_UPLOAD_BYTES` (plus multipart
  framing); every other request `RAG_MAX_BODY_BYTES`.
- Writes (POST/PUT/PATCH/DELETE under /api/documents and /api/jobs) from a browser page on
  another origin are refused (403): the `Origin` header must name this service (its `Host`) or
  one of `RAG_ALLOWED_ORIGINS`, and `Sec-Fetch-Site: cross-site` is refused likewise. Clients
  that send neither (curl, scripts, the `openai` client) are not affected.
- `OPTIONS` on a known path answers 204 with every method the path has in `Allow`.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around an uploaded file
UPLOAD_PATHS = ("/api/documents",)  # bodies that may be a release: RAG_MAX_UPLOAD_BYTES
WRITE_PREFIXES = ("/api/documents", "/api/jobs")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The chat page (rag/http/web) loads one script and one stylesheet from /web and calls the API on
# its own origin; it uses no inline script, inline style or style attribute.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_PATHS = frozenset({"/", "/web/index.html"})


def body_limit(settings: Settings, scope: Scope) -> int:
    path = scope.get("path", "")
    if scope.get("method") == "POST" and path in UPLOAD_PATHS:
        return settings.max_upload_bytes + MULTIPART_SLACK
    return settings.max_body_bytes


def _netloc(value: str) -> str:
    """host[:port], lower-cased, without a default port."""
    return value.strip().lower().removesuffix(":80").removesuffix(":443")


def cross_site_refusal(settings: Settings, headers: Headers) -> str | None:
    """Why a write with these headers is refused as cross-site, or None to allow it."""
    allowed = settings.allowed_origins
    if "*" in allowed:
        return None
    origin = headers.get("origin")
    if origin is not None:
        origin = origin.strip().rstrip("/")
        if origin in allowed:
            return None
        parts = urlsplit(origin)
        host = _netloc(headers.get("host", ""))
        if parts.netloc and _netloc(parts.netloc) == host:
            return None
        return (
            f"a write from a page on another origin ({origin}) is refused; "
            "list that origin in RAG_ALLOWED_ORIGINS to allow it"
        )
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return (
            "a cross-site write is refused (Sec-Fetch-Site: cross-site); "
            "list the page's origin in RAG_ALLOWED_ORIGINS to allow it"
        )
    return None


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: ASGIApp, path: str) -> list[str]:
    """Every method some route of `app` answers at `path` (sorted), OPTIONS included."""
    routes = getattr(getattr(app, "router", None), "routes", [])
    methods: set[str] = set()
    for method in _METHODS:
        scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
        for route in routes:
            if route.matches(scope)[0] == Match.FULL:
                methods |= {"GET", "HEAD"} if isinstance(route, Mount) else {method}
                break
    if methods:
        methods.add("OPTIONS")
    return sorted(methods)


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class GuardMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        send = self._with_headers(send, path)
        headers = Headers(scope=scope)
        if method == "OPTIONS":
            allow = allowed_methods(scope.get("app"), path)
            if allow:
                await self._respond(send, 204, b"", [(b"allow", ", ".join(allow).encode())])
                return
        if method not in SAFE_METHODS and path.startswith(WRITE_PREFIXES):
            refusal = cross_site_refusal(self.settings, headers)
            if refusal is not None:
                await self._error(send, 403, "cross_site_write", refusal, close=False)
                return
        limit = body_limit(self.settings, scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        try:
            body = await self._read_body(receive, limit)
        except _TooLarge:
            await self._too_large(send, limit)
            return
        except TimeoutError:
            await self._error(
                send,
                408,
                "request_timeout",
                f"the request body did not arrive within {self.settings.body_timeout:g} s "
                "(RAG_BODY_TIMEOUT)",
            )
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive, limit: int) -> bytes | None:
        deadline = time.monotonic() + self.settings.body_timeout
        parts: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(receive(), remaining)
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            if chunk:
                parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    @staticmethod
    def _with_headers(send: Send, path: str) -> Send:
        page = path in PAGE_PATHS

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff")]
                if page:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                names = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        return sender

    @staticmethod
    async def _respond(
        send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _error(
        self, send: Send, status: int, code: str, message: str, close: bool = True
    ) -> None:
        body = _error_body(code, message)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:  # the rest of the body is never read: the connection cannot be reused
            headers.append((b"connection", b"close"))
        await self._respond(send, status, body, headers)

    async def _too_large(self, send: Send, limit: int) -> None:
        await self._error(
            send,
            413,
            "payload_too_large",
            f"the request body is larger than the limit of {limit} bytes",
        )


class _TooLarge(Exception):
    pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
