"""A yes/no question's description of its focus against the release's (rag.answering.descriptors),
on made-up sports and politics sentences (real spaCy; one end-to-end ask with the real models)."""

from __future__ import annotations

import pytest

from rag.answering.descriptors import asked_description, conflicting_description
from rag.answering.question_analysis import Annotator
from tests.conftest import one_release_engine


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


def _conflict(annotator, question: str, focus: str, sentence: str, names: list[str]):
    doc = annotator.parse(question)
    start = question.index(focus)
    span = doc.char_span(start, start + len(focus), alignment_mode="expand")
    return conflicting_description(doc, span, annotator.parse(sentence), lambda _: names)


@pytest.mark.parametrize(
    ("question", "focus", "sentence", "other"),
    [
        # another qualifier of the asked noun, in apposition, compounded before the name, or
        # as the attribute
        (
            "When Ana Ruiz spoke in Madrid, was she Spain's Foreign Minister?",
            "Ana Ruiz",
            "MADRID, 3 May 2005 - Ana Ruiz, the Interior Minister of Spain, said crime was down.",
            "Interior Minister",
        ),
        (
            "Is Tim Henman the top seed at the Qatar Open?",
            "Tim Henman",
            "Fifth seed Tim Henman beat Ivan Ljubicic in Doha on Tuesday.",
            "Fifth seed",
        ),
        ("Is Tim Henman the top seed?", "Tim Henman", "Henman is the fifth seed.", "fifth seed"),
        # the same qualifier, or qualifiers on one side only: nothing decided
        (
            "Is Tim Henman the top seed at the Qatar Open?",
            "Tim Henman",
            "Tim Henman, the top seed, beat Ivan Ljubicic in Doha.",
            None,
        ),
        (
            "Was Ana Ruiz the Minister of the Interior?",
            "Ana Ruiz",
            "Ana Ruiz, the Interior Minister of Spain, said crime was down.",
            None,
        ),
        # another person described otherwise says nothing of the focus
        (
            "Is Tim Henman the top seed at the Qatar Open?",
            "Tim Henman",
            "Tim Henman beat fifth seed Ivan Ljubicic in Doha.",
            None,
        ),
    ],
)
def test_a_description_conflicts_only_where_both_qualify_the_same_noun(
    annotator, question, focus, sentence, other
) -> None:
    names = [focus, focus.split()[-1]]
    assert _conflict(annotator, question, focus, sentence, names) == other


def test_only_a_question_that_says_what_someone_is_asks_a_description(annotator) -> None:
    doc = annotator.parse("Did Tim Henman beat the top seed?")
    assert asked_description(doc, doc[1:3]) is None
    # the pronoun's person is the one described, whatever the focus
    doc = annotator.parse("When Ana Ruiz spoke in Madrid, was she Spain's Foreign Minister?")
    noun, described = asked_description(doc, doc[-3:-2])
    assert noun.text == "Minister" and described.text == "Ana Ruiz"


@pytest.mark.model
def test_named_but_described_otherwise_answers_no(tmp_path) -> None:
    text = (
        "MADRID, 3 May 2005 - Ana Ruiz, the Interior Minister of Spain, opened a conference on "
        "organised crime on Tuesday. Delegates from 30 countries attended the two-day meeting."
    )
    engine = one_release_engine(tmp_path, "crime.txt", "Crime conference opens", text)
    answer = engine.ask(
        "When Ana Ruiz opened the crime conference, was she Spain's Foreign Minister?"
    )
    assert answer.kind == "yes_no" and answer.answer.startswith("No.")
    assert "Interior Minister" in answer.citations[0].quote
