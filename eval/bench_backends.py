"""Embedding backends side by side: encode speed, agreement with torch, retrieval and answers.

    python -m eval.bench backends [--sample 400] [--reps 3]

For each of torch, onnx and onnx-int8: chunks/s encoding a fixed sample of BBC chunk texts (the
runs interleaved, best of `--reps`, so that load from other processes hits every backend alike),
the cosine of its vectors with torch's, and the fixed Q&A set (`rag eval`'s answer accuracy and
retrieval) on a fresh seeds/ index built with that backend (and the shipped combination: int8
index vectors, answer sentences scored by onnx fp32). SciFact train nDCG@10 is read from
eval/results/scifact-<backend>.json, written by
`RAG_EMBED_BACKEND=<backend> python -m eval.bench scifact --split train`.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BACKENDS = ("torch", "onnx", "onnx-int8")


def _sample_texts(data: Path, n: int, seed: int) -> list[str]:
    from rag.ingestion.chunking import chunk_document
    from rag.ingestion.ingest import parse_bytes

    docs = parse_bytes(data.read_bytes(), data.name)
    picked = random.Random(seed).sample(docs, min(len(docs), max(1, n // 3)))
    texts = [c.embed_text for d in picked for c in chunk_document(d, 160, 32)]
    return random.Random(seed).sample(texts, min(n, len(texts)))


def _qa_metrics(backend: str, evidence_backend: str) -> dict:
    """The fixed Q&A set on a fresh seeds/ index built with `backend` (as `rag eval` does),
    answer sentences scored with `evidence_backend`."""
    from eval.__main__ import answer_metrics, load_questions, retrieval_metrics
    from rag.config import Settings
    from rag.engine import Engine

    questions = load_questions()
    with tempfile.TemporaryDirectory(prefix="rag-backend-") as tmp:
        settings = Settings.from_env(
            index_dir=Path(tmp), embed_backend=backend, evidence_backend=evidence_backend
        )
        engine = Engine(settings)
        engine.index_directory(engine.settings.source_dir)
        engine.open()
        answers, _ = answer_metrics(engine, questions, "hybrid")
        retrieval = retrieval_metrics(engine, questions, "hybrid")
    return {"answers": answers, "retrieval": retrieval}


def bench_backends(args: argparse.Namespace) -> dict:
    import numpy as np

    from rag.config import Settings
    from rag.embedders.base import make_embedder

    settings = Settings.from_env()
    texts = _sample_texts(args.data, args.sample, args.seed)
    embedders = {
        b: make_embedder(settings.embed_model, settings.embed_batch_size, b) for b in BACKENDS
    }
    vectors = {}
    for e in embedders.values():
        e.warm_up()  # type: ignore[attr-defined]
        e.encode(texts[:16])
    best = dict.fromkeys(BACKENDS, float("inf"))
    for _ in range(args.reps):
        for b, e in embedders.items():
            started = time.perf_counter()
            vectors[b] = e.encode(texts)
            best[b] = min(best[b], time.perf_counter() - started)
    rows = []
    for b in BACKENDS:
        cos = (vectors[b] * vectors["torch"]).sum(axis=1)
        row = {
            "backend": b,
            "chunks_per_s": round(len(texts) / best[b], 1),
            "speedup_vs_torch": round(best["torch"] / best[b], 2),
            "cosine_vs_torch_min": round(float(cos.min()), 4),
            "cosine_vs_torch_mean": round(float(np.mean(cos)), 5),
        }
        scifact = RESULTS_DIR / f"scifact-{b}.json"
        if scifact.exists():
            sf = json.loads(scifact.read_text())
            row["scifact_split"] = sf.get("split")
            for mode in ("dense", "hybrid"):
                row[f"scifact_{mode}_ndcg@10"] = sf[mode]["ndcg@10"]
            row["scifact_hybrid_ms_per_query"] = sf["hybrid"]["ms_per_query"]
        if not args.skip_qa:
            qa = _qa_metrics(b, b)  # one backend for everything
            row["qa_answer"] = qa["answers"]
            row["qa_retrieval"] = qa["retrieval"]
        rows.append(row)
    out = {"texts": len(texts), "reps": args.reps, "backends": rows}
    if not args.skip_qa:
        # The shipped combination: index vectors from one backend, sentences scored by another.
        qa = _qa_metrics(settings.embed_backend, settings.evidence_backend)
        out["default"] = {
            "embed_backend": settings.embed_backend,
            "evidence_backend": settings.evidence_backend,
            "qa_answer": qa["answers"],
            "qa_retrieval": qa["retrieval"],
        }
    return out


def add_parser(sub) -> None:
    p = sub.add_parser("backends", help="torch / onnx / onnx-int8: speed and quality")
    p.add_argument("--data", type=Path, default=Path("../shared/data/bbc/bbc_articles.jsonl"))
    p.add_argument("--sample", type=int, default=400, help="BBC chunk texts to encode")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--skip-qa", action="store_true", help="skip the fixed Q&A set per backend")
    p.add_argument("--json", action="store_true")
