"""A place the question puts something in, where the deciding sentence puts it in another.

"Did McIlroy win the 800m at the indoor meeting held in Leipzig?" against "claiming the men's
800m at the indoor meeting in Erfurt": the sentence that confirms the focus (McIlroy won) puts
the meeting in another place. The release may name Leipzig elsewhere (another meeting he hopes
to run in), so the question's place is not missing from the release, only from the sentence;
there the same word ("meeting") takes the same preposition ("in") with another place.
"""

from __future__ import annotations

from rag.answering.focus import PLACE_LABELS, names_focus


def _anchor(entity) -> tuple[str, str] | None:
    """(lemma of the word a place's prepositional phrase hangs on, the preposition): "meeting"
    and "in" for "the meeting held in Leipzig" (a participle that describes a noun stands for
    the noun) and for "the meeting in Erfurt". None when the place is no preposition's
    object."""
    root = entity.root
    while root.dep_ in ("compound", "conj", "appos") and root.head.i != root.i:
        root = root.head
    prep = root.head
    if root.dep_ != "pobj" or prep.dep_ != "prep" or prep.head.i == prep.i:
        return None
    word = prep.head
    if word.dep_ == "acl" and word.tag_ in ("VBN", "VBG"):
        word = word.head
    return word.lemma_.lower(), prep.lower_


def place_otherwise(question_doc, focus, sentence_doc) -> str | None:
    """Another place of the deciding sentence (`sentence_doc`, parsed with entities) in the
    slot where the question puts a place it does not name; None when there is none."""
    for place in question_doc.ents:
        if place.label_ not in PLACE_LABELS or place.start == focus.start:
            continue
        if names_focus(place, sentence_doc.text):
            continue
        anchor = _anchor(place)
        if anchor is None:
            continue
        words = _capitalised(place)
        for other in sentence_doc.ents:
            if (
                other.label_ in PLACE_LABELS
                and _anchor(other) == anchor
                and not words & _capitalised(other)  # "United" names "Manchester United"
            ):
                return other.text
    return None


def _capitalised(span) -> set[str]:
    return {t.lower_ for t in span if t.text[:1].isupper()}
