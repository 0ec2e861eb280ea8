"""Checks a span must pass to answer a question, read off the parse (no word lists).

- "How many ...?": a span with no figure is no answer, nor a date, share or sum whose figure
  counts another noun than the asked one ("4 and 5 December", "70%", "£10,000" count no
  participants).
- "How much ...?", "At what price ...?": a bare count of things ("*two* cosmetics labels",
  "*100,000* devices sold") is no amount: a question that asks a sum, a share or a measure is
  not answered by a count.
- A release's dateline says when it was issued: a sentence that states another point in time
  for what it reports ("ALMATY, 3 December 2014 - ... are meeting on 4 and 5 December")
  answers "when" with that date, not the dateline's.
- A dateline says where and when a release was issued, nothing else: a span inside it answers
  only a question that asks for a place or a point in time ("Kazakhstan" of "ALMATY,
  Kazakhstan, 3 December 2014 -" is nobody who chaired the meeting).
"""

from __future__ import annotations

import numpy as np

from rag.answering.answer_ranker import SpanCandidate
from rag.answering.quantities import YEAR, counted_noun, is_duration
from rag.answering.question_analysis import Annotator, question_key
from rag.answering.roles import predicate_threshold
from rag.answering.value_spans import UNIT_LABELS
from rag.ingestion.release_text import DATELINE_RE

# Deictic day words, resolved against the release's own date (as temporal taggers anchor them to
# the document creation time): a release dated 20 November 2008 that says a workshop "opened
# today" says it opened on 20 November 2008.
DEICTIC_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}

# Parts of speech of the words that may qualify a figure ("*about* 50", "*more than* 150", "up
# to 10"): none of them a unit (a noun or a symbol).
_QUALIFIERS = frozenset({"ADV", "ADJ", "ADP", "CCONJ", "DET", "PART"})

# Entity labels of figures that measure something other than a count of things.
_NOT_COUNTS = frozenset({"DATE", "TIME", "PERCENT", "MONEY"})


def _noun_phrase_nouns(noun) -> list:
    """The noun a figure counts, as the parse may split it: with the nouns coordinated with it
    ("150 law enforcement and judicial *experts*"), their compounds ("133m *text* messages"),
    and the noun it modifies ("eight super-*casinos*", parsed as "super" counted)."""
    heads = [noun, *noun.conjuncts]
    if noun.dep_ in ("amod", "compound") and noun.head.pos_ in ("NOUN", "PROPN"):
        heads.append(noun.head)
    return heads + [c for h in heads for c in h.children if c.dep_ == "compound"]


def superseded_dateline(
    annotator: Annotator, cand: SpanCandidate, sentence: tuple[int, int]
) -> bool:
    """Whether the span is the date of the dateline that opens its sentence, and the
    sentence after the dateline names another point in time ("on 4 and 5 December"; not
    "today", the dateline's own date, nor a stretch of time, "a two-day conference")."""
    s0, s1 = sentence
    text = cand.doc.text[s0:s1]
    dateline = DATELINE_RE.match(text)
    if dateline is None:
        return False
    if not (s0 + dateline.start("date") <= cand.start < s0 + dateline.end("date")):
        return False
    return any(
        label == "DATE"
        and start >= dateline.end()
        and text[start:end].lower() not in DEICTIC_DAYS
        and not is_duration(annotator.parse(text[start:end], entities=False))
        for start, end, label in annotator.entities(text)
    )


PLACE_OR_TIME = frozenset({"GPE", "LOC", "FAC", "DATE", "TIME"})


def no_dateline_answer(cand: SpanCandidate, sentence: tuple[int, int], place_or_time: bool) -> bool:
    """Whether the span starts inside the dateline that opens its sentence and runs past it
    into the text ("Kazakhstan, 3 December 2014 - Representatives": never an answer), or lies
    inside it where the question asks for no place or time."""
    s0, s1 = sentence
    dateline = DATELINE_RE.match(cand.doc.text[s0:s1])
    if dateline is None or not s0 <= cand.start < s0 + dateline.end():
        return False
    return cand.end > s0 + dateline.end() or not place_or_time


def asks_place_or_time(expected: dict[str, float]) -> bool:
    """Whether the answer-type model believes a place or a point in time at least as much as
    any other kind of entity (its "no entity" aside: "Where was it held?" may be answered by a
    description); true when it expects nothing in particular."""
    if not expected:
        return True
    place_or_time = sum(p for label, p in expected.items() if label in PLACE_OR_TIME)
    named = sum(p for label, p in expected.items() if label not in PLACE_OR_TIME | {"NONE"})
    return place_or_time >= named


