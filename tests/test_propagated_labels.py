"""A name the entity recogniser misses in a short question takes the label the releases'
text gives it, so a yes/no question about it can be checked."""

from __future__ import annotations

import pytest

from rag.answering.propagated_labels import labelled_as_in, untagged_names
from rag.answering.question_analysis import Annotator
from rag.values import Document
from tests.conftest import releases_engine

QUESTION = "Were Europol experts among those taking part in the meeting?"
PASSAGE = (
    "THE HAGUE, 3 March 2011 - Experts from Interpol, Europol and the UNODC took part in "
    "the meeting on cybercrime held in The Hague."
)


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


@pytest.mark.model
def test_an_untagged_name_takes_the_label_the_passage_gives_it(annotator) -> None:
    doc = annotator.parse(QUESTION)
    assert not doc.ents  # the premise: the recogniser tags nothing in the question
    runs = untagged_names(doc, set())
    assert [doc[s:e].text for s, e in runs] == ["Europol"]
    (span,) = labelled_as_in(doc, runs, ["Nothing here.", PASSAGE], annotator.entities)
    assert (span.text, span.label_) == ("Europol", "ORG")
    # a name no passage tags stays out
    assert labelled_as_in(doc, runs, ["Europol, they said."], lambda text: []) == []


@pytest.mark.model
def test_a_name_describing_the_event_of_a_year_or_place_is_no_untagged_name(annotator) -> None:
    doc = annotator.parse("Were Europol experts at the 2011 Frontex meeting in Warsaw?")
    assert [doc[s:e].text for s, e in untagged_names(doc, set())] == ["Europol", "Frontex"]
    # "the 2011 Frontex meeting" names the event the releases' metadata knows
    assert [doc[s:e].text for s, e in untagged_names(doc, {"2011", "warsaw"})] == ["Europol"]


@pytest.mark.model
def test_a_yes_no_question_about_a_name_only_the_release_tags_is_answered(tmp_path) -> None:
    release = Document(source="hague.txt", title="Cybercrime meeting in The Hague", text=PASSAGE)
    engine = releases_engine(tmp_path, [release])
    answer = engine.ask(QUESTION)
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("Yes."), answer.answer
    assert answer.citations[0].source == "hague.txt"
