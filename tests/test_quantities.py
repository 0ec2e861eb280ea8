"""Counts of nouns in a parse (rag.answering.quantities) and the "No" they give a yes/no
question that counts otherwise."""

from __future__ import annotations

import pytest

from rag.answering.quantities import (
    counted,
    counted_noun,
    holds,
    implies,
    is_duration,
    number_value,
)
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

    def read(text: str) -> list[tuple[str, str, float, str]]:
        return [(t.text, noun, v, op) for t, noun, v, op in counted(annotator.parse(text))]

    assert read("The summit will be divided into three sessions.") == [("three", "session", 3, "=")]
    assert read("It was the second regional meeting.") == [("second", "meeting", 2, "=")]
    assert read("The one-day meeting opened.") == [("one", "day", 1, "=")]
    # A bound is a comparison; an approximate number counts nothing for certain.
    assert read("Were there more than 10 arrests?") == [("10", "arrest", 10, ">")]
    assert read("Did at least 500 people sign?") == [("500", "people", 500, ">=")]
    assert read("Did fewer than 50 experts attend?") == [("50", "expert", 50, "<")]
    assert read("Did about 50 people come?") == []
    # A year names a time; it counts nothing, though the parser may hang it on a noun.
    assert read("Was the vote held in spring 2006?") == []


def test_a_stated_count_holds_a_bound() -> None:
    assert holds(11, ">", 10) and not holds(10, ">", 10) and holds(10, ">=", 10)
    assert holds(22, "<", 30) and not holds(22, "=", 30) and holds(3, "=", 3)


def test_a_stated_bound_implies_a_looser_one_the_same_way() -> None:
    assert implies("=", 11, ">", 10) and implies(">", 50, ">", 50) and implies(">", 60, ">=", 50)
    assert implies(">=", 50, ">=", 50) and not implies(">=", 50, ">", 50)
    assert not implies(">", 40, ">", 50) and not implies(">", 50, "<", 60)
    assert implies("<", 30, "<", 40) and not implies("<=", 40, "<", 40)


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("two days", True),
        ("the last three years", True),
        ("two-day", True),
        ("8 July 2010", False),
        ("today", False),
        ("last year", False),
        ("1990", False),
    ],
)
def test_a_stretch_of_time_is_told_from_a_point_in_it(text: str, duration: bool) -> None:
    from rag.answering.question_analysis import Annotator

    assert is_duration(Annotator().parse(text, entities=False)) is duration


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
    # Counted as the question counts, or within its bound: "Yes".
    same = engine.ask("Was the Oslo wind summit divided into three sessions?")
    assert same.answer.startswith("Yes.") and "three sessions" in same.citations[0].quote
    bound = engine.ask("Did ministers from more than ten countries meet at the Oslo wind summit?")
    assert bound.answer.startswith("Yes."), bound.answer
    fewer = engine.ask("Did ministers from fewer than five countries meet at the Oslo summit?")
    assert fewer.answer.startswith("No."), fewer.answer


@pytest.mark.model
def test_comparisons_and_questions_naming_nothing_are_declined(tmp_path) -> None:
    """Finding the focus in the asked slot says nothing of a comparison with another
    participant, and a yes/no question that names nothing checkable gets no fact span."""
    engine = one_release_engine(tmp_path, "summit.txt", "Wind summit opens", SUMMIT)
    compared = engine.ask("Did Norway fund the Oslo wind summit more than Denmark?")
    assert compared.kind == "yes_no" and compared.abstained, compared.answer
    assert "compares" in compared.answer
    # A bound on a number is no comparison of two things: still answered.
    bound = engine.ask("Did ministers from more than ten countries meet at the Oslo wind summit?")
    assert bound.answer.startswith("Yes."), bound.answer
    vague = engine.ask("Was the wind summit a success?")
    assert vague.kind == "yes_no" and vague.abstained, vague.answer
    # "A or B?" asks for one of them: a fact question.
    alternative = engine.ask("Was the summit held over two days or three days?")
    assert alternative.kind == "fact" and not alternative.answer.startswith(("Yes", "No"))


BRIDGE = (
    "PERTH, 2 May 2016 - The new Tay footbridge opened on Monday. The bridge was funded by the "
    "Tayside council, at a cost of 900,000 pounds. About 2,000 people crossed it on the first day."
)


