"""What a release says will happen does not answer whether it happened: a question in the past
tense gets no "Yes" from a sentence whose verb "will" governs, nor a "No" from what others did
(rag.answering.yes_no.YesNoAnswerer._only_expected, _argument_elsewhere). What governs a verb
governs the non-finite clause hanging from it ("will see her *competing*"), and "is to" plans."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="open.txt",
        title="Lindqvist reaches Malmo Open final",
        text="MALMO, 12 February 2005 - Top seed Erik Lindqvist will play Tomas Varga in the "
        "final of the Malmo Open on Sunday. Lindqvist beat Jan Novak 6-3 6-4 in the "
        "semi-finals.",
    ),
    Document(
        source="awards.txt",
        title="Soul singer leads music awards",
        text="DUBLIN, 3 March 2005 - Singer Aoife Brennan, who leads the Meteor music awards "
        "with six nominations, will perform alongside the Corrs at the ceremony in Dublin. "
        "Last year the Frames and Damien Rice performed a tribute to Phil Lynott at the "
        "ceremony.",
    ),
    Document(
        source="vote.txt",
        title="Minister hints at date for Danish treaty vote",
        text="COPENHAGEN, 9 May 2004 - Foreign minister Per Stig Moller has said the Danish "
        "referendum on the EU treaty could be held in autumn 2005. Opinion polls show most "
        "voters back the treaty.",
    ),
    Document(
        source="prize.txt",
        title="Directors shortlisted for Glasgow film prize",
        text="GLASGOW, 4 April 2005 - The Caledonian film awards will see Morag Fraser and "
        "Ewan Doyle once again competing for the best director prize. Fraser won the prize "
        "in 2003.",
    ),
    Document(
        source="seat.txt",
        title="Councillor to stand in Hexham",
        text="HEXHAM, 8 March 2005 - Councillor Alan Pryce is to contest the Hexham seat for "
        "the Green Party at the general election. The seat is held by the Conservatives.",
    ),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("future"), RELEASES)


def test_a_match_still_to_be_played_is_no_yes_to_whether_it_was_won(engine) -> None:
    answer = engine.ask("Did Erik Lindqvist go on to beat Tomas Varga in the Malmo Open final?")
    assert not answer.answer.startswith("Yes"), answer.answer


def test_a_question_about_what_will_happen_is_still_answered(engine) -> None:
    answer = engine.ask("Will Erik Lindqvist play Tomas Varga in the final of the Malmo Open?")
    assert answer.answer.startswith("Yes"), answer.answer


def test_a_performer_who_will_perform_is_neither_yes_nor_no_to_whether_she_did(engine) -> None:
    answer = engine.ask("Did Aoife Brennan perform at the Meteor music awards ceremony in Dublin?")
    assert answer.abstained, answer.answer


def test_a_date_something_only_could_happen_on_is_no_yes(engine) -> None:
    answer = engine.ask("Was the Danish referendum on the EU treaty held in autumn 2005?")
    assert not answer.answer.startswith("Yes"), answer.answer


def test_a_contest_the_awards_will_see_is_no_yes_to_whether_it_was_won(engine) -> None:
    answer = engine.ask(
        "Did Morag Fraser compete for the best director prize at the Caledonian film awards?"
    )
    assert not answer.answer.startswith("Yes"), answer.answer


def test_what_someone_is_to_do_is_no_yes_to_whether_they_did(engine) -> None:
    answer = engine.ask("Did Alan Pryce contest the Hexham seat for the Green Party?")
    assert not answer.answer.startswith("Yes"), answer.answer


def test_what_someone_is_to_do_still_answers_whether_they_will(engine) -> None:
    answer = engine.ask("Will Alan Pryce contest the Hexham seat for the Green Party?")
    assert answer.answer.startswith("Yes"), answer.answer
