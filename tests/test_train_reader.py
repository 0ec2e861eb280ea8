"""The reader's training data (eval.train_reader): the "no answer" paragraphs from retrieval."""

from __future__ import annotations

import pytest

from eval.squad_data import Article, Question

pytestmark = pytest.mark.model


def _article(index: int, title: str, paragraphs: list[str], asked: list[tuple]) -> Article:
    questions = tuple(
        Question(f"{index}-{i}", q, (a,), (paragraphs[p].index(a),), index, p)
        for i, (q, a, p) in enumerate(asked)
    )
    return Article(title, tuple(paragraphs), questions)


def test_a_retrieved_negative_is_on_the_subject_and_never_holds_the_answer() -> None:
    from eval.train_reader import retrieved_negatives

    bridge = _article(
        0,
        "Kestrel Bridge",
        [
            "The Kestrel Bridge over the river Lune opened in 1911; Mary Holt designed it.",
            "The Lune valley is known for its sheep farms and its slate quarries.",
        ],
        [("Who designed the Kestrel Bridge?", "Mary Holt", 0)],
    )
    town = _article(
        1,
        "Lancaster",
        [
            "Mary Holt, who designed the Kestrel Bridge, also drew the Lancaster town hall.",
            "The Kestrel Bridge was repainted in 2001 by the county council, who own it.",
            "Lancaster market is held on Wednesdays and Saturdays.",
        ],
        [("When is Lancaster market held?", "Wednesdays and Saturdays", 2)],
    )
    negatives = retrieved_negatives([bridge, town])
    # The closest other paragraph names the designer: a "no answer" label would be false.
    assert negatives["0-0"] == town.paragraphs[1]
    assert all("Wednesdays" not in text for text in [negatives.get("1-0", "")])