def asked_count(annotator: Annotator, question: str) -> str | None:
    """The lemma of the noun a "how many" question counts; None for other questions (or
    without the embedder that compares nouns)."""
    if annotator.embedder is None:
        return None
    key, head, _ = question_key(annotator.parse(question.strip(), keep=False))
    return head.lemma_.lower() if key == "how many" and head is not None else None


def asks_measure(expected: dict[str, float]) -> bool:
    """Whether the answer-type model's likeliest kind of entity (no entity aside) is a value
    with a unit: a sum, a share, a quantity or a time ("how much", "at what price"; not "how
    many", "what value")."""
    asked = max((label for label in expected if label != "NONE"), key=expected.get, default=None)
    return asked in UNIT_LABELS


def counts_things(annotator: Annotator, cand: SpanCandidate, sentence: tuple[int, int]) -> bool:
    """Whether the span is a bare count: a cardinal of figures alone (and the words that
    qualify them, "about", "more than") whose figure counts a noun after the span ("*two*
    cosmetics labels", "*100,000* MDAs sold"). A figure with its unit ("250 million litres",
    "90" of "90° out of phase"), or one that counts nothing ("a salary of 20,427", "1.9
    times"), is no bare count."""
    if cand.label != "CARDINAL":
        return False
    s0, s1 = sentence
    parsed = annotator.parse(cand.doc.text[s0:s1], entities=False)
    inside = [t for t in parsed if cand.start <= s0 + t.idx < cand.end and not t.is_punct]
    numbers = [t for t in inside if t.like_num]
    if not numbers or any(not t.like_num and t.pos_ not in _QUALIFIERS for t in inside):
        return False
    # (a symbol the parser takes for the counted noun is a unit: "90°")
    return any(
        (noun := counted_noun(t)) is not None and noun.is_alpha and s0 + noun.idx >= cand.end
        for t in numbers
    )


def asked_stretch(annotator: Annotator, question: str) -> str | None:
    """ "how long" or "how old" when the question asks for a stretch of time, not a point in
    it (an age is the time since a birth: "25-year-old", not "23 January"); else None."""
    key, _, _ = question_key(annotator.parse(question.strip(), keep=False))
    return key if key in ("how long", "how old") else None


def names_a_point_in_time(annotator: Annotator, cand: SpanCandidate, age: bool = False) -> bool:
    """Whether the span is a date or time whose figure counts no unit of time ("20 November",
    "1 July 2009", "2008"): no answer to "how long". A stretch ("two-day", "three hours") or
    one without a figure ("a week") may be. `age`: a bare number that is no year ("35", which
    spaCy tags a date in "at 35") counts years, so answers "how old"."""
    if cand.label not in ("DATE", "TIME"):
        return False
    parsed = annotator.parse(cand.text, entities=False)
    words = [t for t in parsed if not t.is_punct]
    if age and words and all(t.like_num and not YEAR.fullmatch(t.text) for t in words):
        return False
    return any(t.like_num for t in parsed) and not is_duration(parsed)


def counts(annotator: Annotator, cand: SpanCandidate, sentence: tuple[int, int], noun: str) -> bool:
    """Whether the span may count `noun`: it holds a figure, and unless the noun the parse
    attaches the figure to restates the asked one (the same lemma, or as similar as a
    slot's verb must be to the asked one: `slot_threshold`), the span is no date, time,
    percentage or sum ("4 and 5 December", "70%", "£10,000", "2009" count no participants). A
    figure that counts another common noun may still be the answer ("19.9 million
    units" for consoles): word similarity is too loose a judge of that."""
    s0, s1 = sentence
    parsed = annotator.parse(cand.doc.text[s0:s1], entities=False)
    numbers = [t for t in parsed if cand.start <= s0 + t.idx < cand.end and t.like_num]
    if not numbers:
        return False
    if cand.label not in _NOT_COUNTS:
        return True
    nouns = {
        x.lemma_.lower()
        for t in numbers
        if (n := counted_noun(t)) is not None
        for x in _noun_phrase_nouns(n)
    }
    if noun in nouns:
        return True
    if not nouns:
        return False  # a bare year, sum or share counts nothing
    embedder = annotator.embedder
    bound = predicate_threshold(getattr(embedder, "base_name", embedder.name), "slot_threshold")
    if bound is None:
        return True
    vectors = annotator.word_vectors([noun, *sorted(nouns)])
    return float(np.max(vectors[1:] @ vectors[0])) >= bound
