"""`rag eval` / `python -m eval`: the fixed Q&A set through Engine.ask, scored and gated.

Builds a fresh index of seeds/ in a temporary folder (or uses --index-dir), runs every question
of eval/qa.jsonl, prints a table, writes eval/results/latest.json and latest.md, and exits 1 when
a metric falls below THRESHOLDS.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from eval.metrics import contains_any, percentile, reciprocal_rank, token_f1

EVAL_DIR = Path(__file__).resolve().parent
QA_PATH = EVAL_DIR / "qa.jsonl"
RESULTS_DIR = EVAL_DIR / "results"
MODES = ("keyword", "dense", "hybrid")

# The quality gate, kept in one place.
THRESHOLDS = {
    "answer_accuracy": 0.90,
    "citation_precision": 0.95,
    "quote_verbatim": 1.0,
    "abstention_recall": 0.8,
}


def load_questions(path: Path = QA_PATH) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def retrieval_metrics(
    engine,
    questions: list[dict],
    mode: str,
    rerank: bool = False,
) -> dict[str, float]:
    answerable = [q for q in questions if q["answerable"]]
    r1 = r5 = mrr = 0.0
    for q in answerable:
        hits = engine.search(q["question"], 5, mode=mode, rerank=rerank)
        ranked = list(dict.fromkeys(h.chunk.source for h in hits))
        gold = set(q["sources"])
        rr = reciprocal_rank(ranked, gold)
        r1 += rr == 1.0
        r5 += rr > 0
        mrr += rr
    n = max(1, len(answerable))
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr": mrr / n}


def answer_metrics(
    engine,
    questions: list[dict],
    mode: str = "hybrid",
    generate: bool = False,  # with RAG_LLM_BASE_URL: generated answers (eval/llm.py)
) -> tuple[dict[str, float], list[dict]]:
    rows = []
    correct = f1_sum = 0.0
    cite_total = cite_ok = 0
    recall_sum = 0.0
    quotes = quotes_ok = 0
    abst_tp = abst_fp = abst_fn = 0
    latencies = []
    for q in questions:
        ans = engine.ask(q["question"], mode=mode, generate=generate)
        latencies.append(ans.timings_ms.get("total", 0.0))
        gold = set(q["sources"])
        cited = {c.source for c in ans.citations}
        for c in ans.citations:
            quotes += 1
            doc, _ = engine.get_document(c.source)
            quotes_ok += doc.text[c.start : c.end] == c.quote
        if q["answerable"]:
            ok = not ans.abstained and contains_any(ans.answer, q["answers"])
            f1_sum += 0.0 if ans.abstained else token_f1(ans.answer, q["answers"])
            abst_fp += ans.abstained
            if not ans.abstained:
                recall_sum += len(cited & gold) / max(1, len(gold))
        else:
            ok = ans.abstained
            abst_tp += ans.abstained
            abst_fn += not ans.abstained
        correct += ok
        cite_total += len(cited)
        cite_ok += len(cited & gold)
        rows.append(
            {
                "id": q["id"],
                "question": q["question"],
                "ok": bool(ok),
                "answerable": q["answerable"],
                "abstained": ans.abstained,
                "answer": ans.answer,
                "expected": q["answers"],
                "cited": sorted(cited),
                "gold": sorted(gold),
                "confidence": round(ans.confidence, 3),
                "mode": ans.mode,
                **({"sentences": ans.sentences} if generate else {}),
            }
        )
    answerable = [q for q in questions if q["answerable"]]
    n_ans = max(1, len(answerable))
    metrics = {
        "answer_accuracy": correct / max(1, len(questions)),
        "answerable_accuracy": sum(r["ok"] for r in rows if r["answerable"]) / n_ans,
        "token_f1": f1_sum / n_ans,
        "citation_precision": cite_ok / cite_total if cite_total else 1.0,
        "citation_recall": recall_sum / n_ans,
        "quote_verbatim": quotes_ok / quotes if quotes else 1.0,
        "abstention_precision": abst_tp / (abst_tp + abst_fp) if abst_tp + abst_fp else 1.0,
        "abstention_recall": abst_tp / (abst_tp + abst_fn) if abst_tp + abst_fn else 1.0,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return metrics, rows


def render_markdown(report: dict) -> str:
    lines = ["| metric | keyword | dense | hybrid |", "|---|---|---|---|"]
    for key in ("recall@1", "recall@5", "mrr"):
        vals = [report["retrieval"][m][key] for m in MODES]
        lines.append(f"| retrieval {key} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    for key in ("recall@1", "recall@5", "mrr"):
        value = report["retrieval_reranked"][key]
        lines.append(f"| retrieval {key}, hybrid + sentence re-rank | | | {value:.3f} |")
    for key in report["answers"]["hybrid"]:
        vals = [report["answers"][m][key] for m in MODES]
        fmt = "{:.1f}" if key.endswith("_ms") else "{:.3f}"
        lines.append(f"| {key} | " + " | ".join(fmt.format(v) for v in vals) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="use this index instead of a fresh one built from seeds/",
    )
    parser.add_argument("--qa", type=Path, default=QA_PATH)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help="skip the generated-answer run even when RAG_LLM_BASE_URL is set",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="print and save the results but exit 0 below the thresholds",
    )
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING)

    from rag.config import Settings
    from rag.engine import Engine

    questions = load_questions(args.qa)
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        settings = Settings.from_env(index_dir=args.index_dir or Path(tmp))
        engine = Engine(settings)
        if args.index_dir is None:
            engine.index_directory(settings.source_dir)
        engine.open()
        report: dict = {
            "questions": len(questions),
            "unanswerable": sum(not q["answerable"] for q in questions),
            "retrieval": {},
            "answers": {},
        }
        rows_hybrid: list[dict] = []
        report["retrieval_reranked"] = retrieval_metrics(engine, questions, "hybrid", True)
        for mode in MODES:
            report["retrieval"][mode] = retrieval_metrics(engine, questions, mode)
            report["answers"][mode], rows = answer_metrics(engine, questions, mode)
            if mode == "hybrid":
                rows_hybrid = rows
        if engine.generator is not None and not args.no_llm:
            from eval import llm

            report["llm"] = llm.run(engine, questions, report["answers"]["hybrid"], RESULTS_DIR)
            report["llm"].pop("rows")
    report["thresholds"] = THRESHOLDS
    report["failures"] = [r for r in rows_hybrid if not r["ok"]]
    hybrid = report["answers"]["hybrid"]
    failed = {k: hybrid[k] for k, floor in THRESHOLDS.items() if hybrid[k] < floor}
    report["passed"] = not failed
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = render_markdown(report)
    (RESULTS_DIR / "latest.md").write_text(
        f"Fixed Q&A set: {report['questions']} questions "
        f"({report['unanswerable']} unanswerable)\n\n{table}\n"
    )
    print(f"{report['questions']} questions ({report['unanswerable']} unanswerable)\n")
    print(table)
    if args.show_failures or failed:
        for r in report["failures"]:
            print(
                f"  FAIL {r['id']}: {r['question']} -> {r['answer'][:100]!r} "
                f"(expected {r['expected'][:2]}, cited {r['cited']}, gold {r['gold']})"
            )
    if failed:
        print(
            "\nBelow threshold: "
            + ", ".join(f"{k}={v:.3f} < {THRESHOLDS[k]}" for k, v in failed.items())
        )
        return 0 if args.report_only else 1
    print("\nAll thresholds met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
