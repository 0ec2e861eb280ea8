"""Query latency on the BBC index: in-process hybrid search, then `rag serve` under load.

    python -m eval.bench latency --data ../shared/data/bbc/bbc_articles.jsonl

The index is built once (through `Engine.index_directory`) into a cache folder per embedding
backend and reused. Questions are BBC headlines (a fixed random sample). First, in this process:
`Retriever.search` (hybrid: query embedding + BM25 + FAISS + fusion) and `Engine.search` with and
without the sentence re-rank. Then a real `rag serve` on 127.0.0.1 and a bounded load client
(`-n` POST /api/ask per level, each worker sending its next request when the last one returns) at
concurrency 1, 4 and 16: p50/p95/p99, requests/s and the server's RSS. Each level asks its own
headlines, none seen before by the server (its caches of query and sentence vectors are cold).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("RAG_BENCH_CACHE", Path.home() / ".cache" / "rag-bench"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def headlines(data: Path, n: int, seed: int) -> list[str]:
    titles = [json.loads(line)["title"] for line in data.read_text().splitlines() if line.strip()]
    return random.Random(seed).sample(titles, min(n, len(titles)))


def cache_dir(data: Path, backend: str) -> Path:
    return CACHE / f"{data.stem}-{backend}"


def ensure_index(data: Path, backend: str) -> tuple[Path, Path]:
    """(index dir, source dir) of a cached BBC index for this backend, built if missing."""
    from rag.config import Settings
    from rag.engine import Engine

    base = cache_dir(data, backend)
    src, index_dir = base / "src", base / "index"
    src.mkdir(parents=True, exist_ok=True)
    link = src / data.name
    if not link.exists():
        link.symlink_to(data.resolve())
    settings = Settings.from_env(index_dir=index_dir, source_dir=src, embed_backend=backend)
    report = Engine(settings).index_directory(src, progress=sys.stderr.isatty())
    if report.chunks_embedded:
        print(f"built {index_dir} in {report.seconds:.0f} s", file=sys.stderr)
    return index_dir, src


def _time_each(
    fn: Callable[[str], object], questions: list[str], before: Callable[[], object] | None = None
) -> list[float]:
    out = []
    for q in questions:
        if before is not None:
            before()  # untimed: e.g. forget cached query vectors
        started = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def in_process(index_dir: Path, src: Path, backend: str, questions: list[str]) -> dict:
    """Per-question latencies in this process; every query vector is computed afresh."""
    from rag.config import Settings
    from rag.engine import Engine

    engine = Engine(Settings.from_env(index_dir=index_dir, source_dir=src, embed_backend=backend))
    engine.open()
    engine.warm_up()
    snap, retriever = engine.snapshot, engine.retriever
    forget = retriever._query_vectors.clear  # the LRU of query vectors: measure the model
    vectors = {q: retriever.embedder.encode([q])[0] for q in questions}
    return {
        "chunks": snap.chunk_count,
        "query_embedding": summary(_time_each(lambda q: retriever.embedder.encode([q]), questions)),
        "keyword_only": summary(
            _time_each(lambda q: retriever.search(snap, q, 10, mode="keyword"), questions)
        ),
        "dense_only_given_vector": summary(
            _time_each(
                lambda q: retriever.search(snap, q, 10, mode="dense", query_vector=vectors[q]),
                questions,
            )
        ),
        "retriever_hybrid": summary(
            _time_each(lambda q: retriever.search(snap, q, 10), questions, forget)
        ),
        "engine_search_no_rerank": summary(
            _time_each(lambda q: engine.search(q, 5, rerank=False), questions, forget)
        ),
        # The re-rank embeds the candidates' sentences (cached afterwards): first sight here.
        "engine_search_rerank_cold": summary(
            _time_each(lambda q: engine.search(q, 5), questions, forget)
        ),
        "engine_search_rerank_warm": summary(
            _time_each(lambda q: engine.search(q, 5), questions, forget)
        ),
        "engine_ask_warm": summary(_time_each(engine.ask, questions, forget)),
    }


def _rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


@contextmanager
def local_server(index_dir: Path, src: Path, backend: str) -> Iterator[tuple[str, int]]:
    """A `rag serve` on a free loopback port; yields (base URL, server pid)."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_SOURCE_DIR": str(src),
        "RAG_EMBED_BACKEND": backend,
        "RAG_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        else:
            raise SystemExit("rag serve did not become ready")
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def load(base: str, questions: list[str], n: int, concurrency: int) -> dict:
    """`n` POST /api/ask from `concurrency` closed-loop workers; client-side latencies."""
    import httpx

    latencies: list[float] = []
    server_ms: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                r = client.post("/api/ask", json={"question": questions[i % len(questions)]})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if r.status_code != 200:
                        errors += 1
                        continue
                    latencies.append(elapsed)
                    server_ms.append(r.json()["timings_ms"].get("total", 0.0))

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "requests": n,
        "errors": errors,
        **summary(latencies),
        "server_total_p50_ms": round(percentile(server_ms, 0.50), 1),
        "requests_per_s": round(len(latencies) / wall, 1),
        "latencies_ms": [round(x, 1) for x in latencies],
    }


def bench_latency(args: argparse.Namespace) -> dict:
    from rag.config import Settings

    backend = Settings.from_env().embed_backend
    index_dir, src = ensure_index(args.data, backend)
    # Disjoint questions for each part, so that no level profits from another's caches.
    pool = headlines(args.data, args.questions + 10 + args.n * len(args.c), args.seed)
    questions, warm, rest = (
        pool[: args.questions],
        pool[args.questions : args.questions + 10],
        pool[args.questions + 10 :],
    )
    out: dict = {"backend": backend, "questions": len(questions), "question_source": "headlines"}
    out["in_process"] = in_process(index_dir, src, backend, questions)
    levels = []
    with local_server(index_dir, src, backend) as (base, pid):
        load(base, warm, 10, 1)
        for i, c in enumerate(args.c):
            level = load(base, rest[i * args.n : (i + 1) * args.n], args.n, c)
            level.update(_rss_mb(pid))
            levels.append(level)
            print(
                f"concurrency {c:>2}: p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, "
                f"p99 {level['p99_ms']} ms, {level['requests_per_s']} req/s, "
                f"server RSS {level['rss_mb']} MB",
                file=sys.stderr,
            )
    out["http"] = levels
    return out


def add_parser(sub) -> None:
    p = sub.add_parser("latency", help="search latency in process and `rag serve` under load")
    p.add_argument("--data", type=Path, default=Path("../shared/data/bbc/bbc_articles.jsonl"))
    p.add_argument("--questions", type=int, default=200, help="headlines sampled as questions")
    p.add_argument("-n", type=int, default=200, help="requests per concurrency level")
    p.add_argument("-c", type=int, nargs="+", default=[1, 4, 16], help="concurrency levels")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true")
