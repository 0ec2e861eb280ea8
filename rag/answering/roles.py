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
import re
from functools import cache
from pathlib import Path

import numpy as np

from rag.text_utils import holds_phrase

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


def agents_in(sentence_doc, names: list[str]) -> list[str]:
    """The names that the sentence makes the agent of a "by" phrase."""
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
    return bool(agents_in(sentence_doc, patients)) and not agents_in(sentence_doc, agents)


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
    participle as a clause of the subject ("*Was* the conference *financed* by Japan?") or as
    its own clausal complement: the participle is the verb then."""
    roots = [t for t in question_doc if t.dep_ == "ROOT"]
    if not roots:
        return None
    root = roots[0]
    if root.lemma_ == "do" and not any(c.dep_ == "dobj" for c in root.children):
        # The tokenizer may end a sentence at a dot inside a name ("Does the Zafi. | D
        # virus translate ...?"): "do" is then the first sentence's root, the main verb the
        # next one's.
        root = next((t for t in roots[1:] if t.pos_ == "VERB"), root)
    if root.pos_ == "VERB":
        return root
    if root.lemma_ == "be":
        subject = next((t for t in root.children if t.dep_ == "nsubj"), None)
        clause = next(
            (
                t
                for t in (subject.children if subject is not None else ())
                if t.dep_ == "acl" and t.tag_ == "VBN"
            ),
            None,
        )
        if (
            clause is None
            and subject is not None
            and not any(c.dep_ in ("attr", "acomp") for c in root.children)
        ):
            # a participle with its agent hung deeper in the subject, ending the question
            # ("Was the workshop in Tashkent on drug trafficking *paid* for by Norway?"), when
            # "Was" says nothing else of the subject
            clause = next(
                (
                    t
                    for t in subject.subtree
                    if t.dep_ == "acl"
                    and t.tag_ == "VBN"
                    and any(c.dep_ == "agent" for c in t.children)
                    and all(u.is_punct for u in question_doc[t.right_edge.i + 1 :])
                    and _through_phrases(t.head, subject)
                ),
                None,
            )
        # or as the clausal complement of "Was", tagged a participle or a past tense ("After
        # his reprieve, *was* the manager *handed* a contract extension?")
        return clause or next(
            (t for t in root.children if t.dep_ == "ccomp" and t.tag_ in ("VBN", "VBD")), None
        )
    return None


def _through_phrases(token, top) -> bool:
    """Whether `token` is `top` or hangs on it through prepositional phrases only ("the
    workshop in Tashkent on *drug trafficking*")."""
    while token.i != top.i:
        if token.dep_ not in ("prep", "pobj") or token.head.i == token.i:
            return False
        token = token.head
    return True


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
def verb_bound(annotator, key: str = "threshold") -> float | None:
    """predicate_threshold for the words the annotator embeds; None without an embedder."""
    embedder = annotator.embedder
    if embedder is None:
        return None
    return predicate_threshold(getattr(embedder, "base_name", embedder.name), key)


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


def _arguments(verb) -> dict[str, object]:
    """A verb's arguments besides its subject, by relation: the direct object (or attribute)
    and the object of each preposition by the preposition ("in", "by", "for")."""
    args = {}
    for child in verb.children:
        # ("sold *to* Nanjing Motors" may be read as a dative: a preposition all the same)
        if child.dep_ in ("prep", "agent") or (child.dep_ == "dative" and child.pos_ == "ADP"):
            pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if pobj is not None:
                args[child.lower_] = pobj
        elif child.dep_ in ("dobj", "attr", "dative", "oprd"):
            args["object"] = child
    return args


def _name_of(token) -> tuple[str, str] | None:
    """(the name an argument's head begins or ends, its entity label or "") when the head is a
    proper noun: the head with the words before it in its phrase, less a determiner."""
    if token.pos_ != "PROPN":
        return None
    words = [t.text for t in token.subtree if t.i <= token.i and t.dep_ not in ("det", "punct")]
    label = next((e.label_ for e in token.doc.ents if e.start <= token.i < e.end), "")
    return " ".join(words), label


def _subject_of(verb) -> str:
    """The words of the verb's subject, or of the noun a participle or relative clause
    describes ("Ana Ruiz, *representing* the Commission"); "" for none."""
    if verb.dep_ in ("acl", "relcl"):
        return " ".join(t.text for t in verb.head.subtree if t.i <= verb.head.i)
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None and verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX"):
        # "Commodore filed for bankruptcy and was *sold* to Tulip": coordinated verbs share
        # the first one's subject
        return _subject_of(verb.head)
    return "" if subject is None else " ".join(t.text for t in subject.subtree)


def _same_name(a: str, b: str) -> bool:
    """One name's words within the other's ("the OSCE" in "the OSCE Centre"), or one the
    initials of the other ("UN", "United Nations")."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    wa.discard("the"), wb.discard("the")

    def initials(text: str) -> str:
        return "".join(w[0] for w in re.findall(r"[A-Z]\w*", text)).lower()

    return wa <= wb or wb <= wa or a.lower() == initials(b) or b.lower() == initials(a)


def other_argument(question_doc, sentence_doc, focus_text: str) -> str | None:
    """A name the sentence gives, as an argument of the question's verb about the focus,
    where the question names another ("representing the OSCE Chairmanship" for "was he there
    representing the OSCE Secretary General?", "beat Liverpool" for "Did Chelsea beat
    Arsenal?"); None when the sentence names the asked one anywhere or gives it (or its
    initials) as that argument, or no other name there."""
    focus = focus_text.lower()
    found = None
    for q_verb in (t for t in question_doc if t.pos_ == "VERB"):
        # A name the sentence holds anywhere is no conflict (a parse may misplace a list).
        asked = {
            rel: name
            for rel, token in _arguments(q_verb).items()
            if (name := _name_of(token)) is not None
            and focus not in name[0].lower()
            and not holds_phrase(sentence_doc.text, name[0])
        }
        if not asked:
            continue
        for verb in (t for t in sentence_doc if t.pos_ == "VERB" and t.lemma_ == q_verb.lemma_):
            if focus not in _subject_of(verb).lower():
                continue
            for rel, token in _arguments(verb).items():
                given = _name_of(token)
                if rel not in asked or given is None:
                    continue
                if _same_name(asked[rel][0], given[0]):
                    return None  # the asked name holds the argument somewhere: no conflict
                if asked[rel][1] and given[1] and asked[rel][1] != given[1]:
                    continue  # names of other kinds
                found = found or given[0]
    return found


def _same_argument(asked, given) -> bool:
    """Whether two argument heads are the same thing: the same name, or the same noun with the
    same names in its phrase ("Prince Charles' annual income", "Prince Charles' income")."""
    asked_name, given_name = _name_of(asked), _name_of(given)
    if asked_name is not None and given_name is not None:
        return _same_name(asked_name[0], given_name[0])
    if asked.lemma_.lower() != given.lemma_.lower():
        return False

    def names(token) -> set[str]:
        return {t.lower_ for t in token.subtree if t.pos_ == "PROPN"}

    return names(asked) == names(given)


def other_subject(question_doc, sentence_doc, focus_text: str) -> str | None:
    """Who the sentence says does the asked thing, where the question asks whether the focus
    does it and the sentence gives the focus another part ("the Duchy of Cornwall provides
    Prince Charles' annual income" for "Does the Duchy of Lancaster provide Prince Charles'
    annual income?"): the subject, a name, of the question's verb with the same argument.
    None when the sentence has the focus do it, or no such verb."""
    focus = focus_text.lower()
    found = None
    for q_verb in (t for t in question_doc if t.pos_ == "VERB"):
        if focus not in _subject_of(q_verb).lower():
            continue
        asked = _arguments(q_verb)
        for verb in (t for t in sentence_doc if t.pos_ == "VERB" and t.lemma_ == q_verb.lemma_):
            given = _arguments(verb)
            if not any(rel in given and _same_argument(a, given[rel]) for rel, a in asked.items()):
                continue
            name = _doer_name(verb)
            if focus in _subject_of(verb).lower() or (
                name is not None
                and (_same_name(name, focus_text) or name.split()[-1].lower() == focus.split()[-1])
            ):
                return None  # the sentence has the focus do it ("Mr Raskin" for Jef Raskin)
            found = found or name
    return found


def _doer_name(verb) -> str | None:
    """The name that is the verb's subject: the entity holding it ("the Duchy of Cornwall"),
    else the proper noun with the words before it; None when the subject is no name."""
    doer = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if doer is None or doer.pos_ != "PROPN":
        return None
    entity = next((e for e in doer.doc.ents if e.start <= doer.i < e.end), None)
    if entity is not None:
        return entity.text.removeprefix("the ")
    return _name_of(doer)[0]
