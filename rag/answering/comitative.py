"""Participants a comitative preposition joins to a list, read off spaCy's parse.

"Van Persie is suspended *alongside* Bergkamp and Reyes", "Conte *along with* Valente,
Korchemny and Anderson are charged", "Smith, *together with* Jones, was fined": the
preposition's object and its conjuncts share the part of the noun the phrase goes with, or of
the subject of the verb it hangs from. These are the prepositions of English grammar that
mean "and also" ("alongside", "along with", "together with"), not plain "with" (which is as
often the instrument or the circumstance). The parse hangs "with" under "along" or "together"
("along [prep with [pobj X]]", "[advmod together] with [pobj X]"), or "alongside" alone.
"""

from __future__ import annotations

from collections.abc import Iterator

_JOINING = ("along", "together")


def is_comitative(prep) -> bool:
    """Whether the token is a preposition that adds participants ("alongside", the "with" of
    "along with" / "together with")."""
    if prep.dep_ != "prep":
        return False
    if prep.lower_ == "alongside":
        return True
    return prep.lower_ == "with" and (
        prep.head.lower_ in _JOINING or any(c.lower_ in _JOINING for c in prep.children)
    )


def comitative_preps(holder) -> Iterator:
    """The comitative prepositions that hang from the token, directly or under "along"."""
    for child in holder.children:
        if is_comitative(child):
            yield child
        elif child.lower_ in _JOINING:
            yield from (g for g in child.children if is_comitative(g))


def joined_participants(token) -> list:
    """The tokens a comitative phrase joins to the list the token heads: the noun or subject
    the phrase goes with when the token is its object; the phrase's object and its conjuncts
    when the token (a noun, or a verb's subject) has one. Empty when there is none."""
    out = []
    if token.dep_ == "pobj" and is_comitative(token.head):
        head = token.head.head
        if head.lower_ in _JOINING:
            head = head.head
        if head.pos_ in ("NOUN", "PROPN"):
            out.append(head)
        elif head.pos_ in ("VERB", "AUX"):
            out += [c for c in head.children if c.dep_ in ("nsubj", "nsubjpass")][:1]
    holders = [token]
    if token.dep_ in ("nsubj", "nsubjpass"):
        holders.append(token.head)
    for holder in holders:
        for prep in comitative_preps(holder):
            for obj in (g for g in prep.children if g.dep_ == "pobj"):
                out += [obj, *obj.conjuncts]
    return [t for t in out if t.pos_ in ("NOUN", "PROPN") and t.i != token.i]
