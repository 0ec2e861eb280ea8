"""Vector indexes at scale: FAISS flat / HNSW / IVF-SQ8 and Milvus Lite on synthetic corpora.

    python -m eval.bench scale --sizes 100000,1000000 [--backends flat,hnsw,ivf-sq8,milvus-lite]

The vectors start from real MiniLM chunk vectors: the BBC News articles
(../shared/data/bbc) chunked and embedded through the engine once and cached. A corpus of N
vectors mixes two random real vectors and adds Gaussian noise, v = norm(a x_i + (1 - a) x_j + e)
with a ~ U(0.5, 1) and |e| ~ 0.35, so it fills the space between real passages rather than
repeating them. Queries are other real chunk vectors with a little noise (|e| ~ 0.2).

Per backend: build seconds, index size on disk, resident-memory growth, p50/p95 latency of
single-query top-10 searches (as the service makes them), recall@10 against exact search, and
the same for searches filtered to ~2% of the vectors (an id filter for FAISS, a `source in
[...]` expression for Milvus). Results go to eval/results/scale.json.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BBC = Path("../shared/data/bbc/bbc_articles.jsonl")
CACHE = Path(tempfile.gettempdir()) / "rag-bench-scale" / "bbc_minilm.npy"
BACKENDS = ("flat", "hnsw", "ivf-sq8", "milvus-lite")
SOURCES_PER_1000 = 10  # synthetic "releases" of 100 chunks each, for filtered searches


def add_parser(sub) -> None:
    p = sub.add_parser("scale", help="vector indexes at scale: recall@10, latency, build, memory")
    p.add_argument("--sizes", default="100000", help="comma-separated corpus sizes")
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument(
        "--lite-max", type=int, default=100_000, help="largest corpus to load into Milvus Lite"
    )
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--filter-share", type=float, default=0.02)
    p.add_argument("--data", type=Path, default=BBC)
    p.add_argument("--articles", type=int, default=800, help="BBC articles to embed (cached)")
    p.add_argument("--cache", type=Path, default=CACHE, help="real vectors, embedded once")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def real_vectors(data: Path, cache: Path, articles: int) -> np.ndarray:
    """MiniLM vectors of the first BBC articles' chunks, embedded through the engine once."""
    cache = cache.with_name(f"{cache.stem}_{articles}{cache.suffix}")
    if cache.exists():
        return np.load(cache)
    from rag.config import Settings
    from rag.engine import Engine

    with tempfile.TemporaryDirectory(prefix="rag-scale-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        lines = data.read_text().splitlines()[:articles]
        (src / data.name).write_text("\n".join(lines) + "\n")
        engine = Engine(Settings.from_env(index_dir=Path(tmp) / "index", source_dir=src))
        engine.index_directory(src)
        vectors = np.vstack([b.vectors for b in engine.store.stored_rows()])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def synthetic(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    noise = 0.35 / np.sqrt(real.shape[1])
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        i, j = rng.integers(0, len(real), m), rng.integers(0, len(real), m)
        a = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        mix = a * real[i] + (1 - a) * real[j]
        out[lo : lo + m] = _normalise(mix + rng.normal(0, noise, mix.shape).astype(np.float32))
    return out


def _exact(base: np.ndarray, queries: np.ndarray, k: int, ids: np.ndarray | None = None):
    import faiss

    sub = base if ids is None else base[ids]
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(sub)
    _, found = index.search(queries, k)
    return found if ids is None else ids[found]


def _summary(latencies: list[float], found: list[np.ndarray], truth: np.ndarray, k: int) -> dict:
    recall = np.mean(
        [
            len(set(f[:k].tolist()) & set(t[:k].tolist())) / k
            for f, t in zip(found, truth, strict=True)
        ]
    )
    return {
        "recall_at_10": round(float(recall), 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p95_ms": round(float(np.percentile(latencies, 95)), 3),
    }


def _search_all(index, queries: np.ndarray, k: int, where=None) -> tuple[list[float], list]:
    found, latencies = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, ids = index.search(q, k, where)
        latencies.append((time.perf_counter() - t0) * 1000)
        found.append(np.asarray(ids))
    return latencies, found


def _dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _build(backend: str, base: np.ndarray, sources: list[str], tmp: Path):
    """(index, on-disk MB) with ids 0..n-1; Milvus rows carry their synthetic source."""
    from rag.index.faiss_index import FaissVectorIndex

    ids = np.arange(len(base), dtype=np.int64)
    if backend != "milvus-lite":
        index = FaissVectorIndex.build(base.shape[1], backend, ids, base)
        path = tmp / f"{backend}.faiss"
        index.write(path)
        return index, _dir_mb(path)
    from rag.index.milvus_index import MilvusVectorIndex, row_fields

    path = tmp / "milvus.db"
    index = MilvusVectorIndex(str(path), "scale", base.shape[1], timeout=600)

    def batches():
        for lo in range(0, len(base), 20_000):
            hi = min(lo + 20_000, len(base))
            yield ids[lo:hi], base[lo:hi], [row_fields(s, 2005, "") for s in sources[lo:hi]]

    index.reset(uuid.uuid4().hex, 0, batches())
    # Seal the segments so Milvus builds its HNSW index, and wait for that background build
    # (through Milvus Lite's internals: its describe_index says "Finished" before it is).
    index._call("flush", lambda c: c.flush(index.collection))
    from milvus_lite.server_manager import server_manager_instance

    db = server_manager_instance._servers[str(path.resolve())][1]
    db.get_collection(index.collection)._wait_for_bg()
    index.load()
    return index, _dir_mb(path)


def bench_size(args: argparse.Namespace, real: np.ndarray, n: int) -> dict:
    from rag.index.faiss_index import SearchFilter

    rng = np.random.default_rng(args.seed)
    base = synthetic(real, n, rng)
    picks = rng.integers(0, len(real), args.queries)
    queries = _normalise(
        real[picks]
        + rng.normal(0, 0.2 / np.sqrt(real.shape[1]), (args.queries, real.shape[1])).astype(
            np.float32
        )
    )
    # Synthetic releases of 100 consecutive chunks; a filter allows a random ~2% of them.
    n_sources = max(1, n // 100)
    sources = [f"s{i // 100:07d}" for i in range(n)]
    allowed = sorted(
        rng.choice(n_sources, max(1, int(n_sources * args.filter_share)), replace=False).tolist()
    )
    allowed_names = {f"s{i:07d}" for i in allowed}
    ids_by_source = {f"s{i:07d}": list(range(i * 100, min(n, i * 100 + 100))) for i in allowed}
    where = SearchFilter(allowed_names, ids_by_source, sources=allowed_names)
    t0 = time.perf_counter()
    truth = _exact(base, queries, args.k)
    truth_filtered = _exact(base, queries, args.k, where.ids)
    log.info("n=%d: ground truth in %.1f s", n, time.perf_counter() - t0)
    out: dict = {"vectors": n, "dimension": int(base.shape[1]), "queries": args.queries,
                 "filtered_share": round(len(where.ids) / n, 4), "backends": {}}  # fmt: skip
    for backend in args.backends.split(","):
        if backend == "milvus-lite" and n > args.lite_max:
            out["backends"][backend] = {"skipped": f"over --lite-max {args.lite_max}"}
            continue
        gc.collect()
        rss0 = _rss_mb()
        with tempfile.TemporaryDirectory(prefix="rag-scale-") as tmp:
            t0 = time.perf_counter()
            index, disk_mb = _build(backend, base, sources, Path(tmp))
            build_s = time.perf_counter() - t0
            index.search(queries[0], args.k)  # warm
            lat, found = _search_all(index, queries, args.k)
            lat_f, found_f = _search_all(index, queries, args.k, where)
            rss1 = _rss_mb()
            row = {
                "build_s": round(build_s, 2),
                "disk_mb": round(disk_mb, 1),
                "rss_growth_mb": round(rss1 - rss0, 1),
                **_summary(lat, found, truth, args.k),
                "filtered": _summary(lat_f, found_f, truth_filtered, args.k),
            }
            if hasattr(index, "close"):
                index.close()
            del index
            if backend == "milvus-lite":
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_all()
        out["backends"][backend] = row
        log.warning("n=%d %s: %s", n, backend, row)
        gc.collect()
    return out


def bench_scale(args: argparse.Namespace) -> dict:
    import faiss

    real = real_vectors(args.data, args.cache, args.articles)
    result = {
        "what": "synthetic corpora from real MiniLM BBC chunk vectors (see eval/bench_scale.py)",
        "real_vectors": len(real),
        "bbc_articles": args.articles,
        "k": args.k,
        "faiss": f"{faiss.__version__} ({platform.machine()}, {os.cpu_count()} cores); "
        "searches single-threaded, builds on all cores",
        "sizes": [bench_size(args, real, int(n)) for n in args.sizes.split(",")],
    }
    return result
