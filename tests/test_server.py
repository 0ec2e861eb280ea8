"""`rag serve` as a real process with the real model, over real HTTP (httpx and `openai`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEEDS, TASHKENT, VIENNA
from tests.live_server import running_server

pytestmark = pytest.mark.model

# A question the trained reader answers with confidence (0.83): "90", the Tashkent release.
TASHKENT_Q = "How many experts attended the 2008 Tashkent workshop?"
EXPERTS = "90"
QUOTED = "more than 90 experts"


SERVER: dict[str, int] = {}  # the server's pid, and its spaCy child's once seen


def _spacy_children(pid: int) -> list[int]:
    """Processes whose parent is `pid` and whose command line runs the spaCy child."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid and "rag.answering.nlp_process" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `rag serve` that built its own index of seeds/ in a temp folder."""
    tmp = tmp_path_factory.mktemp("serve")
    log_path = tmp / "server.log"  # written by running_server
    with running_server(tmp, SEEDS) as (base, proc):
        SERVER["pid"] = proc.pid
        yield base
    text = log_path.read_text()
    assert "Traceback" not in text, text
    assert "POST /api/ask 200" in text  # the access log
    if "child" in SERVER:  # the spaCy child ends with the server
        deadline = time.monotonic() + 20
        while Path(f"/proc/{SERVER['child']}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Path(f"/proc/{SERVER['child']}").exists()


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


def test_ready_and_ask_vienna(http: httpx.Client) -> None:
    ready = http.get("/readyz").json()
    assert ready["documents"] == 5 and ready["model"].startswith("all-MiniLM-L6-v2")
    body = http.post("/api/ask", json={"question": TASHKENT_Q}).json()
    assert EXPERTS in body["answer"] and not body["abstained"]
    cite = body["citations"][0]
    assert cite["source"] == TASHKENT
    text = http.get(f"/api/documents/{cite['source']}").json()["text"]
    assert text[cite["start"] : cite["end"]] == cite["quote"]
    assert QUOTED in cite["quote"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_spacy_runs_in_a_child_process_of_the_server(http: httpx.Client) -> None:
    """`rag serve` parses in a child process (RAG_NLP_PROCESS=auto), so concurrent asks do
    not wait on spaCy for the server's GIL."""
    assert http.post("/api/ask", json={"question": TASHKENT_Q}).status_code == 200
    children = _spacy_children(SERVER["pid"])
    assert len(children) == 1
    SERVER["child"] = children[0]


def test_stream(http: httpx.Client) -> None:
    events = []
    with http.stream("POST", "/api/ask/stream", json={"question": TASHKENT_Q}) as r:
        assert r.status_code == 200
        name = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    assert events[0][0] == "citations" and events[-1][0] == "done"
    done = events[-1][1]
    assert EXPERTS in done["answer"] and done["citations"][0]["source"] == TASHKENT
    assert "".join(d["text"] for n, d in events if n == "token") == done["answer"]


def test_add_ask_delete(http: httpx.Client) -> None:
    doc = {
        "source": "zephyr-2024.txt",
        "title": "OSCE workshop on cyber security in Vienna",
        "text": "VIENNA, 4 March 2024 - The Zephyr Foundation funded a workshop on cyber "
        "security for border officials, held in Vienna today. Around 40 experts from "
        "twelve countries attended the workshop.",
    }
    r = http.post("/api/documents", json=doc)
    assert r.status_code == 201, r.text
    question = "Who funded the 2024 workshop on cyber security?"
    body = http.post("/api/ask", json={"question": question}).json()
    assert "Zephyr" in body["answer"]
    assert body["citations"][0]["source"] == "zephyr-2024.txt"
    assert http.delete("/api/documents/zephyr-2024.txt").status_code == 200
    assert http.get("/api/documents/zephyr-2024.txt").status_code == 404
    body = http.post("/api/ask", json={"question": question}).json()
    assert all(c["source"] != "zephyr-2024.txt" for c in body["citations"])
    assert "Zephyr" not in body["answer"]


def test_upload_file(http: httpx.Client) -> None:
    release = (SEEDS / VIENNA).read_text()
    r = http.post("/api/documents", files={"file": ("copy.txt", release.encode())})
    assert r.status_code == 201 and r.json()["documents"][0]["source"] == "copy.txt"
    assert http.delete("/api/documents/copy.txt").status_code == 200


def test_errors_over_http(http: httpx.Client) -> None:
    r = http.post("/api/ask", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_json"
    assert http.post("/api/ask", json={"question": " "}).status_code == 422
    assert http.get("/api/documents/unknown.txt").status_code == 404
    assert http.get("/healthz").json() == {"status": "ok"}
    assert "rag_http_requests_total" in http.get("/metrics").text


def test_openai_client(server: str) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="x", timeout=60)
    assert [m.id for m in client.models.list()] == ["rag"]
    reply = client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": TASHKENT_Q}]
    )
    content = reply.choices[0].message.content or ""
    assert EXPERTS in content and TASHKENT in content and "Sources:" in content
    stream = client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": TASHKENT_Q}], stream=True
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len(pieces) > 3 and "".join(pieces) == content
