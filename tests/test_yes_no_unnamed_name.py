"""A name the question gives and the release never does is read in turn as the focus: the
release that puts another of its kind in the asked slot says "No" ("beating Sarah Mitchell in
the final" for "Did she beat Emma Clarke in the final?"); one that puts nobody there, or puts
someone there only in another role, says nothing (rag.answering.yes_no, the unnamed value or
name read in turn; rag.answering.yes_no_slots.filler_label)."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="final.txt",
        title="Okafor takes the Lisbon Open title",
        text="LISBON, 30 January 2005 - Grace Okafor won the Lisbon Open on Sunday, beating "
        "Sarah Mitchell 6-3 6-4 in the final. It was the Nigerian's first title since her "
        "injury last spring. Okafor, 23, now rises to fifth in the world rankings.",
    ),
    Document(
        source="ferry.txt",
        title="Ferry link reopens",
        text="OBAN, 2 February 2005 - The ferry link to Mull reopened on Tuesday after repairs "
        "costing £2m.",
    ),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("unnamed_name"), RELEASES)


def test_another_player_beaten_in_the_final_says_no(engine) -> None:
    answer = engine.ask("Did Grace Okafor beat Emma Clarke in the final of the Lisbon Open?")
    assert answer.answer.startswith("No."), answer.answer
    assert "Sarah Mitchell" in answer.citations[0].quote


def test_the_player_beaten_in_the_final_says_yes(engine) -> None:
    answer = engine.ask("Did Grace Okafor beat Sarah Mitchell in the final of the Lisbon Open?")
    assert answer.answer.startswith("Yes."), answer.answer


@pytest.mark.parametrize(
    "question",
    [
        # the release names someone of her kind only as the player beaten, not as anyone who
        # congratulated her: it does not say who did
        "Was Grace Okafor congratulated by Emma Clarke after the Lisbon Open final?",
        "Did Grace Okafor travel to the Lisbon Open with her coach Emma Clarke?",
    ],
)
def test_a_name_in_a_slot_the_release_fills_with_no_one_is_declined(engine, question) -> None:
    answer = engine.ask(question)
    assert not answer.answer.startswith(("Yes", "No")), answer.answer


def test_a_single_entity_filling_a_slot_has_its_label() -> None:
    from rag.answering.yes_no_slots import filler_label

    text = "Grace Okafor beat Sarah Mitchell; Norway and Belgium paid; the final in Lisbon."
    entities = [(0, 12, "PERSON"), (18, 32, "PERSON"), (34, 40, "GPE"), (45, 52, "GPE")]
    entities.append((70, 76, "GPE"))

    def label(part: str) -> str:
        start = text.index(part)
        return filler_label(entities, text, start, start + len(part))

    assert label("Sarah Mitchell") == "PERSON"
    assert label("Norway and Belgium") == "GPE"
    assert label("the final in Lisbon") == "NONE"  # the place is the smaller part of it
    assert label("beat") == "NONE"
