"""Counts of nouns in a parse (rag.answering.quantities) and the "No" they give a yes/no
question that counts otherwise."""

from __future__ import annotations

import pytest

from rag.answering.quantities import counted, number_value
from tests.conftest import one_release_engine


def test_number_words_and_digits_have_values() -> None:
    assert number_value("three") == number_value("third") == number_value("3rd") == 3.0
    assert number_value("1,500") == 1500.0 and number_value("forty") == 40.0
    assert number_value("twentieth") == 20.0 and number_value("2.5") == 2.5
    assert number_value("several") is None and number_value("M25") is None


@pytest.mark.model
def test_counted_nouns(tmp_path) -> None:
    from rag.answering.question_analysis import Annotator

    annotator = Annotator()

    def read(text: str) -> list[tuple[str, str, float]]:
        return [(t.text, noun, v) for t, noun, v in counted(annotator.parse(text))]

    assert read("The summit will be divided into three sessions.") == [("three", "session", 3)]
    assert read("It was the second regional meeting.") == [("second", "meeting", 2)]
    assert read("The one-day meeting opened.") == [("one", "day", 1)]
    # A compared or approximate number counts nothing for certain.
    assert read("Were there more than 10 arrests?") == []


SUMMIT = (
    "OSLO, 9 March 2013 - Energy ministers from twelve countries met in Oslo on Tuesday for a "
    "two-day summit on offshore wind power. The summit will be divided into three sessions, on "
    "grid connections, on shipping lanes and on fisheries. It is the fourth such summit "
    "organized by the North Sea Energy Forum. The summit was funded by Norway and Denmark."
)


@pytest.mark.model
def test_no_when_the_release_counts_otherwise(tmp_path) -> None:
    engine = one_release_engine(tmp_path, "summit.txt", "Wind summit opens", SUMMIT)
    sessions = engine.ask("Was the Oslo wind summit divided into four sessions?")
    assert sessions.kind == "yes_no" and sessions.answer.startswith("No.")
    assert "three sessions" in sessions.citations[0].quote
    series = engine.ask("Was the Oslo wind summit the first summit organized by the forum?")
    assert series.answer.startswith("No.") and "fourth" in series.citations[0].quote
    # Counted as the question counts: no "No".
    same = engine.ask("Was the Oslo wind summit divided into three sessions?")
    assert not same.answer.startswith("No")
