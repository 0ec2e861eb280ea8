"""A release's dateline says when it was issued: a sentence that states another date for what
it reports answers "when" with that date, and no date answers "how long"
(rag.answering.extractive), with the real models."""

from __future__ import annotations

import pytest

from tests.conftest import one_release_engine

pytestmark = pytest.mark.model

AHEAD = (
    "TROMSO, Norway, 2 March 2026 - Coastguard officers from Norway, Iceland and the Faroe "
    "Islands will meet on 9 and 10 March in Tromso to plan joint search-and-rescue exercises. "
    "The meeting is funded by the Nordic Council."
)
SAME_DAY = (
    "REYKJAVIK, 4 May 2026 - A one-day workshop on Arctic shipping opened in Reykjavik today, "
    "bringing together port authorities from five countries."
)


def test_the_date_the_sentence_states_is_the_answer_not_the_datelines(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "a", "tromso.txt", "Coastguards to meet", AHEAD)
    answer = engine.ask("On which days will the coastguard officers meet in Tromso?")
    assert not answer.abstained and "9 and 10 March" in answer.answer, answer.answer
    assert "2 March" not in answer.answer


def test_the_dateline_date_answers_when_the_sentence_says_today(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "b", "reykjavik.txt", "Workshop opens", SAME_DAY)
    # "one-day" is a stretch of time, not another date
    answer = engine.ask("When did the Arctic shipping workshop open in Reykjavik?")
    assert "4 May 2026" in answer.answer, answer.answer


def test_how_long_is_never_answered_with_a_date(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "c", "reykjavik.txt", "Workshop opens", SAME_DAY)
    answer = engine.ask("How long did the Arctic shipping workshop in Reykjavik last?")
    # "4 May 2026" says when; the answer is the stretch, or nothing
    assert "4 May" not in answer.answer, answer.answer
    assert answer.abstained or "one-day" in answer.answer, answer.answer


OBITUARY = (
    "LISBON, 12 February 2026 - The sculptor Marta Quintela, whose bronze figures stand in "
    "squares across Portugal, has died. She died on Sunday 8 February at her home in Sintra. "
    "Her first exhibition opened in Porto in 1971."
)


def test_how_old_is_never_answered_with_the_day_of_a_death(tmp_path) -> None:
    # An age is a stretch of time: the release gives none, so the day she died is no answer.
    engine = one_release_engine(tmp_path / "d", "lisbon.txt", "Sculptor dies", OBITUARY)
    answer = engine.ask("How old was the sculptor Marta Quintela when she died?")
    assert "February" not in answer.answer and "1971" not in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("span", "age", "a_point"),
    [
        ("23 January", True, True),  # the day of a death is no age
        ("1962", True, True),  # a year is no age
        ("35", True, False),  # "became a citizen at 35": the age
        ("35", False, True),  # a bare number is no stretch for "how long"
        ("three days", False, False),
    ],
)
def test_an_age_is_a_bare_number_or_a_stretch_never_a_date(real_engine, span, age, a_point):
    from types import SimpleNamespace

    from rag.answering.span_checks import names_a_point_in_time

    cand = SimpleNamespace(label="DATE", text=span)
    assert names_a_point_in_time(real_engine.annotator, cand, age) is a_point


HEADED = (
    "ODESA, Ukraine, 14 April 2026 - Representatives of port authorities from Ukraine and "
    "Moldova gathered for a seminar."
)


@pytest.mark.parametrize(
    ("span", "place_or_time", "dropped"),
    [
        ("Ukraine", False, True),  # the dateline's country is nobody who chaired anything
        ("Ukraine", True, False),  # "In which country ...?"
        ("14 April 2026", True, False),  # "When ...?"
        ("14 April 2026 - Representatives", True, True),  # runs from the heading into the text
        ("Moldova", False, False),  # the text after the dateline
    ],
)
def test_a_span_inside_the_dateline_answers_only_where_or_when(
    span: str, place_or_time: bool, dropped: bool
) -> None:
    from rag.answering.span_checks import no_dateline_answer
    from tests.conftest import span_in_one_chunk

    cand = span_in_one_chunk("odesa.txt", HEADED, span)
    assert no_dateline_answer(cand, (0, len(HEADED)), place_or_time) is dropped


def test_the_answer_type_decides_whether_a_place_or_time_is_asked(real_engine) -> None:
    from rag.answering.span_checks import asks_place_or_time

    analyse = real_engine.answerer.annotator.analyse
    assert asks_place_or_time(analyse("In which city did the inspectors gather?").expected)
    assert asks_place_or_time(analyse("When did the seminar open?").expected)
    # the model's likeliest label here is "no entity" (a description may answer "where")
    assert asks_place_or_time(analyse("Where was the harbour conference held?").expected)
    assert not asks_place_or_time(analyse("Who chaired the seminar?").expected)
    assert not asks_place_or_time(analyse("Which bodies organized the seminar?").expected)


def test_an_answer_is_not_widened_into_the_dateline(real_engine, monkeypatch) -> None:
    """The recogniser may run an entity on from the dateline into the text ("December 2014 -
    Representatives"): a span of the text is not widened to it."""
    from tests.conftest import span_in_one_chunk

    answerer = real_engine.answerer
    start = HEADED.index("14 April")
    end = HEADED.index(" of port")
    monkeypatch.setattr(answerer.annotator, "entities", lambda text: [(start, end, "ORG")])
    cand = span_in_one_chunk("odesa.txt", HEADED, "Representatives")
    answerer.widen_to_entity(cand)
    assert cand.text == "Representatives"
