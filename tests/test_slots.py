"""The slot a yes/no question asks about, read off the parse of a release's sentences."""

from __future__ import annotations

import pytest

from rag.answering.question_analysis import Annotator
from rag.answering.roles import predicate_threshold
from rag.answering.slots import SlotReader, asked_slot

pytestmark = pytest.mark.model

AGREED = "Did the US agree to free the four British men it was holding?"
FUNDED = "Did Japan help pay for the 2009 OSCE meeting in Astana?"
MEETING = "The one-day meeting in Astana was organized by the OSCE Centre in Astana."


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    """An annotator with the word embeddings the verb bound was fitted with."""
    from rag.config import DEFAULT_MODEL, Settings
    from rag.embedders.base import make_embedder

    return Annotator(make_embedder(DEFAULT_MODEL, 64, Settings().evidence_backend))


@pytest.fixture(scope="module")
def reader(annotator) -> SlotReader:
    from rag.config import DEFAULT_MODEL

    threshold = predicate_threshold(DEFAULT_MODEL, "slot_threshold")
    assert threshold is not None
    return SlotReader(annotator.word_vectors, threshold)


def _slot(annotator, question: str, focus: str):
    doc = annotator.parse(question)
    span = next(e for e in doc.ents if e.text.endswith(focus))
    return asked_slot(span), span


def _lemmas(annotator, sentence: str) -> frozenset[str]:
    return frozenset(t.lemma_.lower() for t in annotator.parse(sentence, entities=False))


def test_the_asked_slot(annotator) -> None:
    slot, _ = _slot(annotator, FUNDED, "Japan")
    assert slot.role == "agent" and slot.phrase == "help pay"
    assert {"meeting", "astana", "2009"} <= slot.event_words and "japan" not in slot.event_words
    patient, _ = _slot(annotator, "Did Andre Agassi beat Jurgen Melzer?", "Melzer")
    assert patient.role == "patient" and patient.phrase == "beat"
    passive, _ = _slot(annotator, "Was the conference financed by Japan?", "Japan")
    assert passive.role == "agent" and passive.phrase == "finance"


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ('Mr Straw said the US had agreed to release the four after "intensive talks".', True),
        ("Mr Straw said the US had not agreed to release the four.", False),  # negated
        ("The US said the talks were over.", False),  # another verb
        ("Officials said the US would hold the four for another year.", False),
        ("He said the US had agreed to a review of its trade tariffs.", False),  # another fact
    ],
)
def test_the_focus_in_its_asked_slot(annotator, reader, sentence, stated) -> None:
    slot, focus = _slot(annotator, AGREED, "US")
    found = reader.focus_in(slot, focus.text, annotator.parse(sentence))
    assert (found is not None) is stated
    if stated:
        assert sentence[found[0] : found[1]] == "US"


def test_a_clause_that_names_no_event_is_about_the_one_named_before(annotator, reader) -> None:
    slot, _ = _slot(annotator, FUNDED.replace("Japan", "Norway"), "Norway")
    sentence = annotator.parse("Norway and Belgium provided financial support.")
    before = _lemmas(annotator, MEETING)
    assert reader.focus_in(slot, "Norway", sentence, before) == (0, 6)
    # Without a sentence before that names the meeting, the clause is about nothing asked.
    assert reader.focus_in(slot, "Norway", sentence) is None
    # A clause naming an event of its own is about that one.
    other = annotator.parse("Norway and Belgium funded the Vienna conference.")
    assert reader.focus_in(slot, "Norway", other, before) is None
    financed, focus = _slot(annotator, "Was the Astana meeting financed by Japan?", "Japan")
    pronoun = annotator.parse("It was financed by Belgium, Norway and Japan.")
    assert reader.focus_in(financed, focus.text, pronoun, before) is not None
    assert reader.focus_in(financed, focus.text, pronoun) is None  # "It" is named nowhere


