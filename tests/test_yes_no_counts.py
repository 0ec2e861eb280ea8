"""A yes/no question that bounds a count ("more than 100 delegates") is answered by a figure
of the release only when it counts the same noun, and a stated figure that satisfies the bound
says Yes (rag.answering.yes_no.YesNoAnswerer._other_measure, _count_implied)."""

from __future__ import annotations

import pytest

from rag.answering.question_analysis import Annotator
from rag.answering.yes_no_parse import compares_participants
from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="forum.txt",
        title="Baltic Council forum on piracy opens in Riga",
        text="RIGA, 9 May 2011 - A two-day Baltic Council forum on maritime piracy opened in "
        "Riga today. The forum aims to raise awareness of the piracy threat among the 12 Baltic "
        "Council member states and to support efforts to develop joint patrols. It brings "
        "together more than 80 naval officers and coast guard experts.",
    )
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("counts"), RELEASES)


def test_a_count_of_member_states_says_nothing_of_how_many_delegates_came(engine) -> None:
    answer = engine.ask(
        "Did more than 100 delegates attend the two-day Baltic Council forum on piracy that "
        "opened in Riga?"
    )
    assert not answer.answer.startswith(("Yes", "No")), answer.answer


def test_a_stated_figure_that_satisfies_the_bound_says_yes(engine) -> None:
    answer = engine.ask(
        "Did more than 50 experts attend the Baltic Council forum on piracy in Riga?"
    )
    assert answer.answer.startswith("Yes"), answer.answer
    assert "more than 80" in answer.citations[0].quote


def test_a_figure_of_the_same_noun_below_the_bound_says_no(engine) -> None:
    answer = engine.ask(
        "Did fewer than 50 experts attend the Baltic Council forum on piracy in Riga?"
    )
    assert answer.answer.startswith("No"), answer.answer


@pytest.mark.parametrize(
    ("question", "compares"),
    [
        ("Did the film win more prizes than The Producers?", True),
        ("Had prices become higher than they were a year earlier?", True),
        ("Did the firm warn that profit would be £10m lower than expected?", False),
        ("Did the number of camera phones more than double to 7.5 million?", False),
        ("Did more than 50 experts attend the forum?", False),
    ],
)
def test_only_a_than_with_something_of_its_own_compares(question: str, compares: bool) -> None:
    doc = Annotator().parse(question)
    assert any(compares_participants(t) for t in doc) is compares
