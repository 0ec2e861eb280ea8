"""What a yes/no question asks about, and whether a text states it (rag.answering.focus)."""

from __future__ import annotations

import pytest

from rag.answering.focus import (
    names_focus,
    question_focus,
    same_kind,
    shares_a_name,
    unnamed_entities,
    wh_question,
)
from rag.answering.question_analysis import Annotator

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


def _focus(annotator, question: str, taken=frozenset(), **kwargs):
    return question_focus(annotator.parse(question), set(taken), **kwargs)


def test_a_year_or_place_argument_of_the_verb_may_be_the_focus(annotator) -> None:
    question = "Was the Leeds festival held in 2011?"
    taken = {"leeds", "2011"}
    assert _focus(annotator, question, taken) is None  # metadata words name the event
    assert _focus(annotator, question, taken, taken_arguments=True).text == "2011"
    assert (
        _focus(annotator, "Is Portugal chairing the summit in 2012?", {"portugal", "2012"}) is None
    )
    found = _focus(
        annotator,
        "Is Portugal chairing the summit in 2012?",
        {"portugal", "2012"},
        taken_arguments=True,
    )
    assert found.text == "Portugal"
    # Inside the noun phrase that names the event, a year stays part of its name.
    inside = _focus(
        annotator,
        "Did Sony sponsor the 2011 Leeds festival?",
        {"leeds", "2011"},
        taken_arguments=True,
    )
    assert inside.text == "Sony"


def test_a_modifier_of_the_phrase_naming_the_event_is_no_focus(annotator) -> None:
    """ "the *two-day* festival in Leeds in 2011": the phrase's year and place say which event
    it is, and so does the rest of its description."""
    taken = {"leeds", "2011"}
    question = "Did the two-day festival in Leeds in 2011 end with a fireworks display?"
    assert _focus(annotator, question, taken, taken_arguments=True) is None
    asked = "Did the festival in Leeds in 2011 run for two days?"
    assert _focus(annotator, asked, taken, taken_arguments=True).text == "two days"
    # Not the subject: a count of who was there is what the question asks.
    counted = "Were more than 60 bands at the Leeds festival?"
    assert _focus(annotator, counted, taken, taken_arguments=True).text == "more than 60"


@pytest.mark.parametrize(
    ("question", "focus", "text", "named"),
    [
        ("Did more than 150 delegates attend?", "more than 150", "150", True),
        ("Did more than 150 delegates attend?", "more than 150", "1500", False),
        # a figure within the bound, of the thing counted
        ("Did more than 150 delegates attend?", "more than 150", "1,500 delegates came", True),
        ("Did more than 150 delegates attend?", "more than 150", "120 delegates came", False),
        ("Did it cost under 1,000,000 pounds?", "1,000,000 pounds", "900,000 pounds", True),
        ("Did it cost under 1,000,000 pounds?", "1,000,000 pounds", "900,000 euros", False),
        ("Was the show staged in November 2012?", "November 2012", "2012", False),
        ("Was the show staged in November 2012?", "November 2012", "1 November 2012", True),
        ("Did Japan fund the bridge?", "Japan", "Japanese engineers built it", False),
        ("Did Japan fund the bridge?", "Japan", "It was paid for by Japan and Korea.", True),
        # an acronym, spelled out
        ("Did the RFU fund the audit?", "RFU", "funded by the Rugby Football Union.", True),
        ("Did the RFU fund the audit?", "RFU", "funded by the Rugby Union.", False),
        ("Did the UNODC help?", "UNODC", "the UN Office on Drugs and Crime helped", False),
        ("Did the UNODC help?", "UNODC", "the United Nations Office on Drugs and Crime", True),
        # the parser's entity may leave out the characters written onto the figure
        ("Will insurance cover $155m of it?", "155", "$155m of which insurance covers", True),
        ("Will insurance cover $155m of it?", "155", "$155bn of which insurance covers", False),
        # a figure given roughly is the figure itself, not another
        ("Were roughly 3,500 fans turned away?", "roughly 3,500", "About 3,500 fans left", True),
        ("Were roughly 3,500 fans turned away?", "roughly 3,500", "About 35,000 fans left", False),
    ],
)
def test_a_text_names_the_focus(annotator, question, focus, text, named) -> None:
    found = _focus(annotator, question)
    assert found.text == focus
    assert names_focus(found, text) is named


def test_a_government_fills_a_slot_a_country_is_asked_in(annotator) -> None:
    country = _focus(annotator, "Was the bridge funded by Japan?")
    assert country.label_ == "GPE"
    assert same_kind(country, "ORG") and same_kind(country, "GPE")
    assert not same_kind(country, "PERSON") and not same_kind(country, "DATE")
    place = _focus(annotator, "Was the summit held in Japan?")
    assert not same_kind(place, "ORG")  # a place, not an actor


