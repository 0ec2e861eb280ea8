"""Large writes as background jobs (issue 15, item 8): 202 and a job to poll, progress, cancel,
and small writes served while a large one is being embedded."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.engine import Engine
from rag.http.app import create_app
from tests.test_api import assert_error, quokka, quokka_question, wait_ready

THRESHOLD = 2_000  # characters: a test-sized "large" document
WAIT = 60.0  # seconds a job may take to finish here (a liveness bound, not a latency claim)


@pytest.fixture
def vector_backend() -> str:
    return "faiss"


@pytest.fixture
def client(fake_settings: Settings, fake_engine: Engine) -> Iterator[TestClient]:
    settings = dataclasses.replace(fake_settings, background_write_chars=THRESHOLD)
    with TestClient(create_app(settings, engine=fake_engine)) as client:
        wait_ready(client)
        yield client


def large(i: int = 1, source: str | None = None) -> dict[str, str]:
    doc = quokka(i, source=source or f"large-{i}.txt")
    doc["text"] += " The council also published its annual review of river work." * 60
    assert len(doc["text"]) > THRESHOLD
    return doc


def finished(client: TestClient, job_id: str) -> dict[str, Any]:
    job = client.app.state.jobs.wait(job_id, WAIT)
    assert job.finished is not None, job.to_dict()
    r = client.get(f"/api/jobs/{job_id}")
    assert r.status_code == 200
    return r.json()


class Gate:
    """Holds the job's embedding at its first batch until opened."""

    def __init__(self, engine: Engine, monkeypatch) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()
        real: Callable = engine.embed_for_write

        def gated(docs, progress=None, stop=None, batch=256):
            self.entered.set()
            assert self.opened.wait(WAIT)
            return real(docs, progress, stop, batch=2)

        monkeypatch.setattr(engine, "embed_for_write", gated)


def test_a_large_document_is_written_by_a_job(client: TestClient) -> None:
    r = client.post("/api/documents", json=large(1))
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == job["url"] == f"/api/jobs/{job['id']}"
    assert job["state"] in ("queued", "running", "done") and job["sources"] == ["large-1.txt"]
    done = finished(client, job["id"])
    assert done["state"] == "done" and done["progress"] == 1.0 and done["error"] is None
    assert done["chunks_done"] == done["chunks_total"] > 1
    [result] = done["documents"]
    assert result["source"] == "large-1.txt" and result["status"] == "added"
    assert result["chunks"] == done["chunks_total"]
    assert client.get("/api/documents/large-1.txt").status_code == 200
    answer = client.post("/api/ask", json={"question": quokka_question(1)}).json()
    assert answer["citations"][0]["source"] == "large-1.txt"


def test_small_writes_are_served_while_a_large_one_embeds(client, fake_engine, monkeypatch):
    gate = Gate(fake_engine, monkeypatch)
    job = client.post("/api/documents", json=large(2)).json()
    assert gate.entered.wait(WAIT)  # the job is embedding, holding no lock
    small = client.post("/api/documents", json=quokka(3))
    assert small.status_code == 201  # not queued behind the large write
    assert client.get(f"/api/jobs/{job['id']}").json()["state"] == "running"
    gate.opened.set()
    done = finished(client, job["id"])
    assert done["state"] == "done"
    sources = {d["source"] for d in client.get("/api/documents?limit=500").json()["documents"]}
    assert {"large-2.txt", "quokka-3.txt"} <= sources


def test_a_cancelled_job_writes_nothing(client, fake_engine, monkeypatch):
    gate = Gate(fake_engine, monkeypatch)
    job = client.post("/api/documents", json=large(4)).json()
    queued = client.post("/api/documents", json=large(5)).json()  # waits behind the first
    assert gate.entered.wait(WAIT)
    assert client.delete(f"/api/jobs/{queued['id']}").json()["state"] == "cancelled"
    assert client.delete(f"/api/jobs/{job['id']}").json()["state"] == "running"  # stopping
    gate.opened.set()
    assert finished(client, job["id"])["state"] == "cancelled"
    for source in ("large-4.txt", "large-5.txt"):
        assert_error(client.get(f"/api/documents/{source}"), 404)
    assert client.get("/api/documents").json()["total"] == 5


def test_a_failed_job_says_why(client: TestClient) -> None:
    assert client.post("/api/documents", json=large(6, source="taken.txt")).status_code == 202
    other = large(7, source="taken.txt")
    first = client.app.state.jobs
    for job in list(first._jobs.values()):
        first.wait(job.id, WAIT)
    job = client.post("/api/documents", json=other).json()
    failed = finished(client, job["id"])
    assert failed["state"] == "failed" and failed["error"]["code"] == "conflict"
    assert failed["documents"] == []


def test_jobs_refuse_bad_names_at_once_and_unknown_ids(client: TestClient) -> None:
    assert_error(client.post("/api/documents", json=large(8, source="..")), 422)
    assert_error(client.get("/api/jobs/nope"), 404, "not_found")
    assert_error(client.delete("/api/jobs/nope"), 404, "not_found")
    assert client.post("/api/documents", json=quokka(9)).status_code == 201  # small: at once


def test_the_job_response_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    accepted = spec["paths"]["/api/documents"]["post"]["responses"]["202"]
    assert accepted["content"]["application/json"]["schema"]["$ref"].endswith("/JobOut")
    assert {"get", "delete"} <= set(spec["paths"]["/api/jobs/{job_id}"])
