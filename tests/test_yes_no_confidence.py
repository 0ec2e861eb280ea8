"""The fitted confidence of yes/no verdicts (rag.answering.yes_no_confidence, eval.fit_yes_no)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from eval.fit_yes_no import batch_range, fit
from rag.answering.yes_no_confidence import YES_NO_MODEL, confidence, route, smoothed


def test_smoothing_pulls_a_rarely_used_check_towards_the_share_of_all() -> None:
    assert smoothed(10, 0, prior=0.6, weight=5) == pytest.approx(13 / 15)
    assert smoothed(0, 0, prior=0.6, weight=5) == pytest.approx(0.6)
    # the more verdicts a check gave, the less the prior counts
    assert smoothed(90, 10, 0.6, 5) > smoothed(9, 1, 0.6, 5)


def test_fit_gives_each_route_its_smoothed_share(tmp_path) -> None:
    counts = {
        route("Yes", "the reader's span"): Counter(right=6, wrong=4),
        route("No", "counts"): Counter(right=3),
    }
    model = fit(counts, weight=5)
    assert model["default"] == pytest.approx(9 / 13, abs=1e-4)
    yes = model["routes"]["yes: the reader's span"]
    assert (yes["right"], yes["wrong"]) == (6, 4)
    assert yes["probability"] == pytest.approx(smoothed(6, 4, 9 / 13, 5), abs=1e-4)
    assert model["routes"]["no: counts"]["probability"] > model["default"]


def test_confidence_reads_the_model_and_falls_back(tmp_path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(
        json.dumps({"default": 0.6, "routes": {"no: counts": {"probability": 0.8}}}),
        encoding="utf-8",
    )
    assert confidence("no: counts", 0.3, path) == 0.8
    assert confidence("yes: a check never fitted", 0.3, path) == 0.6
    assert confidence("no: counts", 0.3, tmp_path / "missing.json") == 0.3


def test_the_shipped_model_is_fitted_on_earlier_batches_only() -> None:
    model = json.loads(YES_NO_MODEL.read_text(encoding="utf-8"))
    assert "batches 7-8" in model["source"]
    for r in model["routes"].values():
        assert 0.0 < r["probability"] < 1.0 and r["right"] + r["wrong"] > 0


def test_batch_ranges() -> None:
    assert batch_range("7-8") == {7, 8}
    assert batch_range("1,3-4") == {1, 3, 4}
