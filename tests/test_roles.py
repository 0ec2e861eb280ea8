"""Agent and patient of a yes/no question against the sentence that would answer it."""

from __future__ import annotations

import pytest

from rag.answering.question_analysis import Annotator
from rag.answering.roles import (
    asked_predicate,
    other_argument,
    other_subject,
    predicate_similarity,
    predicate_threshold,
    question_roles,
    roles_reversed,
)
from tests.conftest import one_release_engine

QUESTION = "Did Andre Agassi beat Jurgen Melzer in the quarter-final?"


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


def test_the_questions_participants_by_role(annotator) -> None:
    assert question_roles(annotator.parse(QUESTION)) == (["Andre Agassi"], ["Jurgen Melzer"])


@pytest.mark.parametrize(
    ("sentence", "reversed_"),
    [
        ("Second seed Andre Agassi suffered a comprehensive defeat by Jurgen Melzer.", True),
        ("Andre Agassi beat Jurgen Melzer 6-3 6-2 in the quarter-final.", False),
        ("Jurgen Melzer was beaten by Andre Agassi in straight sets.", False),
    ],
)
def test_a_sentence_with_the_roles_the_other_way_round(annotator, sentence, reversed_) -> None:
    assert roles_reversed(annotator.parse(QUESTION), annotator.parse(sentence)) is reversed_


@pytest.mark.model
def test_no_when_the_release_has_the_roles_reversed(tmp_path) -> None:
    """Another participant in the asked agent's role fills the slot: "No", quoting it."""
    text = (
        "Second seed Andre Agassi suffered a comprehensive defeat by Jurgen Melzer in the "
        "quarter-finals of the SAP Open in San Jose. The Austrian won 6-3 6-1."
    )
    answer = one_release_engine(tmp_path, "tennis.txt", "Agassi out", text).ask(QUESTION)
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No.")
    assert "defeat by Jurgen Melzer" in answer.citations[0].quote
    # The same release, the roles as asked: "Yes".
    assert (
        one_release_engine(tmp_path / "won", "tennis.txt", "Melzer wins", text)
        .ask("Did Jurgen Melzer beat Andre Agassi in the quarter-final?")
        .answer.startswith("Yes.")
    )


@pytest.mark.model
def test_roles_reversed_only_in_the_asked_action(real_engine) -> None:
    """A patient of the question's verb ("Is Japan *listed*") that the release makes the agent
    of another verb ("It was *financed* by Belgium, ... and Japan") is no reversal: the
    sentence names Japan among the funders, so no "No"."""
    answer = real_engine.ask(
        "Is Japan listed among the countries that financed the OSCE's July 2008 Vienna expert "
        "conference on drug trafficking?"
    )
    assert answer.answer.startswith("Yes"), answer.answer
    assert "financed by Belgium" in answer.citations[0].quote


BRIDGE = (
    "DUNDEE, 4 June 2012 - A new road bridge over the river Tay was opened on Monday by the "
    "transport minister, Keith Brown. The bridge cost 120 million pounds and took three years "
    "to build."
)


@pytest.mark.model
def test_no_needs_another_filler_of_the_asked_slot(tmp_path) -> None:
    """'No' only when the release puts someone else of the focus's kind in the asked slot; a
    release that never says who paid declines, whoever it never names."""
    engine = one_release_engine(tmp_path, "bridge.txt", "New bridge opens", BRIDGE)
    other = engine.ask("Was the Tay bridge opened by Alex Salmond?")
    assert other.kind == "yes_no" and other.answer.startswith("No.")
    assert "Keith Brown" in other.citations[0].quote
    unsaid = engine.ask("Did Germany pay for the Tay bridge?")
    assert unsaid.kind == "yes_no" and unsaid.abstained


