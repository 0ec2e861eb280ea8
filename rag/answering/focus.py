"""The focus of a yes/no question and the wh-question made from it.

"Did Japan fund the Astana meeting?" asks about *Japan* (its focus: the named entity or number
that no metadata constraint took); the releases answer the wh-question that puts a wh-word of
the focus's entity type in its place ("Who did fund the Astana meeting?"). Read off spaCy's
parse (rag.answering.question_analysis); used by rag.answering.question_kinds.
"""

from __future__ import annotations

from rag.index.store import Snapshot

# The wh-word that asks for an entity of a spaCy label (any other label: "what").
WH_FOR_LABEL = {
    "PERSON": "who",
    "ORG": "who",
    "NORP": "who",
    "GPE": "where",
    "LOC": "where",
    "FAC": "where",
    "DATE": "when",
    "TIME": "when",
    "CARDINAL": "how many",
    "QUANTITY": "how much",
    "MONEY": "how much",
    "PERCENT": "how much",
}


def question_focus(doc, taken: set[str]):
    """The entity a yes/no question asks about. Entities in noun phrases that name the event
    (those holding a year or place the releases' metadata knows: "the 2009 OSCE meeting in
    Astana") are not it. Of the rest: the subject's ("Did *Japan* fund ...?", "Did *more than
    150* experts attend ...?"), else the last one ("... financed by *Japan*?", "... held in
    *November 2014*?"); a passive's subject only when nothing else is named."""

    def is_taken(span) -> bool:  # "Astana", "2008"; not "November 2014"
        words = [t.lower_ for t in span if not t.is_punct]
        return bool(words) and all(w in taken for w in words)

    chunks = list(doc.noun_chunks)
    options = []
    for ent in doc.ents:
        if is_taken(ent):
            continue
        chunk = next((c for c in chunks if c.start <= ent.start < c.end), None)
        if chunk is not None and any(is_taken(e) for e in chunk.ents if e != ent):
            continue  # "the 2009 *OSCE* meeting": part of the event's description
        options.append((ent, chunk))
    if not options:
        return None
    subjects, passive = [], []
    for ent, chunk in options:
        head = chunk.root if chunk is not None else ent.root
        while head.dep_ in ("poss", "compound", "nummod", "amod") and head.head.i != head.i:
            head = head.head
        if _passive_subject(head):
            passive.append((ent, chunk))
        elif head.dep_ == "nsubj":
            subjects.append((ent, chunk))
    if not subjects and passive:
        # A passive's subject names the event ("Was *the Tay bridge* opened by Alex
        # Salmond?"); what is asked is the agent or the other slot filled.
        rest = [o for o in options if o not in passive]
        if rest:
            return rest[-1][0]
        subjects = passive
    if subjects:
        # In "OSCE Senior Police Adviser *Kevin Carty*" the entity holding the phrase's head
        # noun is the subject; the others modify it.
        return next(
            (e for e, c in subjects if c is not None and e.start <= c.root.i < e.end),
            subjects[0][0],
        )
    return options[-1][0]


def _passive_subject(token) -> bool:
    """The subject of a passive: "nsubjpass", or how the small English parser reads an inverted
    one ("*Was* the bridge *opened* by ...": the subject of "be" with a participle after it)."""
    if token.dep_ == "nsubjpass":
        return True
    return (
        token.dep_ == "nsubj"
        and token.head.lemma_ == "be"
        and any(t.dep_ == "acl" and t.tag_ == "VBN" for t in token.subtree)
    )


def argument_of_main_clause(span) -> bool:
    """Whether the span hangs off the question's verbs alone: no noun (or number) between it
    and the root, so it is no modifier of a noun phrase, nor inside a clause attached to one."""
    tok = span.root
    while tok.head.i != tok.i:
        head = tok.head
        if not span.start <= head.i < span.end and head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
            return False
        tok = head
    return True


def metadata_words(snap: Snapshot) -> set[str]:
    """Words of the releases' places, countries and years (they name events, not answers)."""
    return {
        w
        for d_ in snap.documents.values()
        for x in (d_.place, d_.country, d_.date[:4])
        for w in x.lower().split()
        if x
    }


def release_filter_question(doc, focus) -> str | None:
    """ "Which meetings did Norway help fund?" asks which releases' events the focus (Norway)
    took part in: the focus's wh-question about them ("Who the meetings did help fund?", word
    order as the reader was trained to tolerate), or None when the question is not of that
    shape (no wh-phrase)."""
    wh_tok = next((t for t in doc if t.tag_ in ("WDT", "WP")), None)
    if wh_tok is None:
        return None
    drop = {wh_tok.i}
    nxt = doc[wh_tok.i + 1] if wh_tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ == "of":  # "which of the meetings"
        drop.add(nxt.i)
    if wh_tok.i > 0 and doc[wh_tok.i - 1].dep_ == "prep":  # "at which of these meetings"
        drop.add(wh_tok.i - 1)
    chunk = next((c for c in doc.noun_chunks if c.start <= focus.start < c.end), focus)
    wh = WH_FOR_LABEL.get(focus.label_, "what")
    if focus.label_ == "GPE":
        wh = "who"  # a country among an event's actors
    words = [
        t.text
        for t in doc
        if t.i not in drop and not (chunk.start <= t.i < chunk.end) and not t.is_punct
    ]
    return f"{wh.capitalize()} {' '.join(words)}?"


def wh_question(doc, focus) -> str:
    """ "Did Japan fund the Astana meeting?" -> "Who did fund the Astana meeting?";
    "Did more than 150 experts attend?" -> "How many experts did attend?" """
    wh = WH_FOR_LABEL.get(focus.label_, "what")
    if focus.label_ == "GPE" and focus.root.dep_ in ("nsubj", "nsubjpass", "pobj", "dobj"):
        # A country as an actor ("Did Japan fund ...", "... financed by Japan") is a "who";
        # after "in"/"at" it is a place.
        wh = "where" if focus.root.head.lower_ in ("in", "at") else "who"
    chunk = next((c for c in doc.noun_chunks if c.start <= focus.start < c.end), focus)
    if focus.root.dep_ == "poss":
        wh = "whose"  # "Did Afghanistan's minister attend?" -> "Whose minister did attend?"
    rest_of_chunk = [
        t.text
        for t in chunk
        if not (focus.start <= t.i < focus.end) and t.pos_ != "DET" and t.tag_ != "POS"
    ]
    front = " ".join([wh.capitalize(), *rest_of_chunk])
    words = []
    for t in doc:
        if chunk.start <= t.i < chunk.end or t.is_punct:
            continue
        words.append(t.text if t.i else t.lower_)
    return f"{front} {' '.join(words)}?"
