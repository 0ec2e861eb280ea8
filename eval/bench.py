"""Benchmarks on public data through the real engine code path.

    python -m eval.bench scifact --data ../shared/data/scifact --split train [--json]

Results go to eval/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

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


def bench_scifact(args: argparse.Namespace) -> dict:
    from rag.config import Settings
    from rag.engine import Engine

    queries, qrels = load_beir(args.data, args.split)
    with tempfile.TemporaryDirectory(prefix="rag-scifact-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        (src / "corpus.jsonl").symlink_to((args.data / "corpus.jsonl").resolve())
        settings = Settings.from_env(index_dir=Path(tmp) / "index", source_dir=src)
        engine = Engine(settings)
        t0 = time.perf_counter()
        report = engine.index_directory(src, progress=sys.stderr.isatty())
        ingest_s = time.perf_counter() - t0
        engine.open()
        engine.warm_up()
        snap = engine.snapshot
        prefix = "corpus.jsonl:"
        out: dict = {
            "split": args.split,
            "queries": len(queries),
            "documents": report.documents_total,
            "chunks": report.chunks_total,
            "ingest_seconds": round(ingest_s, 1),
        }
        for mode in ("keyword", "dense", "hybrid"):
            ndcg = r10 = r100 = 0.0
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    p = sub.add_parser("scifact", help="BEIR SciFact retrieval: nDCG@10, recall@10/100")
    p.add_argument("--data", type=Path, default=Path("../shared/data/scifact"))
    p.add_argument("--split", default="train", choices=["train", "test", "dev"])
    p.add_argument("--chunks", type=int, default=300, help="chunk candidates per query")
    p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = {"scifact": bench_scifact}[args.name](args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
