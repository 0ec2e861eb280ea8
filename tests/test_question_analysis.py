"""Question analysis from spaCy's parse and the answer-type model learned from SQuAD."""

from __future__ import annotations

import pytest

from rag.answering.focus import question_focus, release_filter_question, wh_question
from rag.answering.question_analysis import Annotator, question_key
from tests.conftest import VIENNA


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()  # no embedder: unseen head nouns get no type, known keys still do


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Did Japan fund the Astana meeting?", "yes_no"),
        ("Was the 2008 Vienna conference financed by Japan?", "yes_no"),
        ("Has the bank raised its interest rate?", "yes_no"),
        # a relative pronoun is not the question's wh-word
        ("Was the striker one of the players who scored in the final?", "yes_no"),
        ("Is Acme the company that bought the brewery?", "yes_no"),
        ("Who scored the goal that won the cup?", "fact"),
        ("Which meetings did Norway help fund?", "list"),
        # a plural noun the small tagger reads as a verb ("acts" VBZ) after "which"
        ("Which acts were named as performing at the benefit concert?", "list"),
        ("Which drinks brands are listed among the firm's big names?", "list"),
        ("Which causes more deaths, smoking or driving?", "fact"),
        ("List the releases from 2008.", "list"),
        ("Who funded the 2008 Vienna conference?", "fact"),
        ("Which company bought the brewery?", "fact"),
        ("How many people attended?", "fact"),
        # "who are the <plural>" asks for a set of people; "who is the <singular>" for one
        ("Who are the three ministers the union wants to meet?", "list"),
        ("Who were the speakers at the opening session?", "list"),
        ("Who is the chairman the union wants to meet?", "fact"),
        ("Who was the speaker the union invited?", "fact"),
        # so does "what are/were the <plural>", a possessor or hyphenated word included
        ("What are the Cardiff brewer's best-selling beers?", "list"),
        ("What is the name of the brewer's best-selling beer?", "fact"),
        # the auxiliary before the subject, after a fronted phrase
        ("In March, did the bank raise its interest rate?", "yes_no"),
        ("According to the minister, was the bridge paid for by the council?", "yes_no"),
        ("Under the new rules, could a shop open on Sundays?", "yes_no"),
        ("In March, the bank raised its interest rate?", "fact"),
        ("In March, which bank raised its interest rate?", "fact"),
        ("Can you tell me who opened the bridge?", "fact"),
        # a wh-adverb opening a fronted clause is no wh-word of the question
        ("When the minister spoke in Leeds, did he mention the budget?", "yes_no"),
        ("Where the talks were held, was the mayor present?", "yes_no"),
        ("When did the minister speak in Leeds?", "fact"),
        ("When the bank raised rates, how did shares react?", "fact"),
        ("When opening the new bridge, did the mayor thank its builders?", "yes_no"),
        # a wh-word of an adverbial clause after the question's verb, and a "that"
        ("Were twelve casinos approved when the minister spoke in Leeds?", "yes_no"),
        ("Did the council vote before it knew where the road would go?", "yes_no"),
        ("Did shares rise on the news that rates would fall?", "yes_no"),
        ("Do you know when the bridge opened?", "fact"),
        # a wh-word in a clause that is a preposition's object, past the opening
        ("Did the mill agree to a rise in what it pays for coal?", "yes_no"),
        ("Was the report on how broadband changes people's habits written by Demos?", "yes_no"),
        ("In what year was the bridge opened?", "fact"),
        # a subordinate clause before the comma, or a list in the fronted phrase
        ("After the judge postponed the hearing, is the trial due to start in June?", "yes_no"),
        ("At the festival headlined by Blur, Oasis and Pulp, is Pulp playing first?", "yes_no"),
        ("After the judge postponed the hearing, when will the trial start?", "fact"),
        # a wh-determiner after a fronted phrase, which the parser hangs on the phrase as a
        # relative clause; a true relative clause after the subject stays one
        ("Other than Leeds, which clubs or teams has Smith played for since his injury?", "list"),
        ("Apart from Elton John, which singers or bands have Oasis toured with?", "list"),
        ("Besides Ford, which carmakers have the unions threatened with strikes?", "list"),
        ("Did the firm, which was founded in 1990, report a loss?", "yes_no"),
        # a plural noun the small tagger reads as a verb after a question-initial "Which",
        # read again as the noun phrase it is after "the"
        ("Which colleagues co-wrote the study with the lead researcher?", "list"),
        ("Which banned substances did the tribunal find the cyclist had taken?", "list"),
        ("Which came first, the merger or the strike?", "fact"),
        # a wh-phrase the parser hangs on the noun before it as a relative clause; a true
        # relative "which" inside a yes/no question stays one
        ("Delegates from which countries attended the summit in Lisbon?", "list"),
        ("Officials from which ministry signed the agreement?", "fact"),
        ("In her speech, did the minister name the date at which prices would rise?", "yes_no"),
        ("Did the report name the rate at which house prices rose?", "yes_no"),
        # "which are/were the <plural>" asks for a set, as "what are the <plural>" does
        ("Which were the busiest airports last year?", "list"),
        ("Which is the busiest airport?", "fact"),
    ],
)
def test_kind(annotator: Annotator, question: str, kind: str) -> None:
    assert annotator.analyse(question).kind == kind


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("Who sold the shares?", "who"),
        ("When did the strike end?", "when"),
        ("How many jobs will go?", "how many"),
        ("How much did the club pay for him?", "how much"),
        ("In what year was the law passed?", "noun:year"),
        ("Which European judicial co-operation body was represented?", "noun:body"),
        ("What is the population of Tajikistan?", "noun:population"),
        ("What did the minister say?", "what"),
        # a hyphenated modifier ends in a participle: the run goes on to its noun
        ("Which two file-sharing systems will the network combine?", "noun:system"),
        # "whose" asks for the possessor, not the thing possessed
        ("Whose world record did the sprinter break?", "whose"),
    ],
)
def test_question_key(annotator: Annotator, question: str, key: str) -> None:
    assert question_key(annotator.parse(question))[0] == key


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which colleagues co-wrote the study with the lead researcher?", "colleague"),
        ("Which illnesses did the minister say the new drug could treat?", "illness"),
        ("Players from which clubs were called up to the squad?", "club"),
    ],
)
def test_the_wh_phrase_head_noun_survives_the_tagger_misreading_it(
    annotator: Annotator, question: str, head: str
) -> None:
    assert annotator.analyse(question).head == head


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("Who scored the winning goal for Chelsea?", "PERSON"),
        ("When did the firm announce the merger?", "DATE"),
        ("How many jobs will the carmaker cut?", "CARDINAL"),
        ("In what year did the band form?", "DATE"),
        ("Which city will host the games?", "GPE"),
        ("Whose world record did the sprinter break?", "PERSON"),  # not a record
    ],
)
def test_expected_answer_type_is_learned(annotator: Annotator, question: str, label: str) -> None:
    expected = annotator.analyse(question).expected
    assert max(expected, key=expected.get) == label


