"""The HTTP API over a fake-embedder engine: routes, errors, auth, streaming, consistency."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import rag.http.app
from rag.config import Settings
from rag.engine import Engine
from rag.http.app import create_app
from rag.ingestion.ingest import document_from_record
from tests.conftest import SEEDS, VIENNA

VIENNA_Q = "Who funded the 2008 Vienna conference?"
ANSWER_KEYS = {"answer", "abstained", "confidence", "citations", "related", "timings_ms"}
ANSWER_KEYS |= {"mode", "warning", "sentences"}  # additive: how the answer was made (issue 7)
ANSWER_KEYS |= {"kind"}  # additive: fact | yes_no | list | collection ("items" with lists)
ANSWER_KEYS |= {"low_confidence"}  # additive: an answer given below confidence 0.5
CITATION_KEYS = {
    *("n", "source", "title", "date", "place", "chunk_id", "start", "end", "quote", "score"),
}


def wait_ready(client: TestClient, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/readyz")
        if r.status_code == 200 or time.monotonic() > deadline:
            assert r.status_code == 200, r.json()
            return r.json()
        time.sleep(0.02)


def quokka(i: int, grants: int | None = None, source: str | None = None) -> dict[str, str]:
    """A small release that the fake embedder retrieves for quokka_question(i)."""
    n = grants if grants is not None else i * 7 + 3
    return {
        "source": source or f"quokka-{i}.txt",
        "title": f"Quokka{i} Council grants",
        "text": f"GENEVA, {i % 27 + 1} May 2021 - The Quokka{i} Council approved {n} new grants "
        f"for the river clean-up programme. The grants were announced by the Quokka{i} "
        "Council chair.",
    }


def quokka_question(i: int) -> str:
    return f"How many grants did the Quokka{i} Council approve?"


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, str]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"] and "Traceback" not in r.text
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
def make_client(
    fake_settings: Settings, fake_engine: Engine
) -> Iterator[Callable[..., TestClient]]:
    """TestClients over the fake engine (index built by the lifespan), with settings overrides."""
    opened: list[TestClient] = []

    def make(wait: bool = True, **overrides: Any) -> TestClient:
        settings = dataclasses.replace(fake_settings, **overrides)
        client = TestClient(create_app(settings, engine=fake_engine), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        if wait:
            wait_ready(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        name, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data += line[len("data: ") :]
        events.append((name, data if data == "[DONE]" else json.loads(data)))
    return events


# -- health, readiness, pages ------------------------------------------------------------


def test_healthz_readyz_and_pages(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 5 and ready["chunks"] > 5
    assert ready["model"] == "fake-hash-embedder" and ready["dimension"] == 64
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/ask",
        "/api/ask/stream",
        "/api/documents",
        "/api/documents/{source}",
        "/v1/chat/completions",
        "/v1/models",
    ):
        assert path in spec["paths"], path
    ask_schema = spec["components"]["schemas"]["AskRequest"]
    assert ask_schema["examples"][0]["question"] == VIENNA_Q
    upload = spec["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)


def test_not_ready_until_loaded(make_client: Callable[..., TestClient], monkeypatch) -> None:
    gate = threading.Event()
    real_load = rag.http.app.load

    def slow_load(state: Any) -> None:
        gate.wait(30)
        real_load(state)

    monkeypatch.setattr(rag.http.app, "load", slow_load)
    client = make_client(wait=False)
    assert client.get("/healthz").status_code == 200
    assert_error(client.get("/readyz"), 503, "not_ready")
    r = client.post("/api/ask", json={"question": VIENNA_Q})
    assert_error(r, 503, "not_ready")
    assert r.headers["retry-after"]
    assert_error(client.get("/api/documents"), 503, "not_ready")
    gate.set()
    assert wait_ready(client)["documents"] == 5
    assert client.post("/api/ask", json={"question": VIENNA_Q}).status_code == 200


def test_load_failure_keeps_serving_503(make_client: Callable[..., TestClient], tmp_path) -> None:
    client = make_client(wait=False, source_dir=tmp_path / "missing")
    deadline = time.monotonic() + 30
    while client.app.state.service.error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    err = assert_error(client.get("/readyz"), 503, "not_ready")
    assert "could not load" in err["message"] and "missing" in err["message"]
    assert_error(client.post("/api/ask", json={"question": VIENNA_Q}), 503)
    assert client.get("/healthz").status_code == 200


# -- ask -------------------------------------------------------------------------------


def test_ask_vienna_citations_locate_their_quotes(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": VIENNA_Q})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == ANSWER_KEYS and not body["abstained"]
    assert {"retrieve", "answer", "total"} <= set(body["timings_ms"])
    assert body["citations"] and body["citations"][0]["source"] == VIENNA
    for n, c in enumerate(body["citations"], 1):
        assert set(c) == CITATION_KEYS and c["n"] == n
        doc = client.get(f"/api/documents/{c['source']}").json()
        assert doc["text"][c["start"] : c["end"]] == c["quote"]


def test_ask_options_filters_and_history(client: TestClient) -> None:
    r = client.post(
        "/api/ask",
        json={"question": "What was discussed?", "top_k": 3, "filters": {"source": VIENNA}},
    )
    assert r.status_code == 200
    assert all(c["source"] == VIENNA for c in r.json()["citations"])
    question = "Who funded the Vienna conference?"
    r = client.post("/api/ask", json={"question": question, "filters": {"year": 1999}})
    assert r.status_code == 200 and r.json()["abstained"] and not r.json()["citations"]
    history = [
        {"role": "user", "content": "Tell me about the 2008 Vienna conference"},
        {"role": "assistant", "content": "It was held in Vienna."},
    ]
    r = client.post("/api/ask", json={"question": "Who funded it?", "history": history})
    assert r.status_code == 200 and set(r.json()) == ANSWER_KEYS


@pytest.mark.parametrize(
    "payload",
    [
        {"question": ""},
        {"question": "   \n\t"},
        {"question": VIENNA_Q, "top_k": 0},
        {"question": VIENNA_Q, "top_k": 21},
        {"question": VIENNA_Q, "top_k": "many"},
        {"question": 42},
        {},
        {"question": VIENNA_Q, "unknown": 1},
        {"question": VIENNA_Q, "filters": {"year": "soon"}},
        {"question": VIENNA_Q, "history": [{"role": "robot", "content": "hi"}]},
        {"question": "\ud800 lone surrogate"},
        {"question": "nul \x00 inside"},
        ["not", "an", "object"],
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_ask_invalid_requests_are_422(client: TestClient, path: str, payload: Any) -> None:
    body = json.dumps(payload).encode()  # ASCII-escaped, so a lone surrogate gets through
    assert_error(client.post(path, content=body, headers={"content-type": "application/json"}), 422)


def test_ask_malformed_json_and_long_question(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_question_chars=50)
    r = client.post(
        "/api/ask", content=b'{"question": "x"', headers={"content-type": "application/json"}
    )
    assert_error(r, 422, "invalid_json")
    assert_error(client.post("/api/ask", content=b""), 422)
    err = assert_error(client.post("/api/ask", json={"question": "why " * 20}), 422)
    assert "50" in err["message"] and "question" in err["message"]
    assert client.post("/api/ask", json={"question": "w" * 50}).status_code == 200


def test_stream_events_end_with_the_ask_object(client: TestClient) -> None:
    r = client.post("/api/ask/stream", json={"question": VIENNA_Q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"token"} and len(names) > 3
    done = events[-1][1]
    plain = client.post("/api/ask", json={"question": VIENNA_Q}).json()
    assert set(done) == set(plain) == ANSWER_KEYS
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert events[0][1]["citations"] == done["citations"]
    done.pop("timings_ms")
    plain.pop("timings_ms")
    assert done == plain


# -- documents -------------------------------------------------------------------------


def test_documents_pagination(client: TestClient) -> None:
    full = client.get("/api/documents").json()
    assert full["total"] == 5 and full["offset"] == 0 and len(full["documents"]) == 5
    names = [d["source"] for d in full["documents"]]
    assert names == sorted(p.name for p in SEEDS.glob("0*.txt"))
    first = full["documents"][0]
    assert first["chunks"] > 0 and first["chars"] > 0 and first["title"] and first["date"]
    pages = [client.get(f"/api/documents?offset={o}&limit=2").json() for o in (0, 2, 4)]
    assert [d["source"] for p in pages for d in p["documents"]] == names
    assert all(p["total"] == 5 and p["limit"] == 2 for p in pages)
    assert client.get("/api/documents?offset=99").json()["documents"] == []
    for bad in ("limit=0", "limit=501", "offset=-1", "limit=x"):
        assert_error(client.get(f"/api/documents?{bad}"), 422)


def test_get_document_and_unknown_sources(client: TestClient) -> None:
    doc = client.get(f"/api/documents/{VIENNA}").json()
    assert doc["source"] == VIENNA and doc["date"] == "2008-07-17" and doc["place"] == "Vienna"
    assert "Belgium, Norway, the Russian Federation and Japan" in doc["text"]
    assert doc["chunks"] > 0 and doc["chars"] == len(doc["text"])
    assert "Home" not in doc["text"].split("\n")[0]  # the navigation menu is gone
    assert_error(client.get("/api/documents/nope.txt"), 404, "not_found")
    assert_error(client.delete("/api/documents/nope.txt"), 404, "not_found")


def test_add_ask_conflict_replace_delete(client: TestClient) -> None:
    r = client.post("/api/documents", json=quokka(1))
    assert r.status_code == 201, r.text
    assert r.json()["documents"] == [
        {
            "source": "quokka-1.txt",
            "status": "added",
            "chunks": 1,
            "title": "Quokka1 Council grants",
        }
    ]
    assert r.headers["location"] == "/api/documents/quokka-1.txt"
    answer = client.post("/api/ask", json={"question": quokka_question(1)}).json()
    assert "10" in answer["answer"] and answer["citations"][0]["source"] == "quokka-1.txt"
    assert client.get("/api/documents").json()["total"] == 6

    again = client.post("/api/documents", json=quokka(1))
    assert again.status_code == 200 and again.json()["documents"][0]["status"] == "unchanged"
    assert_error(client.post("/api/documents", json=quokka(1, grants=99)), 409, "conflict")
    assert "10 new grants" in client.get("/api/documents/quokka-1.txt").json()["text"]
    r = client.post("/api/documents?replace=true", json=quokka(1, grants=99))
    assert r.status_code == 200 and r.json()["documents"][0]["status"] == "updated"
    assert "99 new grants" in client.get("/api/documents/quokka-1.txt").json()["text"]
    answer = client.post("/api/ask", json={"question": quokka_question(1)}).json()
    assert "99" in answer["answer"]

    assert client.delete("/api/documents/quokka-1.txt").json() == {"deleted": "quokka-1.txt"}
    assert_error(client.get("/api/documents/quokka-1.txt"), 404)
    assert_error(client.delete("/api/documents/quokka-1.txt"), 404)
    answer = client.post("/api/ask", json={"question": quokka_question(1)}).json()
    assert all(c["source"] != "quokka-1.txt" for c in answer["citations"])
    assert client.get("/api/documents").json()["total"] == 5


def test_add_json_without_source_derives_one(client: TestClient) -> None:
    record = quokka(2)
    del record["source"]
    r = client.post("/api/documents", json=record)
    assert r.status_code == 201
    source = r.json()["documents"][0]["source"]
    assert source.startswith("quokka2-council-grants-")
    assert client.post("/api/documents", json=record).json()["documents"][0]["source"] == source


def test_upload_files(client: TestClient) -> None:
    release = (SEEDS / VIENNA).read_text().replace("Belgium", "Iceland")
    r = client.post(
        "/api/documents", files={"file": ("uploaded.txt", release.encode(), "text/plain")}
    )
    assert r.status_code == 201, r.text
    doc = client.get("/api/documents/uploaded.txt").json()
    assert doc["place"] == "Vienna" and "Iceland, Norway" in doc["text"]
    md = b"# Quokka5 Council\n\nThe Quokka5 Council approved 38 new grants for the river.\n"
    assert client.post("/api/documents", files={"file": ("notes.md", md)}).status_code == 201
    # a path in the file name is dropped; the name is the source
    html = b"<html><title>Quokka6</title><body><p>The Quokka6 Council met.</p></body></html>"
    r = client.post("/api/documents", files={"file": ("../../dir/page.html", html)})
    assert r.status_code == 201 and r.json()["documents"][0]["source"] == "page.html"


def test_non_ascii_source(client: TestClient) -> None:
    r = client.post("/api/documents", json=quokka(9, source="Zürich ﬁles:1.txt"))
    assert r.status_code == 201
    assert r.headers["location"] == "/api/documents/Z%C3%BCrich%20%EF%AC%81les:1.txt"
    assert client.get(r.headers["location"]).json()["source"] == "Zürich ﬁles:1.txt"


def test_upload_jsonl_sources_with_colons(client: TestClient) -> None:
    lines = [json.dumps({k: v for k, v in quokka(i).items() if k != "source"}) for i in (7, 8)]
    r = client.post("/api/documents", files={"file": ("batch.jsonl", "\n".join(lines).encode())})
    assert r.status_code == 201, r.text
    sources = [d["source"] for d in r.json()["documents"]]
    assert sources == ["batch.jsonl:1", "batch.jsonl:2"]
    assert "Quokka8" in client.get("/api/documents/batch.jsonl:2").json()["text"]
    answer = client.post("/api/ask", json={"question": quokka_question(8)}).json()
    c = answer["citations"][0]
    assert c["source"] == "batch.jsonl:2"
    text = client.get(f"/api/documents/{c['source']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]
    assert client.delete("/api/documents/batch.jsonl:1").status_code == 200
    assert_error(client.get("/api/documents/batch.jsonl:1"), 404)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"files": {"file": ("sheet.xlsx", b"PK\x03\x04")}}, 415),
        ({"files": {"file": ("report.pdf", b"%PDF-1.4")}}, 422),  # PDFs are read (issue 17)
        ({"files": {"file": ("noext", b"text")}}, 415),
        ({"content": b"plain text", "headers": {"content-type": "text/plain"}}, 415),
        ({"content": b"{}"}, 415),
        ({"files": {"file": ("empty.txt", b"  ")}}, 422),
        ({"files": {"file": ("binary.txt", b"ab\x00cd")}}, 422),
        ({"files": {"file": ("latin1.txt", "café".encode("latin-1"))}}, 422),
        ({"files": {"file": ("bad.jsonl", b'{"text": "a"}\n{oops')}}, 422),
        ({"files": {"file": ("surrogate.jsonl", b'{"text": "\\ud800"}')}}, 422),
        ({"data": {"note": "no file"}, "files": {"other": ("a.txt", b"x")}}, 422),
        ({"json": {"title": "no text"}}, 422),
        ({"json": {"text": "   "}}, 422),
        ({"json": {"text": "Body.", "date": "someday"}}, 422),
        ({"json": {"text": "Body.", "source": "a/b.txt"}}, 422),
        ({"json": {"text": "Body.", "extra": True}}, 422),
        ({"json": ["text"]}, 422),
        ({"content": b'{"text": ', "headers": {"content-type": "application/json"}}, 422),
    ],
)
def test_bad_uploads(client: TestClient, kwargs: dict[str, Any], status: int) -> None:
    assert_error(client.post("/api/documents", **kwargs), status)
    assert client.get("/api/documents").json()["total"] == 5


def test_oversized_uploads_are_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_upload_bytes=1000)
    big = "The Quokka Council approved grants. " * 60
    assert_error(client.post("/api/documents", json={"text": big}), 413, "payload_too_large")
    r = client.post("/api/documents", files={"file": ("big.txt", big.encode())})
    assert_error(r, 413)
    assert client.post("/api/documents", json=quokka(3)).status_code == 201
    assert client.get("/api/documents").json()["total"] == 6


def test_failed_jsonl_conflict_changes_nothing(client: TestClient) -> None:
    assert client.post("/api/documents", json=quokka(1, source="batch.jsonl:2")).status_code == 201
    lines = [json.dumps({k: v for k, v in quokka(i).items() if k != "source"}) for i in (4, 5)]
    r = client.post("/api/documents", files={"file": ("batch.jsonl", "\n".join(lines).encode())})
    assert_error(r, 409)
    assert_error(client.get("/api/documents/batch.jsonl:1"), 404)  # all or nothing
    assert client.get("/api/documents").json()["total"] == 6


# -- auth ------------------------------------------------------------------------------


def test_api_key_guards_writes(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_key="s3cret")
    good = {"Authorization": "Bearer s3cret"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        r = client.post("/api/documents", json=quokka(1), headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
        assert_error(client.delete(f"/api/documents/{VIENNA}", headers=headers), 401)
    assert client.post("/api/documents", json=quokka(1), headers=good).status_code == 201
    # reads stay open
    assert client.post("/api/ask", json={"question": VIENNA_Q}).status_code == 200
    assert client.get("/api/documents").status_code == 200
    assert client.get("/v1/models").status_code == 200
    assert client.delete("/api/documents/quokka-1.txt", headers=good).status_code == 200


def test_api_key_reads(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_key="s3cret", api_key_reads=True)
    good = {"Authorization": "Bearer s3cret"}
    chat = {"messages": [{"role": "user", "content": VIENNA_Q}]}
    reads = [
        ("post", "/api/ask", {"json": {"question": VIENNA_Q}}),
        ("post", "/api/ask/stream", {"json": {"question": VIENNA_Q}}),
        ("get", "/api/documents", {}),
        ("get", f"/api/documents/{VIENNA}", {}),
        ("get", "/v1/models", {}),
        ("post", "/v1/chat/completions", {"json": chat}),
    ]
    for method, path, kwargs in reads:
        assert_error(getattr(client, method)(path, **kwargs), 401)
        assert getattr(client, method)(path, headers=good, **kwargs).status_code == 200, path
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200


# -- errors, logs, metrics -------------------------------------------------------------


def test_unknown_routes_and_methods(client: TestClient) -> None:
    assert_error(client.get("/api/nothing"), 404, "not_found")
    r = client.put("/api/ask", json={})
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]


def test_unexpected_error_is_a_json_500(client: TestClient, monkeypatch) -> None:
    engine = client.app.state.service.engine

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(engine, "ask", broken)
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json={"question": VIENNA_Q})
        assert_error(r, 500, "internal_error")
        assert "secret" not in r.text and "RuntimeError" not in r.text
    monkeypatch.undo()
    assert client.post("/api/ask", json={"question": VIENNA_Q}).status_code == 200


def test_access_log_line_per_request(client: TestClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="rag.access"):
        client.get("/healthz")
        client.get("/api/documents/nope.txt")
    lines = [r.getMessage() for r in caplog.records if r.name == "rag.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /healthz 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /api/documents/nope.txt 404 ")


def test_metrics_by_route_template(client: TestClient, make_client) -> None:
    client.post("/api/ask", json={"question": VIENNA_Q})
    client.post("/api/ask", json={"question": ""})
    client.get(f"/api/documents/{VIENNA}")
    client.get("/api/documents/nope.txt")
    text = client.get("/metrics").text
    assert 'rag_http_requests_total{method="POST",route="/api/ask",status="200"} 1.0' in text
    assert 'rag_http_requests_total{method="POST",route="/api/ask",status="422"} 1.0' in text
    route = "/api/documents/{source:path}"
    assert f'rag_http_requests_total{{method="GET",route="{route}",status="404"}} 1.0' in text
    assert f'rag_http_request_duration_seconds_bucket{{le="0.1",method="GET",route="{route}"}}' in (
        text
    )
    assert 'rag_answers_total{abstained="false"} 1.0' in text
    assert "rag_index_documents 5.0" in text and "rag_ready 1.0" in text
    # every app has its own registry
    other = make_client().get("/metrics").text
    assert 'route="/api/ask"' not in other


# -- OpenAI-compatible -----------------------------------------------------------------


def test_openai_models_and_completion(client: TestClient) -> None:
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == "rag"
    r = client.post(
        "/v1/chat/completions",
        json={
            "model": "rag",
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": VIENNA_Q}]},
            ],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "rag"
    content = body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "stop"
    plain = client.post("/api/ask", json={"question": VIENNA_Q}).json()
    assert content.startswith(plain["answer"]) and "Sources:" in content
    assert f"[1] {plain['citations'][0]['title']} — {VIENNA}" in content
    assert body["citations"][0]["source"] == VIENNA and body["usage"]["total_tokens"] > 0


def test_openai_reply_says_when_an_answer_is_a_guess() -> None:
    """A chat client shows only the text: an answer below confidence 0.5 says so in it."""
    from rag.http.openai_compat import reply_text
    from rag.values import Answer, Citation

    quote = "It was financed by Belgium, Norway, the Russian Federation and Japan."
    cite = Citation(1, VIENNA, "Vienna conference", "2008-07-17", "Vienna", f"{VIENNA}#2", 0,
                    len(quote), quote, 0.32)  # fmt: skip
    guess = reply_text(Answer("Belgium", False, 0.32, [cite]))
    assert guess.splitlines()[:2] == ["Belgium", "(Low confidence, 32%: check the quoted sources.)"]
    sure = reply_text(Answer("Belgium", False, 0.82, [cite]))
    assert "Low confidence" not in sure and sure.splitlines()[1] == ""


def test_openai_stream(client: TestClient) -> None:
    r = client.post(
        "/v1/chat/completions",
        json={
            "messages": [{"role": "user", "content": VIENNA_Q}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [data for _, data in parse_sse(r.text)]
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(finals) == 1 and finals[0]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] > 0
    plain = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": VIENNA_Q}]}
    ).json()
    assert text == plain["choices"][0]["message"]["content"]


def test_openai_history_and_errors(client: TestClient) -> None:
    messages = [
        {"role": "user", "content": "Tell me about the 2008 Vienna conference"},
        {"role": "assistant", "content": "It was an OSCE experts meeting."},
        {"role": "user", "content": "Who funded it?"},
    ]
    assert client.post("/v1/chat/completions", json={"messages": messages}).status_code == 200
    bad = [
        {"messages": []},
        {"messages": [{"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": "user", "content": "  "}]},
        {"messages": [{"role": "user", "content": "x" * 1001}]},
        {"messages": [{"role": "wizard", "content": "hi"}]},
        {"model": "rag"},
    ]
    for payload in bad:
        assert_error(client.post("/v1/chat/completions", json=payload), 422)


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_asks_with_adds_and_deletes(client: TestClient) -> None:
    """Asks run while documents are added, replaced and deleted: every answer is whole and
    its citations quote the document as it was at some moment; the final set is exact."""
    seeds = {d["source"] for d in client.get("/api/documents").json()["documents"]}
    versions: dict[str, set[str]] = {
        s: {client.get(f"/api/documents/{s}").json()["text"]} for s in seeds
    }
    n_docs = 12
    records = {i: quokka(i) for i in range(n_docs)}
    replacement = quokka(1, grants=777)
    for rec in [*records.values(), replacement]:
        clean = document_from_record({k: v for k, v in rec.items() if k != "source"}, "x")
        versions.setdefault(rec["source"], set()).add(clean.text)
    added: list[int] = []
    failures: list[str] = []
    writers_done = threading.Event()
    lock = threading.Lock()

    def adder() -> None:
        for i in range(n_docs):
            r = client.post("/api/documents", json=records[i])
            if r.status_code != 201:
                failures.append(f"add {i}: {r.status_code} {r.text}")
            with lock:
                added.append(i)

    def deleter() -> None:
        pending = list(range(0, n_docs, 2))
        replaced = False
        deadline = time.monotonic() + 120
        while (pending or not replaced) and time.monotonic() < deadline:
            with lock:
                ready = [i for i in pending if i in added]
                can_replace = 1 in added
            for i in ready:
                r = client.delete(f"/api/documents/quokka-{i}.txt")
                if r.status_code != 200:
                    failures.append(f"delete {i}: {r.status_code} {r.text}")
                pending.remove(i)
            if can_replace and not replaced:
                r = client.post("/api/documents?replace=true", json=replacement)
                if r.status_code != 200:
                    failures.append(f"replace: {r.status_code} {r.text}")
                replaced = True
            time.sleep(0.005)

    def asker(offset: int) -> None:
        k = 0
        while not writers_done.is_set() or k < 10:
            question = quokka_question((k + offset) % n_docs) if k % 3 else VIENNA_Q
            k += 1
            r = client.post("/api/ask", json={"question": question})
            if r.status_code != 200:
                failures.append(f"ask: {r.status_code} {r.text}")
                continue
            body = r.json()
            if set(body) != ANSWER_KEYS:
                failures.append(f"ask shape: {sorted(body)}")
            if not body["abstained"] and not body["citations"]:
                failures.append(f"uncited answer: {body['answer']}")
            for n, c in enumerate(body["citations"], 1):
                texts = versions.get(c["source"], set())
                if c["n"] != n or not any(t[c["start"] : c["end"]] == c["quote"] for t in texts):
                    failures.append(f"citation does not locate its quote: {c}")

    writers = [threading.Thread(target=adder), threading.Thread(target=deleter)]
    askers = [threading.Thread(target=asker, args=(i,)) for i in range(4)]
    for t in writers + askers:
        t.start()
    for t in writers:
        t.join()
    writers_done.set()
    for t in askers:
        t.join()
    assert not failures, failures[:5]
    listing = client.get("/api/documents?limit=500").json()
    expected = seeds | {f"quokka-{i}.txt" for i in range(1, n_docs, 2)}
    assert {d["source"] for d in listing["documents"]} == expected
    assert listing["total"] == len(expected)
    assert "777 new grants" in client.get("/api/documents/quokka-1.txt").json()["text"]
    for i in range(0, n_docs, 2):
        assert_error(client.get(f"/api/documents/quokka-{i}.txt"), 404)
    answer = client.post("/api/ask", json={"question": quokka_question(3)}).json()
    assert "24" in answer["answer"] and answer["citations"][0]["source"] == "quokka-3.txt"


def test_questions_past_ask_workers_wait_their_turn() -> None:
    """With RAG_ASK_WORKERS=N, at most N questions are answered at once; the others queue
    (they are not refused) and are all answered."""
    import threading
    import time
    from types import SimpleNamespace

    import anyio

    from rag.config import Settings
    from rag.http.deps import ask_limiter, run_ask

    def most_at_once(workers: int, asks: int) -> tuple[int, int]:
        running, peak, done = [0], [0], []
        lock = threading.Lock()

        def answer(i: int) -> int:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return i

        async def main() -> None:
            app = SimpleNamespace(state=SimpleNamespace())
            app.state.ask_limiter = ask_limiter(Settings(ask_workers=workers))
            request = SimpleNamespace(app=app)

            async def one(i: int) -> None:
                done.append(await run_ask(request, answer, i))

            async with anyio.create_task_group() as tg:
                for i in range(asks):
                    tg.start_soon(one, i)

        anyio.run(main)
        return peak[0], len(done)

    assert most_at_once(1, 4) == (1, 4)
    assert most_at_once(3, 6) == (3, 6)
    # 0 (the default) or a value below it: two per core, never an error at startup.
    assert ask_limiter(Settings(ask_workers=-1)).total_tokens == 2 * (os.cpu_count() or 1)
