"""Latency of POST /api/ask over real HTTP at a few concurrency levels.

    python -m eval.bench_http                       # starts `rag serve` on seeds/ (temp index)
    python -m eval.bench_http --url http://127.0.0.1:8000 -n 200 -c 1 8 16

The questions cycle through eval/qa.jsonl. Client-side latency includes HTTP and JSON; the
server's own `timings_ms.total` is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@contextmanager
def local_server(source: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="rag-bench-")
    env = {**os.environ, "RAG_INDEX_DIR": f"{tmp}/index", "RAG_SOURCE_DIR": str(source)}
    env["RAG_LOG_LEVEL"] = "WARNING"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        else:
            raise SystemExit("rag serve did not become ready")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(base: str, questions: list[str], n: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    server: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=60) as client:
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
                    server.append(r.json()["timings_ms"].get("total", 0.0))

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
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else float("nan"),
        "server_total_p50_ms": round(percentile(server, 0.50), 1),
        "throughput_rps": round(len(latencies) / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running service; by default one is started on seeds/")
    parser.add_argument("--source", type=Path, default=ROOT / "seeds")
    parser.add_argument("-n", type=int, default=100, help="requests per concurrency level")
    parser.add_argument("-c", type=int, nargs="+", default=[1, 8], help="concurrency levels")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    qa = [json.loads(line) for line in (ROOT / "eval" / "qa.jsonl").read_text().splitlines()]
    questions = [q["question"] for q in qa if q.get("question")]

    def bench(base: str) -> list[dict[str, float]]:
        run(base, questions, 10, 1)  # warm-up
        return [run(base, questions, args.n, c) for c in args.c]

    if args.url:
        results = bench(args.url.rstrip("/"))
    else:
        with local_server(args.source) as base:
            results = bench(base)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(
                f"concurrency {r['concurrency']:>2}: {r['requests']} requests, "
                f"{r['errors']} errors, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
                f"mean {r['mean_ms']} ms, server p50 {r['server_total_p50_ms']} ms, "
                f"{r['throughput_rps']} req/s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