@pytest.mark.model
def test_yes_needs_the_asked_verb(tmp_path) -> None:
    """The release says who opened the bridge, not who paid for or designed it: no "Yes" to
    either, though the reader fills "who paid" with the only person it names."""
    engine = one_release_engine(tmp_path, "bridge.txt", "New bridge opens", BRIDGE)
    for question in ("Did Keith Brown pay for the Tay bridge?", "Did Keith Brown design it?"):
        answer = engine.ask(question.replace(" it?", " the Tay bridge?"))
        assert answer.kind == "yes_no" and answer.abstained, question
    assert engine.ask("Did Keith Brown open the Tay bridge?").answer.startswith("Yes.")


@pytest.mark.model
def test_the_asked_verb_and_how_closely_a_sentence_restates_it() -> None:
    from rag.config import DEFAULT_MODEL, Settings
    from rag.embedders.base import make_embedder

    annotator = Annotator(make_embedder(DEFAULT_MODEL, 64, Settings().evidence_backend))
    question = annotator.parse("Did Belgium fund the Vienna conference?")
    assert asked_predicate(question) == "fund"
    assert asked_predicate(annotator.parse("Is Kevin Carty the police adviser?")) is None

    def similarity(sentence: str) -> float:
        docs = [annotator.parse(sentence, entities=False)]
        return predicate_similarity(question, "fund", docs, annotator.word_vectors)

    threshold = predicate_threshold(DEFAULT_MODEL)
    assert threshold is not None and 0.0 < threshold < 1.0
    assert predicate_threshold("some-other-model") is None  # its similarities are not MiniLM's
    assert similarity("The conference was financed by Belgium and Norway.") >= threshold
    # The question's own words ("conference") restate its arguments, not its verb.
    assert similarity("The conference in Vienna was opened by Belgium.") < threshold


WIND = (
    "OSLO, 9 March 2013 - Energy ministers from twelve countries met in Oslo on Tuesday for a "
    "two-day summit on offshore wind power. The summit was funded by Norway and Denmark, and "
    "hosted by the Norwegian Ministry of Petroleum and Energy. Delegates agreed to share grid data."
)


@pytest.mark.model
def test_no_when_a_list_of_other_countries_fills_the_slot(tmp_path) -> None:
    """'Norway and Denmark' fill the funders' slot as countries, as 'Japan' would: No."""
    engine = one_release_engine(tmp_path, "wind.txt", "Wind summit", WIND)
    answer = engine.ask("Did Japan fund the Oslo wind summit?")
    assert answer.kind == "yes_no" and answer.answer.startswith("No.")
    assert "Norway and Denmark" in answer.citations[0].quote
    assert engine.ask("Did Denmark fund the Oslo wind summit?").answer.startswith("Yes.")


@pytest.mark.model
def test_yes_when_a_sentence_of_the_passage_states_the_focus_in_its_role(tmp_path) -> None:
    """The reader may fill "Who agreed to free ...?" with the sayer; the sentence it reported
    still says yes for the one who agreed, and nothing for a country it never names so."""
    text = (
        "LONDON, 3 March 2025 - Four fishermen held by Norway will be freed, Foreign Secretary "
        "Ann Lowe said on Tuesday. Ms Lowe said Norway had agreed to release the four after "
        "intensive talks. Their families welcomed the news."
    )
    engine = one_release_engine(tmp_path, "trawler.txt", "Fishermen to come home", text)
    yes = engine.ask("Did Norway agree to free the four fishermen?")
    assert yes.kind == "yes_no" and yes.answer.startswith("Yes.")
    assert "Norway had agreed" in yes.citations[0].quote
    other = engine.ask("Did Denmark agree to free the four fishermen?")
    assert other.kind == "yes_no" and not other.answer.startswith("Yes")


