"""A list's items made whole, and a list the reader cut short carried on to its end.

The reader proposes a span and spaCy's parse links the coordination around it; the small
English pipeline misparses long lists of names often enough that both can stop short: an item
cut inside a name or a noun phrase ("striker Didier" of "striker Didier Drogba", "iron" of "iron
ore"), or a list that ends on a comma ("Malibu rum, Courvoisier brandy" of "Malibu rum,
Courvoisier brandy, Stolichnaya vodka and Ballantine's whisky"). A written list closes with a
coordinating conjunction; one that has not closed goes on through the comma-separated noun
phrases (spaCy's noun chunks and entities) that follow, up to and including the one the
conjunction joins. A last name that goes on through a phrase naming something else ("Titanic
and Gangs *of New York*") is taken to its end: the parser hangs such phrases anywhere.
"""

from __future__ import annotations

# A list's document offsets, whole and item by item (Answerer.coordination's result).
Coordination = tuple[tuple[int, int], list[tuple[int, int]]]

_NOMINAL = frozenset({"NOUN", "PROPN"})
FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})  # a verb with a tense: a clause, no item
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})


def completed(
    doc, entities: list[tuple[int, int, str]], s0: int, found: Coordination
) -> Coordination:
    """`found` (document offsets within the sentence starting at `s0`, whose parse is `doc`
    and entities `entities`, both in sentence offsets) with each item that stops inside a noun
    phrase or an entity taken to its end, and an open list carried on to its end."""
    units = _units(doc, entities)
    names = [(a, b) for a, b in units if any((a, b) == (x, y) for x, y, _ in entities)]
    items = [(a - s0, b - s0) for a, b in found[1]]
    times = [(a, b) for a, b, label in entities if label in ("DATE", "TIME")]
    items = _whole_items(doc, units, names, items, times)
    items = _carried_on(doc, units, items)
    shifted = [(s0 + a, s0 + b) for a, b in items]
    return (min(found[0][0], shifted[0][0]), max(found[0][1], shifted[-1][1])), shifted