@pytest.mark.model
def test_an_unseen_head_noun_borrows_the_type_of_similar_nouns() -> None:
    from rag.embedders.base import make_embedder

    annotator = Annotator(make_embedder("all-MiniLM-L6-v2", 64, "onnx"))
    key = "noun:footballer"  # not a head noun of any training question
    assert key not in annotator._types()
    expected = annotator.type_distribution(key)
    assert max(expected, key=expected.get) == "PERSON"


@pytest.mark.model
def test_warm_up_embeds_the_known_nouns_so_a_first_unseen_noun_costs_one_encoding() -> None:
    from rag.embedders.base import make_embedder

    embedder = make_embedder("all-MiniLM-L6-v2", 64, "onnx")
    encoded: list[list[str]] = []
    encode = embedder.encode

    def counting(texts, *args, **kwargs):
        encoded.append(list(texts))
        return encode(texts, *args, **kwargs)

    embedder.encode = counting  # type: ignore[method-assign]
    annotator = Annotator(embedder)
    annotator.warm_up()
    assert sum(len(t) for t in encoded) > 100  # the table's head nouns, at start-up
    encoded.clear()
    expected = annotator.type_distribution("noun:footballer")
    assert encoded == [["footballer"]]
    assert max(expected, key=expected.get) == "PERSON"


@pytest.mark.parametrize(
    ("question", "taken", "rewritten"),
    [
        ("Did Japan fund the Astana meeting?", {"astana"}, "Who did fund the Astana meeting?"),
        ("Was the conference financed by Japan?", set(), "Who was the conference financed by?"),
        ("Did the workshop open on 20 November?", set(), "When did the workshop open on?"),
        # one item of a list: the wh-word asks for the whole list
        (
            "Was the bridge paid for by Belgium and Japan?",
            set(),
            "Who was the bridge paid for by?",
        ),
        (
            "Is the audit funded by the Players' Association, the RFU and Premier Rugby?",
            set(),
            "Who is the audit funded by?",
        ),
        # a nationality before its noun: which of that noun
        (
            "Was the harbour survey paid for by the Danish government?",
            set(),
            "Which government was the harbour survey paid for by?",
        ),
    ],
)
def test_yes_no_question_becomes_a_wh_question(annotator, question, taken, rewritten) -> None:
    doc = annotator.parse(question)
    assert wh_question(doc, question_focus(doc, taken)) == rewritten


def test_a_nationality_listed_with_others_is_asked_about_with_the_list(annotator) -> None:
    """The list of nationalities goes from the question and its noun stays behind: "which"
    would ask for no noun ("Which was the meeting of officials held ...?")."""
    doc = annotator.parse("Was the meeting of Danish and Swedish harbour officials held in Oslo?")
    danish = next(e for e in doc.ents if e.text == "Danish")
    assert wh_question(doc, danish).startswith("Who was the meeting of")


