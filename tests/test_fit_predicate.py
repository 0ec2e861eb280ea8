"""The verb bounds of rag/models/predicate.json, measured on a small SQuAD-shaped file."""

from __future__ import annotations

import json

import pytest

from eval.fit_predicate import similarities, slot_similarities
from eval.squad_data import split_of

pytestmark = pytest.mark.model

CONTEXT = (
    "The company was founded by John Smith in 1990. It sells shoes in forty countries. "
    "Its chairman visited Paris last spring."
)


@pytest.fixture(scope="module")
def annotator():
    from rag.answering.question_analysis import Annotator
    from rag.config import DEFAULT_MODEL, Settings
    from rag.embedders.base import make_embedder

    return Annotator(make_embedder(DEFAULT_MODEL, 64, Settings().evidence_backend))


@pytest.fixture
def squad(tmp_path):
    assert split_of(0) == "train"
    start = CONTEXT.index("John Smith")
    qas = [
        {
            "id": "q1",
            "question": "Who founded the company?",
            "answers": [{"text": "John Smith", "answer_start": start}],
        },
        {  # no full verb: not measured
            "id": "q2",
            "question": "What is the company's product?",
            "answers": [{"text": "shoes", "answer_start": CONTEXT.index("shoes")}],
        },
    ]
    data = {"data": [{"title": "Shoes", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_answering_sentence_restates_the_verb_most(squad, annotator) -> None:
    answering, other = similarities(squad, "train", annotator, 10)
    assert len(answering) == 1 and len(other) == 2
    assert answering[0] == pytest.approx(1.0, abs=1e-3)
    # A sentence is read with the one before it: the second restates "founded" through the
    # first; the third, two sentences on, does not.
    assert other[0] == pytest.approx(1.0, abs=1e-3) and other[1] < 0.6


def test_the_answers_verb_restates_the_asked_one_most(squad, annotator) -> None:
    answering, other = slot_similarities(squad, "train", annotator, 10)
    assert len(answering) == 1 and other  # "founded" for the answer; "sells", "visited"
    assert answering[0] == pytest.approx(1.0, abs=1e-3)  # "found" against "found"
    assert answering[0] > max(other)
