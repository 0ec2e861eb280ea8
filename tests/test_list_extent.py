"""A list's items made whole and an open list carried on (rag.answering.list_extent), with the
real English pipeline, and a list question whose reader span stops short."""

from __future__ import annotations

import pytest
from spacy.tokens import Doc

from rag.answering.list_extent import completed
from rag.answering.question_analysis import load_spacy
from tests.conftest import span_in_one_chunk

pytestmark = pytest.mark.model


def _completed(text: str, items: list[str]) -> list[str]:
    """The items `completed` gives for a list found as `items` (each at its first occurrence)
    in a sentence starting at document offset 7 (offsets are shifted back and forth)."""
    doc = load_spacy()(text)
    entities = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    spans = [(7 + text.index(i), 7 + text.index(i) + len(i)) for i in items]
    (start, end), out = completed(doc, entities, 7, ((spans[0][0], spans[-1][1]), spans))
    assert (start, end) == (out[0][0], out[-1][1])
    return [text[a - 7 : b - 7] for a, b in out]


def test_an_open_list_goes_on_to_the_item_its_conjunction_joins() -> None:
    text = (
        "The bakery sells Danish pastries, Belgian waffles, French croissants and Italian "
        "biscotti every morning."
    )
    assert _completed(text, ["Danish pastries", "Belgian waffles"]) == [
        "Danish pastries",
        "Belgian waffles",
        "French croissants",
        "Italian biscotti",
    ]


@pytest.mark.parametrize(
    ("text", "found", "whole"),
    [
        (
            "The men were convicted of arson, extortion, obstruction of justice and witness "
            "tampering.",
            ["arson", "extortion", "obstruction of justice", "witness"],
            ["arson", "extortion", "obstruction of justice", "witness tampering"],
        ),
        (  # a gerund with words of its own is a clause, not part of the item
            "They thanked Smith and Jones, smiling at the crowd.",
            ["Smith", "Jones"],
            ["Smith", "Jones"],
        ),
    ],
)
def test_an_item_followed_by_a_bare_gerund_names_the_act(
    text: str, found: list[str], whole: list[str]
) -> None:
    assert _completed(text, found) == whole


@pytest.mark.parametrize(
    ("text", "found", "whole"),
    [
        (  # the last item, carried on to after the conjunction
            "The menu offers Thai curry, Greek salad, Irish stew and Murphy's pie - as well as "
            "soups.",
            ["Thai curry", "Greek salad"],
            ["Thai curry", "Greek salad", "Irish stew", "Murphy's pie"],
        ),
        (  # an item found cut at its possessor
            "The bar serves Smith's ale, Brown's cider and Jones's stout.",
            ["Smith", "Brown"],
            ["Smith's ale", "Brown's cider", "Jones's stout"],
        ),
    ],
)
def test_an_item_ending_on_a_possessor_names_what_it_possesses(
    text: str, found: list[str], whole: list[str]
) -> None:
    assert _completed(text, found) == whole


@pytest.mark.parametrize(
    ("text", "found", "whole"),
    [
        (
            "Its main crops are wheat, cooking oil, animal feed, barley and sugar.",
            ["wheat", "cooking oil"],
            ["wheat", "cooking oil", "animal feed", "barley", "sugar"],
        ),
        (
            "The quarry supplies granite, building sand, road gravel, slate and lime.",
            ["granite", "building sand"],
            ["granite", "building sand", "road gravel", "slate", "lime"],
        ),
    ],
)
def test_an_item_the_parse_heads_with_a_verb_still_carries_the_list_on(
    text: str, found: list[str], whole: list[str]
) -> None:
    # the small parser reads "cooking" of "cooking oil" as a verb heading the phrase: the item
    # is still a noun phrase, as its last word says, and the nouns after it go on the list
    assert _completed(text, found) == whole


@pytest.mark.parametrize(
    "text",
    [
        "The fund backed Alpha Corp and Beta Ltd, the firm said on Monday.",  # closed by "and"
        "The fund backed Alpha Corp, Beta Ltd, the firm said on Monday.",  # the next subject
    ],
)
def test_a_list_does_not_go_on_past_its_end(text: str) -> None:
    assert _completed(text, ["Alpha Corp", "Beta Ltd"]) == ["Alpha Corp", "Beta Ltd"]


def test_an_item_cut_inside_a_name_or_noun_phrase_is_made_whole() -> None:
    names = "Reporters spoke to defender Pablo Ramirez and striker Jonas Kowalczyk afterwards."
    assert _completed(names, ["Pablo Ramirez", "striker Jonas"]) == [
        "Pablo Ramirez",
        "striker Jonas Kowalczyk",
    ]
    nouns = "The quarry in the north produces copper, zinc and iron ore for export to China."
    assert _completed(nouns, ["copper", "zinc", "iron"]) == ["copper", "zinc", "iron ore"]


