"""The slot a yes/no question asks about, and the sentences of a release that fill it.

"Did Japan fund the Astana meeting?" asks whether Japan is the agent of "fund" for the Astana
meeting. A sentence fills that slot with a name when spaCy's dependency parse makes the name an
argument in the same role (rag.answering.roles: agent or patient) of a verb that restates the
asked one and is not negated, in a clause about the asked event:

- the verb restates the asked one when it, or it with the object that carries its meaning
  ("provided *financial support*"), is as close to the question's verbs by MiniLM similarity
  as the typical SQuAD answer's verb is (the median: `slot_threshold` of
  rag/models/predicate.json, `python -m eval.fit_predicate`);
- the clause is about the asked event when it holds another content word of the question
  ("agreed to release *the four*"; for a clause that modifies a noun, the clause naming that
  noun: "*The workshop* is the second meeting organized by the OSCE"), or when it names
  nothing of its own besides the slot's fillers and the verb ("*It* was financed by ...",
  "*The event* was funded by ...", "Norway and Belgium provided financial support.") and the
  sentence before names the event.
  "Japan funded the Vienna conference" names another event and fills no slot of the Astana
  meeting.

A copular question asks the slot its role noun names ("Was Japan *among the funders* of the
conference?": the agent of what a funder does; the noun is compared with the sentence's verb as
the asked verb would be).

The reader answers the wh-question made from a yes/no question; these checks read the parse of
the passage it chose, so a sentence that states the slot counts even when the reader's span is
another name of it (the sayer of "Mr Straw said the US had agreed ...").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.answering.roles import governing_verb, phrase_head, predicate_token, role_of

# Nouns with these dependents name something of their own ("the *Vienna* conference", "a
# review *of* its tariffs"); a bare "the event" refers to one named before.
_NAMING_DEPS = ("compound", "amod", "nummod", "poss", "prep", "appos")


@dataclass(frozen=True)
class Slot:
    role: str  # "agent" | "patient"
    phrase: str  # the asked verbs ("help pay", "finance": verb_phrase)
    event_words: frozenset[str]  # the question's other content words and numbers
    # the last verb of a phrase of several ("pay" of "help pay"): the act the others say the
    # subject took part in, planned or agreed to, which a sentence may state alone
    complement: str = ""


def verb_words(verb, objects: bool = False) -> list:
    """The verb and the verbs it takes as complements ("agreed to *release*"), in sentence
    order; with `objects`, their common-noun objects and those objects' adjectives too
    ("provided *financial support*"), which carry the action of a light verb."""
    words, verbs = [], [verb]
    while verbs:
        v = verbs.pop(0)
        words.append(v)
        for child in v.children:
            if child.dep_ == "xcomp" and child.pos_ == "VERB":
                verbs.append(child)
            elif objects and child.dep_ == "dobj" and child.pos_ == "NOUN":
                words += [*(t for t in child.children if t.dep_ == "amod"), child]
    return sorted(words, key=lambda t: t.i)


def verb_phrase(verb, objects: bool = False) -> str:
    """The lemmas of verb_words: "help pay", "provide financial support"."""
    return " ".join(t.lemma_.lower() for t in verb_words(verb, objects))


def restatement(word_vectors, asked: str, verb) -> float:
    """How closely a sentence's verb restates the asked verb phrase: the MiniLM similarity of
    the phrases, the sentence's read with and without its objects, whichever is closer
    ("finance" is far from "provide" and close to "provide financial support")."""
    vectors = word_vectors([asked, verb_phrase(verb), verb_phrase(verb, objects=True)])
    return float(np.max(vectors[1:] @ vectors[0]))


def asked_slot(focus) -> Slot | None:
    """The slot of the question (focus.doc) that its focus, a span of it, fills; None when the
    focus is no agent or patient, or the question has no full verb."""
    return _slot(focus.doc, focus.root, range(focus.start, focus.end))


def role_noun(token):
    """The noun naming the part a copular question's subject had in an event ("Was Japan
    *among the funders* of the conference?", "Is CARICC *one of the organizers* of ...?",
    "Was Japan *a funder* of ...?", "Was Belgium one of the *countries that paid* for ...?"):
    a noun with an "of" phrase or a relative clause whose subject it is, reached through
    "among", "one of" or an attribute/apposition of the subject. None when there is none."""
    head = phrase_head(token)
    if head.dep_ != "nsubj" or head.head.lemma_ != "be":
        return None
    copula = head.head
    found = [c for c in copula.children if c.dep_ == "attr"]
    found += [c for c in head.children if c.dep_ == "appos"]
    for prep in (*copula.children, *head.children, *(c for n in found for c in n.children)):
        if prep.dep_ == "prep" and prep.lower_ in ("among", "of"):
            found += [c for c in prep.children if c.dep_ == "pobj"]
    for c in (*head.children, *found):
        if c.dep_ == "nummod":  # "one of the organizers": the parser hangs "one" on the subject
            found += [p for prep in c.children if prep.lower_ == "of" for p in prep.children]
    return next(
        (
            n
            for n in found
            if n.pos_ == "NOUN"
            and (
                any(c.dep_ == "prep" and c.lower_ == "of" for c in n.children)
                or relative_verb(n) is not None
            )
        ),
        None,
    )


def relative_verb(noun):
    """The verb of a relative clause whose subject is the noun ("countries *that paid*")."""
    return next(
        (
            c
            for c in noun.children
            if c.dep_ == "relcl"
            and c.pos_ == "VERB"
            and any(s.dep_ == "nsubj" and s.tag_ in ("WDT", "WP") for s in c.children)
        ),
        None,
    )


def _slot(question_doc, token, asked: range) -> Slot | None:
    role = role_of(token)
    verb = predicate_token(question_doc)
    if role and verb is None and (noun := role_noun(token)) is not None:
        # "Was Japan among the funders of E?" asks whether Japan is the agent of what a
        # funder does: the noun is the asked phrase, as a verb would be; "one of the
        # countries that paid for E" asks the agent of the relative clause's verb.
        relative = relative_verb(noun)
        phrase = verb_phrase(relative) if relative is not None else noun.lemma_.lower()
        role_words = {noun.lemma_.lower(), "one"}  # "one of the organizers" names no event
        if relative is not None:
            role_words |= {t.lemma_.lower() for t in verb_words(relative)}
        words = _event_words(question_doc, asked) - role_words
        return Slot("agent", phrase, frozenset(words))
    if not role or verb is None:
        return None
    verbs = verb_words(verb)
    action = {t.lemma_.lower() for t in verbs}  # its objects name the event
    complement = verbs[-1].lemma_.lower() if len(verbs) > 1 else ""
    words = frozenset(_event_words(question_doc, asked) - action)
    return Slot(role, verb_phrase(verb), words, complement)


def _event_words(question_doc, asked: range) -> set[str]:
    return {
        t.lemma_.lower()
        for t in question_doc
        # numbers count though "four" is one of spaCy's stop words
        if (t.like_num or (t.is_alpha and not t.is_stop and t.pos_ != "AUX")) and t.i not in asked
    }


# Modal verbs that say an act may happen, not that it did ("Chelsea *could* launch a bid").
# Not "would": news reports plans with it ("the coaching would be funded by the Lottery").
_HEDGES = frozenset({"could", "might", "may"})


def clause_chain(verb):
    """The verb, then each verb its non-finite clause hangs from: what governs those governs
    it too ("will see Eastwood once again *competing*", "could be forced to *sell*")."""
    yield verb
    while (
        verb.tag_ in ("VB", "VBG")
        and verb.dep_ in ("xcomp", "ccomp")
        and not any(c.tag_ == "MD" for c in verb.children)
    ):
        verb = verb.head
        yield verb


def hedged(verb) -> bool:
    """Whether a modal auxiliary of possibility governs the verb or a clause it hangs from."""
    return any(
        c.tag_ == "MD" and c.lower_ in _HEDGES for v in clause_chain(verb) for c in v.children
    )


def mentions(sentence, name: str):
    """(character offset, span) of each place the parsed sentence names `name` (any case)."""
    text, name = sentence.text.lower(), name.lower()
    at = text.find(name)
    while at >= 0:
        span = sentence.char_span(at, at + len(name), alignment_mode="expand")
        if span is not None:
            yield at, span
        at = text.find(name, at + 1)


def _institution_of(token):
    """The common noun a name is the "of" object of, which acts for it ("the *Government* of
    Norway" funds where Norway would), else None."""
    if token.pos_ != "PROPN" or token.dep_ != "pobj" or token.head.lower_ != "of":
        return None
    noun = token.head.head  # (tagged a proper noun too when capitalised: "Government")
    return noun if noun.pos_ in ("NOUN", "PROPN") else None


class SlotReader:
    """Reads slots off parsed sentences; `word_vectors(words)` gives unit word embeddings and
    `threshold` is the verb bound (rag.answering.roles.predicate_threshold)."""

    def __init__(self, word_vectors, threshold: float) -> None:
        self.word_vectors = word_vectors
        self.threshold = threshold

    def focus_in(self, slot: Slot, focus_text: str, sentence, before=frozenset()):
        """(start, end) character offsets of the focus where the sentence puts it in the slot,
        else None. `before`: the lemmas of the sentence before."""
        for at, span in mentions(sentence, focus_text):
            institution = _institution_of(span.root)
            if self.fills(slot, span.root, before) or (
                institution is not None and self.fills(slot, institution, before)
            ):
                return at, at + len(focus_text)
        return None

    def fillers(self, slot: Slot, sentence, before=frozenset()) -> list[tuple[int, int]]:
        """Character offsets, within the sentence, of each noun phrase it puts in the slot
        (a list whole: "financed by *Belgium, Norway and Japan*")."""
        found = []
        for token in sentence:
            if token.pos_ not in ("NOUN", "PROPN") or token.dep_ == "conj":
                continue
            if token.dep_ == "pobj" and token.head.lower_ != "by":
                continue
            if token.dep_ not in ("nsubj", "nsubjpass", "dobj", "pobj"):
                continue
            if self.fills(slot, token, before):
                first, last = token.left_edge, token.right_edge
                start = first.idx - sentence[0].idx
                found.append((start, last.idx + len(last) - sentence[0].idx))
        return found

    def fills(self, slot: Slot, token, before=frozenset()) -> bool:
        if role_of(token) != slot.role:
            return False
        verb = governing_verb(token)
        if verb is None or hedged(verb) or any(t.dep_ == "neg" for t in verb.children):
            return False
        restating = self._restating(slot, verb)
        if not restating:
            return False
        return self._about_event(slot, verb, phrase_head(token), restating, before)

    def _restating(self, slot: Slot, verb) -> set[int]:
        """Token indices of the sentence's verb phrase (objects included) when it restates the
        asked one at least as closely as the fitted bound, else empty."""
        asked = [p for p in (slot.phrase, slot.complement) if p]
        if max(restatement(self.word_vectors, p, verb) for p in asked) < self.threshold:
            return set()
        return {t.i for t in verb_words(verb, objects=True)}

    def _about_event(self, slot: Slot, verb, filler_head, restating: set[int], before) -> bool:
        clause = list(verb.subtree)
        if slot.event_words & {t.lemma_.lower() for t in _enclosing(verb).subtree}:
            return True
        filler = {t.i for t in filler_head.subtree}
        own = [
            t
            for t in clause
            if t.i not in filler
            and t.i not in restating
            and (
                t.pos_ == "PROPN"
                # a number names when it modifies a noun ("the *2009* meeting"); as an
                # adjunct's object ("set up in *1337*") it tells when, not which
                or (t.like_num and t.head.pos_ in ("NOUN", "PROPN"))
                or (t.pos_ == "NOUN" and any(c.dep_ in _NAMING_DEPS for c in t.children))
            )
        ]
        return not own and bool(slot.event_words & before)


def _enclosing(verb):
    """The clause a verb's event is named in: its own, or for a verb that modifies a noun ("the
    meeting *organized* by the OSCE", "the bid *that* Chelsea *made*") the clause of that noun
    ("*The workshop* is the second meeting organized by ...")."""
    while verb.dep_ in ("acl", "relcl") and verb.head.head.i != verb.head.i:
        verb = verb.head.head
    return verb
