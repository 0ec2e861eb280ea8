"""`rag serve`: build the index when there is none (with progress), then run uvicorn."""

from __future__ import annotations

import logging
import sys

from rag.config import Settings
from rag.errors import RagError
from rag.ingest import IngestError

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Log lines to stderr; a no-op for handlers the CLI has installed already."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Run the HTTP service until interrupted; returns the process exit code."""
    import uvicorn

    from rag.api import create_app
    from rag.engine import Engine

    configure_logging(settings.log_level)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_key:
        log.warning("listening on %s without RAG_API_KEY: anyone who can reach it can write", host)
    engine = Engine(settings)
    if not engine.store.exists():
        print(
            f"No index in {settings.index_dir}: building it from {settings.source_dir} "
            "(first run; this embeds every release) ...",
            file=sys.stderr,
            flush=True,
        )
        try:
            report = engine.index_directory(settings.source_dir, progress=sys.stderr.isatty())
        except (RagError, IngestError) as exc:
            print(f"error: cannot build the index: {getattr(exc, 'message', exc)}", file=sys.stderr)
            return 2
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
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # keep the logging configured above
        access_log=False,  # rag.access logs one line per request instead
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
    return 0
