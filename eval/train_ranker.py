"""Fit the answer-type model and the answer ranker (the confidence model).

    python -m eval.train_ranker [--data ../shared/data/squad/dev-v1.1-part-a.json]

1. Answer types (rag/models/answer_types.json): for each question of the SQuAD `train` split,
   its key (rag.answering.question_analysis.question_key) and the spaCy entity label of its gold
   answer
   in the paragraph; counted per key.
2. Answer ranker (rag/models/answer_ranker.json): every SQuAD paragraph is indexed (open
   retrieval, as `python -m eval.bench squad`); each question of the `calib` split (articles the
   span reader never saw) goes through the real answer path twice: as asked, and with its own
   paragraph taken out of the retrieved passages (a question on a subject the index covers
   whose answer is (mostly) not there: the tempting question the releases cannot answer).
   Logistic regressions learn from the candidate spans' features whether a span is exactly
   right (SQuAD EM, questions as asked: the ranker that picks the answer) and whether it is
   right as a reader would judge it (SQuAD F1 >= 0.5, both versions, the paragraph-removed
   ones weighted to be UNANSWERABLE_SHARE of the questions: the confidence model). The
   abstention threshold is the one of THRESHOLDS with the best answer accuracy on that mix
   under 5-fold cross-validation by question; the reliability tables on this split are
   printed. Reported figures come from the untouched `dev` split
   (`python -m eval.bench squad --split dev`).
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
from eval.news_calib import NEWS_TRAIN, NewsRows, collect_news, load_news, unanswerable_weight
from eval.squad_data import DEFAULT_SQUAD, load_articles
from rag.answering.answer_ranker import FEATURES, RANKER_MODEL, AnswerRanker
from rag.answering.question_analysis import ANSWER_TYPES, SPACY_PACKAGE, question_key

log = logging.getLogger("train_ranker")

# The share of asked questions the releases cannot answer, for choosing the threshold and
# weighing the confidence model's paragraph-removed questions: the design of the project's own
# question sets (eval/bbc_qa.jsonl: 10 tempting unanswerable questions in 60), not a fit.
UNANSWERABLE_SHARE = 1 / 6
THRESHOLDS = tuple(round(0.15 + 0.05 * i, 2) for i in range(11))  # 0.15 ... 0.65
CV_FOLDS = 5
# Inverse regularisation strengths the cross-validation chooses from, for each model.
REGULARISATION = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


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


def collect(engine, articles, top_k: int = 5, *, without_gold: bool = False):
    """Feature rows, labels (exact match, F1 >= 0.5) and question ids of every candidate span.

    `without_gold`: the question's own paragraph is taken out of the retrieved passages, so the
    question meets passages on its subject that (mostly) do not hold its answer: what a
    question the releases cannot answer looks like. Spans are still labelled against the gold
    answers, so another paragraph that states the answer counts as right.
    """
    from rich.progress import track

    answerer = engine.answerer
    rows, labels, groups = [], [], []
    snap = engine.snapshot
    questions = [(a, q) for a in articles for q in a.questions]
    label = "calib questions, own paragraph removed" if without_gold else "calib questions"
    for qi, (art, q) in enumerate(track(questions, description=label)):
        # The product's own retrieval (and re-rank); the paragraph is dropped after it, so the
        # passages read are the next ones the product would have read.
        resolved, hits, unmet = answerer.retrieve(snap, q.question, top_k)
        if without_gold:
            hits = [h for h in hits if h.document.text != art.paragraphs[q.paragraph]]
        if unmet or not hits:
            continue
        for c in answerer.candidates(resolved, hits):
            rows.append([c.features[f] for f in FEATURES])
            labels.append((squad_em(c.text, q.answers), float(squad_f1(c.text, q.answers) >= 0.5)))
            groups.append(qi)
    return np.array(rows), np.array(labels), np.array(groups), len(questions)


def _logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, c: float = 1.0
) -> dict:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(x, y, sample_weight=weight)
    return {
        "coef": [round(float(v), 6) for v in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 6),
        "C": c,
        "model": clf,
    }


def _regularisation(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, list[dict]]:
    """The inverse regularisation strength C of REGULARISATION with the lowest (weighted)
    log-loss on held-out questions (CV_FOLDS folds by question id, as the threshold's), and
    the table; of equal ones the smaller C (the stronger pull towards 0.5)."""
    from sklearn.metrics import log_loss

    weight = np.ones(len(y)) if weight is None else weight
    fold = groups % CV_FOLDS
    table = []
    for c in REGULARISATION:
        p = np.zeros(len(y))
        for k in range(CV_FOLDS):
            held = fold == k
            p[held] = _logistic(x[~held], y[~held], weight[~held], c)["model"].predict_proba(
                x[held]
            )[:, 1]
        table.append({"C": c, "log_loss": round(float(log_loss(y, p, sample_weight=weight)), 5)})
    best = min(table, key=lambda r: (r["log_loss"], r["C"]))
    return best["C"], table


def _tops(rank_p: np.ndarray, groups: np.ndarray) -> dict[int, int]:
    """Question id -> row of its best-ranked span."""
    top: dict[int, int] = {}
    for i, g in enumerate(groups):
        if g not in top or rank_p[i] > rank_p[top[g]]:
            top[int(g)] = i
    return top


def _answer_accuracy(
    conf, right, conf_r, right_r, n_questions: int, threshold: float, news=None
) -> float:
    """Share of questions answered rightly when a share UNANSWERABLE_SHARE of them are the
    questions whose own paragraph is gone: there declining is right too (unless another
    paragraph states the answer and the span is right), and a question with no span at all is
    declined. `news`: (confidence, right, answerable, unanswerable weight) of the news
    questions, which count too, their unanswerable ones weighted to the same share."""
    share = UNANSWERABLE_SHARE / (1 - UNANSWERABLE_SHARE)
    answered = (conf >= threshold) & (right == 1)
    answered_r = conf_r >= threshold
    declined_r = n_questions - answered_r.sum() + (answered_r & (right_r == 1)).sum()
    got, total = answered.sum() + share * declined_r, n_questions * (1 + share)
    if news is not None:
        conf_n, right_n, answerable, weight = news
        said = conf_n >= threshold
        got += (answerable & said & (right_n == 1)).sum() + weight * (~answerable & ~said).sum()
        total += answerable.sum() + weight * (~answerable).sum()
    return float(got / total)


def _threshold_by_cross_validation(
    z: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    zr: np.ndarray,
    yr: np.ndarray,
    groups_r: np.ndarray,
    n_questions: int,
    c_rank: float = 1.0,
    c_conf: float = 1.0,
    news: NewsRows | None = None,
) -> list[dict]:
    """Answer accuracy at each candidate threshold, every question scored by models fitted on
    the other folds' questions (both models; folds by question, so a question's two versions
    stay together; the news questions are folded by their own ids)."""
    ids = np.arange(n_questions)
    conf, right = np.zeros(n_questions), np.zeros(n_questions)
    conf_r, right_r = np.zeros(n_questions), np.zeros(n_questions)
    n_news = len(news.answerable) if news is not None else 0
    conf_n, right_n = np.zeros(n_news), np.zeros(n_news)
    for fold in range(CV_FOLDS):
        held = set(ids[ids % CV_FOLDS == fold].tolist())
        fit = ~np.isin(groups, list(held))
        fit_r = ~np.isin(groups_r, list(held))
        rank = _logistic(z[fit], y[fit, 0], c=c_rank)["model"]
        kept = None if news is None else news.subset(news.groups % CV_FOLDS != fold)
        cmodel = _confidence_model(z[fit], y[fit, 1], zr[fit_r], yr[fit_r, 1], c_conf, kept)[
            "model"
        ]
        sets = [(z, y, groups, conf, right, 0), (zr, yr, groups_r, conf_r, right_r, 0)]
        if news is not None:
            sets.append((news.z, news.y, news.groups, conf_n, right_n, news.first_id))
        for zz, yy, gg, c_out, r_out, first in sets:
            rows = np.flatnonzero(gg % CV_FOLDS == fold)
            if not len(rows):
                continue
            for g, i in _tops(rank.predict_proba(zz[rows])[:, 1], gg[rows]).items():
                c_out[g - first] = cmodel.predict_proba(zz[rows][i : i + 1])[0, 1]
                r_out[g - first] = yy[rows][i, 1]
    # A question without spans keeps confidence 0: declined.
    mixed = None if news is None else (conf_n, right_n, news.answerable, news.weight)
    return [
        {
            "threshold": float(t),
            "answer_accuracy": round(
                _answer_accuracy(conf, right, conf_r, right_r, n_questions, t, mixed), 4
            ),
        }
        for t in THRESHOLDS
    ]


def _removed_weight(n: int, n_removed: int) -> np.ndarray:
    """Row weights that make the paragraph-removed questions UNANSWERABLE_SHARE of all."""
    share = UNANSWERABLE_SHARE / (1 - UNANSWERABLE_SHARE)
    return np.concatenate([np.ones(n), np.full(n_removed, share)])


def _confidence_model(z, ok, zr, ok_r, c: float = 1.0, news: NewsRows | None = None) -> dict:
    """The confidence model: P(F1 >= 0.5) over the spans of both versions of the questions,
    the paragraph-removed ones weighted to be UNANSWERABLE_SHARE of the questions, and of the
    news questions (their unanswerable ones weighted the same way)."""
    weight = _removed_weight(len(ok), len(ok_r))
    x, label = np.vstack([z, zr]), np.concatenate([ok, ok_r])
    if news is not None:
        x, label = np.vstack([x, news.z]), np.concatenate([label, news.y[:, 1]])
        weight = np.concatenate([weight, news.row_weights()])
    return _logistic(x, label, weight, c)


def _reliability(conf: np.ndarray, right: np.ndarray, exact: np.ndarray) -> list[dict]:
    table = []
    for lo, hi in ((0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        sel = (conf >= lo) & (conf < hi)
        table.append(
            {
                "bin": f"{lo:.1f}-{min(hi, 1):.1f}",
                "answers": int(sel.sum()),
                "mean_confidence": round(float(conf[sel].mean()), 3) if sel.any() else None,
                "right_f1_0.5": round(float(right[sel].mean()), 3) if sel.any() else None,
                "exact": round(float(exact[sel].mean()), 3) if sel.any() else None,
            }
        )
    return table


def fit_ranker(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    n_questions: int,
    removed: tuple[np.ndarray, np.ndarray, np.ndarray],
    news: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict:
    """The span ranker (label: exact match, questions with their paragraph), the confidence
    model (label: F1 >= 0.5, questions with and without their paragraph, and the news
    questions of eval.news_calib when given: rows, labels, ids from `n_questions`, answerable
    per question) and the abstention threshold (the best answer accuracy under
    cross-validation)."""
    xr, yr, groups_r = removed
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z, zr = (x - mean) / scale, (xr - mean) / scale
    rows = None
    if news is not None:
        xn, yn, gn, answerable = news
        weight = unanswerable_weight(answerable, UNANSWERABLE_SHARE)
        rows = NewsRows((xn - mean) / scale, yn, gn, answerable, n_questions, weight)
    # Each model's regularisation by held-out log-loss, then the models on all of calib.
    c_rank, rank_cv = _regularisation(z, y[:, 0], groups)
    c_conf, conf_cv = _regularisation(
        np.vstack([z, zr, *([rows.z] if rows else [])]),
        np.concatenate([y[:, 1], yr[:, 1], *([rows.y[:, 1]] if rows else [])]),
        np.concatenate([groups, groups_r, *([rows.groups] if rows else [])]),
        np.concatenate([_removed_weight(len(y), len(yr)), *([rows.row_weights()] if rows else [])]),
    )
    rank = _logistic(z, y[:, 0], c=c_rank)
    conf = _confidence_model(z, y[:, 1], zr, yr[:, 1], c_conf, rows)
    rank_model, conf_model = rank.pop("model"), conf.pop("model")
    by_threshold = _threshold_by_cross_validation(
        z, y, groups, zr, yr, groups_r, n_questions, c_rank, c_conf, rows
    )
    # The best accuracy; of equal ones the highest threshold (fewer answers, as right).
    threshold = max(by_threshold, key=lambda r: (r["answer_accuracy"], r["threshold"]))["threshold"]

    def tops(zz, yy, gg):
        rows = np.array(list(_tops(rank_model.predict_proba(zz)[:, 1], gg).values()))
        return conf_model.predict_proba(zz[rows])[:, 1], yy[rows]

    conf_p, top_y = tops(z, y, groups)
    conf_r, top_yr = tops(zr, yr, groups_r)
    answered = conf_p >= threshold
    news_report = {}
    if rows is not None:
        conf_n, top_yn = tops(rows.z, rows.y, rows.groups)
        asked = np.unique(rows.groups) - rows.first_id  # questions with spans
        answerable = rows.answerable[asked]
        said = conf_n >= threshold
        right_said = int((answerable & said & (top_yn[:, 1] == 1)).sum())
        wrongly_said = int((~answerable & said).sum())
        news_report = {
            "news_questions": len(rows.answerable),
            "news_answerable": int(rows.answerable.sum()),
            "news_answerable_answered_right": right_said,
            "news_unanswerable_declined": int((~rows.answerable).sum()) - wrongly_said,
            "news_reliability": _reliability(conf_n, top_yn[:, 1], top_yn[:, 0]),
        }
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
            "candidates_without_paragraph": len(yr),
            "unanswerable_share": round(UNANSWERABLE_SHARE, 4),
            "threshold_cv": by_threshold,
            "regularisation_cv": {"rank": rank_cv, "confidence": conf_cv},
            "em_top": round(float(top_y[:, 0].sum() / n_questions), 4),
            "answered": round(float(answered.sum() / n_questions), 4),
            "right_answered_only": round(float(top_y[answered, 1].mean()), 4)
            if answered.any()
            else 0.0,
            "declined_without_paragraph": round(
                float(1 - (conf_r >= threshold).sum() / n_questions), 4
            ),
            "reliability": _reliability(conf_p, top_y[:, 1], top_y[:, 0]),
            "reliability_without_paragraph": _reliability(conf_r, top_yr[:, 1], top_yr[:, 0]),
            **news_report,
        },
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_SQUAD)
    ap.add_argument("--skip-types", action="store_true", help="keep the answer-type model")
    ap.add_argument(
        "--news",
        type=Path,
        default=NEWS_TRAIN,
        help="news questions for the confidence model, asked over the BBC index (eval.news_calib)",
    )
    ap.add_argument("--no-news", action="store_true", help="the confidence model from SQuAD alone")
    ap.add_argument(
        "--news-half",
        choices=("all", "confidence"),
        default="all",
        help="the news questions' writers: all, or those a reader trained with "
        "`python -m eval.train_reader --news-train` did not learn from (eval.news_calib)",
    )
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
        calib = load_articles(args.data, "calib")
        x, y, groups, n = collect(engine, calib)
        removed = collect(engine, calib, without_gold=True)[:3]
    news = None
    source = "SQuAD v1.1 dev part-a, calib split (eval.squad_data), open retrieval"
    if not args.no_news:
        from eval.__main__ import BBC_DATA, BBC_INDEX, bbc_engine
        from rag.config import Settings
        from rag.engine import Engine

        bbc = bbc_engine(Settings, Engine, BBC_DATA, BBC_INDEX)
        bbc.answerer.ranker = AnswerRanker(Path("/nonexistent"))  # features only
        news = collect_news(bbc, load_news(args.news, args.news_half), first_id=n)
        source += f"; confidence also from {args.news.name} over the BBC index"
    model = fit_ranker(x, y, groups, n, removed, news)
    model["source"] = source
    RANKER_MODEL.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    result.update(model["calib"])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
