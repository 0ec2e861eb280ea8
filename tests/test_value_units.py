"""A sum the small pipeline tags as a bare number keeps its unit when a question asks how much
(rag.answering.value_spans.unit_after_number), with the real English pipeline."""

from __future__ import annotations

import pytest

from rag.answering.question_analysis import load_spacy
from rag.answering.value_spans import unit_after_number
from tests.conftest import one_release_engine

pytestmark = pytest.mark.model


def _widened(sentence: str, span: str) -> str:
    doc = load_spacy()(sentence)
    start = sentence.index(span)
    x, y = unit_after_number(doc, (start, start + len(span)))
    return sentence[x:y]


@pytest.mark.parametrize(
    ("sentence", "span", "whole"),
    [
        ("The utility will spend 420m kroner on new pipes this year.", "420m", "420m kroner"),
        ("Farmers earned 12bn rupiah from the harvest.", "12bn", "12bn rupiah"),
        # a sum with its sign, a figure without a magnitude, or no figure: as it was
        ("The club made a £6m offer for him.", "£6m", "£6m"),
        ("The workshop brought together 90 experts.", "90", "90"),
        ("The film is set in the 1950s music scene.", "1950s", "1950s"),
        ("The club paid a record fee.", "a record fee", "a record fee"),
    ],
)
def test_a_figure_takes_the_unit_words_after_it(sentence, span, whole) -> None:
    assert _widened(sentence, span) == whole


def test_how_much_is_answered_with_the_currency(tmp_path) -> None:
    text = (
        "OSLO, 2 March 2005 - Nordvik Energi is to spend 420m kroner on buying out the "
        "minority shareholders of its gas unit, the company said on Wednesday."
    )
    engine = one_release_engine(tmp_path, "nordvik.txt", "Nordvik buys out gas unit", text)
    answer = engine.ask("How much will Nordvik Energi spend buying out the gas unit's minority?")
    assert answer.answer == "420m kroner"