def test_a_clause_modifying_a_noun_is_about_the_event_its_clause_names(annotator, reader) -> None:
    slot, focus = _slot(annotator, "Did Siemens sponsor the Leeds arts festival?", "Siemens")
    stated = annotator.parse(
        "The festival is the third annual event sponsored by Siemens and the city council."
    )
    assert reader.focus_in(slot, focus.text, stated) is not None
    # The noun the clause modifies belongs to another event: not the festival's sponsor.
    other = annotator.parse("The mayor opened a new library sponsored by Siemens last week.")
    assert reader.focus_in(slot, focus.text, other) is None


@pytest.mark.parametrize(
    ("question", "focus", "noun"),
    [
        (
            "Was Barclays Bank among the sponsors of the Premiership in 2004?",
            "Barclays Bank",
            "sponsor",
        ),
        ("Was Nike one of the backers of the London Olympic bid?", "Nike", "backer"),
        ("Was Sony a founder of the Blu-ray group?", "Sony", "founder"),
        ("Was Nike among the firms that backed the London Olympic bid?", "Nike", "back"),
    ],
)
def test_a_copular_question_asks_the_slot_its_role_noun_names(
    annotator, question, focus, noun
) -> None:
    slot, _ = _slot(annotator, question, focus)
    assert slot is not None and slot.role == "agent" and slot.phrase == noun
    assert noun not in slot.event_words and focus.lower() not in slot.event_words


def test_a_copular_question_without_an_event_role_asks_no_slot(annotator) -> None:
    # "the chief executive" names no part in an event of which the question asks.
    assert _slot(annotator, "Was Rick Parry the chief executive in 1998?", "Rick Parry")[0] is None


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("The London Olympic bid was backed by Nike and Adidas.", True),
        ("Nike and Adidas backed the London Olympic bid.", True),
        ("Nike criticised the London Olympic bid.", False),  # another part in it
        ("The London Olympic bid was not backed by Nike.", False),  # negated
    ],
)
def test_the_role_nouns_slot_is_filled_by_a_verb_restating_it(
    annotator, reader, sentence, stated
) -> None:
    slot, focus = _slot(annotator, "Was Nike one of the backers of the London Olympic bid?", "Nike")
    assert (reader.focus_in(slot, focus.text, annotator.parse(sentence)) is not None) is stated


def test_a_relative_clause_of_the_role_noun_is_the_asked_verb(annotator, reader) -> None:
    question = "Was Nike one of the companies that paid for the London Olympic bid?"
    slot, focus = _slot(annotator, question, "Nike")
    assert slot.phrase == "pay" and "company" not in slot.event_words
    financed = annotator.parse("The London Olympic bid was financed by Nike and Adidas.")
    assert reader.focus_in(slot, focus.text, financed) is not None
    criticised = annotator.parse("Nike criticised the London Olympic bid.")
    assert reader.focus_in(slot, focus.text, criticised) is None


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("The survey was paid for by the Government of Sweden.", True),
        ("The survey was paid for by the Swedish Government.", False),  # not named "Sweden"
        ("The survey, about the people of Sweden, was paid for by Denmark.", False),
    ],
)
def test_an_institution_of_the_focus_acts_for_it(annotator, reader, sentence, stated) -> None:
    slot, focus = _slot(annotator, "Did Sweden pay for the 2011 fisheries survey?", "Sweden")
    before = _lemmas(annotator, "A fisheries survey was carried out in 2011.")
    found = reader.focus_in(slot, focus.text, annotator.parse(sentence), before)
    assert (found is not None) is stated, sentence


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("The 2009 meeting in Astana was financed by Sweden, Austria and Japan.", True),
        ("The 2009 meeting in Astana was attended by experts from Japan.", False),
    ],
)
def test_the_act_a_verb_of_several_asks_may_be_stated_alone(
    annotator, reader, sentence, stated
) -> None:
    """ "Did Japan *help pay* for E?": the sentence that says E was financed by Japan, among
    others, states the act Japan helped with, though "finance" is further from "help pay" than
    from "pay"; another act stays another."""
    slot, focus = _slot(annotator, FUNDED, "Japan")
    assert slot.complement == "pay"
    found = reader.focus_in(slot, focus.text, annotator.parse(sentence))
    assert (found is not None) is stated
