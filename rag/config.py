"""One frozen Settings object, read from RAG_* environment variables and passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


def _project_root() -> Path:
    """The source checkout holding this package; for an installed package (no pyproject.toml
    beside it), the working directory: its ./embeddings and ./seeds are the defaults."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "pyproject.toml").exists() else Path.cwd()


PROJECT_ROOT = _project_root()
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


@dataclass(frozen=True)
class Settings:
    index_dir: Path = PROJECT_ROOT / "embeddings"
    source_dir: Path = PROJECT_ROOT / "seeds"
    embed_model: str = DEFAULT_MODEL  # a name, or a local sentence-transformers model path
    embed_batch_size: int = 64
    embed_backend: str = "onnx-int8"  # torch | onnx | onnx-int8 (rag.embedders.onnx_backend)
    evidence_backend: str = (
        "onnx"  # word similarity in question analysis (rag.answering.question_analysis)
    )
    reader_backend: str = (
        "onnx-int8"  # onnx-int8 | onnx | torch: the span reader (rag.answering.reader)
    )
    # spaCy in a child process (rag.answering.nlp_process): on | off | auto (on in `rag serve`,
    # where concurrent questions would otherwise wait on spaCy for the GIL; off elsewhere).
    nlp_process: str = "auto"
    # At most this many spaCy children; a second starts only when concurrent asks find the
    # first busy (0: as many as the machine has cores, at most 4).
    nlp_processes: int = 0
    # Tag every sentence of the index in a low-priority child process after it opens and after
    # each write (rag.answering.pretagging): on | off | auto (on in `rag serve`, off elsewhere).
    pretag: str = "auto"
    # 160 cl100k tokens + the ~25-token context line stays well inside MiniLM's 256-wordpiece
    # window (English wordpieces run ~1.1-1.3x cl100k tokens), so nothing is truncated.
    chunk_tokens: int = 160
    chunk_overlap_tokens: int = 32
    top_k: int = 5
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    max_question_chars: int = 1000
    max_upload_bytes: int = 5_000_000
    api_key: str = ""
    api_key_reads: bool = False
    # HTTP hardening (rag.http.guard, rag.http.server): request limits, timeouts, cross-site writes.
    max_body_bytes: int = 1_000_000  # any other request body; larger ones get 413 unread
    body_timeout: float = 30.0  # seconds to receive a whole request body (else 408)
    header_timeout: float = 10.0  # seconds to receive a request's headers (else closed)
    keepalive_timeout: int = 5  # seconds an idle keep-alive connection stays open
    max_connections: int = 200  # concurrent connections/requests; past it 503
    allowed_origins: tuple[str, ...] = ()  # other origins whose pages may write ("*" = any)
    background_write_chars: int = 100_000  # larger POSTed documents: 202 + a job (0 = never)
    # Questions answered at once (the rest wait their turn): enough to keep every core busy
    # while one waits on another, few enough that they do not thrash the GIL. 0 = 2 per core.
    ask_workers: int = 0
    log_level: str = "INFO"
    # Optional generated answers through an OpenAI-compatible chat API (rag.answering.generation).
    llm_base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (Ollama); "" = extractive only
    llm_model: str = "default"
    llm_api_key: str = ""
    llm_timeout: float = 30.0  # seconds for the whole generation, retries included
    llm_connect_timeout: float = 3.0
    llm_retries: int = 2
    llm_max_tokens: int = 256
    llm_passages: int = 4
    # Vector index (rag.index.faiss_index, rag.index.milvus_index): SQLite stays the store of
    # record either way.
    vector_backend: str = "faiss"  # faiss | milvus
    faiss_index: str = "auto"  # auto | flat | hnsw | ivf-sq8 (auto: by corpus size)
    milvus_uri: str = ""  # a *.db path (Milvus Lite) or http://host:19530; "" = index_dir/milvus.db
    milvus_token: str = ""
    milvus_collection: str = "rag_chunks"
    milvus_timeout: float = 10.0
    # Web ingestion (rag.ingestion.fetch): `rag index --url/--feed/--sitemap` and POST {"url"}.
    fetch_timeout: float = 10.0  # seconds per request, the whole body included
    fetch_max_bytes: int = 10_000_000  # larger pages/files are refused
    fetch_max_redirects: int = 5
    fetch_delay: float = 1.0  # seconds between two requests to one host (robots Crawl-delay wins)
    fetch_user_agent: str = ""  # "" = rag.ingestion.fetch.USER_AGENT
    fetch_allow_private: bool = False  # POST {"url"} may reach loopback/private addresses

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        base = cls(
            index_dir=Path(_env("RAG_INDEX_DIR", str(cls.index_dir))),
            source_dir=Path(_env("RAG_SOURCE_DIR", str(cls.source_dir))),
            embed_model=_env("RAG_EMBED_MODEL", DEFAULT_MODEL),
            embed_batch_size=int(_env("RAG_EMBED_BATCH_SIZE", str(cls.embed_batch_size))),
            embed_backend=_env("RAG_EMBED_BACKEND", cls.embed_backend).lower(),
            evidence_backend=_env("RAG_EVIDENCE_BACKEND", cls.evidence_backend).lower(),
            reader_backend=_env("RAG_READER_BACKEND", cls.reader_backend).lower(),
            nlp_process=_env("RAG_NLP_PROCESS", cls.nlp_process).lower(),
            nlp_processes=int(_env("RAG_NLP_PROCESSES", str(cls.nlp_processes))),
            pretag=_env("RAG_PRETAG", cls.pretag).lower(),
            chunk_tokens=int(_env("RAG_CHUNK_TOKENS", str(cls.chunk_tokens))),
            chunk_overlap_tokens=int(_env("RAG_CHUNK_OVERLAP", str(cls.chunk_overlap_tokens))),
            top_k=int(_env("RAG_TOP_K", str(cls.top_k))),
            max_question_chars=int(_env("RAG_MAX_QUESTION_CHARS", str(cls.max_question_chars))),
            max_upload_bytes=int(_env("RAG_MAX_UPLOAD_BYTES", str(cls.max_upload_bytes))),
            api_key=_env("RAG_API_KEY", ""),
            api_key_reads=_env("RAG_API_KEY_READS", "0") in ("1", "true", "yes"),
            max_body_bytes=int(_env("RAG_MAX_BODY_BYTES", str(cls.max_body_bytes))),
            body_timeout=float(_env("RAG_BODY_TIMEOUT", str(cls.body_timeout))),
            header_timeout=float(_env("RAG_HEADER_TIMEOUT", str(cls.header_timeout))),
            keepalive_timeout=int(_env("RAG_KEEPALIVE_TIMEOUT", str(cls.keepalive_timeout))),
            max_connections=int(_env("RAG_MAX_CONNECTIONS", str(cls.max_connections))),
            background_write_chars=int(
                _env("RAG_BACKGROUND_WRITE_CHARS", str(cls.background_write_chars))
            ),
            allowed_origins=tuple(
                o.strip().rstrip("/")
                for o in _env("RAG_ALLOWED_ORIGINS", "").split(",")
                if o.strip()
            ),
            ask_workers=int(_env("RAG_ASK_WORKERS", str(cls.ask_workers))),
            log_level=_env("RAG_LOG_LEVEL", "INFO").upper(),
            llm_base_url=_env("RAG_LLM_BASE_URL", ""),
            llm_model=_env("RAG_LLM_MODEL", cls.llm_model),
            llm_api_key=_env("RAG_LLM_API_KEY", ""),
            llm_timeout=float(_env("RAG_LLM_TIMEOUT", str(cls.llm_timeout))),
            llm_connect_timeout=float(
                _env("RAG_LLM_CONNECT_TIMEOUT", str(cls.llm_connect_timeout))
            ),
            llm_retries=int(_env("RAG_LLM_RETRIES", str(cls.llm_retries))),
            llm_max_tokens=int(_env("RAG_LLM_MAX_TOKENS", str(cls.llm_max_tokens))),
            llm_passages=int(_env("RAG_LLM_PASSAGES", str(cls.llm_passages))),
            vector_backend=_env("RAG_VECTOR_BACKEND", cls.vector_backend).lower(),
            faiss_index=_env("RAG_FAISS_INDEX", cls.faiss_index).lower(),
            milvus_uri=_env("RAG_MILVUS_URI", ""),
            milvus_token=_env("RAG_MILVUS_TOKEN", ""),
            milvus_collection=_env("RAG_MILVUS_COLLECTION", cls.milvus_collection),
            milvus_timeout=float(_env("RAG_MILVUS_TIMEOUT", str(cls.milvus_timeout))),
            fetch_timeout=float(_env("RAG_FETCH_TIMEOUT", str(cls.fetch_timeout))),
            fetch_max_bytes=int(_env("RAG_FETCH_MAX_BYTES", str(cls.fetch_max_bytes))),
            fetch_max_redirects=int(_env("RAG_FETCH_MAX_REDIRECTS", str(cls.fetch_max_redirects))),
            fetch_delay=float(_env("RAG_FETCH_DELAY", str(cls.fetch_delay))),
            fetch_user_agent=_env("RAG_FETCH_USER_AGENT", ""),
            fetch_allow_private=_env("RAG_FETCH_ALLOW_PRIVATE", "0") in ("1", "true", "yes"),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in clean:
            clean["index_dir"] = Path(str(clean["index_dir"]))
        if "source_dir" in clean:
            clean["source_dir"] = Path(str(clean["source_dir"]))
        return replace(base, **clean)  # type: ignore[arg-type]
