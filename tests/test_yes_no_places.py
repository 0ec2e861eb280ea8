"""A place the question names elsewhere in the release is not the deciding sentence's: where the
sentence puts the asked thing in another place, with the same word and preposition, the answer
is "No" (rag.answering.placed_otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.placed_otherwise import place_otherwise
from rag.answering.question_analysis import load_spacy
from tests.conftest import one_release_engine

pytestmark = pytest.mark.model

TEXT = (
    "Dutch runner Anna de Vries claimed her third win of the season on Saturday, taking the "
    "women's 1500m at the KBC indoor meeting in Ghent.\n\n"
    "The 24-year-old clocked four minutes 8.2 seconds. De Vries now hopes to secure a place at "
    "next weekend's indoor meeting in Antwerp, where she ran last year. Her coach said she had "
    "recovered fully from a calf injury."
)
ASKED = "Did Anna de Vries win the women's 1500m at the KBC indoor meeting held in {}?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("places")
    return one_release_engine(folder, "vries.txt", "De Vries wins in Ghent", TEXT)


def test_another_place_for_the_asked_event_answers_no(engine) -> None:
    answer = engine.ask(ASKED.format("Antwerp"))
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No.")
    assert "meeting in Ghent" in answer.citations[0].quote


def test_the_stated_place_answers_yes(engine) -> None:
    answer = engine.ask(ASKED.format("Ghent"))
    assert answer.answer.startswith("Yes.")
    assert "meeting in Ghent" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("sentence", "other"),
    [
        ("She took the 1500m at the indoor meeting in Paris on Saturday.", "Paris"),
        ("She lives in Paris and took the 1500m at the indoor meeting.", None),  # another word
        ("She took the 1500m at the indoor meeting in Antwerp on Saturday.", None),  # the same
        ("Rivals own 29% of United through a fund.", None),  # a shorter name of it
    ],
)
def test_the_place_must_hang_on_the_same_word_by_the_same_preposition(sentence, other) -> None:
    nlp = load_spacy()
    question = nlp("Did she take the 1500m at the indoor meeting held in Antwerp?")
    if "United" in sentence:
        question = nlp("Do rivals own 29% of Manchester United through a fund?")
    focus = question.ents[0]
    assert place_otherwise(question, focus, nlp(sentence)) == other
