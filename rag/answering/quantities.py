"""How many of something a text says: the numbers that count a noun ("*three* sessions", "the
*second* regional meeting", "the *one*-day meeting"), read off spaCy's parse.

A yes/no question that asks a count ("Was the conference split into *four* sessions?") is
answered "No" by a sentence about the same event that counts the same noun otherwise ("The
conference will be divided in three sessions"), as a question asking a name is by another
filler of the asked slot (rag.answering.yes_no).
"""

from __future__ import annotations

import re

# The English number words (a closed class, like the stop words): cardinals and ordinals.
_UNITS = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = [
    *("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"),
    *("ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth"),
    *("sixteenth", "seventeenth", "eighteenth", "nineteenth"),
]
_WORDS = {
    **{w: float(i) for i, w in enumerate(_UNITS)},
    **{w: float(i) for i, w in enumerate(_ORDINALS)},
    **{w: float(20 + 10 * i) for i, w in enumerate(_TENS)},
    **{w[:-1] + "ieth": float(20 + 10 * i) for i, w in enumerate(_TENS)},
    "hundred": 100.0,
    "hundredth": 100.0,
}
_DIGITS = re.compile(r"^(\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th)?$")


def number_value(word: str) -> float | None:
    """ "3", "3rd", "1,500", "three", "third" -> their value; None for anything else."""
    word = word.lower()
    m = _DIGITS.match(word)
    if m:
        return float(m.group(1).replace(",", ""))
    return _WORDS.get(word)


# The degree words that bound a number (a closed class of English, like the stop words):
# "more than 10", "over 50", "at least 500" / "fewer than 50", "under 18", "at most 20", "up
# to 40". Any other modifier ("about 50", "nearly 50") makes a count approximate: no count.
_ABOVE = {"more": ">", "over": ">", "above": ">", "greater": ">", "higher": ">", "least": ">="}
_BELOW = {"fewer": "<", "less": "<", "under": "<", "below": "<", "lower": "<", "most": "<="}
_BOUNDS = {**_ABOVE, **_BELOW, "up": "<="}
_PREPOSITION_BOUNDS = {"under": "<", "below": "<", "above": ">"}
_MODIFIERS = ("advmod", "quantmod", "amod", "npadvmod")
# Words that qualify a number in running text: the degree words, and the approximations that
# make it no count ("about 50", "nearly 50"; a closed class too).
_QUALIFIERS = {*_BOUNDS, "about", "around", "nearly", "almost", "roughly", "approximately", "some"}


def comparison(number) -> str | None:
    """How the text bounds the number: "=" when it states it, ">", ">=", "<" or "<=" when a
    degree word bounds it, None when something else qualifies it ("about 50")."""
    ops = set()
    for c in number.children:
        if c.dep_ not in _MODIFIERS:
            continue
        if c.lower_ == "than" or (c.lower_ == "to" and ops):
            continue  # "more *than*", "up *to*"
        op = _BOUNDS.get(c.lower_)
        if op is None:
            return None
        ops.add(op)
    if not ops:
        # The parser may read the degree word as a preposition whose object the number
        # counts ("cost [under [1,000,000 pounds]]"). Not "over": it is as often a distance
        # or a span of time ("the fastest over 800m").
        noun = number.head
        before = number.doc[number.i - 1] if number.i else None
        if noun.dep_ == "pobj" and before is not None and before == noun.head:
            return _PREPOSITION_BOUNDS.get(before.lower_, "=")
        return "="
    return ops.pop() if len(ops) == 1 else None


def stated_comparison(before: list[str]) -> str | None:
    """How the (lower-cased) words just before a number in running text bound it: "=" for
    none, an operator for a degree word ("more than", "over"), None for another qualifier
    ("about", "nearly") or an unbounded count."""
    words = [w for w in before if w not in ("than", "to")]
    if not words or words[-1] not in _QUALIFIERS:
        return "="
    return _BOUNDS.get(words[-1])


def bound_phrase(number) -> str:
    """The words of a bounded number, from its degree word to the noun it counts ("more than
    five years", "under 50,000 euros")."""
    doc = number.doc
    start = min(t.i for t in number.subtree)
    if start == number.i and number.i and doc[number.i - 1] == number.head.head:
        start -= 1  # the degree word read as a preposition
    end = number.i + 1
    if number.dep_ == "nummod" and number.head.i > number.i:
        end = number.head.i + 1
    return doc[start:end].text


def holds(value: float, op: str, bound: float) -> bool:
    """Whether a stated count satisfies the question's ("11" satisfies "more than 10")."""
    return {
        "=": value == bound,
        ">": value > bound,
        ">=": value >= bound,
        "<": value < bound,
        "<=": value <= bound,
    }[op]


def implies(stated_op: str, value: float, op: str, bound: float) -> bool:
    """Whether a figure stated with `stated_op` ("more than 50": ">", 50) satisfies the
    question's bound ("more than 50", "over 40"); a stated bound implies only a bound the same
    way ("more than 50" says nothing of "fewer than 60")."""
    if stated_op == "=":
        return holds(value, op, bound)
    if stated_op[0] != op[0]:
        return False
    strict = stated_op in (">", "<") or op in (">=", "<=")
    if op[0] == ">":
        return value > bound or (value == bound and strict)
    return value < bound or (value == bound and strict)


def counted(doc) -> list[tuple[object, str, float, str]]:
    """(number token, lemma of the noun it counts, value, comparison) of each number modifying
    a noun whose comparison is known ("more than 10 arrests": ">"; "about 50" is left out)."""
    found = []
    for t in doc:
        if not t.like_num or t.dep_ not in ("nummod", "amod", "compound"):
            continue
        if t.head.pos_ != "NOUN":
            continue
        if YEAR.fullmatch(t.text) and t.ent_type_ != "CARDINAL":
            continue  # a year ("spring *2006*", "the *2004* season") counts nothing
        value, op = number_value(t.text), comparison(t)
        if value is not None and op is not None:
            found.append((t, t.head.lemma_.lower(), value, op))
    return found


def counted_noun(number):
    """The noun a number token counts in its sentence's parse ("more than *50* officials",
    "*4* and 5 December", "*70*%"), or None for a figure that counts no noun it is
    attached to ("at least 30 died")."""
    t = number
    while t.dep_ in ("conj", "cc", "quantmod", "compound") and t.head.i != t.i and t.head.like_num:
        t = t.head  # "4 and 5", "1.5 million"
    if t.dep_ in ("nummod", "compound", "amod") and t.head.pos_ in ("NOUN", "PROPN"):
        return t.head
    return None


def is_duration(span) -> bool:
    """Whether a parsed date expression measures a stretch of time ("two days", "the last
    three years", "two-day") rather than naming a point in it ("8 July 2010", "today", "last
    year"): a number counting a common noun, as spaCy parses both under the one label DATE. A
    year ("1990") counts nothing."""
    return any(
        t.dep_ == "nummod" and t.like_num and t.head.pos_ == "NOUN" and not YEAR.fullmatch(t.text)
        for t in span
    )


YEAR = re.compile(r"1\d{3}|20\d{2}")
