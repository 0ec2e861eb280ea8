"""A release published twice (syndicated, re-issued) is one piece of evidence: the answer path
reads, lists and cites each passage text once (rag.answering.extractive.distinct_passages),
and the evaluation counts a cited verbatim copy of an expected source as that source."""

from __future__ import annotations

import dataclasses

import pytest

from eval.__main__ import cited_sources
from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

BRIDGE = Document(
    source="bridge.txt",
    title="Harbour bridge opens",
    text="KALMAR, 4 May 2005 - The new harbour bridge in Kalmar was opened on Tuesday by the "
    "Swedish transport minister Ulrica Messing. The bridge cost 40m kronor and was paid for "
    "by the Kalmar Harbour Trust. Ferries to the island will run until the end of the year.",
)
OTHERS = [
    Document(
        source="ferry.txt",
        title="Ferry line cuts routes",
        text="VISBY, 2 March 2005 - The island's ferry line is to cut two winter routes, its "
        "chief executive Anna Lind said. Passenger numbers fell 8% last year.",
    ),
    Document(
        source="port.txt",
        title="Port traffic rises",
        text="GOTHENBURG, 9 April 2005 - Container traffic through the port of Gothenburg rose "
        "12% in the first quarter, the port authority said on Friday.",
    ),
]
QUESTION = "How much did the new harbour bridge in Kalmar cost?"


@pytest.fixture(scope="module")
def once(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("once"), [BRIDGE, *OTHERS])


@pytest.fixture(scope="module")
def twice(tmp_path_factory) -> Engine:
    copy = dataclasses.replace(BRIDGE, source="bridge-copy.txt")
    return releases_engine(tmp_path_factory.mktemp("twice"), [BRIDGE, copy, *OTHERS])


@pytest.mark.model
def test_a_release_published_twice_answers_as_it_does_published_once(once, twice) -> None:
    single, double = once.ask(QUESTION), twice.ask(QUESTION)
    assert "40m kronor" in single.answer
    assert double.answer == single.answer
    # Two copies of the span share no belief between them: the answer is as sure as before.
    assert double.confidence == pytest.approx(single.confidence, abs=1e-6)
    assert {c.source for c in double.citations} <= {"bridge.txt", "bridge-copy.txt"}


@pytest.mark.model
def test_the_passages_behind_an_answer_hold_each_text_once(twice) -> None:
    for question in (QUESTION, "When will the ferries to the island stop running?"):
        answer = twice.ask(question)
        texts = [" ".join(h.chunk.text.split()) for h in answer.passages]
        assert len(texts) == len(set(texts)), question


def test_the_evaluation_counts_a_cited_verbatim_copy_as_the_expected_source() -> None:
    texts = {"a.txt": "Same words.", "b.txt": "Same words.", "c.txt": "Other words."}
    assert cited_sources({"a.txt"}, {"b.txt"}, texts.__getitem__) == {"a.txt"}
    assert cited_sources({"a.txt"}, {"c.txt"}, texts.__getitem__) == set()
    assert cited_sources({"a.txt"}, {"b.txt"}) == set()  # by name only without the texts
