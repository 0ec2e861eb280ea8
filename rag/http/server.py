"""`rag serve`: build the index when there is none (with progress), then run uvicorn."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from typing import Any

from rag import logsafe
from rag.config import Settings
from rag.errors import RagError
from rag.ingestion.ingest import IngestError

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Log lines to stderr (a no-op for handlers the CLI has installed already), with control
    characters in every message escaped (rag.logsafe)."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logsafe.install()
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def uvicorn_config(app: Any, settings: Settings, host: str, port: int):
    """uvicorn's settings: slow clients are timed out and connections are limited.

    Headers must arrive within RAG_HEADER_TIMEOUT (rag.http.timeouts), bodies within
    RAG_BODY_TIMEOUT (rag.http.guard), idle keep-alive connections close after
    RAG_KEEPALIVE_TIMEOUT, and past RAG_MAX_CONNECTIONS concurrent connections (or requests)
    new requests get 503.
    """
    import uvicorn

    from rag.http.timeouts import protocol_class

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(settings.header_timeout),
        log_config=None,  # keep the logging configured above
        access_log=False,  # rag.access logs one line per request instead
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.keepalive_timeout,
        limit_concurrency=settings.max_connections,
        backlog=max(64, settings.max_connections),
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Run the HTTP service until interrupted; returns the process exit code."""
    import uvicorn

    from rag.engine import Engine
    from rag.http.app import create_app

    configure_logging(settings.log_level)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_key:
        log.warning("listening on %s without RAG_API_KEY: anyone who can reach it can write", host)
    if settings.nlp_process == "auto":  # concurrent asks: spaCy in its own process
        settings = replace(settings, nlp_process="on")
    if settings.pretag == "auto":  # cold questions find their sentences tagged
        settings = replace(settings, pretag="on")
    engine = Engine(settings)
    if engine.needs_build():
        print(
            f"{'An unfinished first build' if engine.unfinished_build() else 'No index'} in "
            f"{settings.index_dir}: building it from {settings.source_dir} "
            "(first run; this embeds every release) ...",
            file=sys.stderr,
            flush=True,
        )
    try:
        report = engine.build_if_missing(settings.source_dir, progress=sys.stderr.isatty())
    except (RagError, IngestError) as exc:
        print(f"error: cannot build the index: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if report is not None:
        print(
            f"Indexed {report.documents_total} documents ({report.chunks_total} chunks) "
            f"in {report.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(
        f"Serving on http://{host}:{port} (API docs at /docs); loading the model, "
        "ready when /readyz says so",
        file=sys.stderr,
        flush=True,
    )
    app = create_app(settings, engine)
    try:
        uvicorn.Server(uvicorn_config(app, settings, host, port)).run()
    finally:
        if engine.annotator.nlp_process is not None:
            engine.annotator.nlp_process.close()
        if engine.pretagger is not None:
            engine.pretagger.close()
    return 0
