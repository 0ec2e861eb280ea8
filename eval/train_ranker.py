"""Fit the answer-type model and the answer ranker (the confidence model).

    python -m eval.train_ranker [--data ../shared/data/squad/dev-v1.1-part-a.json]

1. Answer types (rag/models/answer_types.json): for each question of the SQuAD `train` split,
   its key (rag.answering.question_analysis.question_key) and the spaCy entity label of its gold
   answer
   in the paragraph; counted per key.
2. Answer ranker (rag/models/answer_ranker.json): every SQuAD paragraph is indexed (open
   retrieval, as `python -m eval.bench squad`); each question of the `calib` split (articles the
   span reader never saw) goes through the real answer path, and a logistic regression learns
   from the candidate spans' features whether a span is exactly right (SQuAD EM: the ranker
   that picks the answer) and whether it is right as a reader would judge it (SQuAD F1 >= 0.5:
   the confidence model). The abstention threshold is 0.5 (answer when more likely right than
   not); the reliability table on this split is printed. Reported figures come from the
   untouched `dev` split (`python -m eval.bench squad --split dev`).
Deterministic: no sampling; lbfgs on fixed data.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from eval.metrics import squad_em, squad_f1
from eval.squad_data import DEFAULT_SQUAD, load_articles
from rag.answering.answer_ranker import FEATURES, RANKER_MODEL, AnswerRanker
from rag.answering.question_analysis import ANSWER_TYPES, SPACY_PACKAGE, question_key

log = logging.getLogger("train_ranker")


def answer_label(doc, start: int, end: int) -> str:
    best, overlap = "NONE", 0
    for e in doc.ents:
        o = min(end, e.end_char) - max(start, e.start_char)
        if o > overlap:
            best, overlap = e.label_, o
    return best if overlap * 2 >= (end - start) else "NONE"


def train_types(data: Path, out: Path) -> dict:
    import spacy

    nlp = spacy.load(SPACY_PACKAGE)
    counts: dict[str, Counter] = defaultdict(Counter)
    articles = load_articles(data, "train")
    n = 0
    for art in articles:
        paras = list(nlp.pipe(art.paragraphs))
        for q in art.questions:
            key, _, _ = question_key(nlp(q.question))
            if not key:
                continue
            start = q.answer_starts[0]
            counts[key][answer_label(paras[q.paragraph], start, start + len(q.answers[0]))] += 1
            n += 1
    model = {
        "source": "SQuAD v1.1 dev part-a, train split (eval.squad_data), spaCy " + SPACY_PACKAGE,
        "questions": n,
        "keys": {k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
    }
    out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    return {"type_keys": len(counts), "type_questions": n}


def squad_records(data: Path) -> list[dict]:
    records = []
    for a_i, art in enumerate(load_articles(data, "all")):
        for p_i, text in enumerate(art.paragraphs):
            records.append(
                {"id": f"{a_i:03d}-{p_i:03d}", "title": art.title.replace("_", " "), "text": text}
            )
    return records


def collect(engine, articles, top_k: int = 5):
    """Feature rows, labels (exact match, F1 >= 0.5) and question ids of every candidate span."""
    from rich.progress import track

    answerer = engine.answerer
    rows, labels, groups = [], [], []
    snap = engine.snapshot
    questions = [q for a in articles for q in a.questions]
    for qi, q in enumerate(track(questions, description="calib questions")):
        resolved, hits, unmet = answerer.retrieve(snap, q.question, top_k)
        if unmet or not hits:
            continue
        for c in answerer.candidates(resolved, hits):
            rows.append([c.features[f] for f in FEATURES])
            labels.append((squad_em(c.text, q.answers), float(squad_f1(c.text, q.answers) >= 0.5)))
            groups.append(qi)
    return np.array(rows), np.array(labels), np.array(groups), len(questions)


def _logistic(x: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=2000)
    clf.fit(x, y)
    return {
        "coef": [round(float(c), 6) for c in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 6),
        "model": clf,
    }


def fit_ranker(x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_questions: int) -> dict:
    """The span ranker (label: exact match) and the confidence model (label: F1 >= 0.5)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    rank, conf = _logistic(z, y[:, 0]), _logistic(z, y[:, 1])
    rank_p = rank.pop("model").predict_proba(z)[:, 1]
    conf_p = conf.pop("model").predict_proba(z)[:, 1]
    # The answer to each question is its best-ranked span, with the confidence model's value.
    top: dict[int, tuple[float, float, float, float]] = {}
    for r, p, (em, ok), g in zip(rank_p, conf_p, y, groups, strict=True):
        if g not in top or r > top[g][0]:
            top[g] = (float(r), float(p), float(em), float(ok))
    tops = np.array(list(top.values()))
    threshold = 0.5  # answer when the span is more likely right than not
    reliability = []
    for lo, hi in ((0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        sel = (tops[:, 1] >= lo) & (tops[:, 1] < hi)
        reliability.append(
            {
                "bin": f"{lo:.1f}-{min(hi, 1):.1f}",
                "answers": int(sel.sum()),
                "mean_confidence": round(float(tops[sel, 1].mean()), 3) if sel.any() else None,
                "right_f1_0.5": round(float(tops[sel, 3].mean()), 3) if sel.any() else None,
                "exact": round(float(tops[sel, 2].mean()), 3) if sel.any() else None,
            }
        )
    answered = tops[:, 1] >= threshold
    return {
        "features": list(FEATURES),
        "mean": [round(float(m), 6) for m in mean],
        "scale": [round(float(s), 6) for s in scale],
        "rank": rank,
        "confidence": conf,
        "threshold": threshold,
        "calib": {
            "questions": n_questions,
            "candidates": len(y),
            "em_top": round(float(tops[:, 2].sum() / n_questions), 4),
            "answered": round(float(answered.mean()), 4),
            "right_answered_only": round(float(tops[answered, 3].mean()), 4)
            if answered.any()
            else 0.0,
            "reliability": reliability,
        },
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_SQUAD)
    ap.add_argument("--skip-types", action="store_true", help="keep the answer-type model")
    args = ap.parse_args()
    t0 = time.perf_counter()
    result = {} if args.skip_types else train_types(args.data, ANSWER_TYPES)
    log.info("answer types: %s", result)

    from eval.bench import temp_engine

    lines = "\n".join(json.dumps(r) for r in squad_records(args.data)) + "\n"
    with temp_engine("rag-ranker-", lambda src: (src / "squad.jsonl").write_text(lines)) as (
        engine,
        _,
        _,
    ):
        engine.answerer.ranker = AnswerRanker(Path("/nonexistent"))  # features only
        x, y, groups, n = collect(engine, load_articles(args.data, "calib"))
    model = fit_ranker(x, y, groups, n)
    model["source"] = "SQuAD v1.1 dev part-a, calib split (eval.squad_data), open retrieval"
    RANKER_MODEL.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    result.update(model["calib"])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
