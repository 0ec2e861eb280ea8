"""The HTTP service: `create_app(settings)` wires the routes around one Engine.

The lifespan loads the index (building it from the source folder when there is none) and the
model in a background thread: /healthz answers at once, /readyz and the API answer 503 until
the load is done. Engine calls block, so they run in the threadpool; the Engine serialises
writes and gives each query a consistent snapshot.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import (
    JSONResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rag import __version__
from rag.config import Settings
from rag.engine import Engine
from rag.errors import IndexMissing, RagError
from rag.http import openapi as api_openapi
from rag.http import pages as api_pages
from rag.http.deps import (
    NotReady,
    ServiceState,
    ask_limiter,
    check_question,
    get_state,
    ready_engine,
    require_read,
    run_ask,
)
from rag.http.documents import router as documents_router
from rag.http.errors import install_error_handlers
from rag.http.guard import GuardMiddleware
from rag.http.jobs import router as jobs_router
from rag.http.metrics import Metrics, ObservabilityMiddleware
from rag.http.models import AskRequest, AskResponse, Ready, error_docs
from rag.http.openai_compat import pieces
from rag.http.openai_compat import router as openai_router
from rag.ingestion.ingest import IngestError
from rag.jobs import JobRunner
from rag.values import Answer

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
ReadyEngine = Annotated[Engine, Depends(ready_engine)]

DESCRIPTION = """Answers questions about press releases with citations that point at the exact
sentence of the exact release. Every error is `{"error": {"code", "message"}}`.

**Auth**: when `RAG_API_KEY` is set, `POST`/`DELETE /api/documents` need
`Authorization: Bearer <key>`; with `RAG_API_KEY_READS=1` the read endpoints need it too.

