"""A speaker who states what others do is not asked about where the act of speaking is what
the question asks ("Did she speak at the opening?"), and still is where the question asks what
was said (rag.answering.yes_no.YesNoAnswerer._argument_elsewhere)."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="harbour.txt",
        title="Harbour police chiefs meet in Gdansk",
        text="GDANSK, 12 April 2012 - Harbour police chiefs from eight Baltic states met in "
        "Gdansk today to discuss smuggling through container ports. At the opening ceremony "
        "Police Affairs Officer Anna Berg stated that smuggling networks require closer "
        "co-operation between port authorities. The meeting was funded by Denmark.",
    )
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("reporting"), RELEASES)


def test_the_speaker_who_states_something_did_speak(engine) -> None:
    answer = engine.ask(
        "At the Gdansk meeting of harbour police chiefs, did Police Affairs Officer Anna Berg "
        "speak at the opening ceremony?"
    )
    assert answer.answer.startswith("Yes"), answer.answer
    assert "Anna Berg stated" in answer.citations[0].quote


def test_what_the_speaker_said_is_still_checked(engine) -> None:
    answer = engine.ask(
        "At the Gdansk meeting, did Anna Berg say that port authorities could stop smuggling "
        "networks on their own?"
    )
    assert not answer.answer.startswith("Yes"), answer.answer
