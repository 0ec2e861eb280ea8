"""The confidence model and threshold fitting of eval.train_ranker, on small synthetic rows."""

from __future__ import annotations

import numpy as np
import pytest

from eval.train_ranker import THRESHOLDS, UNANSWERABLE_SHARE, _answer_accuracy, fit_ranker
from rag.answering.answer_ranker import FEATURES


def test_answer_accuracy_counts_a_decline_right_only_where_the_paragraph_is_gone() -> None:
    # Four questions as asked: right and answered (0.9), wrong (0.6), right but declined (0.2),
    # no span at all (0.0). The same four without their paragraph: one still answered and
    # right from another paragraph (0.8), one answered wrongly (0.7), two declined.
    conf, right = np.array([0.9, 0.6, 0.2, 0.0]), np.array([1, 0, 1, 0])
    conf_r, right_r = np.array([0.8, 0.7, 0.1, 0.0]), np.array([1, 0, 0, 0])
    at_half = _answer_accuracy(conf, right, conf_r, right_r, 4, 0.5)
    assert at_half == pytest.approx((1 - UNANSWERABLE_SHARE) * 1 / 4 + UNANSWERABLE_SHARE * 3 / 4)
    # Lower, the right-but-declined question is answered; the wrong one still counts wrong.
    at_low = _answer_accuracy(conf, right, conf_r, right_r, 4, 0.15)
    assert at_low == pytest.approx((1 - UNANSWERABLE_SHARE) * 2 / 4 + UNANSWERABLE_SHARE * 3 / 4)


def _rows(rng: np.random.Generator, questions: int, with_answer: bool):
    """Four spans a question; one looks like an answer (a higher reader score, feature 0). With
    the answer's paragraph gone that span is wrong, and every span has a high "no answer"
    score (feature 1), which says nothing where the answer is there."""
    rows, labels, groups = [], [], []
    for q in range(questions):
        likely = int(rng.integers(4))
        for s in range(4):
            x = rng.normal(size=len(FEATURES))
            x[0] += 2.5 if s == likely else 0.0
            x[1] += 0.0 if with_answer else 2.0
            rows.append(x)
            ok = float(with_answer and s == likely)
            labels.append((ok, ok))
            groups.append(q)
    return np.array(rows), np.array(labels), np.array(groups)


def test_fit_ranker_lowers_confidence_where_no_passage_holds_the_answer() -> None:
    rng = np.random.default_rng(3)
    x, y, groups = _rows(rng, 300, with_answer=True)
    removed = _rows(rng, 300, with_answer=False)
    model = fit_ranker(x, y, groups, 300, removed)
    assert model["threshold"] in THRESHOLDS
    table = model["calib"]["threshold_cv"]
    assert [r["threshold"] for r in table] == list(THRESHOLDS)
    best = max(r["answer_accuracy"] for r in table)
    assert next(r for r in table if r["threshold"] == model["threshold"])["answer_accuracy"] == best
    calib = model["calib"]
    # Questions whose paragraph is gone are declined more often than those asked as is (with
    # the removed questions weighted near zero: 3% and 3%, 207 of them at 0.7 or more).
    assert calib["declined_without_paragraph"] > 1 - calib["answered"] + 0.1
    # And the two reliability tables say why: confidence is high only with the answer there.
    high = [b for b in calib["reliability_without_paragraph"] if b["bin"] in ("0.7-0.9", "0.9-1.0")]
    assert sum(b["answers"] for b in high) < 0.3 * 300


def test_regularisation_is_chosen_by_held_out_log_loss() -> None:
    """Features that carry nothing: the strongest pull towards the base rate wins held out.
    A feature that carries the label: a weaker one, and the table lists every C tried."""
    from eval.train_ranker import REGULARISATION, _regularisation

    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(200), 4)
    noise = rng.normal(size=(800, 6))
    label = (rng.random(800) < 0.3).astype(float)
    c_noise, table = _regularisation(noise, label, groups)
    assert c_noise == min(REGULARISATION)
    assert [r["C"] for r in table] == list(REGULARISATION)
    signal = noise.copy()
    signal[:, 0] += 3.0 * label
    c_signal, _ = _regularisation(signal, label, groups)
    assert c_signal > min(REGULARISATION)


def test_news_questions_count_with_their_unanswerable_ones_weighted_to_the_share() -> None:
    from eval.news_calib import unanswerable_weight

    answerable = np.array([True, True, True, True, False, False])
    weight = unanswerable_weight(answerable, UNANSWERABLE_SHARE)
    assert 2 * weight / (4 + 2 * weight) == pytest.approx(UNANSWERABLE_SHARE)
    conf, right = np.array([0.9]), np.array([1])
    conf_r, right_r = np.array([0.1]), np.array([0])
    # news: two answerable answered right, one answerable declined, one answered wrongly; one
    # unanswerable declined and one answered
    conf_n = np.array([0.8, 0.7, 0.2, 0.6, 0.3, 0.9, 0.0])
    right_n = np.array([1, 1, 1, 0, 0, 0, 0])
    news_answerable = np.array([True, True, True, True, False, False, False])
    w = unanswerable_weight(news_answerable, UNANSWERABLE_SHARE)
    got = _answer_accuracy(
        conf, right, conf_r, right_r, 1, 0.5, (conf_n, right_n, news_answerable, w)
    )
    share = UNANSWERABLE_SHARE / (1 - UNANSWERABLE_SHARE)
    assert got == pytest.approx((1 + share * 1 + 2 + w * 2) / (1 + share + 4 + w * 3))


def test_the_confidence_model_learns_what_marks_an_unanswerable_news_question() -> None:
    """Feature 2 says nothing in the SQuAD rows; in the news rows it marks the spans of the
    questions the articles cannot answer. Fitted with the news rows, confidence falls with it
    and the news questions' report says how they came out."""
    rng = np.random.default_rng(7)
    x, y, groups = _rows(rng, 200, with_answer=True)
    removed = _rows(rng, 200, with_answer=False)
    xa, ya, ga = _rows(rng, 80, with_answer=True)
    xu, yu, gu = _rows(rng, 40, with_answer=False)
    xu[:, 1] -= 2.0  # news spans with no answer look like answers to the "no answer" score
    xu[:, 2] += 5.0  # ... but carry this mark
    news = (
        np.vstack([xa, xu]),
        np.vstack([ya, yu]),
        np.concatenate([ga, gu + 80]) + 200,
        np.array([True] * 80 + [False] * 40),
    )
    alone = fit_ranker(x, y, groups, 200, removed)
    with_news = fit_ranker(x, y, groups, 200, removed, news)
    assert abs(alone["confidence"]["coef"][2]) < 0.15
    assert with_news["confidence"]["coef"][2] < -0.2
    report = with_news["calib"]
    assert report["news_questions"] == 120 and report["news_answerable"] == 80
    # More of the unanswerable news questions are declined than the SQuAD-only model declines.
    assert report["news_unanswerable_declined"] > 2 * _declined(alone, xu, gu) + 3


def _declined(model: dict, x: np.ndarray, groups: np.ndarray) -> int:
    """How many questions the model declines: its ranker's top span per question, below its
    threshold by its confidence model."""
    z = (x - np.array(model["mean"])) / np.array(model["scale"])

    def score(m: dict) -> np.ndarray:
        return 1 / (1 + np.exp(-(z @ np.array(m["coef"]) + m["intercept"])))

    rank, conf = score(model["rank"]), score(model["confidence"])
    tops = {g: max(np.flatnonzero(groups == g), key=lambda i: rank[i]) for g in set(groups)}
    return sum(conf[i] < model["threshold"] for i in tops.values())