def test_names_and_numbers_the_release_does_not_mention(annotator) -> None:
    doc = annotator.parse(
        "Did Johnny O'Connor make his Six Nations debut for Ireland against England?"
    )
    focus = question_focus(doc, set())
    assert focus.text == "Johnny O'Connor"
    release = "O'Connor makes his RBS Six Nations debut for Ireland against Scotland on Saturday."
    assert unnamed_entities(doc, focus, release) == ["England"]
    assert unnamed_entities(doc, focus, release.replace("Scotland", "England")) == []
    # A number written with its unit counts; a compared one need not be stated.
    runner = annotator.parse("Did McIlroy run a personal best over 800 metres in Erfurt?")
    at = question_focus(runner, set())
    assert unnamed_entities(runner, at, "McIlroy's 800m personal best came in Erfurt.") == []
    arrests = annotator.parse("Were there more than 10 arrests after the Chelsea match?")
    chelsea = question_focus(arrests, set())
    assert (
        unnamed_entities(arrests, chelsea, "Police made 11 arrests after the Chelsea game.") == []
    )
    ages = annotator.parse("Did Richard Eyre say the show was unsuitable for children under ten?")
    eyre = question_focus(ages, set())
    said = "Richard Eyre said the show was unsuitable for children under seven."
    assert unnamed_entities(ages, eyre, said) == ["ten"]


def test_a_value_of_several_figures_is_named_only_where_they_stand_together(annotator) -> None:
    """Each figure of "10 and 11 March 2005" may turn up somewhere in a long release ("10
    clubs", "11 new members"); the date is stated only where its figures stand together. A
    year need not: a release may give it once, in its dateline."""
    doc = annotator.parse("Did the league's clubs meet in Leeds on 10 and 11 March 2005?")
    date = next(e for e in doc.ents if e.label_ == "DATE")
    assert date.text == "10 and 11 March 2005"
    assert next(t for t in date if t.text == "10").dep_ != "ROOT"  # parsed as one phrase
    focus = next(e for e in doc.ents if e.text == "Leeds")
    release = (
        "LEEDS, 2 March 2005 - The league's 10 clubs meet in Leeds on 15 and 16 March. "
        "They will vote on 11 new members, the league said in March."
    )
    assert unnamed_entities(doc, focus, release) == ["10 and 11 March 2005"]
    stated = release.replace("15 and 16 March", "10 and 11 March")
    assert unnamed_entities(doc, focus, stated) == []


def test_a_name_the_recogniser_left_out_must_still_be_named(annotator) -> None:
    doc = annotator.parse("Is Ericsson raising the dividend it pays shareholders for 2004?")
    assert "Ericsson" not in {e.text for e in doc.ents}  # the case this is about
    focus = question_focus(doc, set())
    assert focus.text == "2004"
    lufthansa = "The board of Lufthansa has recommended paying a 2004 dividend of 30 cents."
    assert unnamed_entities(doc, focus, lufthansa) == ["Ericsson"]
    assert unnamed_entities(doc, focus, lufthansa.replace("Lufthansa", "Ericsson")) == []
    # The "m" the tokenizer splits off "£500m" is no name.
    plan = annotator.parse("Did Tony Blair launch a £500m school sport plan in 2004?")
    assert unnamed_entities(plan, question_focus(plan, set()), "Blair's £500m plan (2004)") == []


def test_one_of_a_group_is_no_number_the_release_must_state(annotator) -> None:
    doc = annotator.parse("Was Nike one of the firms that sponsored the London Olympic bid?")
    focus = question_focus(doc, set())
    assert focus.text == "Nike"
    release = "The London Olympic bid was sponsored by Nike, Adidas and BT."
    assert unnamed_entities(doc, focus, release) == []
    # A count is still checked: "two of" the firms is a figure the release must state.
    counted = annotator.parse("Did Nike sponsor two London Olympic bids?")
    assert unnamed_entities(counted, question_focus(counted, set()), release) == ["two"]


def test_a_possessive_is_not_part_of_the_focus(annotator) -> None:
    doc = annotator.parse("Did Marks & Spencer's price cuts average more than 20%?")
    assert any(e.text.endswith("'s") for e in doc.ents)  # the recogniser's span holds it
    focus = question_focus(doc, set())
    assert focus.text == "Marks & Spencer" and focus.label_ == "ORG"
    assert names_focus(focus, "Marks & Spencer has cut prices by an average of 24%.")


def test_one_of_a_group_is_no_focus(annotator) -> None:
    doc = annotator.parse("Does one of the chapters of the Treasury report deal with pensions?")
    assert any(e.text == "one" for e in doc.ents)
    focus = question_focus(doc, set())
    assert focus is not None and focus.text != "one"


