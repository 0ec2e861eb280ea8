"""What a "Who is X?" question asks for: the words a release uses to describe X.

"Who is Kevin Carty?" asks for a description, not another name: a release gives it in an
apposition ("Kevin Carty, *OSCE's Senior Police Adviser*, said ...") or as a title before the
name ("*OSCE Senior Police Adviser* Kevin Carty"). The reader often proposes one word of it
("OSCE"); the answer is the whole description, read off spaCy's parse of the sentence.
"""

from __future__ import annotations

from rag.answering.slots import mentions


def described_name(question_doc) -> str | None:
    """The person a "Who is/was X?" question asks to describe (X, a PERSON entity that is the
    copula's subject), when the question says nothing else; None otherwise ("Who was X's
    coach?" asks for another person)."""
    root = next((t for t in question_doc if t.dep_ == "ROOT"), None)
    if root is None or root.lemma_ != "be":
        return None
    wh = [t for t in question_doc if t.lower_ == "who" and t.head.i == root.i]
    people = [e for e in question_doc.ents if e.label_ == "PERSON" and e.root.head.i == root.i]
    if len(wh) != 1 or len(people) != 1:
        return None
    person = people[0]
    said = {wh[0].i, root.i, *range(person.start, person.end)}
    if any(t.i not in said and not t.is_punct for t in question_doc):
        return None
    return person.text


def descriptions(sentence_doc, name: str) -> list[tuple[int, int]]:
    """Character offsets, within the sentence, of each apposition of the name and each title
    written before it."""
    found = []
    for _, span in mentions(sentence_doc, name):
        root = span.root
        for child in root.children:
            if child.dep_ == "appos" and child.pos_ in ("NOUN", "PROPN"):
                found.append((child.left_edge.idx, child.right_edge.idx + len(child.right_edge)))
        title = [t for t in root.children if t.dep_ == "compound" and t.i < span.start]
        if title:
            first, last = min(t.left_edge.i for t in title), span.start - 1
            while last >= first and _abbreviation(sentence_doc[last]):
                last -= 1  # an honorific right before the name ("Officer *Mr.* Korotenko")
            if last >= first:
                end = sentence_doc[last]
                found.append((sentence_doc[first].idx, end.idx + len(end)))
    return found


def _abbreviation(token) -> bool:
    return token.text.endswith(".") and len(token.text) <= 4
