""" "Who is X?": the question's person, and the words a sentence uses to describe them."""

from __future__ import annotations

import pytest

from rag.answering.descriptions import described_name, descriptions
from rag.answering.question_analysis import Annotator

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(None)


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is Jose Mourinho?", "Jose Mourinho"),
        ("Who was Rick Parry?", "Rick Parry"),
        ("Who was Rick Parry's predecessor?", None),  # asks for another person
        ("Who is the Chelsea manager?", None),  # asks for a name
        ("Who did Jose Mourinho sign?", None),
    ],
)
def test_the_person_a_question_asks_to_describe(annotator, question, name) -> None:
    assert described_name(annotator.parse(question)) == name


@pytest.mark.parametrize(
    ("sentence", "name", "description"),
    [
        (
            "The deal was praised by Jose Mourinho, the Chelsea manager.",
            "Jose Mourinho",
            "the Chelsea manager",
        ),
        ("Chelsea manager Jose Mourinho praised the deal.", "Jose Mourinho", "Chelsea manager"),
        ("Labour chairman Mr. Ian McCartney spoke first.", "Ian McCartney", "Labour chairman"),
        ("Jose Mourinho praised the deal on Monday.", "Jose Mourinho", None),
    ],
)
def test_a_description_is_an_apposition_or_a_title_before_the_name(
    annotator, sentence, name, description
) -> None:
    found = [sentence[a:b] for a, b in descriptions(annotator.parse(sentence), name)]
    assert found == ([description] if description else [])