def test_a_date_that_says_which_event_is_no_focus(annotator) -> None:
    # The summit is named by its place and date; nothing else is asked of it that a date of
    # the release could confirm.
    taken = {"gleneagles", "2005"}
    doc = annotator.parse(
        "Did the prime minister attend the summit that opened in Gleneagles on 6 July 2005?"
    )
    assert question_focus(doc, taken) is None
    # A date of something else the question names is asked.
    decision = annotator.parse(
        "Was the Gleneagles summit held after a decision of the G8 leaders in June 2003?"
    )
    assert question_focus(decision, taken).text == "June 2003"


def test_a_nationality_is_named_by_its_country_but_not_the_other_way(annotator) -> None:
    norwegian = _focus(annotator, "Did the Norwegian government pay for the workshop?")
    assert norwegian.label_ == "NORP"
    assert names_focus(norwegian, "The event was funded by the Government of Norway.")
    assert not names_focus(norwegian, "The event was funded by the Government of Sweden.")
    japan = _focus(annotator, "Did Japan pay for the workshop?")
    assert not names_focus(japan, "Japanese experts attended the workshop.")


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        # the name hangs off the subject through a preposition: it is the subject's
        ("Did delegates from Peru attend the WTO talks in Geneva?", "Peru"),
        ("Did the chairman of Unilever attend the UN summit in Geneva?", "Unilever"),
        # a name after the verb is not pulled into the subject
        ("Did the WTO talks in Geneva include delegates from Peru?", "Peru"),
    ],
)
def test_a_name_in_a_phrase_of_the_subject_is_the_focus(annotator, question, focus) -> None:
    assert _focus(annotator, question, {"geneva"}, taken_arguments=True).text == focus


def test_the_wh_question_drops_all_of_a_name_that_runs_past_its_noun_chunk(annotator) -> None:
    question = "Was the Leeds summit organised with the UN Office on Drugs and Crime?"
    doc = annotator.parse(question)
    focus = question_focus(doc, {"leeds"}, taken_arguments=True)
    assert focus.text.endswith("Office on Drugs and Crime")
    asked = wh_question(doc, focus)
    assert asked.startswith("Who ") and "Drugs" not in asked and "Crime" not in asked
    assert "summit organised with" in asked


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        # the parser reads the subject of "Were X among ...?" as the attribute of "were"
        (
            "Were experts from Interpol among those taking part in the Geneva meeting on crime "
            "in Central Asia?",
            "Interpol",
        ),
        (
            "Were lawyers from Clifford Chance among those advising the bank on its bid for Abbey?",
            "Clifford Chance",
        ),
        # read so with a participle after it, it is a passive's subject: the agent is asked
        (
            "Is Scottish football's stadium review jointly funded by the Football Association "
            "and UEFA?",
            "UEFA",
        ),
    ],
)
def test_a_subject_parsed_as_the_attribute_of_be_is_the_subject(annotator, question, focus):
    assert _focus(annotator, question, {"geneva"}, taken_arguments=True).text == focus


def test_a_filler_sharing_the_focus_name_is_no_other_filler(annotator) -> None:
    """A short form of the focus, or one of the names asked with it, is not another filler
    of its slot; a name that shares only a generic later word, or a date, is."""
    company = _focus(annotator, "Did Pernod Ricard lose out to LVMH?")
    assert company.text == "Pernod Ricard"
    assert shares_a_name(company, "Pernod")
    assert not shares_a_name(company, "Diageo")
    listed = _focus(annotator, "Will sailors from France, Jordan and Nigeria get the cards first?")
    assert listed.text == "France"
    assert shares_a_name(listed, "Jordanian") and shares_a_name(listed, "Nigerian nationals")
    assert not shares_a_name(listed, "Indonesian")
    lab = _focus(annotator, "Is the computer being built for Los Alamos National Laboratory?")
    assert not shares_a_name(lab, "Lawrence Livermore National Laboratory")
    date = _focus(annotator, "Did the council decide it in November 2006?")
    assert date.label_ == "DATE" and not shares_a_name(date, "November 2007")


def test_a_participle_inside_a_relative_clause_makes_no_passive_question(annotator) -> None:
    # "held" belongs to the clause about the countries: the question asks whether Denmark
    # was one of them, not who held the summit.
    doc = annotator.parse(
        "Was Denmark one of the countries that sponsored the Unesco literacy summit held in "
        "Paris in May 2011?"
    )
    assert question_focus(doc, set()).text == "Denmark"
    firms = annotator.parse(
        "Was Siemens one of the firms that bought the Intel chip plant sold in Dublin last year?"
    )
    assert question_focus(firms, set()).text == "Siemens"
