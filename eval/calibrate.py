"""Fit the abstention threshold and the confidence slope on the fixed Q&A set.

    python -m eval.calibrate

Runs every question with abstention on evidence switched off, records the best sentence's
evidence score and whether the answer was right, then reports, for candidate thresholds,
answer accuracy over all questions (abstaining counts as right only on unanswerable ones) and
abstention precision/recall, and fits the logistic slope of P(right | score) by maximum
likelihood. Paste the chosen values into rag/answering.py AnswerParams.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from eval.__main__ import load_questions
from eval.metrics import contains_any


def collect(engine, questions) -> list[tuple[float, bool, bool, bool]]:
    """(score, answerable, answer right if given, abstained on constraints)."""
    rows = []
    for q in questions:
        ans = engine.ask(q["question"])
        if ans.abstained:  # abstained for a reason other than the evidence threshold
            rows.append((-1.0, q["answerable"], False, True))
            continue
        score = ans.citations[0].score if ans.citations else -1.0
        right = q["answerable"] and contains_any(ans.answer, q["answers"])
        rows.append((score, q["answerable"], right, False))
    return rows


def evaluate(rows, threshold: float) -> dict[str, float]:
    correct = tp = fp = fn = 0
    for score, answerable, right, _ in rows:
        abstain = score < threshold
        correct += (abstain and not answerable) or (not abstain and right)
        if not answerable:
            tp += abstain
            fn += not abstain
        else:
            fp += abstain
    return {
        "accuracy": correct / len(rows),
        "abst_precision": tp / max(1, tp + fp),
        "abst_recall": tp / max(1, tp + fn),
    }


def fit_slope(rows, threshold: float) -> float:
    xs = np.array([r[0] for r in rows if r[0] >= 0])
    ys = np.array([1.0 if r[2] else 0.0 for r in rows if r[0] >= 0])
    best, best_ll = 1.0, -math.inf
    for slope in np.arange(1.0, 60.0, 0.5):
        p = 1 / (1 + np.exp(-slope * (xs - threshold)))
        ll = float(np.sum(ys * np.log(p + 1e-9) + (1 - ys) * np.log(1 - p + 1e-9)))
        if ll > best_ll:
            best, best_ll = float(slope), ll
    return best


def main() -> int:
    from rag.config import Settings
    from rag.engine import Engine

    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings.from_env(index_dir=Path(tmp)))
        engine.index_directory()
        engine.open()
        engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=-1.0)
        rows = collect(engine, questions)
    for t in np.arange(0.25, 0.60, 0.01):
        m = evaluate(rows, float(t))
        print(
            f"threshold {t:.2f}: accuracy {m['accuracy']:.3f}  abstention precision "
            f"{m['abst_precision']:.3f} recall {m['abst_recall']:.3f}"
        )
    best_t = max(np.arange(0.25, 0.60, 0.01), key=lambda t: evaluate(rows, float(t))["accuracy"])
    print(f"best threshold {best_t:.2f}; fitted slope {fit_slope(rows, float(best_t)):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
