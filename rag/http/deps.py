"""Shared pieces of the HTTP layer: the service state, readiness, auth and request limits."""

from __future__ import annotations

import hmac
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.config import Settings
from rag.engine import Engine
from rag.errors import RagError, Unauthorized, ValidationFailed
from rag.ingestion.names import NON_BLANK_PATTERN

T = TypeVar("T")


class NotReady(RagError):
    code = "not_ready"


@dataclass
class ServiceState:
    """What the routes share: one Engine, loaded once by the lifespan."""

    settings: Settings
    engine: Engine
    ready: bool = False
    error: RagError | None = None
    started: float = field(default_factory=time.time)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


async def run_ask(request: Request, fn: Callable[..., T], *args) -> T:
    """`fn(*args)` in a worker thread, at most `settings.ask_workers` at once: past that,
    concurrent questions queue here rather than contend for the cores and the GIL."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=request.app.state.ask_limiter)


def ask_limiter(settings: Settings) -> anyio.CapacityLimiter:
    """RAG_ASK_WORKERS when positive; else (0, or a value below) two per core."""
    workers = settings.ask_workers if settings.ask_workers > 0 else 2 * (os.cpu_count() or 1)
    return anyio.CapacityLimiter(workers)


async def ready_engine(request: Request) -> Engine:
    state = get_state(request)
    if state.error is not None:
        raise NotReady(f"the service could not load its index: {state.error.message}")
    if not state.ready:
        raise NotReady("the index and model are still loading; retry in a few seconds")
    return state.engine


_bearer = HTTPBearer(
    auto_error=False,
    description="RAG_API_KEY; required for writes, and for reads when RAG_API_KEY_READS=1",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _check_key(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    if not settings.api_key:
        return
    given = credentials.credentials if credentials is not None else ""
    if not given or not hmac.compare_digest(given.encode(), settings.api_key.encode()):
        raise Unauthorized(
            "missing or wrong API key: send the header 'Authorization: Bearer <key>'"
        )


async def require_write(request: Request, credentials: Credentials) -> None:
    _check_key(get_state(request).settings, credentials)


async def require_read(request: Request, credentials: Credentials) -> None:
    settings = get_state(request).settings
    if settings.api_key_reads:
        _check_key(settings, credentials)


_NON_BLANK = re.compile(NON_BLANK_PATTERN)  # what the OpenAPI pattern says (rag.ingestion.names)


def check_question(question: str, settings: Settings) -> str:
    """The question, stripped; 422 when it is blank or longer than the configured limit."""
    text = question.strip()
    if not _NON_BLANK.search(text):
        raise ValidationFailed("question: must not be empty or whitespace")
    limit = settings.max_question_chars
    if len(text) > limit:
        raise ValidationFailed(
            f"question: too long ({len(text)} characters); the limit is {limit} characters"
        )
    return text