**Limits**: bodies over `RAG_MAX_BODY_BYTES` (uploads: `RAG_MAX_UPLOAD_BYTES`) get 413 before they
are read, bodies slower than `RAG_BODY_TIMEOUT` 408; writes from a page on another origin get
403 unless it is listed in `RAG_ALLOWED_ORIGINS`; a write that meets a full disk gets 507 and
changes nothing. A malformed JSON body is 422 `invalid_json` on every route."""


def load(state: ServiceState) -> None:
    """Build the index when there is none (or its first build was interrupted), open it, and
    warm the model up; never raises."""
    engine, settings = state.engine, state.settings
    started = time.perf_counter()
    try:
        if engine.needs_build():
            log.info("no index in %s: building it from %s", settings.index_dir, settings.source_dir)
        report = engine.build_if_missing(settings.source_dir)
        if report is not None:
            log.info(
                "indexed %d documents (%d chunks)", report.documents_total, report.chunks_total
            )
        snap = engine.snapshot  # opens the index unless it is open already
        warm = getattr(engine, "warm_up", None) or getattr(engine.embedder, "warm_up", None)
        if warm is not None:
            warm()
        state.ready = True
        log.info(
            "ready in %.1f s: %d documents, %d chunks, model %s",
            time.perf_counter() - started,
            len(snap.documents),
            snap.chunk_count,
            engine.embedder.name,
        )
    except RagError as exc:
        state.error = exc
        log.error("could not load the index: %s", exc.message)
    except IngestError as exc:
        state.error = IndexMissing(f"cannot build the index: {exc}")
        log.error("could not build the index: %s", exc)
    except Exception:
        state.error = RagError("loading the index failed; see the server log")
        log.exception("could not load the index")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: ServiceState = app.state.service
    if not state.ready:
        state.error = None
        threading.Thread(target=load, args=(state,), name="rag-load", daemon=True).start()
    yield


ask_router = APIRouter(tags=["ask"])


def _answer(
    request: Request, body: AskRequest, engine: Engine, generate: bool = True
) -> dict[str, Any] | Answer:
    """The response object; with `generate` false, the extractive Answer (for streaming)."""
    question = check_question(body.question, get_state(request).settings)
    answer = engine.ask(
        question, body.top_k, body.filter_dict(), body.history_dicts(), generate=generate
    )
    if not generate:
        return answer
    request.app.state.metrics.answers.labels(str(answer.abstained).lower()).inc()
    return answer.to_dict()


@ask_router.post(
    "/api/ask",
    response_model=None,
    dependencies=[Depends(require_read)],
    responses={200: {"model": AskResponse}, **error_docs()},
)
async def ask(body: AskRequest, request: Request, engine: ReadyEngine) -> JSONResponse:
    """Answer a question with numbered citations (or abstain when the releases do not say)."""
    return JSONResponse(await run_ask(request, _answer, request, body, engine))


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@ask_router.post(
    "/api/ask/stream",
    response_model=None,
    dependencies=[Depends(require_read)],
    responses={
        200: {
            "description": "Server-Sent Events: `citations` ({citations}), then `token` "
            "events ({text}) that concatenate to the answer, then `done` with the object "
            "POST /api/ask returns",
            "content": {"text/event-stream": {}},
        },
        **error_docs(),
    },
)
async def ask_stream(body: AskRequest, request: Request, engine: ReadyEngine) -> Response:
    """The same answer as POST /api/ask, as a stream of Server-Sent Events.

    With an LLM configured, the `token` events are the model's raw text as it arrives, the
    `citations` event is empty, and `done` carries the checked answer (which may differ)."""
    extractive = await run_ask(request, _answer, request, body, engine, False)
    generator = engine.generator
    metrics = request.app.state.metrics

    def generated() -> Iterator[str]:  # a sync iterator: Starlette runs it in the threadpool
        assert generator is not None
        yield _sse("citations", {"citations": [], "generating": True})
        for event, value in generator.events(extractive):
            if event == "token":
                yield _sse("token", {"text": value})
            elif isinstance(value, Answer):
                metrics.answers.labels(str(value.abstained).lower()).inc()
                yield _sse("done", value.to_dict())

    async def extracted() -> AsyncIterator[str]:
        metrics.answers.labels(str(extractive.abstained).lower()).inc()
        result = extractive.to_dict()
        yield _sse("citations", {"citations": result["citations"]})
        for piece in pieces(result["answer"]):
            yield _sse("token", {"text": piece})
        yield _sse("done", result)

    use_llm = generator is not None and generator.applies(extractive)
    return StreamingResponse(
        generated() if use_llm else extracted(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


ops_router = APIRouter(tags=["operations"])


@ops_router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@ops_router.get("/readyz", response_model=Ready, responses={503: error_docs()[503]})
def readyz(request: Request) -> dict[str, Any]:
    """Readiness: the index and model are loaded; counts and the model name."""
    state = get_state(request)
    if not state.ready:
        if state.error is not None:
            raise NotReady(f"the service could not load its index: {state.error.message}")
        raise NotReady("the index and model are still loading")
    snap = state.engine.snapshot
    ping = getattr(snap.vectors, "ping", None)
    if ping is not None:  # Milvus: 503 vector_backend_unavailable when it does not answer
        ping()
    return {
        "status": "ready",
        "documents": len(snap.documents),
        "chunks": snap.chunk_count,
        "model": state.engine.embedder.name,
        "dimension": state.engine.embedder.dimension,
        "generation": snap.generation,
    }


@ops_router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text format: request counts and latency histograms by route."""
    state, m = get_state(request), request.app.state.metrics
    m.ready.set(1 if state.ready else 0)
    if state.ready:
        snap = state.engine.snapshot
        m.documents.set(len(snap.documents))
        m.chunks.set(snap.chunk_count)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The FastAPI app over `engine` (by default an Engine for `settings`), loaded at startup."""
    app = FastAPI(
        title="Press-release question answering",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from rag.http.pages, offline
        redoc_url=None,
    )
    app.state.service = ServiceState(settings=settings, engine=engine or Engine(settings))
    app.state.metrics = Metrics()
    app.state.jobs = JobRunner(app.state.service.engine)  # large writes, in the background
    app.state.ask_limiter = ask_limiter(settings)
    install_error_handlers(app)
    api_pages.install(app)  # /, /favicon.ico, /docs, /redoc; response examples
    api_openapi.install(app, settings)  # after anything else that adjusts the document
    app.add_middleware(GuardMiddleware, settings=settings)  # inside: its refusals are logged
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    app.include_router(ask_router)
    app.include_router(documents_router)
    app.include_router(jobs_router)
    app.include_router(openai_router)
    app.include_router(ops_router)
    if WEB_DIR.is_dir():
        app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
    return app
