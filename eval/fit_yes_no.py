"""Fit the confidence of yes/no answers: how often each check's verdicts are right.

    python -m eval.fit_yes_no [--batches 7-8] [--prior-weight 5]

Asks the yes/no questions of the given batches of eval/yes_no_unseen.jsonl (written from the
texts by others than the code's authors, after the code; README, Evaluation) through the
product's own answer path (seeds: a fresh index; BBC: the cached index `python -m eval`
builds), counts the right and wrong verdicts of each check that decides one
(rag.answering.yes_no_confidence; a verdict on a question the texts cannot settle is wrong)
and writes rag/models/yes_no_routes.json: each check's share of right verdicts, smoothed
towards the share over all checks with `--prior-weight` answers.

The default batches are the latest ones the checks were not developed against: on the batches
they were (1-6), verdicts are right more often (80%) than on later ones (61% on 7-8), and a
confidence should say how the answers to new questions fare. Batches after them stay out of
the fit so that they measure it. Deterministic: the questions in file order; about a minute.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from eval.__main__ import (
    BBC_DATA,
    BBC_INDEX,
    SEEDS_DIR,
    UNSEEN_PATH,
    bbc_engine,
    judge,
    load_questions,
)
from rag.answering.yes_no_confidence import YES_NO_MODEL, smoothed

log = logging.getLogger("fit_yes_no")


def batch_range(text: str) -> set[int]:
    """ "1-8" -> {1, ..., 8}; "1,3" -> {1, 3}."""
    found: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        found |= set(range(int(first), int(last or first) + 1))
    return found


def fitting_questions(batches: set[int], path: Path = UNSEEN_PATH) -> list[dict]:
    return [q for q in load_questions(path) if q.get("batch") in batches]


def fit(counts: dict[str, Counter], weight: float) -> dict:
    right = sum(c["right"] for c in counts.values())
    total = right + sum(c["wrong"] for c in counts.values())
    prior = right / total if total else 0.5
    return {
        "default": round(prior, 4),
        "prior_weight": weight,
        "routes": {
            key: {
                "right": c["right"],
                "wrong": c["wrong"],
                "probability": round(smoothed(c["right"], c["wrong"], prior, weight), 4),
            }
            for key, c in sorted(counts.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_yes_no", description=__doc__)
    parser.add_argument("--batches", default="7-8", help="batches of the unseen set to fit on")
    parser.add_argument("--prior-weight", type=float, default=5.0)
    parser.add_argument("--bbc-data", type=Path, default=BBC_DATA)
    parser.add_argument("--bbc-index-dir", type=Path, default=BBC_INDEX)
    parser.add_argument("--out", type=Path, default=YES_NO_MODEL)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    questions = fitting_questions(batch_range(args.batches))
    source = f"eval/yes_no_unseen.jsonl batches {args.batches} (`python -m eval.fit_yes_no`)"
    counts = route_counts(questions, args.bbc_data, args.bbc_index_dir)
    write_routes(source, len(questions), fit(counts, args.prior_weight), args.out)
    return 0


def route_counts(questions: list[dict], bbc_data: Path, bbc_index: Path) -> dict[str, Counter]:
    """Right and wrong answers per `decided_by` route, the questions asked through the
    product's own answer path (seeds: a fresh index; BBC: the cached index)."""
    from rag.config import Settings
    from rag.engine import Engine

    counts: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory(prefix="rag-fit-routes-") as tmp:
        seeds = Engine(Settings.from_env(index_dir=Path(tmp), source_dir=SEEDS_DIR))
        seeds.index_directory(SEEDS_DIR)
        engines = {"seeds": seeds.open()}
        engines["bbc"] = bbc_engine(Settings, Engine, bbc_data, bbc_index)
        for q in tqdm(questions, desc="questions", unit="q", disable=None):
            answer = engines[q["corpus"]].ask(q["question"], generate=False)
            if answer.abstained or not answer.decided_by:
                continue
            counts.setdefault(answer.decided_by, Counter())[
                "right" if judge(q, answer) else "wrong"
            ] += 1
    return counts


def write_routes(source: str, questions: int, fitted: dict, out: Path) -> None:
    model = {"source": source, "questions": questions, **fitted}
    out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"{questions} questions; share right over all answers {model['default']:.3f}")
    print("| decided by | right | wrong | confidence |\n|---|---|---|---|")
    for key, r in model["routes"].items():
        print(f"| {key} | {r['right']} | {r['wrong']} | {r['probability']:.3f} |")
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
