"""A "No" from another filler of the asked slot must come from a release about the asked event:
one that mentions at least one of the question's names besides the focus
(rag.answering.yes_no_parse.names_unmentioned)."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="caledonia.txt",
        title="Air Caledonia picks London for share listing",
        text="GLASGOW, 4 March 2005 - Scotland's national airline is to make its overseas "
        "stock market debut with a dual listing in London and Dublin, the London Stock "
        "Exchange (LSE) has said. Air Caledonia hopes to raise £300m from the sale of a third "
        "of its shares.",
    ),
    Document(
        source="orchard.txt",
        title="Orchard Foods sales rise",
        text="LEEDS, 7 March 2005 - Sales at the grocer Orchard Foods rose 4% in the year to "
        "January, helped by strong demand for ready meals.",
    ),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("other_event"), RELEASES)


def test_another_firms_debut_is_no_answer_about_a_firm_the_releases_never_name(engine) -> None:
    answer = engine.ask(
        "Did Tamsin Power make its stock market debut on the Bombay Stock Exchange?"
    )
    assert not answer.answer.startswith(("No", "Yes")), answer.answer


def test_the_asked_firms_release_still_says_no_to_another_exchange(engine) -> None:
    answer = engine.ask(
        "Did Air Caledonia make its stock market debut on the Frankfurt Stock Exchange?"
    )
    assert answer.answer.startswith("No"), answer.answer
    assert answer.citations[0].source == "caledonia.txt"
