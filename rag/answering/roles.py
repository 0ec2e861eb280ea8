"""Who does what to whom: the agent and patient of a question's verb, compared with the sentence
that would answer it.

A yes/no question names its participants in roles ("Did *Agassi* beat *Melzer*?": Agassi the
agent, Melzer the patient). A sentence naming both may hold them the other way round ("Agassi
suffered a defeat *by Melzer*"): then it does not state the asked fact, whatever span a reader
finds in it. Roles are read off spaCy's dependency parse: a subject of an active verb and the
object of "by" are agents; a direct object and a passive subject are patients.
"""

from __future__ import annotations

# Dependencies that join the words of one name or noun phrase to its head.
_PHRASE_DEPS = ("compound", "flat", "amod", "nummod", "poss", "appos", "conj")


def _phrase_head(token):
    while token.dep_ in _PHRASE_DEPS and token.head.i != token.i:
        token = token.head
    return token


def _by_agent(token) -> bool:
    """The token's phrase is the object of "by" (a passive's agent, or "a defeat by X")."""
    head = _phrase_head(token)
    return head.dep_ == "pobj" and head.head.lower_ == "by"


def question_roles(doc) -> tuple[list[str], list[str]]:
    """(agents, patients): the texts of the question's named entities by their role."""
    agents, patients = [], []
    for ent in doc.ents:
        head = _phrase_head(ent.root)
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
