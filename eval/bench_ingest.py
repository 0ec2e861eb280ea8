"""BBC-scale ingestion through `Engine.index_directory` (the code path of `rag index`).

    python -m eval.bench ingest --data ../shared/data/bbc/bbc_articles.jsonl

The .jsonl is copied into a temporary source folder and indexed into a temporary index. Reported:
documents/s, chunks/s and tokens/s of the whole run (parsing, chunking, model load, embedding,
SQLite + FTS5 + FAISS writes), where the time went, peak RSS, the index size on disk; then, in the
same process, the embedder's bare `encode` and sentence-transformers' own `encode` (torch) over
a fixed sample of the same chunk texts, and the ratio pipeline/raw (chunks/s); re-indexing
unchanged; re-indexing after 1% of the articles changed. The index is then kept for
`eval.bench latency` unless --no-keep-index.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _TimedEncode:
    """Wraps an embedder's encode to add up the seconds spent in it."""

    def __init__(self, encode) -> None:
        self._encode = encode
        self.seconds = 0.0

    def __call__(self, texts, **kwargs):
        started = time.perf_counter()
        try:
            return self._encode(texts, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def _change_one_percent(path: Path, seed: int) -> int:
    """Append a sentence to 1% of the records (at least one); returns how many changed."""
    lines = path.read_text().splitlines()
    rng = random.Random(seed)
    picked = rng.sample(range(len(lines)), max(1, len(lines) // 100))
    for i in picked:
        record = json.loads(lines[i])
        record["text"] += "\n\nThis article was updated after publication."
        lines[i] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n")
    return len(picked)


def _raw_encode(texts: list[str], encode) -> float:
    started = time.perf_counter()
    encode(texts)
    return time.perf_counter() - started


def bench_ingest(args: argparse.Namespace) -> dict:
    from rag.config import Settings
    from rag.embedders.base import SentenceTransformerEmbedder
    from rag.engine import Engine

    data = args.data.resolve()
    with tempfile.TemporaryDirectory(prefix="rag-ingest-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(data, src / data.name)
        settings = Settings.from_env(index_dir=Path(tmp) / "index", source_dir=src)
        engine = Engine(settings)
        if settings.embed_backend.startswith("onnx"):
            # The one-time ONNX export (cached like the model itself) is not part of ingestion.
            from rag.embedders.model_files import resolve_model_path
            from rag.embedders.onnx_backend import export_onnx

            export_onnx(
                resolve_model_path(settings.embed_model), settings.embed_backend == "onnx-int8"
            )
        timed = _TimedEncode(engine.embedder.encode)
        engine.embedder.encode = timed  # type: ignore[method-assign]
        started = time.perf_counter()
        report = engine.index_directory(src, progress=sys.stderr.isatty())
        total_s = time.perf_counter() - started
        peak_rss = _peak_rss_mb()
        snap = engine.snapshot
        chunks = list(snap.chunks.values())
        texts = [c.embed_text for c in chunks]
        cl100k_tokens = sum(c.n_tokens for c in chunks)
        tokenizer = getattr(engine.embedder, "_tokenizer", None)
        if tokenizer is None:
            tokenizer = engine.embedder._load().tokenizer  # type: ignore[attr-defined]
        wordpieces = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
        index_bytes = _dir_bytes(settings.index_dir)
        n_docs, n_chunks = report.documents_total, report.chunks_total
        out: dict = {
            "data": str(args.data),
            "backend": settings.embed_backend,
            "batch_size": settings.embed_batch_size,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap_tokens": settings.chunk_overlap_tokens,
            "documents": n_docs,
            "chunks": n_chunks,
            "cl100k_tokens": cl100k_tokens,
            "model_wordpieces": wordpieces,
            "seconds": round(total_s, 1),
            "embed_seconds": round(timed.seconds, 1),
            "other_seconds": round(total_s - timed.seconds, 1),
            "documents_per_s": round(n_docs / total_s, 1),
            "chunks_per_s": round(n_chunks / total_s, 1),
            "wordpieces_per_s": round(wordpieces / total_s),
            "peak_rss_mb": round(peak_rss),
            "index_bytes": index_bytes,
            "index_mb": round(index_bytes / 2**20, 1),
        }

        # The model's own limit on the same texts: the embedder alone, and sentence-transformers.
        sample = texts
        if args.raw_sample and args.raw_sample < len(texts):
            sample = random.Random(args.seed).sample(texts, args.raw_sample)
        out["raw_texts"] = len(sample)
        raw_s = _raw_encode(sample, timed._encode)
        out["raw_backend_chunks_per_s"] = round(len(sample) / raw_s, 1)
        out["pipeline_over_raw_backend"] = round(
            out["chunks_per_s"] / out["raw_backend_chunks_per_s"], 3
        )
        st = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)
        st.warm_up()
        st_s = _raw_encode(sample, st.encode)
        out["raw_st_torch_chunks_per_s"] = round(len(sample) / st_s, 1)
        out["pipeline_over_raw_st_torch"] = round(
            out["chunks_per_s"] / out["raw_st_torch_chunks_per_s"], 3
        )
        del st

        # Re-index unchanged (a new Engine, as a second `rag index` would be), then 1% changed.
        again = Engine(settings)
        started = time.perf_counter()
        rep = again.index_directory(src)
        out["reindex_unchanged_seconds"] = round(time.perf_counter() - started, 2)
        out["reindex_unchanged_embedded"] = rep.chunks_embedded
        changed = _change_one_percent(src / data.name, args.seed)
        started = time.perf_counter()
        rep = again.index_directory(src)
        out["reindex_1pct_seconds"] = round(time.perf_counter() - started, 2)
        out["reindex_1pct_documents"] = changed
        out["reindex_1pct_updated"] = len(rep.updated)
        out["reindex_1pct_chunks_embedded"] = rep.chunks_embedded
        if args.keep_index:
            del engine, again  # their SQLite connections close with them
            gc.collect()
            _keep_for_latency(settings.index_dir, data, settings.embed_backend)
    return out


def _keep_for_latency(index_dir: Path, data: Path, backend: str) -> None:
    """Leave the index where `eval.bench latency` looks for it (it re-syncs the 1% change)."""
    from eval.bench_latency import cache_dir

    target = cache_dir(data, backend) / "index"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(index_dir), target)


def add_parser(sub) -> None:
    p = sub.add_parser("ingest", help="BBC-scale ingestion: throughput, RSS, size, re-index")
    p.add_argument("--data", type=Path, default=Path("../shared/data/bbc/bbc_articles.jsonl"))
    p.add_argument(
        "--raw-sample",
        type=int,
        default=1000,
        help="chunk texts (a fixed sample) for the bare-encode references (0 = all)",
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument(
        "--keep-index",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the built index for `eval.bench latency` (its cache folder)",
    )
    p.add_argument("--json", action="store_true")
