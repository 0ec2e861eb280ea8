"""A list question's items where spaCy's parse and its entities each see part of the list."""

from __future__ import annotations

import pytest

from tests.conftest import one_release_engine

AID = (
    "NAIROBI, 2 May 2011 - A charity said on Monday that textile workers would lose most in "
    "countries such as Ghana, Kenya, Uganda and Malawi once the quotas end. The cast of the "
    "charity's film includes British actors Michael Maloney, Caroline Langrishe and Polly "
    "Adams, it said."
)


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "items"),
    [
        # entities of one label joined by commas and "and"
        (
            "Which countries did the charity say had the workers who would lose most?",
            {"Ghana", "Kenya", "Uganda", "Malawi"},
        ),
        # the NER tags two of the actors, the parse links the last two: one list of three
        (
            "Which British actors are in the cast of the charity's film?",
            {"Michael Maloney", "Caroline Langrishe", "Polly Adams"},
        ),
    ],
)
def test_every_item_of_a_stated_list(tmp_path, question, items) -> None:
    engine = one_release_engine(tmp_path, "aid.txt", "Textile jobs at risk", AID)
    answer = engine.ask(question)
    assert answer.kind == "list", answer.answer
    assert {i["text"] for i in answer.items} >= items
