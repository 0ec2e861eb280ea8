"""A "Yes" needs the release to mention the thing the question says was done or did it: the
common noun heading the asked verb's subject, object or prepositional object ("Was a joint
*declaration* signed?", "Did he pay *with a cheque*?")
(rag.answering.yes_no_parse.core_noun_unmentioned)."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

MEETING = (
    "TALLINN, 2 June 2011 - A Baltic Council meeting in Tallinn brought five Deputy Finance "
    "Ministers and more than 40 high-level customs officials together today for discussions "
    "on how Scandinavian customs services can co-operate to combat cigarette smuggling."
)
SIGNED = (
    " At the end of the meeting the ministers signed a joint declaration on Scandinavian "
    "customs co-operation."
)
QUESTION = (
    "Was a joint declaration signed at the end of the June 2011 Tallinn meeting on "
    "Scandinavian customs co-operation?"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(
        tmp_path_factory.mktemp("core_nouns"),
        [Document(source="tallinn.txt", title="Customs co-operation in Tallinn", text=MEETING)],
    )


def test_a_thing_the_release_never_mentions_is_no_yes(engine) -> None:
    answer = engine.ask(QUESTION)
    assert not answer.answer.startswith(("Yes", "No")), answer.answer


def test_the_same_question_is_answered_where_the_release_states_it(tmp_path) -> None:
    stated = MEETING + SIGNED
    engine = releases_engine(
        tmp_path,
        [Document(source="tallinn.txt", title="Customs co-operation in Tallinn", text=stated)],
    )
    answer = engine.ask(QUESTION)
    assert answer.answer.startswith("Yes"), answer.answer


SINGLE = (
    "CARDIFF, 29 November 2004 - First Minister Rhodri Morgan bought two copies of the "
    "charity single Feed The World at a record shop in Cardiff on Monday. He said he hoped "
    "the single would raise millions for famine relief."
)


@pytest.fixture(scope="module")
def single_engine(tmp_path_factory) -> Engine:
    return releases_engine(
        tmp_path_factory.mktemp("core_pobj"),
        [Document(source="single.txt", title="Minister buys charity single", text=SINGLE)],
    )


def test_a_means_the_release_never_mentions_is_no_yes(single_engine) -> None:
    # "with a cheque": the release says he bought them, not how he paid
    answer = single_engine.ask(
        "Did Rhodri Morgan pay with a cheque for the two copies of Feed The World he bought "
        "in Cardiff?"
    )
    assert not answer.answer.startswith("Yes"), answer.answer


def test_what_the_release_states_of_the_same_purchase_is_still_yes(single_engine) -> None:
    answer = single_engine.ask("Did Rhodri Morgan buy two copies of Feed The World in Cardiff?")
    assert answer.answer.startswith("Yes"), answer.answer


FOLLOWED = (
    "RIGA, 14 May 2012 - Fisheries ministers of the Baltic states met in Riga today to agree "
    "new catch limits for cod. The meeting followed a March 2012 decision by the Baltic "
    "Council to review the limits every year."
)


def test_a_hyphenated_noun_is_named_by_its_whole_word(tmp_path) -> None:
    # spaCy splits "follow-up" into "follow", "-", "up": the release's "followed" names it,
    # where "up" alone would be read as a thing it never mentions.
    engine = releases_engine(
        tmp_path, [Document(source="riga.txt", title="Cod limits agreed", text=FOLLOWED)]
    )
    answer = engine.ask(
        "Was the cod meeting in Riga organised as a follow-up to the Baltic Council's decision?"
    )
    assert "does not mention up" not in answer.answer
    assert answer.answer.startswith("Yes"), answer.answer