def test_partitive_wh_phrase_names_its_noun(annotator) -> None:
    doc = annotator.parse("Which of the games did Chelsea lose?")
    assert question_key(doc)[0] == "noun:game"
    assert annotator.analyse("Which of the games did Chelsea lose?").kind == "list"


def test_the_focus_is_the_entity_heading_the_subject_phrase(annotator) -> None:
    for question, focus in [
        ("Did UEFA President Michel Platini attend the final?", "Michel Platini"),
        ("Did Microsoft founder Bill Gates speak at the summit?", "Bill Gates"),
    ]:
        assert question_focus(annotator.parse(question), set()).text == focus


@pytest.mark.parametrize(
    ("question", "focus", "rewritten"),
    [
        # A passive's subject names the event; its agent or the slot it fills is asked.
        (
            "Was the Tay bridge opened by Alex Salmond?",
            "Alex Salmond",
            "Who was the Tay bridge opened by?",
        ),
        (
            "Was the 2008 Lyon festival financed by Sony?",
            "Sony",
            "Who was the 2008 Lyon festival financed by?",
        ),
    ],
)
def test_a_passive_question_asks_about_its_agent(annotator, question, focus, rewritten) -> None:
    doc = annotator.parse(question)
    assert question_focus(doc, set()).text == focus
    assert wh_question(doc, question_focus(doc, set())) == rewritten


@pytest.mark.parametrize(
    ("question", "focus", "rewritten"),
    [
        ("Which of the games did Chelsea lose?", "Chelsea", "Who the games did lose?"),
        (
            "In which of the races did Paula Radcliffe run?",
            "Paula Radcliffe",
            "Who the races did run?",
        ),
    ],
)
def test_which_events_did_x_question_asks_x_s_slot(annotator, question, focus, rewritten) -> None:
    doc = annotator.parse(question)
    found = question_focus(doc, set())
    assert found.text == focus
    assert release_filter_question(doc, found) == rewritten


@pytest.mark.parametrize(
    ("question", "singular"),
    [
        ("What Philadelphia institution did Tesla give a demonstration to?", True),
        ("Which country helped pay for both meetings?", True),
        ("Who funded the 2008 Vienna conference?", False),
        ("Which governments financed the conference?", False),
        ("How many votes are needed for a majority?", True),
    ],
)
def test_a_singular_wh_phrase_asks_for_one_thing(annotator, question, singular) -> None:
    assert annotator.analyse(question).asks_one is singular


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # instructions on presenting the answer, after the question, are no part of it
        (
            "Which clubs did the striker play for? Give the years.",
            "Which clubs did the striker play for?",
        ),
        ("Who bought the brewery? Please name the price too.", "Who bought the brewery?"),
        ("Which firms bid? List them all! Include their owners.", "Which firms bid?"),
        # anything else stays: a statement, a question first in the imperative, no "?"
        (
            "Who bought the brewery? The report says so.",
            "Who bought the brewery? The report says so.",
        ),
        ("List the releases from 2008. Which is the oldest?", None),
        ("Name the firms that bid for the brewery.", None),
        ("Who bought it? Did they pay cash?", None),
    ],
)
def test_instructions_after_a_question_are_dropped(annotator, text, asked) -> None:
    assert annotator.question_part(text) == (asked or text)


def test_a_question_with_instructions_after_it_is_answered_as_the_question(real_engine):
    # Left in, "Give their dates." made it no question about the collection: declined.
    text = "Which releases are datelined Vienna? Give their dates."
    answer = real_engine.ask(text)
    assert answer.question == text  # reported as asked
    assert answer.kind == "collection" and not answer.abstained
    assert {c.source for c in answer.citations} == {VIENNA, "004_d78ae3091e855bee.txt"}


@pytest.mark.parametrize(
    ("question", "head"),
    [
        (
            "Which three former Acme directors had adult children employed by the firm without "
            "shareholders being told?",
            "director",
        ),
        (
            "Which two large firms launched advertising campaigns to 'set the record straight' "
            "about their products?",
            "firm",
        ),
    ],
)
def test_the_wh_word_opening_the_question_asks_it_wherever_the_parse_hangs_it(
    annotator: Annotator, question: str, head: str
) -> None:
    """The parser hangs "Which" on a preposition late in the question (the object of
    "without", of "about"), inside a clause: a wh-word that opens the question is still its
    own, so its noun is the head and a plural one asks for a list."""
    analysis = annotator.analyse(question)
    assert (analysis.head, analysis.kind) == (head, "list")


def test_a_plural_noun_after_a_headless_wh_word_asks_for_a_list(annotator) -> None:
    """The parser gives "Which" no head noun here ("three" reads as its appositive); the
    plural noun before the verb still says several are asked for. A singular noun does not."""
    question = "Which three then Acme directors had children employed by the firm?"
    doc = annotator.parse(question)
    assert question_key(doc)[1] is None
    assert annotator.analyse(question).kind == "list"
    single = "Which then Acme director had a child employed by the firm?"
    assert annotator.analyse(single).kind == "fact"
