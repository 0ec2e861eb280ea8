"""The fixed Q&A set with generated answers (RAG_LLM_BASE_URL), beside the extractive ones.

`rag eval` runs this after the usual table when an LLM is configured (`--no-llm` skips it):
answer accuracy and citation precision with and without the LLM, the share of generated
sentences the claim checker kept, and how often each mode answered. Results go to
eval/results/llm.json and llm.md (the gate in THRESHOLDS stays on the extractive answers).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

KEYS = (
    "answer_accuracy",
    "answerable_accuracy",
    "citation_precision",
    "citation_recall",
    "quote_verbatim",
    "abstention_recall",
    "latency_p50_ms",
    "latency_p95_ms",
)


def generation_stats(rows: list[dict]) -> dict[str, float]:
    sentences = [s for r in rows for s in r.get("sentences", [])]
    modes = Counter(r["mode"] for r in rows)
    n = max(1, len(rows))
    return {
        "generated_sentences": float(len(sentences)),
        "sentences_kept": sum(s["supported"] for s in sentences) / max(1, len(sentences)),
        "mode_generated": modes["generated"] / n,
        "mode_fallback": modes["fallback"] / n,
        "mode_extractive": modes["extractive"] / n,
    }


def render(extractive: dict[str, float], generated: dict[str, float], stats: dict) -> str:
    lines = ["| metric | extractive | with the LLM |", "|---|---|---|"]
    for key in KEYS:
        fmt = "{:.1f}" if key.endswith("_ms") else "{:.3f}"
        lines.append(f"| {key} | {fmt.format(extractive[key])} | {fmt.format(generated[key])} |")
    lines.append(f"| generated sentences kept by the checker | | {stats['sentences_kept']:.3f} |")
    for mode in ("generated", "fallback", "extractive"):
        lines.append(f"| answers in mode {mode} | | {stats['mode_' + mode]:.3f} |")
    return "\n".join(lines)


def run(engine, questions: list[dict], extractive: dict[str, float], results: Path) -> dict:
    """Answer every question with the LLM, write llm.json / llm.md, print the comparison."""
    from eval.__main__ import answer_metrics

    settings = engine.settings
    generated, rows = answer_metrics(engine, questions, "hybrid", generate=True)
    stats = generation_stats(rows)
    report = {
        "model": settings.llm_model,
        "base_url": settings.llm_base_url,
        "questions": len(questions),
        "extractive": extractive,
        "generated": generated,
        "generation": stats,
        "rows": rows,
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / "llm.json").write_text(json.dumps(report, indent=2) + "\n")
    table = render(extractive, generated, stats)
    (results / "llm.md").write_text(
        f"Fixed Q&A set, hybrid retrieval, LLM `{settings.llm_model}` "
        f"({int(stats['generated_sentences'])} generated sentences)\n\n{table}\n"
    )
    print(f"\nWith the LLM ({settings.llm_model} at {settings.llm_base_url}):\n")
    print(table)
    return report
