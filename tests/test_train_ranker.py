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