@pytest.mark.parametrize(
    ("text", "items", "whole"),
    [
        (
            "She went on to star in Harbour Lights, Blue Meridian and Towers of Old Castile.",
            ["Harbour Lights", "Blue Meridian", "Towers"],
            ["Harbour Lights", "Blue Meridian", "Towers of Old Castile"],
        ),
        # a date after the list is no part of its last name
        (
            "The grants went to Oxfam and Save the Children in March.",
            ["Oxfam", "Save the Children"],
            ["Oxfam", "Save the Children"],
        ),
    ],
)
def test_a_name_goes_on_through_a_phrase_naming_something_else(text, items, whole) -> None:
    assert _completed(text, items) == whole


def test_the_words_saying_what_names_are_stay_out_of_the_first_item() -> None:
    text = "British actors Michael Maloney, Caroline Langrishe and Polly Adams joined the cast."
    items = ["Michael Maloney", "Caroline Langrishe", "Polly Adams"]
    assert _completed(text, items) == items


def test_a_list_question_whose_reader_span_stops_short_gets_the_whole_list(
    real_engine, monkeypatch
) -> None:
    """The reader's span ends on a comma and the parse links only its two items (it reads the
    second as an apposition of the first): the list goes on to the item "and" joins."""
    text = (
        "Its big brands include Brixton ale, Carrow lager, Holt porter and Fenwick bitter, "
        "the company said."
    )
    kinds = real_engine.kinds
    cut = span_in_one_chunk("brands.txt", text, "Brixton ale, Carrow lager")
    cut.prob = 0.7
    monkeypatch.setattr(kinds.answerer, "candidates", lambda *args, **kwargs: [cut])
    answer = kinds._one_sentence_list(
        "Which brands does it own?", "", [cut.hit], {"retrieve": 0.0}, 0.0
    )
    assert answer is not None and answer.kind == "list"
    assert [i["text"] for i in answer.items] == [
        "Brixton ale",
        "Carrow lager",
        "Holt porter",
        "Fenwick bitter",
    ]
    assert answer.answer == "Brixton ale, Carrow lager, Holt porter and Fenwick bitter"


def test_coordinated_noun_modifiers_take_the_noun_they_modify(real_engine, monkeypatch) -> None:
    """The parse may hang the items on the noun they share as noun modifiers ("silver,
    copper and iron [nmod] ore"): the coordination ends with that noun."""
    text = "The licences cover production of silver, copper and iron ore although it excludes coal."
    # (word, head, dependency, part of speech), as the parse reads it
    parse = [
        ("The", 1, "det", "DET"),
        ("licences", 2, "nsubj", "NOUN"),
        ("cover", 2, "ROOT", "VERB"),
        ("production", 2, "dobj", "NOUN"),
        ("of", 3, "prep", "ADP"),
        ("silver", 10, "nmod", "NOUN"),
        (",", 5, "punct", "PUNCT"),
        ("copper", 5, "conj", "NOUN"),
        ("and", 7, "cc", "CCONJ"),
        ("iron", 7, "conj", "NOUN"),
        ("ore", 4, "pobj", "NOUN"),
        ("although", 13, "mark", "SCONJ"),
        ("it", 13, "nsubj", "PRON"),
        ("excludes", 2, "advcl", "VERB"),
        ("coal", 13, "dobj", "NOUN"),
        (".", 2, "punct", "PUNCT"),
    ]
    words, heads, deps, pos = (list(column) for column in zip(*parse, strict=True))
    parsed = Doc(
        load_spacy().vocab,
        words=words,
        spaces=[w not in ("silver", "coal", ".") for w in words],  # "silver," "coal."
        heads=heads,
        deps=deps,
        pos=pos,
    )
    assert parsed.text == text
    annotator = real_engine.answerer.annotator
    monkeypatch.setattr(annotator, "parse", lambda sentence, entities=True: parsed)
    cand = span_in_one_chunk("ore.txt", text, "silver")
    (start, end), _ = real_engine.answerer.coordination(cand)
    assert text[start:end] == "silver, copper and iron ore"


def test_a_dateline_and_the_text_after_it_are_no_list(real_engine) -> None:
    """ "BERLIN, Germany, 5 May 2011 - Officials ...": the place, country and date head the
    release; a span that runs from them into its text is no list of items."""
    text = (
        "BERLIN, Germany, 5 May 2011 - Officials from customs agencies met today. Experts from "
        "Poland, Austria and Hungary presented case studies."
    )
    kinds = real_engine.kinds
    assert (
        kinds.separated(span_in_one_chunk("b.txt", text, "Germany, 5 May 2011 - Officials")) is None
    )
    listed = kinds.separated(span_in_one_chunk("b.txt", text, "Poland, Austria and Hungary"))
    assert listed is not None
    assert [text[a:b] for a, b in listed[1]] == ["Poland", "Austria", "Hungary"]