@pytest.mark.model
def test_no_yes_when_the_focus_does_something_else_in_the_sentence(tmp_path) -> None:
    """The reader's span for "Who made a bid for Gerrard?" is Chelsea, in a sentence that
    makes Chelsea the one who "could launch" a bid someone denies: not a "Yes"."""
    text = (
        "LIVERPOOL, 2 March 2005 - Liverpool chief executive Rick Parry has moved to scotch "
        "claims that Chelsea could launch a £35m bid for captain Steven Gerrard. Parry said the "
        "club had received no offer and would not sell its captain."
    )
    engine = one_release_engine(tmp_path, "gerrard.txt", "Parry: Gerrard not for sale", text)
    answer = engine.ask("Did Chelsea make a bid for Steven Gerrard?")
    assert answer.kind == "yes_no" and not answer.answer.startswith("Yes")


@pytest.mark.model
def test_a_person_named_by_surname_after_the_full_name_is_the_same_person(tmp_path) -> None:
    """ "Ms Evans said ..." states what Rhian Evans said (the release named her in full
    first); it says nothing of a Mark Evans the release never names."""
    text = (
        "CARDIFF, 4 May 2025 - Health minister Rhian Evans opened a new children's hospital in "
        "Cardiff on Monday. Ms Evans said the hospital would treat 20,000 patients a year."
    )
    engine = one_release_engine(tmp_path, "hospital.txt", "Hospital opens", text)
    said = engine.ask("Did Rhian Evans say the hospital would treat 20,000 patients a year?")
    assert said.answer.startswith("Yes.") and "Ms Evans said" in said.citations[0].quote
    other = engine.ask("Did Mark Evans say the hospital would treat 20,000 patients a year?")
    assert not other.answer.startswith("Yes")
    assert engine.ask("Did Mark Evans open the new children's hospital?").answer.startswith("No.")


RIVERS = (
    "GENEVA, 12 May 2024 - A three-day conference on river pollution opened in Geneva on Monday. "
    "Environment ministers and scientists from fourteen countries are taking part. "
    "Conference chair Maria Lind said the Rhine and the Danube were cleaner than a decade ago, "
    "but warned that plastics and farm run-off remained serious threats. "
    "Delegates will discuss monitoring networks, shared laboratory standards and early warning "
    "systems for chemical spills, and will visit a water treatment plant near Lausanne. "
    "Professor Anton Weber of the University of Basel presented new data on microplastics in "
    "alpine lakes, and officials from the Rhine commission described a joint sampling programme "
    "that now covers more than 40 stations along the river. "
    "Organizers said a declaration on data sharing would be adopted on the final day. "
    "The conference was financed by Sweden and the Netherlands. "
    "It was organized by the Swiss Federal Office for the Environment."
)


@pytest.mark.model
def test_yes_from_a_passage_other_than_the_readers_best(tmp_path) -> None:
    """The funders' sentence is in the release's second passage; the reader's best span for
    "Who did pay for the conference?" is not: the other retrieved passages are read for the
    focus in the asked slot too."""
    engine = one_release_engine(tmp_path, "rivers.txt", "River pollution conference", RIVERS)
    assert len(engine.snapshot.chunks) > 1
    yes = engine.ask("Did Sweden pay for the Geneva river pollution conference?")
    assert yes.kind == "yes_no" and yes.answer.startswith("Yes.")
    assert "financed by Sweden" in yes.citations[0].quote
    other = engine.ask("Did Norway pay for the Geneva river pollution conference?")
    assert not other.answer.startswith("Yes")


@pytest.mark.model
def test_yes_when_the_focus_is_the_agent_of_the_asked_verb_itself(tmp_path) -> None:
    """The reader's span is the focus, and the sentence makes it the agent of "set up", the
    asked verb (not some other verb): "Yes"; another king is "No". "in 1337" tells when, it
    names no event of its own."""
    text = (
        "LONDON, 4 February 2005 - The Duchy of Cornwall made a profit of £11.9m last year. "
        "It was set up in 1337 by King Edward III to provide an income for the heir to the "
        "throne. Its estates cover 54,000 hectares in 23 counties."
    )
    engine = one_release_engine(tmp_path, "duchy.txt", "Duchy profits rise", text)
    yes = engine.ask("Was the Duchy of Cornwall set up by King Edward III?")
    assert yes.answer.startswith("Yes.") and "by King Edward III" in yes.citations[0].quote
    assert engine.ask("Was the Duchy of Cornwall set up by King Henry VIII?").answer.startswith(
        "No."
    )


