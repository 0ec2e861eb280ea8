"""Background writes over HTTP: poll a job (`GET /api/jobs/{id}`) and cancel it (`DELETE`).

A `POST /api/documents` whose text passes `RAG_BACKGROUND_WRITE_CHARS` answers 202 with the job
(rag.jobs) and `Location: /api/jobs/{id}`; the job's `documents` is then what the POST would have
answered, and `error` what it would have failed with.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from rag.http.deps import require_read, require_write
from rag.http.errors import http_message
from rag.http.models import ErrorBody, WriteResult, error_docs
from rag.jobs import JobRunner

router = APIRouter(tags=["documents"])


class JobOut(BaseModel):
    id: str
    url: str = Field(description="where to poll the job")
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    sources: list[str]
    progress: float = Field(ge=0, le=1, description="share of the chunks embedded")
    chunks_done: int
    chunks_total: int
    documents: list[WriteResult] = Field(description="once done: the write's results")
    error: ErrorBody | None = Field(description="once failed: why (as the POST would have said)")


def jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


@router.get(
    "/api/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[Depends(require_read)],
    responses=error_docs(_404="unknown job"),
)
def get_job(job_id: str, request: Request) -> dict[str, Any]:
    """A background write's state and progress; its results once done."""
    return _out(jobs(request).get(job_id).to_dict())


@router.delete(
    "/api/jobs/{job_id}",
    response_model=JobOut,
    dependencies=[Depends(require_write)],
    responses=error_docs(_404="unknown job"),
)
def cancel_job(job_id: str, request: Request) -> dict[str, Any]:
    """Cancel a background write that has not started storing: nothing of it is written.
    A running job stops at its next batch (poll until `cancelled`); a finished one is unchanged."""
    return _out(jobs(request).cancel(job_id).to_dict())


def _out(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the API shows it: a failure worded as the POST would have said it."""
    if job.get("error"):
        error = job["error"]
        job["error"] = {**error, "message": http_message(error["code"], error["message"])}
    return job
