"""What a yes/no question says its focus is, against what the release says it is.

"When Serik Baymaganbetov addressed the conference, was he Kazakhstan's *Foreign Minister*?"
against "Serik Baymaganbetov, the *Interior Minister* of Kazakhstan": the release describes the
focus with the noun the question asks about ("Minister"), qualified otherwise ("Interior", not
"Foreign"): another filler of the same slot, as another funder would be. Read off the parse
(the attribute of "be", the noun in apposition to the name or compounded before it); no word
lists. Qualifiers on one side only decide nothing ("the Minister" against "the Interior
Minister"; a "Deputy Head" is no "Head", yet "the Interior Minister" is a minister).
"""

from __future__ import annotations

from rag.answering.slots import mentions

# The parse's modifiers that qualify a noun ("*Interior* Minister", "*fifth* seed",
# "*top* seed"): adjectives, nouns in a compound, ordinals and numbers.
_QUALIFIER_DEPS = ("amod", "compound", "nummod")
_QUALIFIER_POS = ("ADJ", "NOUN", "PROPN", "NUM")
_NOUNS = ("NOUN", "PROPN")


def asked_description(question_doc, focus):
    """(the noun a copular question says someone is, that someone as a span) when the
    question qualifies the noun: "was he Kazakhstan's *Foreign Minister*?" (the person the
    pronoun stands for), "Is Tim Henman the *top seed*?"; else None. The small parser reads
    such questions variously (the noun as the attribute of "be", as its subject beside a
    pronoun, or in apposition to the name or the pronoun), so any of these counts."""
    root = next((t for t in question_doc if t.dep_ == "ROOT"), None)
    if root is None or root.lemma_ != "be":
        return None
    described = _described_one(question_doc, root, focus)
    taken = set(range(described.start, described.end))
    pronouns = {t.i for t in question_doc if t.pos_ == "PRON" and t.head.i in (root.i, *taken)}
    for token in question_doc:
        if token.pos_ not in _NOUNS or token.i in taken or token.i in pronouns:
            continue
        of_be = token.head.i == root.i and token.dep_ in ("attr", "nsubj")
        beside = token.dep_ == "appos" and token.head.i in taken | pronouns
        if (of_be or beside) and qualifiers(token):
            return token, described
    return None


def _described_one(question_doc, root, focus):
    """Whom the copula describes: the entity that is its subject, the person a subject
    pronoun stands for (the question's first person: "When X spoke, was *he* ...?"), else
    the focus."""
    subject = [t for t in question_doc if t.head.i == root.i and t.dep_ == "nsubj"]
    pronoun = any(t.pos_ == "PRON" for s in subject for t in (s, *s.children))
    for ent in question_doc.ents:
        if pronoun and ent.label_ == "PERSON":
            return ent
        if not pronoun and any(ent.start <= s.i < ent.end for s in subject):
            return ent
    if pronoun:  # a name the entity recogniser missed: a proper noun that is a subject
        for token in question_doc:
            if token.dep_ == "nsubj" and token.pos_ == "PROPN":
                first = min([token.i, *(c.i for c in token.lefts if c.dep_ == "compound")])
                return question_doc[first : token.i + 1]
    return focus


def qualifiers(noun) -> set[str]:
    """The lower-cased lemmas of the words that qualify `noun` (not its determiner, possessor
    or prepositional phrases: "Kazakhstan's" and "of Kazakhstan" say the same)."""
    return {
        c.lemma_.lower()
        for c in noun.children
        if c.dep_ in _QUALIFIER_DEPS and c.pos_ in _QUALIFIER_POS
    }


def release_descriptions(sentence_doc, names: list[str], lemma: str) -> list:
    """Nouns with the lemma `lemma` that the parsed sentence attaches to a mention of the
    focus (by any of `names`): in apposition either way, compounded before the name
    ("Interior Minister Serik ..."), or its attribute ("he is the fifth seed")."""
    focus_tokens = {t.i for name in names for _, span in mentions(sentence_doc, name) for t in span}
    found = []
    for token in sentence_doc:
        if token.lemma_.lower() != lemma or token.pos_ not in _NOUNS or token.i in focus_tokens:
            continue
        head = token.head
        linked = (
            (token.dep_ in ("appos", "compound") and head.i in focus_tokens)
            or any(c.dep_ == "appos" and c.i in focus_tokens for c in token.children)
            or (
                token.dep_ == "attr"
                and any(c.dep_ == "nsubj" and c.i in focus_tokens for c in head.children)
            )
        )
        if linked:
            found.append(token)
    return found


def conflicting_description(question_doc, focus, sentence_doc, names_of) -> str | None:
    """The release's qualified noun for the one the question describes when it qualifies the
    asked noun otherwise (each side has a qualifier the other lacks), e.g. "Interior
    Minister" for "Foreign Minister"; None when it agrees, says nothing or qualifies on one
    side only. `names_of(span)`: how the release may name that one."""
    found = asked_description(question_doc, focus)
    if found is None:
        return None
    asked, described = found
    names = names_of(described)
    wanted = qualifiers(asked)
    for noun in release_descriptions(sentence_doc, names, asked.lemma_.lower()):
        stated = qualifiers(noun)
        if stated and stated - wanted and wanted - stated:
            first = min([noun.i, *(c.i for c in noun.children if c.dep_ in _QUALIFIER_DEPS)])
            return sentence_doc[first : noun.i + 1].text
    return None