def _units(doc, entities: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Character spans of the sentence's noun chunks and entities that hold no comma,
    semicolon or coordinating conjunction (a unit is one item, never a list)."""
    spans = {(c.start_char, c.end_char) for c in doc.noun_chunks}
    spans |= {(a, b) for a, b, _ in entities}
    return sorted(
        (a, b) for a, b in spans if not any(a <= t.idx < b and _separator(t) for t in doc)
    )


def _separator(token) -> bool:
    return token.text in (",", ";") or token.pos_ == "CCONJ"


def _whole_items(doc, units, names, items: list[tuple[int, int]], times) -> list[tuple[int, int]]:
    """Each item that ends inside a unit ends where the unit does, and one that starts inside
    an entity starts where it does, unless that reaches a neighbouring item. (A noun chunk
    that starts before an item of names holds what the names are, not a name: "British
    actors | Michael Maloney, ...")."""
    out = list(items)
    for k, (x, y) in enumerate(out):
        lo = out[k - 1][1] if k else 0
        hi = out[k + 1][0] if k + 1 < len(out) else len(doc.text)
        for a, b in units:
            if a < y < b and lo <= a and b <= hi:
                y = b
        for a, b in names:
            if a < x < b and lo <= a and b <= hi:
                x = a
        out[k] = (x, _named_phrase_end(doc, x, _noun_phrase_end(doc, units, y, hi), hi, times))
    return out


def _noun_phrase_end(doc, units, y: int, hi: int) -> int:
    """Where an item ending at `y` ends once the words the parse split off its noun phrase
    are back: what a possessor possesses, then a bare gerund naming the act."""
    return _gerund_end(doc, _possessed_end(doc, units, y, hi), hi)


def _possessed_end(doc, units, y: int, hi: int) -> int:
    """An item that ends on a possessor ("Ballantine" of "Ballantine's whisky") names the
    thing it possesses: it ends where the noun phrase after the possessive marker does,
    unless that reaches the next item."""
    after = next((t for t in doc if t.idx >= y), None)
    if after is None or after.idx != y or after.tag_ != "POS":
        return y
    start = after.idx + len(after)
    start = next((t.idx for t in doc if t.idx >= start), start)
    following = [b for a, b in units if a == start and b <= hi]
    return max(following) if following else y


def _gerund_end(doc, y: int, hi: int) -> int:
    """An item followed by a bare "-ing" word that ends the list or the sentence names the act
    ("witness | tampering", "money | laundering"): the small parser reads such a gerund as a
    clause of its own. The item ends with it, unless that reaches the next item."""
    after = next((t for t in doc if t.idx > y), None)
    if (
        after is None
        or after.tag_ != "VBG"
        or after.idx != y + 1
        or doc.text[y] != " "
        or any(not c.is_punct for c in after.children)
        or after.idx + len(after) > hi
    ):
        return y
    following = after.nbor() if after.i + 1 < len(doc) else None
    if following is not None and not (following.is_punct or following.pos_ == "CCONJ"):
        return y
    return after.idx + len(after)


def _named_phrase_end(doc, x: int, y: int, hi: int, times) -> int:
    """Where a name that goes on through a phrase naming something else ends ("Gangs | of New
    York"): the prepositional phrase right after an item headed by a proper noun, whose object
    is a proper noun and which holds no separator nor clause and names no date or time, unless
    that reaches the next item."""
    if not any(x <= t.idx < y for t in doc):
        return y
    # (the small parser may hang the phrase on an earlier item: "Romeo and Juliet, Titanic
    # and Gangs of New York" gets "of" on "Romeo")
    after = next((t for t in doc if t.idx >= y), None)
    if _head(doc, x, y).pos_ != "PROPN" or after is None or after.dep_ != "prep":
        return y
    phrase = list(after.subtree)
    objects = [t for t in after.children if t.dep_ == "pobj"]
    if (
        not objects
        or objects[0].pos_ != "PROPN"
        or any(a <= objects[0].idx < b for a, b in times)  # "Norway and Belgium | in July"
        or any(_separator(t) or t.tag_ in FINITE_TAGS for t in phrase)
    ):
        return y
    end = phrase[-1].idx + len(phrase[-1])
    return end if end <= hi else y


def _carried_on(doc, units, items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """An open list (its last item follows a comma alone) goes on through the units that
    follow its last item after a comma, until one that follows a conjunction."""
    if len(items) < 2:
        return items
    between = [t for t in doc if items[-2][1] <= t.idx < items[-1][0]]
    if not between or not all(t.text == "," for t in between):
        return items
    kind = _item_kind(doc, *items[-1])
    out = list(items)
    while True:
        gap = [t for t in doc if t.idx >= out[-1][1]]
        seps = []
        for t in gap:
            if not _separator(t):
                break
            seps.append(t)
        if not seps or len(seps) == len(gap):
            return out
        start = gap[len(seps)].idx
        following = [(a, b) for a, b in units if a == start]
        if not following:
            return out
        unit = max(following, key=lambda u: u[1])
        head = _head(doc, *unit)
        if (
            _item_kind(doc, *unit) != kind
            or head.dep_ in _SUBJECTS  # the next clause's subject ("..., the firm said")
            or any(unit[0] <= t.idx < unit[1] and t.tag_ in FINITE_TAGS for t in doc)
        ):
            return out
        out.append((unit[0], _noun_phrase_end(doc, units, unit[1], len(doc.text))))
        if any(t.pos_ == "CCONJ" for t in seps):
            return out


def _head(doc, a: int, b: int):
    """The span's syntactic head: its token nearest the root of the parse."""
    return min((t for t in doc if a <= t.idx < b), key=lambda t: len(list(t.ancestors)))


def _item_kind(doc, a: int, b: int) -> str:
    """The kind of the span's head; where the parse heads it with neither a noun nor a number
    (a noun phrase misread as a clause: "coking" of "copper, coking coal, thermal coal"), the
    kind of its last word, on which an English noun phrase ends."""
    kind = _kind(_head(doc, a, b))
    if kind != "other":
        return kind
    words = [t for t in doc if a <= t.idx < b and not t.is_punct]
    return _kind(words[-1]) if words else kind


def _kind(head) -> str:
    """Nominal, number or other: the part of speech of a span's head."""
    if head.pos_ in _NOMINAL:
        return "nominal"
    return "number" if head.pos_ == "NUM" else "other"
