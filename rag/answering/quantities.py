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
_MODIFIERS = ("advmod", "quantmod", "amod", "npadvmod")


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
        return "="
    return ops.pop() if len(ops) == 1 else None


def holds(value: float, op: str, bound: float) -> bool:
    """Whether a stated count satisfies the question's ("11" satisfies "more than 10")."""
    return {
        "=": value == bound,
        ">": value > bound,
        ">=": value >= bound,
        "<": value < bound,
        "<=": value <= bound,
    }[op]


def counted(doc) -> list[tuple[object, str, float, str]]:
    """(number token, lemma of the noun it counts, value, comparison) of each number modifying
    a noun whose comparison is known ("more than 10 arrests": ">"; "about 50" is left out)."""
    found = []
    for t in doc:
        if not t.like_num or t.dep_ not in ("nummod", "amod", "compound"):
            continue
        if t.head.pos_ != "NOUN":
            continue
        value, op = number_value(t.text), comparison(t)
        if value is not None and op is not None:
            found.append((t, t.head.lemma_.lower(), value, op))
    return found