@pytest.mark.model
def test_bounds_on_figures_are_checked_against_the_stated_ones(tmp_path) -> None:
    """A bounded figure asked about is stated by a figure within the bound ("900,000 pounds"
    for "under 1,000,000 pounds"); a bound on another figure than the asked one must be met by
    a stated figure of its kind (2,000 people meet no bound on money) for a "Yes"."""
    engine = one_release_engine(tmp_path, "bridge.txt", "Tay footbridge opens", BRIDGE)
    asked = "Was the Tay footbridge funded at a cost of under {}?"
    within = engine.ask(asked.format("1,000,000 pounds"))
    assert within.answer.startswith("Yes."), within.answer
    beyond = engine.ask(asked.format("500,000 pounds"))
    assert beyond.answer.startswith("No.") and "900,000" in beyond.answer, beyond.answer
    aside = "Was the Tay footbridge, which cost under {}, funded by the Tayside council?"
    met = engine.ask(aside.format("1,000,000 pounds"))
    assert met.answer.startswith("Yes."), met.answer
    unmet = engine.ask(aside.format("500,000 pounds"))
    assert unmet.answer.startswith("No.") and "900,000" in unmet.answer, unmet.answer


@pytest.mark.model
def test_a_yes_needs_a_stated_figure_of_the_bounded_kind(tmp_path) -> None:
    """Norway is stated as a funder; the release gives no cost, and its other figures (twelve
    countries) meet no bound on money."""
    engine = one_release_engine(tmp_path, "summit.txt", "Wind summit opens", SUMMIT)
    funded = engine.ask("Was the Oslo wind summit funded by Norway?")
    assert funded.answer.startswith("Yes."), funded.answer
    costed = engine.ask(
        "Was the Oslo wind summit, which cost under 50,000 euros, funded by Norway?"
    )
    assert costed.abstained and "under 50,000" in costed.answer, costed.answer


@pytest.mark.model
@pytest.mark.parametrize("end", [" among the 56 States.", "."])
def test_a_length_asked_is_not_contradicted_by_a_day(tmp_path, end: str) -> None:
    """ "Did it run over two days?" against a release whose first sentence says "today": a
    point in time is no other length, nor is "two-day" another one."""
    text = (
        "VIENNA, 8 July 2010 - Fighting drug trafficking is an essential part of the fight "
        "against terrorism, Ana Ruiz, the Interior Minister of Spain, said today at an OSCE "
        "conference. The two-day conference aims to raise awareness of the drug threat" + end
    )
    engine = one_release_engine(tmp_path, "drugs.txt", "Drugs conference", text)
    answer = engine.ask(
        "Did the OSCE conference on drugs that opened in Vienna on 8 July 2010 run over two days?"
    )
    assert answer.answer.startswith("Yes.") and "two-day" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("sentence", "figure", "counted"),
    [
        ("More than 150 law enforcement and judicial experts came.", "150", "enforcement"),
        ("Officials will meet in Almaty on 4 and 5 December to talk.", "5", "December"),
        ("The forum drew 56 participating States.", "56", "States"),
        ("Eight super-casinos are proposed.", "Eight", "super"),
        ("At least 30 died in the fire.", "30", None),
    ],
)
def test_the_noun_a_figure_counts(sentence: str, figure: str, counted) -> None:
    from rag.answering.question_analysis import Annotator

    doc = Annotator().parse(sentence, entities=False)
    number = next(t for t in doc if t.text == figure)
    noun = counted_noun(number)
    assert (noun.text if noun is not None else None) == counted


FORUM = (
    "BERGEN, 2 May 2025 - Fishery officials met in Bergen on 14 and 15 May for a forum on "
    "quotas. Catches rose 12% last year, and the forum cost NOK 2 million. More than 40 "
    "scientists presented surveys of cod stocks."
)


@pytest.mark.model
def test_how_many_is_not_answered_by_a_date_a_share_or_a_sum(tmp_path) -> None:
    """A date, a percentage or a sum counts no participants: the releases don't say how many
    officials came. The scientists are counted."""
    engine = one_release_engine(tmp_path, "forum.txt", "Fishery forum in Bergen", FORUM)
    officials = engine.ask("How many fishery officials attended the Bergen forum?")
    assert officials.abstained, officials.answer
    scientists = engine.ask("How many scientists presented surveys at the Bergen forum?")
    assert not scientists.abstained and "40" in scientists.answer
    days = engine.ask("How many days did the Bergen forum last?")
    assert not days.answer.startswith(("12", "NOK"))


MILL = (
    "KIEV, 5 July 2004 - The Dnipro steel mill was sold in June 2004 for $800m, well below "
    "other offers. A rival group of investors had offered $1.2bn for the mill."
)


@pytest.mark.model
def test_a_sum_named_elsewhere_in_the_release_is_not_the_stated_one(tmp_path) -> None:
    """The release names $1.2bn, as another group's offer; the sentence that states the sale
    says $800m: "No", quoting it."""
    engine = one_release_engine(tmp_path, "mill.txt", "Steel mill sold", MILL)
    other = engine.ask("Was the Dnipro steel mill sold for $1.2bn in June 2004?")
    assert other.kind == "yes_no" and other.answer.startswith("No."), other.answer
    assert "$800m" in other.citations[0].quote
    same = engine.ask("Was the Dnipro steel mill sold for $800m in June 2004?")
    assert same.answer.startswith("Yes."), same.answer