@pytest.mark.parametrize(
    ("question", "focus", "sentence", "other"),
    [
        # the asked verb's object or prepositional argument is another name
        (
            "Was Ambassador Ana Ruiz there representing the Council of Europe?",
            "Ana Ruiz",
            "Ambassador Ana Ruiz, representing the European Commission, opened the meeting.",
            "European Commission",
        ),
        (
            "Did Chelsea beat Arsenal in the final?",
            "Chelsea",
            "Chelsea beat Liverpool 2-1.",
            "Liverpool",
        ),
        (
            "Was the workshop held in Tashkent?",
            "the workshop",
            "The workshop was held in Almaty on Monday.",
            "Almaty",
        ),
        # a verb coordinated with another shares its subject
        (
            "Was Rover Group sold to Ford?",
            "Rover Group",
            "Rover Group made losses for years and was sold to Chinese carmaker Nanjing Motors.",
            "Chinese carmaker Nanjing Motors",
        ),
        # the asked name given there, or anywhere in the sentence, or by its initials
        ("Did Chelsea beat Arsenal?", "Chelsea", "Chelsea beat Arsenal and then Spurs.", None),
        (
            "Did the United Nations fund the project?",
            "the United Nations",
            "The UN funded the project in Kabul.",
            None,
        ),
        # another participant's verb, or an argument that is no name, decides nothing
        ("Did Chelsea beat Arsenal?", "Chelsea", "Fulham beat Liverpool as Chelsea drew.", None),
        ("Was the workshop held in Tashkent?", "the workshop", "It was held in the capital.", None),
    ],
)
def test_another_name_as_the_asked_verbs_argument(annotator, question, focus, sentence, other):
    found = other_argument(annotator.parse(question), annotator.parse(sentence), focus)
    assert found == other


@pytest.mark.parametrize(
    ("question", "focus", "sentence", "other"),
    [
        (
            "Did the Harbour Trust pay for the Lindqvist Bridge?",
            "the Harbour Trust",
            "The Harbour Trust paid for the ferry, while the Nordvik Council paid for the "
            "Lindqvist Bridge.",
            "Nordvik Council",
        ),
        # the focus does it too, or by its surname alone: no other doer
        (
            "Did the Harbour Trust pay for the Lindqvist Bridge?",
            "the Harbour Trust",
            "The Nordvik Council paid for the ferry, while the Harbour Trust paid for the "
            "Lindqvist Bridge.",
            None,
        ),
        (
            "Did Jef Ostrom join Vantel in 1981?",
            "Jef Ostrom",
            "Mr Ostrom joined Vantel in 1978 as its 31st employee.",
            None,
        ),
        # another argument of the verb: not the asked thing
        (
            "Did the Harbour Trust pay for the Lindqvist Bridge?",
            "the Harbour Trust",
            "The Nordvik Council paid for the ferry.",
            None,
        ),
    ],
)
def test_another_name_does_the_asked_thing(annotator, question, focus, sentence, other) -> None:
    found = other_subject(annotator.parse(question), annotator.parse(sentence), focus)
    assert found == other


@pytest.mark.model
def test_another_doer_of_the_asked_thing_answers_no(tmp_path) -> None:
    text = (
        "OSLO, 4 March 2005 - Two crossings opened on Friday. The Nordvik Council paid for the "
        "ferry terminal, while the Harbour Trust paid for the Lindqvist Bridge."
    )
    engine = one_release_engine(tmp_path, "bridge.txt", "Two crossings open", text)
    answer = engine.ask("Did the Harbour Trust pay for the ferry terminal?")
    assert answer.kind == "yes_no" and answer.answer.startswith("No.")
    assert "Nordvik Council paid for the ferry terminal" in answer.citations[0].quote
    answer = engine.ask("Did the Harbour Trust pay for the Lindqvist Bridge?")
    assert answer.answer.startswith("Yes.")


