"""A "Yes" needs the release to mention the thing the question says was done or did it: the
common noun heading the asked verb's subject or object ("Was a joint *declaration* signed?")
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
