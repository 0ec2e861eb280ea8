"""Benchmarks on public data through the real engine code path.

    python -m eval.bench scifact --data ../shared/data/scifact --split train [--json]
    python -m eval.bench squad --data ../shared/data/squad/dev-v1.1-part-a.json --sample 300
    python -m eval.bench ingest --data ../shared/data/bbc/bbc_articles.jsonl
    python -m eval.bench latency --data ../shared/data/bbc/bbc_articles.jsonl
    python -m eval.bench backends
    python -m eval.bench scale --sizes 100000,300000

Results go to eval/results/<name>.json (scifact also to scifact-<backend>.json), charts to
eval/results/<name>.png. RAG_EMBED_BACKEND picks the embedding backend, as everywhere.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eval import bench_backends, bench_ingest, bench_latency, bench_scale, charts
from eval.squad_data import DEFAULT_SQUAD, split_of

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _ndcg_at(ranked: list[str], gold: dict[str, int], k: int) -> float:
    dcg = sum(gold.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gold.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def _recall_at(ranked: list[str], gold: dict[str, int], k: int) -> float:
    rel = {d for d, g in gold.items() if g > 0}
    return len(rel & set(ranked[:k])) / len(rel) if rel else 0.0


def load_beir(data: Path, split: str):
    queries = {}
    for line in (data / "queries.jsonl").read_text().splitlines():
        if line.strip():
            q = json.loads(line)
            queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = {}
    for i, line in enumerate((data / "qrels" / f"{split}.tsv").read_text().splitlines()):
        parts = line.split("\t")
        if i == 0 and not parts[-1].strip().isdigit():
            continue
        qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return {q: queries[q] for q in qrels if q in queries}, qrels


@contextmanager
def temp_engine(prefix: str, write_source) -> Iterator[tuple[object, float, object]]:
    """(engine, ingest seconds, index report) for a temp index of what `write_source(dir)` puts."""
    from rag.config import Settings
    from rag.engine import Engine

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        write_source(src)
        engine = Engine(Settings.from_env(index_dir=Path(tmp) / "index", source_dir=src))
        t0 = time.perf_counter()
        report = engine.index_directory(src, progress=sys.stderr.isatty())
        ingest_s = time.perf_counter() - t0
        engine.open()
        engine.warm_up()
        yield engine, ingest_s, report


def bench_scifact(args: argparse.Namespace) -> dict:

    queries, qrels = load_beir(args.data, args.split)
    corpus = (args.data / "corpus.jsonl").resolve()
    with temp_engine("rag-scifact-", lambda src: (src / "corpus.jsonl").symlink_to(corpus)) as (
        engine,
        ingest_s,
        report,
    ):
        snap = engine.snapshot
        prefix = "corpus.jsonl:"
        out: dict = {
            "backend": engine.settings.embed_backend,
            "split": args.split,
            "queries": len(queries),
            "documents": report.documents_total,
            "chunks": report.chunks_total,
            "ingest_seconds": round(ingest_s, 1),
        }
        for mode in ("keyword", "dense", "hybrid"):
            ndcg = r10 = r100 = 0.0
            # Each mode pays for its own query embeddings (the retriever keeps recent ones).
            engine.retriever._query_vectors.clear()
            started = time.perf_counter()
            for qid, text in queries.items():
                hits = engine.retriever.search(snap, text, args.chunks, mode=mode)
                ranked = list(dict.fromkeys(h.chunk.source[len(prefix) :] for h in hits))
                gold = qrels[qid]
                ndcg += _ndcg_at(ranked, gold, 10)
                r10 += _recall_at(ranked, gold, 10)
                r100 += _recall_at(ranked, gold, 100)
            n = len(queries)
            out[mode] = {
                "ndcg@10": round(ndcg / n, 4),
                "recall@10": round(r10 / n, 4),
                "recall@100": round(r100 / n, 4),
                "ms_per_query": round((time.perf_counter() - started) / n * 1000, 2),
            }
    return out


def bench_squad(args: argparse.Namespace) -> dict:
    """Every SQuAD paragraph of the file becomes a document (open retrieval over all of them);
    the questions of `--split` go through Engine.ask. EM/F1 are the official SQuAD v1.1 ones,
    an abstention scoring 0. The split keeps the reader's training articles out (see
    eval.squad_data); a file without those articles (the other half of SQuAD dev) is read whole.
    """
    import random

    from eval.metrics import contains_any, squad_em, squad_f1
    from eval.squad_data import load_articles

    articles = load_articles(args.data, "all")
    records, questions = [], []
    trained_on = args.data.resolve() == DEFAULT_SQUAD.resolve()
    for a_i, article in enumerate(articles):
        for p_i, text in enumerate(article.paragraphs):
            pid = f"{a_i:03d}-{p_i:03d}"
            records.append({"id": pid, "title": article.title.replace("_", " "), "text": text})
        if trained_on and split_of(a_i) != args.split and args.split != "all":
            continue
        for q in article.questions:
            questions.append((f"{a_i:03d}-{q.paragraph:03d}", q.question, list(q.answers)))
    random.Random(args.seed).shuffle(questions)
    if args.sample:
        questions = questions[: args.sample]
    lines = "\n".join(json.dumps(r) for r in records) + "\n"
    with temp_engine("rag-squad-", lambda src: (src / "squad.jsonl").write_text(lines)) as (
        engine,
        ingest_s,
        report,
    ):
        hit1 = hit5 = em = f1 = cited_ok = abstained = em_top = f1_top = 0.0
        latencies, confidences = [], []
        for pid, question, answers in questions:
            gold = f"squad.jsonl:{pid}"
            hits = engine.search(question, 5, rerank=False)
            ranked = list(dict.fromkeys(h.chunk.source for h in hits))
            hit1 += bool(ranked) and ranked[0] == gold
            hit5 += gold in ranked
            ans = engine.ask(question)
            latencies.append(ans.timings_ms.get("total", 0.0))
            # The best answer even where the product abstains: how open-domain QA papers
            # (DrQA and after) score a reader, every question answered.
            top = ans if not ans.abstained else best_answer(engine, question)
            if not top.abstained:
                em_top += squad_em(top.answer, answers)
                f1_top += squad_f1(top.answer, answers)
            if ans.abstained:
                abstained += 1
                continue
            right = squad_em(ans.answer, answers)
            em += right
            f1_q = squad_f1(ans.answer, answers)
            f1 += f1_q
            cited_ok += any(contains_any(c.quote, answers) for c in ans.citations)
            confidences.append((ans.confidence, right, float(f1_q >= 0.5)))
    n = max(1, len(questions))
    latencies.sort()
    return {
        "data": str(args.data),
        "split": args.split if trained_on else "all (no reader training articles in this file)",
        "paragraphs": len(records),
        "questions": len(questions),
        "chunks": report.chunks_total,
        "ingest_seconds": round(ingest_s, 1),
        "hit@1": round(hit1 / n, 4),
        "hit@5": round(hit5 / n, 4),
        "exact_match": round(em / n, 4),
        "token_f1": round(f1 / n, 4),
        "exact_match_never_abstaining": round(em_top / n, 4),
        "token_f1_never_abstaining": round(f1_top / n, 4),
        "cited_sentence_has_answer": round(cited_ok / n, 4),
        "abstention_rate": round(abstained / n, 4),
        "reliability": reliability(confidences),
        "ask_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else 0.0,
    }


def best_answer(engine, question: str):
    """The answer `engine.ask` gives with its abstention threshold at 0."""
    import dataclasses

    params = engine.answerer.params
    engine.answerer.params = dataclasses.replace(params, threshold=0.0)
    try:
        return engine.ask(question)
    finally:
        engine.answerer.params = params


def reliability(rows: list[tuple[float, float, float]]) -> dict:
    """Answers per confidence bin, the share right in each (exact match, and F1 >= 0.5: what
    `confidence` is trained to predict), and the share wrong at confidence >= 0.9."""
    bins = []
    for lo, hi in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)):
        sel = [(em, ok) for c, em, ok in rows if lo <= c < hi]
        bins.append(
            {
                "confidence": f"{lo:.1f}-{min(hi, 1.0):.1f}",
                "answers": len(sel),
                "exact": round(sum(e for e, _ in sel) / len(sel), 3) if sel else None,
                "f1_0.5": round(sum(o for _, o in sel) / len(sel), 3) if sel else None,
            }
        )
    high = [(em, ok) for c, em, ok in rows if c >= 0.9]
    return {
        "bins": bins,
        "answers_at_0.9": len(high),
        "not_exact_at_0.9": round(1 - sum(e for e, _ in high) / len(high), 3) if high else 0.0,
        "wrong_at_0.9": round(1 - sum(o for _, o in high) / len(high), 3) if high else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    p = sub.add_parser("scifact", help="BEIR SciFact retrieval: nDCG@10, recall@10/100")
    p.add_argument("--data", type=Path, default=Path("../shared/data/scifact"))
    p.add_argument("--split", default="train", choices=["train", "test", "dev"])
    p.add_argument("--chunks", type=int, default=300, help="chunk candidates per query")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("squad", help="SQuAD v1.1 answering through Engine.ask")
    p.add_argument("--data", type=Path, default=DEFAULT_SQUAD)
    p.add_argument(
        "--split",
        default="dev",
        choices=["dev", "calib", "train", "all"],
        help="for the reader's own file: whose questions to ask (dev: untouched by training)",
    )
    p.add_argument("--sample", type=int, default=0, help="questions to ask (0 = all)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true")
    bench_backends.add_parser(sub)
    bench_ingest.add_parser(sub)
    bench_latency.add_parser(sub)
    bench_scale.add_parser(sub)
    args = parser.parse_args(argv)
    needed = [args.data] if isinstance(getattr(args, "data", None), Path) else []
    if args.name == "scifact":
        needed = [args.data / "corpus.jsonl", args.data / "queries.jsonl"]
        needed.append(args.data / "qrels" / f"{args.split}.tsv")
    for path in needed:
        if not path.exists():
            parser.error(f"{path} not found (see ../shared/data/SOURCES.md for the data layout)")
    logging.basicConfig(level=logging.WARNING)
    result = {
        "scifact": bench_scifact,
        "squad": bench_squad,
        "ingest": bench_ingest.bench_ingest,
        "latency": bench_latency.bench_latency,
        "backends": bench_backends.bench_backends,
        "scale": bench_scale.bench_scale,
    }[args.name](args)
    result["machine"] = machine()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    names = [args.name]
    if args.name == "scifact":
        names.append(f"scifact-{result['backend']}")
    for name in names:
        (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    chart = {
        "ingest": charts.ingest_chart,
        "latency": charts.latency_chart,
        "backends": charts.backends_chart,
    }.get(args.name)
    if chart is not None:
        print(f"chart: {chart(result, RESULTS_DIR / f'{args.name}.png')}", file=sys.stderr)
    shown = {k: v for k, v in result.items() if k != "http"}
    if "http" in result:
        shown["http"] = [
            {k: v for k, v in r.items() if k != "latencies_ms"} for r in result["http"]
        ]
    print(json.dumps(shown, indent=2))
    return 0


def machine() -> dict:
    """The conditions a figure was taken under: cores, load, CPU model."""
    import os
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


if __name__ == "__main__":
    sys.exit(main())
