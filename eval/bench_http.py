"""Latency of POST /api/ask over real HTTP at a few concurrency levels.

    python -m eval.bench_http                       # starts `rag serve` on seeds/ (temp index)
    python -m eval.bench_http --url http://127.0.0.1:8000 -n 200 -c 1 8 16

The questions cycle through eval/qa.jsonl. Client-side latency includes HTTP and JSON; the
server's own `timings_ms.total` is reported beside it. The server and the load loop are those
of `python -m eval.bench latency` (eval/bench_latency.py), which also separates cold and warm.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from eval.bench_latency import ROOT, load, local_server


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

    def bench(base: str) -> list[dict]:
        load(base, questions, 10, 1)  # warm-up
        return [load(base, questions, args.n, c) for c in args.c]

    if args.url:
        results = bench(args.url.rstrip("/"))
    else:
        from rag.config import Settings

        backend = Settings.from_env().embed_backend
        with (
            tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp,
            local_server(Path(tmp) / "index", args.source, backend) as (base, _pid),
        ):
            results = bench(base)
    for r in results:
        r.pop("latencies_ms", None)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(
                f"concurrency {r['concurrency']:>2}: {r['requests']} requests, "
                f"{r['errors']} errors, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
                f"mean {r['mean_ms']} ms, server p50 {r['server_total_p50_ms']} ms, "
                f"{r['requests_per_s']} req/s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
