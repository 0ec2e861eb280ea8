"""Query latency, cold and warm, on the BBC index and on the seeds: in process, then `rag serve`.

    python -m eval.bench latency --data ../shared/data/bbc/bbc_articles.jsonl

Per corpus (BBC articles, indexed once through `Engine.index_directory` into a cache folder per
embedding backend; seeds/ indexed into a temporary folder), with questions nobody asked before
(BBC headlines, a fixed random sample; for the seeds, eval/qa.jsonl and eval/qa_kinds.jsonl):

- in process, a fresh Engine (every cache empty, the index's on-disk entity tags too):
  `Retriever.search`, then `Engine.search`
  without and with the sentence re-rank, each over unseen questions (cold) and then over the
  same questions again (warm); p95/p50 of each;
- a fresh `rag serve`: POST /api/ask one at a time over unseen questions (cold), the same
  questions again (warm), the first ask after each of several writes (a 1-chunk document
  posted, then an unseen question; the ratio to the cold p50 is reported), then concurrency
  levels (default 1, 8, 32) each over its own unseen questions: p50/p95/p99, requests/s and
  the server's RSS. These runs start with the index's sentences untagged (the server's
  background tagging, RAG_PRETAG, off): the worst case, an index just built;
- then every sentence of the index tagged and parsed (rag.answering.pretagging, timed: what
  `rag serve` does in the background after the index opens or changes) and a fresh `rag serve`
  asked unseen questions one at a time (cold) and again (warm): an index the server has
  tagged. Headlines make fact questions that mostly have no answer; the same server is then
  asked questions of each kind (fact, yes/no, list, collection) from the evaluation sets
  written for this corpus (eval/*_unseen.jsonl, a fixed sample per kind), each once: new to
  that server, though not to the code.
The load average before and after each corpus is recorded: on a shared machine, read the
figures with it.
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
    """Per-question latencies in a fresh Engine: first sight of each question (cold), then the
    same questions again (warm)."""
    from rag.config import Settings
    from rag.engine import Engine

    engine = Engine(Settings.from_env(index_dir=index_dir, source_dir=src, embed_backend=backend))
    started = time.perf_counter()
    engine.open()
    opened = time.perf_counter() - started
    engine.warm_up()  # models, gazetteer, per-release facts; "warm up" is not a question here
    snap, retriever = engine.snapshot, engine.retriever
    forget = retriever._query_vectors.clear  # the LRU of query vectors: measure the model
    half = len(questions) // 2
    hybrid_qs, search_qs = questions[:half], questions[half:]
    out: dict = {"chunks": snap.chunk_count, "open_s": round(opened, 2)}
    out["retriever_hybrid"] = summary(
        _time_each(lambda q: retriever.search(snap, q, 10), hybrid_qs, forget)
    )
    for name, rerank in (("engine_search_no_rerank", False), ("engine_search_rerank", True)):
        qs = search_qs if rerank else hybrid_qs
        cold = summary(_time_each(lambda q, r=rerank: engine.search(q, 5, rerank=r), qs))
        warm = summary(_time_each(lambda q, r=rerank: engine.search(q, 5, rerank=r), qs))
        out[name] = {"cold": cold, "warm": warm, "cold_p95_over_p50": _ratio(cold)}
    return out


def _ratio(s: dict) -> float:
    return round(s["p95_ms"] / s["p50_ms"], 2) if s["p50_ms"] else float("nan")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


@contextmanager
def local_server(
    index_dir: Path, src: Path, backend: str, pretag: str = "off"
) -> Iterator[tuple[str, int]]:
    """A `rag serve` on a free loopback port; yields (base URL, server pid). Its background
    tagging of the index (RAG_PRETAG) is off unless asked for: the runs measure an index whose
    sentences are untagged, or all tagged beforehand (`tagged`), not a mix that depends on
    how far a background pass got."""
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
        "RAG_PRETAG": pretag,
    }
    cmd = [
        sys.executable,
        "-m",
        "rag.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process and of its running children (spaCy's), from
    /proc (0.0 where there is none)."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(p: str) -> list[str]:
        try:  # fields after the command name: state, ppid, ..., utime (12th), stime (13th)
            return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return []

    ids = [str(pid)]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat(entry.name)) and fields[1] == str(pid):
            ids.append(entry.name)
    return sum(int(f[11]) + int(f[12]) for p in ids if len(f := stat(p)) > 12) / tick


def load(
    base: str, questions: list[str], n: int, concurrency: int, server_pid: int | None = None
) -> dict:
    """`n` POST /api/ask from `concurrency` closed-loop workers; client-side latencies, and
    (with `server_pid`) the cores the server and this client kept busy meanwhile."""
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

    server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
    client_cpu = sum(os.times()[:2])
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    out = {
        "concurrency": concurrency,
        "requests": n,
        "errors": errors,
        **summary(latencies),
        "server_total_p50_ms": round(percentile(server_ms, 0.50), 1),
        "requests_per_s": round(len(latencies) / wall, 1),
    }
    if server_pid:
        # Cores busy on average: the ceiling on what more concurrent asks can add.
        server_cpu = cpu_seconds(server_pid) - server_cpu
        out["server_cores"] = round(server_cpu / wall, 2)
        out["client_cores"] = round((sum(os.times()[:2]) - client_cpu) / wall, 2)
        out["server_cpu_ms_per_request"] = round(1000 * server_cpu / max(1, len(latencies)), 1)
    out["latencies_ms"] = [round(x, 1) for x in latencies]
    return out


def after_writes(base: str, questions: list[str], writes: int) -> dict:
    """The first ask after each write (a 1-chunk document posted), then the next one."""
    import httpx

    first, second = [], []
    with httpx.Client(base_url=base, timeout=120) as client:
        for i in range(writes):
            source = f"bench_write_{os.getpid()}_{i}.txt"
            r = client.post(
                "/api/documents",
                json={
                    "source": source,
                    "title": f"Benchmark note {i}",
                    "text": f"Benchmark note {i}: the write path adds one small document.",
                },
            )
            r.raise_for_status()
            pair = (questions[2 * i % len(questions)], questions[(2 * i + 1) % len(questions)])
            for bucket, q in zip((first, second), pair, strict=True):
                started = time.perf_counter()
                client.post("/api/ask", json={"question": q}).raise_for_status()
                bucket.append((time.perf_counter() - started) * 1000)
        for i in range(writes):
            client.delete(f"/api/documents/bench_write_{os.getpid()}_{i}.txt")
    return {"writes": writes, "first_ask": summary(first), "next_ask": summary(second)}


def serve_levels(
    index_dir: Path, src: Path, backend: str, pool: list[str], n: int, levels: list[int]
) -> dict:
    """A fresh `rag serve`: cold asks, the same asks warm, asks after writes, concurrency."""
    cold_qs, pool = pool[:n], pool[n:]
    write_qs, pool = (pool[:20], pool[20:]) if len(pool) > 20 else (cold_qs, pool)
    out: dict = {}
    with local_server(index_dir, src, backend) as (base, pid):
        out["cold"] = _strip(load(base, cold_qs, len(cold_qs), 1, pid))
        out["warm"] = _strip(load(base, cold_qs, len(cold_qs), 1, pid))
        out["after_write"] = after_writes(base, write_qs, 10)
        first = out["after_write"]["first_ask"]
        out["after_write"]["questions_unseen"] = write_qs is not cold_qs
        for base_name in ("cold", "warm"):  # the seeds ask warm questions after writes
            p50 = out[base_name]["p50_ms"]
            out["after_write"][f"first_p50_over_{base_name}_p50"] = round(first["p50_ms"] / p50, 2)
            out["after_write"][f"first_p95_over_{base_name}_p50"] = round(first["p95_ms"] / p50, 2)
        out["concurrency"] = []
        for i, c in enumerate(levels):
            qs = pool[i * n : (i + 1) * n]
            unseen = len(qs) >= n
            if not unseen:  # a small corpus (the seeds): every level asks the warm questions
                qs = cold_qs
            level = load(base, qs, n, c, pid)
            level["questions_unseen"] = unseen
            level.update(_rss_mb(pid))
            out["concurrency"].append(level)
            print(
                f"concurrency {c:>2}: p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, "
                f"p99 {level['p99_ms']} ms, {level['requests_per_s']} req/s, "
                f"server {level['server_cores']} cores busy, RSS {level['rss_mb']} MB",
                file=sys.stderr,
            )
    base_rps = out["concurrency"][0]["requests_per_s"] if out["concurrency"] else 0
    out["throughput_over_c1"] = {
        str(level["concurrency"]): round(level["requests_per_s"] / base_rps, 2)
        for level in out["concurrency"]
        if base_rps
    }
    return out


KIND_SETS = ("facts_unseen.jsonl", "yes_no_unseen.jsonl", "lists_unseen.jsonl")


def kind_questions(corpus: str, per_kind: int, seed: int) -> dict[str, list[str]]:
    """A fixed sample of `per_kind` questions of each kind written for `corpus` ("bbc" or
    "seeds")."""
    by_kind: dict[str, list[str]] = {}
    for name in KIND_SETS:
        for line in (ROOT / "eval" / name).read_text().splitlines():
            if line.strip() and (q := json.loads(line)).get("corpus") == corpus:
                by_kind.setdefault(q["kind"], []).append(q["question"])
    rng = random.Random(seed)
    return {k: rng.sample(qs, min(per_kind, len(qs))) for k, qs in sorted(by_kind.items())}


def tagged(
    index_dir: Path,
    src: Path,
    backend: str,
    questions: list[str],
    kinds: dict[str, list[str]] | None = None,
) -> dict:
    """Every sentence of the index tagged first (what `rag serve` does in the background once
    the index opens or changes: rag.answering.pretagging; timed here in the foreground, at
    normal priority), then a fresh `rag serve` asked unseen questions one at a time, and the
    same again."""
    from rag.answering.pretagging import pretag

    out: dict = {"pretag": pretag(index_dir)}
    print(
        f"tagged {out['pretag']['tagged']} of {out['pretag']['sentences']} sentences "
        f"in {out['pretag']['seconds']} s",
        file=sys.stderr,
    )
    with local_server(index_dir, src, backend) as (base, pid):
        out["cold"] = _strip(load(base, questions, len(questions), 1, pid))
        out["warm"] = _strip(load(base, questions, len(questions), 1, pid))
        out["kinds"] = {
            k: _strip(load(base, qs, len(qs), 1, pid)) for k, qs in (kinds or {}).items()
        }
    return out


def _strip(level: dict) -> dict:
    return {k: v for k, v in level.items() if k != "latencies_ms"}


def seed_questions() -> list[str]:
    out = []
    for name in ("qa.jsonl", "qa_kinds.jsonl"):
        path = ROOT / "eval" / name
        for line in path.read_text().splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return list(dict.fromkeys(out))


def seeds_index(backend: str) -> tuple[Path, Path]:
    from rag.config import Settings
    from rag.engine import Engine

    base = CACHE / f"seeds-{backend}"
    index_dir, src = base / "index", ROOT / "seeds"
    settings = Settings.from_env(index_dir=index_dir, source_dir=src, embed_backend=backend)
    Engine(settings).index_directory(src)
    return index_dir, src


def forget_annotations(index_dir: Path) -> None:
    """Delete the index's persistent entity-tag cache (rag.answering.annotation_cache): a
    previous run of this benchmark asked the same questions, and "cold" means caches empty."""
    from rag.answering.annotation_cache import ANNOTATIONS_FILE

    for suffix in ("", "-wal", "-shm"):
        (index_dir / f"{ANNOTATIONS_FILE}{suffix}").unlink(missing_ok=True)


def corpus(name: str, index_dir: Path, src: Path, backend: str, questions: list[str], args) -> dict:
    """In-process and HTTP figures for one index; `questions` are all unseen, used once each
    (the seeds have fewer questions than requests: there the levels repeat them)."""
    print(f"{name}: load average {load_average()}", file=sys.stderr)
    forget_annotations(index_dir)
    out: dict = {"load_average_before": load_average()}
    n_in = min(args.questions, len(questions))
    out["in_process"] = in_process(index_dir, src, backend, questions[:n_in])
    rest = questions[n_in:] if len(questions) > n_in + args.n else questions
    # The last n questions are kept for the tagged index; the seeds have too few: theirs repeat.
    unseen_left = len(rest) >= args.n * (len(args.c) + 2) + 20
    tagged_qs = rest[-args.n :] if unseen_left else rest[: args.n]
    rest = rest[: -args.n] if unseen_left else rest
    out["http"] = serve_levels(index_dir, src, backend, rest, args.n, args.c)
    kinds = kind_questions(name, args.per_kind, args.seed)
    out["http_tagged"] = tagged(index_dir, src, backend, tagged_qs, kinds)
    out["http_tagged"]["questions_unseen"] = unseen_left
    out["load_average_after"] = load_average()
    return out


def bench_latency(args: argparse.Namespace) -> dict:
    from rag.config import Settings

    backend = Settings.from_env().embed_backend
    index_dir, src = ensure_index(args.data, backend)
    needed = args.questions + 20 + args.n * (len(args.c) + 2)
    pool = headlines(args.data, needed, args.seed)
    out: dict = {
        "backend": backend,
        "questions": args.questions,
        "question_source": "BBC headlines (unseen by the server); seeds: eval/qa*.jsonl",
        "cpus": os.cpu_count(),
    }
    bbc = corpus("bbc", index_dir, src, backend, pool, args)
    seed_dir, seed_src = seeds_index(backend)
    seeds = corpus("seeds", seed_dir, seed_src, backend, seed_questions(), args)
    out["corpora"] = {"bbc": bbc, "seeds": seeds}
    # The chart's view (BBC): in-process figures and the concurrency levels.
    out["in_process"] = bbc["in_process"]
    out["http"] = bbc["http"]["concurrency"]
    return out


def add_parser(sub) -> None:
    p = sub.add_parser("latency", help="search latency in process and `rag serve` under load")
    p.add_argument("--data", type=Path, default=Path("../shared/data/bbc/bbc_articles.jsonl"))
    p.add_argument("--questions", type=int, default=200, help="headlines sampled as questions")
    p.add_argument("-n", type=int, default=100, help="requests per level (cold, warm, each -c)")
    p.add_argument("-c", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument(
        "--per-kind", type=int, default=40, help="evaluation questions of each kind, tagged index"
    )
    p.add_argument("--json", action="store_true")
