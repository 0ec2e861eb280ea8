"""How many of something a text says: the numbers that count a noun ("*three* sessions", "the
*second* regional meeting", "the *one*-day meeting"), read off spaCy's parse.

A yes/no question that asks a count ("Was the conference split into *four* sessions?") is
answered "No" by a sentence about the same event that counts the same noun otherwise ("The
conference will be divided in three sessions"), as a question asking a name is by another
filler of the asked slot (rag.answering.question_kinds).
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


def counted(doc) -> list[tuple[object, str, float]]:
    """(number token, lemma of the noun it counts, value) of each number modifying a noun, not
    compared or approximate ("more than 10" says no count)."""
    found = []
    for t in doc:
        if not t.like_num or t.dep_ not in ("nummod", "amod", "compound"):
            continue
        if t.head.pos_ != "NOUN" or any(
            c.tag_ in ("JJR", "RBR") or c.dep_ == "quantmod" for c in t.children
        ):
            continue
        value = number_value(t.text)
        if value is not None:
            found.append((t, t.head.lemma_.lower(), value))
    return found
