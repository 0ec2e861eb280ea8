"""Background writes: a large document is embedded by a worker thread, outside the write lock.

`POST /api/documents` hands a write whose text passes `RAG_BACKGROUND_WRITE_CHARS` to a
JobRunner and answers 202 with the job's URL. The worker embeds it in batches (progress is the
share of chunks embedded; a cancel request stops it between batches) and takes the write lock
only to store what it embedded, so small writes are served meanwhile instead of waiting minutes
behind it. Jobs run one at a time, in order; the last MAX_KEPT finished ones can be polled.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rag.engine import Engine
from rag.errors import Conflict, NotFound, RagError, ValidationFailed
from rag.ingestion.names import source_problem
from rag.logsafe import escape
from rag.values import Document

log = logging.getLogger(__name__)

MAX_KEPT = 100  # finished jobs remembered for polling
STATES = ("queued", "running", "done", "failed", "cancelled")


@dataclass
class Job:
    id: str
    documents: list[Document]  # dropped once the job finishes (they can be megabytes)
    replace: bool
    sources: list[str] = field(default_factory=list)
    state: str = "queued"
    chunks_total: int = 0
    chunks_done: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def to_dict(self) -> dict[str, Any]:
        share = self.chunks_done / self.chunks_total if self.chunks_total else 0.0
        return {
            "id": self.id,
            "url": f"/api/jobs/{self.id}",
            "state": self.state,
            "sources": self.sources,
            "progress": round(1.0 if self.state == "done" else share, 4),
            "chunks_done": self.chunks_done,
            "chunks_total": self.chunks_total,
            "documents": self.results,
            "error": self.error,
        }


class JobRunner:
    """One worker thread over a queue of write jobs for one Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: list[Job] = []
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None

    def submit(self, documents: list[Document], replace: bool) -> Job:
        for doc in documents:  # refused now (422), not minutes later
            problem = source_problem(doc.source)
            if problem is not None:
                raise ValidationFailed(f"source {doc.source[:60]!r} {problem}")
        job = Job(uuid.uuid4().hex, documents, replace, [d.source for d in documents])
        with self._cond:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._forget_old()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="rag-jobs", daemon=True)
                self._worker.start()
            self._cond.notify_all()
        log.info("job %s queued: %s", job.id, escape(", ".join(job.sources)))
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r} (finished jobs are kept for the last {MAX_KEPT})")
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop a queued or running job before it writes; a finished job stays as it is."""
        job = self.get(job_id)
        with self._cond:
            if job.state == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled")
            elif job.state == "running":
                job.cancel.set()  # the worker stops at its next batch and writes nothing
        return job

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once it has finished, or as it is after `timeout` seconds (tests, CLI)."""
        job = self.get(job_id)
        deadline = time.monotonic() + timeout
        with self._cond:
            while job.finished is None and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for job in finished[: max(0, len(finished) - MAX_KEPT)]:
            del self._jobs[job.id]

    def _finish(self, job: Job, state: str) -> None:
        job.state, job.finished = state, time.time()
        job.documents = []
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                job = self._queue.pop(0)
                job.state = "running"
            state = self._execute(job)
            with self._cond:
                self._finish(job, state)
            log.info("job %s %s", job.id, state)

    def _execute(self, job: Job) -> str:
        engine, docs = self.engine, job.documents
        try:
            snap = engine.snapshot
            for doc in docs:  # fail fast, before minutes of embedding
                old = snap.documents.get(doc.source)
                if old is not None and old.content_hash != doc.content_hash and not job.replace:
                    raise Conflict(
                        f"a different document named {doc.source!r} exists; "
                        "it is replaced only when replacing is asked for"
                    )

            def progress(done: int, total: int) -> None:
                job.chunks_done, job.chunks_total = done, total

            embedded = engine.embed_for_write(docs, progress, job.cancel.is_set)
            if embedded is None:
                return "cancelled"
            job.chunks_total = sum(len(u.chunks) for u in embedded.values())
            job.chunks_done = job.chunks_total
            results = engine.add_documents(docs, replace=job.replace, embedded=embedded)
        except RagError as exc:
            job.error = {"code": exc.code, "message": exc.message}
            return "failed"
        except Exception:
            log.exception("job %s failed", job.id)
            job.error = {"code": "internal_error", "message": "the write failed; see the log"}
            return "failed"
        job.results = [
            {"source": d.source, "status": status, "chunks": chunks, "title": d.title}
            for d, (status, chunks) in zip(docs, results, strict=True)
        ]
        return "done"
