"""A "No" from another filler of the asked slot must come from a release about the asked event:
one that mentions at least one of the question's names besides the focus, and the asked verb's
subject or object where the question names one (rag.answering.yes_no_parse.names_unmentioned)."""

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


DEALS = [
    Document(
        source="bank.txt",
        title="Hanami buys broker",
        text="OSAKA, 2 May 2005 - Japanese bank Hanami, the country's third-biggest lender, "
        "has bought the broker Kumo Securities for $2bn.",
    ),
    Document(
        source="garden.txt",
        title="Garden show opens",
        text="LEEDS, 3 May 2005 - The spring garden show opened with a record 400 stands.",
    ),
]


def test_a_release_that_never_names_the_asked_verbs_object_says_no_no(tmp_path) -> None:
    """ "Did Japanese firm Kaze buy Tsuru Telecom, the country's third-biggest phone company?":
    the release about another purchase names a Japanese buyer, "the country's third-biggest"
    (the reader's filler, 0.72 sure), but never the firm bought: it reports another deal,
    and says nothing of this one."""
    engine = releases_engine(tmp_path, DEALS)
    question = (
        "Did Japanese firm Kaze buy Tsuru Telecom, the country's third-biggest phone company?"
    )
    doc = engine.annotator.parse(question)
    assert any(e.text == "Tsuru Telecom" and e.root.dep_ == "dobj" for e in doc.ents)
    answer = engine.ask(question)
    assert not answer.answer.startswith(("No", "Yes")), answer.answer
    answer = engine.ask("Did Japanese bank Hanami buy the broker Kumo Securities?")
    assert answer.answer.startswith("Yes"), answer.answer