@pytest.mark.model
def test_another_argument_answers_no(tmp_path) -> None:
    text = (
        "VIENNA, 3 May 2005 - A conference on organised crime opened on Tuesday. Ambassador Ana "
        "Ruiz, representing the European Commission, welcomed delegates from 30 countries."
    )
    engine = one_release_engine(tmp_path, "crime.txt", "Crime conference opens", text)
    asked = "At the crime conference, was Ambassador Ana Ruiz there representing {}?"
    answer = engine.ask(asked.format("the Council of Europe"))
    assert answer.kind == "yes_no" and answer.answer.startswith("No.")
    assert "European Commission" in answer.citations[0].quote
    assert engine.ask(asked.format("the European Commission")).answer.startswith("Yes.")


@pytest.mark.model
def test_a_pronoun_subject_of_the_reported_clause_stands_for_the_speaker(tmp_path) -> None:
    text = (
        "Runner Maria Keane has indicated that she would like to compete in next month's "
        "European Indoor Championships in Madrid. Her coach said the decision would come after "
        "the national trials. Her coach Tom Hale has said that Keane would like to rest in April."
    )
    engine = one_release_engine(tmp_path, "keane.txt", "Keane eyes Madrid", text)
    answer = engine.ask(
        "Would Maria Keane like to run in the European Indoor Championships in Madrid?"
    )
    assert answer.kind == "yes_no" and answer.answer.startswith("Yes.")
    assert "she would like to compete" in answer.citations[0].quote
    # a name, not a pronoun, in the reported clause: the speaker is not its subject
    assert not engine.ask("Would Tom Hale like to rest in April?").answer.startswith("Yes")


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        # the tokenizer ends a sentence at the name's dot: "Does the Mydoom." | "A virus ..."
        ("Did the Mydoom.A virus spread through file-sharing networks?", "spread"),
        ("Does the Sober.C worm send itself to addresses in the address book?", "send"),
        ("Did the firm do the work itself?", "do"),  # "do" as the main verb stays
    ],
)
def test_the_asked_verb_past_a_sentence_break_inside_a_name(annotator, question, verb) -> None:
    assert asked_predicate(annotator.parse(question)) == verb


def test_the_asked_verb_the_parser_makes_a_clausal_complement_of_was(annotator) -> None:
    """With a phrase before it, the small parser reads "was" as the root and the participle
    as its clausal complement (tagged a past tense): the participle is still the asked verb,
    so the checks on its object ("a contract extension") apply."""
    question = "After his win in the cup, was Rovers coach Sam Eddo handed a pay rise?"
    doc = annotator.parse(question)
    handed = next(t for t in doc if t.text == "handed")
    assert handed.dep_ == "ccomp" and handed.head.lemma_ == "be"
    assert asked_predicate(doc) == "hand"


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Was the March 2011 summit in Oslo on fishing quotas paid for by Denmark?", "pay"),
        ("Was the spring conference in Leeds on student loans opened by the minister?", "open"),
        # "was" says something else of the subject ("a success"): no verb is asked
        ("Was the 2010 fair in Lyon on farm machinery a success organised by Renault?", None),
    ],
)
def test_the_asked_participle_the_parser_hangs_deep_in_the_subject(
    annotator, question, verb
) -> None:
    """A passive question with prepositional phrases after its subject: the small parser makes
    "was" the root and hangs the participle, with its agent, on the last phrase's noun. The
    participle ending the question is the asked verb."""
    doc = annotator.parse(question)
    participle = next(t for t in doc if t.dep_ == "acl")
    assert participle.tag_ == "VBN" and participle.head.dep_ in ("pobj", "attr")
    assert any(c.dep_ == "agent" for c in participle.children)
    assert asked_predicate(doc) == verb
