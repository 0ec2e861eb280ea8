"""Who is quoted: the speakers of a release's quotations (rag.answering.speakers), read off a
release the project never saw, with the real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.question_analysis import Annotator
from rag.answering.speakers import SpeakerReader, asked_verb, quoted_ranges
from rag.config import DEFAULT_MODEL, Settings
from rag.embedders.base import make_embedder
from rag.values import Document
from tests.conftest import one_release_engine

pytestmark = pytest.mark.model

# Four speakers, quoted in the ways releases quote people; the last ones far down the release,
# past the passages the span reader reads. Ines Ramos is named inside a quotation and reported
# without one: neither makes her a speaker.
FORUM = (
    "LISBON, 14 March 2026 - Energy ministers from eleven Atlantic states met in Lisbon "
    "today for a two-day forum on offshore wind, hosted by the Portuguese Ministry of "
    "Economy.\n\n"
    "The forum is the third of its kind. Delegations reviewed grid connections, port "
    "upgrades and the training of technicians for new turbine farms along the coast.\n\n"
    '"Offshore wind is now the cheapest power we can build at scale," said Marta Coelho, '
    'Portugal\'s Minister of Economy. "We want to connect the farms of all our neighbours."\n\n'
    "Officials from the European Investment Bank presented a financing facility for "
    "port works. Ines Ramos of the bank said the facility would open in the autumn.\n\n"
    + " ".join(
        f"Session {n} discussed supply chains, cable routes and permits for new sites."
        for n in range(1, 15)
    )
    + "\n\n"
    "Henrik Dahl, Norway's Deputy Minister of Petroleum and Energy, added: \"Our experience "
    'with floating turbines is there for every state that wants it. Ask Ines Ramos."\n\n'
    '"The grid is the bottleneck, not the turbines," said Aoife Brennan, chief executive of '
    "the Irish grid operator."
)


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    # with the embedder: a head noun the answer-type counts lack ("minister") gets a type
    return Annotator(make_embedder(DEFAULT_MODEL, 64, Settings().evidence_backend))


def test_quotation_marks_enclose_ranges_and_a_line_break_ends_an_open_one() -> None:
    text = 'He said "yes" and “no”.\n"Open quote runs on\nThen prose.'
    ranges = [text[a:b] for a, b in quoted_ranges(text)]
    assert ranges == ['"yes"', "“no”", '"Open quote runs on']


def test_speakers_are_the_subjects_outside_the_quotation_marks(annotator) -> None:
    release = Document(source="forum.txt", title="Atlantic wind forum opens", text=FORUM)
    names = [sp.name for sp in SpeakerReader(annotator).speakers(release)]
    assert names == ["Marta Coelho", "Henrik Dahl", "Aoife Brennan"]


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Who spoke at the Lisbon wind forum?", "spoke"),
        ("Who was quoted in the release on the forum?", "quoted"),
        ("Which minister spoke at the Lisbon forum?", "spoke"),
        ("Which officials spoke at the forum?", "spoke"),
        # a verb with an object or a clause asks what was said: the reader's question
        ("Who told the forum that the grid was the bottleneck?", None),
        ("Who hosted the forum?", None),
        ("What speed did the test results show?", None),
    ],
)
def test_a_question_asks_who_spoke_with_a_verb_that_takes_nothing(
    annotator, question, verb
) -> None:
    found = asked_verb(annotator.parse(question), annotator.analyse(question))
    assert (found.text if found is not None else None) == verb


def test_who_spoke_lists_every_speaker_of_the_release_each_cited(tmp_path: Path) -> None:
    engine = one_release_engine(tmp_path, "forum.txt", "Atlantic wind forum opens", FORUM)
    answer = engine.ask("Who spoke at the Atlantic wind forum in Lisbon?")
    assert answer.kind == "list" and not answer.abstained
    assert [i["text"] for i in answer.items] == ["Marta Coelho", "Henrik Dahl", "Aoife Brennan"]
    for item, citation in zip(answer.items, answer.citations, strict=True):
        assert item["citations"] == [citation.n]
        assert item["text"] in citation.quote and '"' in citation.quote
        assert FORUM[citation.start : citation.end] == citation.quote


def test_the_described_speaker_is_the_one_whose_sentence_describes_them(tmp_path: Path) -> None:
    engine = one_release_engine(tmp_path, "forum.txt", "Atlantic wind forum opens", FORUM)
    norwegian = engine.ask("Which Norwegian deputy minister spoke at the Lisbon forum?")
    assert norwegian.answer == "Henrik Dahl" and norwegian.kind == "fact"
    assert "Deputy Minister of Petroleum" in norwegian.citations[0].quote
    grid = engine.ask("Who was the head of the grid operator quoted at the forum?")
    assert grid.answer == "Aoife Brennan"
    # Described as someone no speaker's sentence describes (the bank's Ines Ramos, reported
    # without quotation marks): the speakers give no answer; the reader answers it.
    bank = "Who spoke for the European Investment Bank at the forum?"
    assert engine.speakers.answer(engine.snapshot, bank, 5) is None
    # Nor do they answer who did something else.
    assert engine.speakers.answer(engine.snapshot, "Who hosted the forum?", 5) is None
