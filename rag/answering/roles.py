"""Who does what to whom: the agent and patient of a question's verb, and the verb itself,
compared with the sentence that would answer it.

A yes/no question names its participants in roles ("Did *Agassi* beat *Melzer*?": Agassi the
agent, Melzer the patient). A sentence naming both may hold them the other way round ("Agassi
suffered a defeat *by Melzer*"): then it does not state the asked fact, whatever span a reader
finds in it. Roles are read off spaCy's dependency parse: a subject of an active verb and the
object of "by" are agents; a direct object and a passive subject are patients.

A sentence naming the question's participants may also say something else of them ("the bridge
was *opened* by Keith Brown" for "Did Keith Brown *pay for* the bridge?"). The asked verb must
be restated: some content word of the sentence (or of the one before, which may name the event
a pronoun refers to) must be as close to the verb, by MiniLM similarity of the lemmas, as the
sentences that answer SQuAD questions mostly are to their question's verb. That bound is fitted
on data (`python -m eval.fit_predicate`, rag/models/predicate.json), not chosen by hand.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PREDICATE_MODEL = Path(__file__).resolve().parent.parent / "models" / "predicate.json"
# Parts of speech that can restate a verb: "funded", "financial support", "a defeat".
CONTENT_POS = ("VERB", "NOUN", "ADJ")

# Dependencies that join the words of one name or noun phrase to its head.
_PHRASE_DEPS = ("compound", "flat", "amod", "nummod", "poss", "appos", "conj")


def phrase_head(token):
    while token.dep_ in _PHRASE_DEPS and token.head.i != token.i:
        token = token.head
    return token


def _by_agent(token) -> bool:
    """The token's phrase is the object of "by" (a passive's agent, or "a defeat by X")."""
    head = phrase_head(token)
    return head.dep_ == "pobj" and head.head.lower_ == "by"


def question_roles(doc) -> tuple[list[str], list[str]]:
    """(agents, patients): the texts of the question's named entities by their role."""
    agents, patients = [], []
    for ent in doc.ents:
        head = phrase_head(ent.root)
        if head.dep_ == "nsubj" or _by_agent(ent.root):
            agents.append(ent.text)
        elif head.dep_ in ("dobj", "nsubjpass"):
            patients.append(ent.text)
    return agents, patients


def _agents_in(sentence_doc, names: list[str]) -> list[str]:
    text = sentence_doc.text.lower()
    found = []
    for name in names:
        at = text.find(name.lower())
        if at < 0:
            continue
        span = sentence_doc.char_span(at, at + len(name), alignment_mode="expand")
        if span is not None and _by_agent(span.root):
            found.append(name)
    return found


def roles_reversed(question_doc, sentence_doc) -> bool:
    """Whether the sentence makes a patient of the question its agent ("by Melzer") while no
    agent of the question is one there."""
    agents, patients = question_roles(question_doc)
    if not patients:
        return False
    return bool(_agents_in(sentence_doc, patients)) and not _agents_in(sentence_doc, agents)


def role_of(token) -> str:
    """ "agent", "patient" or "" for the phrase holding the token."""
    head = phrase_head(token)
    if head.dep_ == "nsubj" or _by_agent(token):
        return "agent"
    return "patient" if head.dep_ in ("dobj", "nsubjpass") else ""


def governing_verb(token):
    """The verb whose argument the token's phrase is (through "by" for a passive's agent)."""
    head = phrase_head(token).head
    if head.lower_ == "by":
        head = head.head
    return head if head.pos_ in ("VERB", "AUX") else None


def predicate_token(question_doc):
    """The question's main verb; None when its root is no full verb ("Is Kevin Carty the
    adviser?"). The small parser may read an inverted passive's "Was" as the root, its
    participle as a clause of the subject ("*Was* the conference *financed* by Japan?"): the
    participle is the verb then."""
    root = next((t for t in question_doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    if root.pos_ == "VERB":
        return root
    if root.lemma_ == "be":
        subject = next((t for t in root.children if t.dep_ == "nsubj"), None)
        return next(
            (
                t
                for t in (subject.children if subject is not None else ())
                if t.dep_ == "acl" and t.tag_ == "VBN"
            ),
            None,
        )
    return None


def asked_predicate(question_doc) -> str | None:
    """The lemma of the question's main verb ("pay" of "Did Keith Brown pay for the bridge?"),
    or None (see predicate_token)."""
    token = predicate_token(question_doc)
    return token.lemma_.lower() if token is not None else None


def predicate_similarity(question_doc, predicate: str, sentence_docs, word_vectors) -> float:
    """The greatest similarity of `predicate` to a content word of the sentences that is not
    one of the question's other words ("bridge" restates the question's object, not its verb);
    `word_vectors(words)` gives the words' unit embeddings."""
    others = {t.lemma_.lower() for t in question_doc} - {predicate}
    words = sorted(
        {t.lemma_.lower() for doc in sentence_docs for t in doc if t.pos_ in CONTENT_POS} - others
    )
    if not words:
        return 0.0
    vectors = word_vectors([predicate, *words])
    return float(np.max(vectors[1:] @ vectors[0]))


@cache
def predicate_threshold(embedding_model: str, key: str = "threshold") -> float | None:
    """A fitted bound (rag/models/predicate.json) for words embedded by `embedding_model`:
    "threshold" for a word restating the asked verb, "slot_threshold" for a verb phrase
    restating the asked one (rag.answering.slots). None without it, or for another model,
    whose similarities it does not describe: no check."""
    try:
        model = json.loads(PREDICATE_MODEL.read_text(encoding="utf-8"))
        threshold = float(model[key])
    except (OSError, ValueError, KeyError) as exc:
        log.warning("no %s in %s (%s): asked verbs are not checked", key, PREDICATE_MODEL, exc)
        return None
    if model.get("embedding_model") != embedding_model:
        log.info(
            "the verb bound was fitted with %s, not %s: asked verbs are not checked",
            model.get("embedding_model"),
            embedding_model,
        )
        return None
    return threshold
