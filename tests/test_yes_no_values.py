"""A yes/no question that names a value the release does not ("three months" where it says
four weeks) reads that value's own wh-question: the sentence holding another value of the slot
need not be the one that names the question's subject (rag.answering.yes_no)."""

from __future__ import annotations

import pytest

from rag.answering.focus import wh_question
from rag.answering.question_analysis import Annotator
from rag.answering.yes_no_parse import asserted
from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="rinaldi.txt",
        title="Rinaldi records in English",
        text="MILAN, 3 June 2005 - Italian singer Marco Rinaldi is to release his first "
        "English-language album in September, his label said. Rinaldi spent four weeks "
        "recording it in Dublin with the producer Sean Walsh. His three earlier records sold "
        "well in Italy and Spain.",
    ),
    Document(
        source="halden.txt",
        title="Halden profits fall",
        text="OSLO, 2 February 2005 - Profits at Norwegian food group Halden fell 20% in the "
        "three months to December, as sales of frozen fish slowed.",
    ),
]


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("values"), RELEASES)


def _value(doc, text: str):
    return next(e for e in doc.ents if e.text == text)


def test_a_span_of_time_is_asked_how_long_an_age_how_old_a_rate_how_often(annotator) -> None:
    doc = annotator.parse("Did Marco Rinaldi spend three months recording the album?")
    assert wh_question(doc, _value(doc, "three months")).startswith("How long did")
    doc = annotator.parse("Was the singer Marco Rinaldi 27 years old when he recorded it?")
    assert wh_question(doc, _value(doc, "27 years old")).startswith("How old was")
    doc = annotator.parse("Does the company say a customer joins every 20 minutes?")
    assert wh_question(doc, _value(doc, "every 20 minutes")).startswith("How often does")


def test_a_value_in_a_clause_that_identifies_the_event_is_not_what_is_asked(annotator) -> None:
    doc = annotator.parse("Did Japan fund the conference held in Vienna in July 2010?")
    assert not asserted(_value(doc, "July 2010"))
    doc = annotator.parse("Did Marco Rinaldi spend three months recording the album?")
    assert asserted(_value(doc, "three months"))


def test_another_span_of_time_in_the_release_answers_no(engine) -> None:
    a = engine.ask("Did Marco Rinaldi spend three months recording his English-language album?")
    assert a.answer.startswith("No"), a.answer
    assert "four weeks" in a.citations[0].quote


def test_the_stated_span_of_time_answers_yes(engine) -> None:
    a = engine.ask("Did Marco Rinaldi spend four weeks recording his English-language album?")
    assert a.answer.startswith("Yes"), a.answer
    assert "four weeks" in a.citations[0].quote


def test_a_value_without_a_figure_is_not_read_for_another(engine) -> None:
    # "the quarter to December" is "the three months to December" in other words: no "No".
    a = engine.ask("Did Halden's profits fall 20% in the quarter to December?")
    assert not a.answer.startswith("No"), a.answer


BOX_OFFICE = Document(
    source="lantern.txt",
    title="Sky Lantern breaks records",
    text="TOKYO, 3 January 2005 - The animated film Sky Lantern took 1.2bn yen at the "
    "Japanese box office in its first month, its distributor said. Sky Lantern is the "
    "follow-up to Kenji Mori's River Song. Mori spent four years making the new film.",
)


@pytest.fixture(scope="module")
def box_office_engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("box-office"), [BOX_OFFICE])


def test_a_value_the_question_names_itself_is_no_other_value(box_office_engine) -> None:
    # The sentence's "1.2bn yen" is the takings the question names, not another cost.
    answer = box_office_engine.ask(
        "Did Sky Lantern take 1.2bn yen at the box office in its first month after costing "
        "300m yen to make?"
    )
    assert answer.abstained and "300m yen" in answer.answer


TENNIS = Document(
    source="dubai-open.txt",
    title="Berg out of Dubai Open",
    text="DUBAI, 1 March 2005 - Former champion Anna Berg suffered a first-round defeat at the "
    "Dubai Open on Tuesday, losing to Italy's Sara Conti in straight sets. Conti meets the "
    "Russian Olga Petrova next.",
)


@pytest.fixture(scope="module")
def tennis(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("ordinal"), [TENNIS])


def test_another_rank_in_the_deciding_sentence_answers_no(tennis) -> None:
    # "first-round" where the question says "second round": a rank is a value of the slot.
    a = tennis.ask("Did Anna Berg lose to Sara Conti in the second round of the Dubai Open?")
    assert a.answer.startswith("No"), a.answer
    assert "first-round defeat" in a.citations[0].quote


def test_the_stated_rank_answers_yes(tennis) -> None:
    a = tennis.ask("Did Anna Berg lose to Sara Conti in the first round of the Dubai Open?")
    assert a.answer.startswith("Yes"), a.answer
    assert "first-round defeat" in a.citations[0].quote


COPPER = Document(
    source="copper.txt",
    title="Copper climbs on Chinese demand",
    text="LONDON, 10 January 2005 - Copper prices rose 3% on Monday on strong demand from "
    "Chinese smelters. Although below last year's peak of $3,290 a tonne, which was reached in "
    "October, prices are well above their 2003 average, traders said.",
)


@pytest.fixture(scope="module")
def copper(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("copper"), [COPPER])


def test_a_sure_other_value_answers_no_where_the_likeliest_focus_is_not_named(copper) -> None:
    # "US" is the likeliest focus and the release never names it; the month the release gives
    # for the peak still contradicts the question's month.
    a = copper.ask("Did US copper futures reach last year's peak of $3,290 a tonne in December?")
    assert a.answer.startswith("No"), a.answer
    assert "reached in October" in a.citations[0].quote
