"""HTTP hardening (issue 15): body limits, malformed bodies, source names, cross-site writes,
security headers, log injection and the OpenAPI document, over a fake-embedder engine."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag import logsafe
from rag.config import Settings
from rag.engine import Engine
from rag.http.app import create_app
from rag.http.guard import PAGE_CSP
from tests.test_api import VIENNA_Q, assert_error, quokka, wait_ready

ASK_ROUTES = ("/api/ask", "/api/ask/stream", "/v1/chat/completions")


@pytest.fixture
def vector_backend() -> str:
    return "faiss"  # the HTTP layer is the same over either backend


@pytest.fixture
def make_client(
    fake_settings: Settings, fake_engine: Engine
) -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = dataclasses.replace(fake_settings, **overrides)
        client = TestClient(create_app(settings, engine=fake_engine), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        wait_ready(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def ask_body(route: str, filler: str = "") -> dict[str, Any]:
    if route == "/v1/chat/completions":
        return {"messages": [{"role": "user", "content": filler + VIENNA_Q}]}
    return {"question": VIENNA_Q, "history": [{"role": "user", "content": filler or "hi"}]}


def documents_total(client: TestClient) -> int:
    return client.get("/api/documents").json()["total"]


# -- 1: body limits -------------------------------------------------------------------------


class Recorder:
    """An ASGI client: a request body in chunks, counting how many the app pulled."""

    def __init__(self, chunks: list[bytes], complete: bool = True) -> None:
        self.chunks = chunks
        self.complete = complete  # False: the last chunk says more is coming
        self.pulled = 0
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.pulled < len(self.chunks):
            self.pulled += 1
            more = self.pulled < len(self.chunks) or not self.complete
            return {"type": "http.request", "body": self.chunks[self.pulled - 1], "more_body": more}
        await asyncio.sleep(3600)  # the client has nothing more to send
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def call(app: Any, path: str, recorder: Recorder, headers: dict[str, str]) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(asyncio.wait_for(app(scope, recorder.receive, recorder.send), 60))


@pytest.mark.parametrize("route", ASK_ROUTES)
def test_a_declared_oversized_body_is_413_unread(client: TestClient, route: str) -> None:
    limit = client.app.state.service.settings.max_body_bytes
    recorder = Recorder([b"x" * 1024] * 2000)
    headers = {"content-type": "application/json", "content-length": str(limit * 300)}
    call(client.app, route, recorder, headers)
    assert recorder.status == 413 and recorder.json["error"]["code"] == "payload_too_large"
    assert recorder.pulled == 0  # not one byte of it was read


@pytest.mark.parametrize("route", ASK_ROUTES)
def test_a_streamed_oversized_body_is_413_at_the_limit(make_client, route: str) -> None:
    client = make_client(max_body_bytes=64 * 1024)
    chunk = b" " * 4096
    recorder = Recorder([b'{"question": "' + chunk] + [chunk] * 10_000)  # ~40 MB, no length
    call(client.app, route, recorder, {"content-type": "application/json"})
    assert recorder.status == 413, recorder.messages
    assert recorder.pulled <= 64 * 1024 // 4096 + 2  # reading stopped at the limit


@pytest.mark.parametrize("route", ASK_ROUTES)
def test_bodies_under_the_limit_still_work(make_client, route: str) -> None:
    client = make_client(max_body_bytes=64 * 1024)
    assert client.post(route, json=ask_body(route)).status_code == 200
    big = ask_body(route, filler="padding " * 10_000)  # 80 kB
    assert_error(client.post(route, json=big), 413, "payload_too_large")


@pytest.mark.parametrize("route", ASK_ROUTES)
def test_each_history_message_is_capped(make_client, route: str) -> None:
    client = make_client(max_body_bytes=10_000_000)
    history = [{"role": "user", "content": "x" * 20_001}, {"role": "user", "content": VIENNA_Q}]
    body: dict[str, Any] = (
        {"messages": history}
        if route == "/v1/chat/completions"
        else {"question": VIENNA_Q, "history": history[:1]}
    )
    err = assert_error(client.post(route, json=body), 422, "validation_error")
    assert "20000" in err["message"]


def test_a_slow_body_is_408(make_client) -> None:
    client = make_client(body_timeout=0.2)
    recorder = Recorder([b'{"question": "Who'], complete=False)  # then nothing arrives
    call(client.app, "/api/ask", recorder, {"content-type": "application/json"})
    assert recorder.status == 408 and recorder.json["error"]["code"] == "request_timeout"


# -- 10: malformed bodies: one status and code everywhere --------------------------------


BODY_ROUTES = (*ASK_ROUTES, "/api/documents")


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize(
    "body",
    [b'{"question": "caf\xe9"}', b"[" * 50_000 + b"]" * 50_000, b'{"question": "x"'],
    ids=["bad-utf8", "nested-too-deep", "truncated"],
)
def test_malformed_json_is_422_invalid_json_everywhere(client, route: str, body: bytes) -> None:
    r = client.post(route, content=body, headers={"content-type": "application/json"})
    err = assert_error(r, 422, "invalid_json")
    assert err["message"].startswith("malformed JSON body")


# -- 6: source names, however they arrive ----------------------------------------------------


def multipart(filename: str, data: bytes = b"The Quokka Council met in Geneva.\n") -> bytes:
    return (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="'
        + filename.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + b"\r\n--XyZ--\r\n"
    )


@pytest.mark.parametrize(
    "filename",
    ["ctl\x01\x07\x1b[31mred.txt", "tab\there.txt", "x" * 1000 + ".txt", "caf\u2028e.txt"],
    ids=["control-chars", "tab", "1004-chars", "line-separator"],
)
def test_bad_upload_file_names_are_refused(client: TestClient, filename: str) -> None:
    r = client.post(
        "/api/documents",
        content=multipart(filename),
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert_error(r, 422, "validation_error")
    assert documents_total(client) == 5


@pytest.mark.parametrize("source", [".", "..", " .. ", "a\tb.txt", "x" * 201])
def test_bad_json_sources_are_refused(client: TestClient, source: str) -> None:
    assert_error(client.post("/api/documents", json=quokka(1, source=source)), 422)
    assert documents_total(client) == 5


def test_good_names_still_work(client: TestClient) -> None:
    r = client.post(
        "/api/documents",
        content=multipart("Zürich ﬁles (2).txt"),
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 201, r.text
    assert client.post("/api/documents", json=quokka(1, source="...")).status_code == 201


def test_engine_refuses_bad_names_from_any_route(fake_engine: Engine) -> None:
    from rag.errors import ValidationFailed
    from rag.ingestion.ingest import document_from_record

    fake_engine.index_directory()
    doc = document_from_record({"text": "GENEVA, 3 May 2021 - A release."}, "..")
    with pytest.raises(ValidationFailed, match=r"'\.\.'"):
        fake_engine.add_documents([doc])


# -- 7: cross-site writes and security headers -------------------------------------------


EVIL = "http://evil.example"


def test_cross_site_writes_are_refused(client: TestClient) -> None:
    upload = {"files": {"file": ("cross.txt", b"The Quokka Council met.")}}
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        assert_error(client.post("/api/documents", headers=headers, **upload), 403)
        r = client.post("/api/documents", headers=headers, json=quokka(1))
        assert_error(r, 403, "cross_site_write")
        assert_error(client.delete("/api/documents/" + VIENNA_SOURCE, headers=headers), 403)
    assert documents_total(client) == 5
    # The service's own pages, and clients that send no Origin (curl, scripts), may write.
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/documents", headers=own, json=quokka(1)).status_code == 201
    assert client.post("/api/documents", json=quokka(2)).status_code == 201
    # Reads from other origins are not writes.
    assert client.post("/api/ask", headers={"Origin": EVIL}, json={"question": VIENNA_Q}).is_success


def test_allowed_origins_may_write(make_client) -> None:
    client = make_client(allowed_origins=(EVIL,))
    assert client.post("/api/documents", headers={"Origin": EVIL}, json=quokka(1)).is_success
    other = {"Origin": "https://other.example"}
    assert_error(client.post("/api/documents", headers=other, json=quokka(2)), 403)


VIENNA_SOURCE = "002_b58f2e4459b73bca.txt"


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert csp == PAGE_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and "unsafe" not in csp
    for path in ("/healthz", "/api/documents", "/web/app.js"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path


def test_the_chat_page_needs_nothing_the_csp_blocks() -> None:
    """The page's HTML, CSS and JS use no inline script or style and load only from /web."""
    import re

    from rag.http.app import WEB_DIR

    html = (WEB_DIR / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert scripts and all('src="/web/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", html, flags=re.I)
    for link in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert link.startswith("/"), link  # same origin
    js = (WEB_DIR / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
        assert sink not in js, sink
    assert not re.search(r"setAttribute\(\s*['\"]style['\"]", js)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", (WEB_DIR / "app.css").read_text())


# -- 5: log injection ---------------------------------------------------------------------


def test_access_log_escapes_control_characters(client: TestClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="rag.access"):
        client.get("/api/documents/a%0AFAKE%20LOG%201%1B[31m")
    lines = [r.getMessage() for r in caplog.records if r.name == "rag.access"]
    assert len(lines) == 1
    assert "\n" not in lines[0] and "\x1b" not in lines[0]
    assert lines[0].startswith("GET /api/documents/a\\nFAKE LOG 1\\x1b[31m 404 ")


def test_every_logged_value_is_escaped_by_the_handler_filter() -> None:
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.hardening.escape")
    logger.addHandler(handler)
    logger.propagate = False
    logsafe.install(logger)
    logsafe.install(logger)  # once is enough
    try:
        logger.warning("no document named %r", "x")
        logger.warning("source %s failed: %s", "a\nFAKE WARNING admin", "\x1b[2J\u2028")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed on %s", "b\r\nINFO forged")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue().splitlines()
    assert len([f for f in handler.filters if isinstance(f, logsafe.EscapingFilter)]) == 1
    assert out[0] == "WARNING no document named 'x'"
    assert out[1] == "WARNING source a\\nFAKE WARNING admin failed: \\x1b[2J\\u2028"
    assert out[2] == "ERROR failed on b\\r\\nINFO forged"
    assert out[3].startswith("Traceback") and out[-1] == "ValueError: boom"


def test_the_server_installs_the_filter() -> None:
    from rag.http.server import configure_logging

    root = logging.getLogger()
    added = logging.StreamHandler()
    root.addHandler(added)
    try:
        configure_logging("INFO")
        assert any(isinstance(f, logsafe.EscapingFilter) for f in added.filters)
    finally:
        root.removeHandler(added)


# -- 10: OpenAPI matches behaviour --------------------------------------------------------


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


def test_openapi_question_dates_and_errors(make_client) -> None:
    client = make_client(max_question_chars=300)
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    question = schemas["AskRequest"]["properties"]["question"]
    assert question["minLength"] == 1 and question["maxLength"] == 300
    assert "HTTPValidationError" not in json.dumps(spec)
    upload = spec["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    doc_in = json.dumps(upload["application/json"]["schema"])
    assert '"format": "date"' in doc_in
    for path, method, op in operations(spec):
        responses = op["responses"]
        if "requestBody" in op:
            assert {"408", "413", "422"} <= set(responses), (method, path)
        if method in ("POST", "DELETE") and path.startswith("/api/documents"):
            assert {"403", "507"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
    # the schema's blank rule is the service's: whitespace-only questions are refused
    for blank in (" ", "\ufeff", "\x1c\u3000"):
        assert_error(client.post("/api/ask", json={"question": blank}), 422)


@pytest.mark.parametrize(
    ("overrides", "secured"),
    [
        ({}, set()),
        (
            {"api_key": "k"},
            {
                ("POST", "/api/documents"),
                ("DELETE", "/api/documents/{source}"),
                ("DELETE", "/api/jobs/{job_id}"),
            },
        ),
        ({"api_key": "k", "api_key_reads": True}, None),
    ],
)
def test_bearer_security_only_where_a_key_is_required(make_client, overrides, secured) -> None:
    spec = make_client(**overrides).get("/openapi.json").json()
    found = {(m, p) for p, m, op in operations(spec) if op.get("security")}
    if secured is None:  # every API route, none of the operational ones
        assert ("POST", "/api/ask") in found and ("GET", "/v1/models") in found
        assert not {p for _, p in found} & {"/healthz", "/readyz", "/metrics"}
    else:
        assert found == secured
    assert ("securitySchemes" in spec["components"]) == bool(overrides)
    if not overrides:
        assert all("401" not in op["responses"] for _, _, op in operations(spec))


def test_options_and_405_list_every_method(client: TestClient) -> None:
    r = client.options("/api/documents")
    assert r.status_code == 204
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST", "OPTIONS"}
    r = client.options(f"/api/documents/{VIENNA_SOURCE}")
    assert set(r.headers["allow"].split(", ")) == {"GET", "DELETE", "OPTIONS"}
    r = client.put("/api/documents", json={})
    assert_error(r, 405, "method_not_allowed")
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST", "OPTIONS"}
    assert_error(client.options("/no/such/path"), 404)
