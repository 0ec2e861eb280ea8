"""A value the reader cut short, made whole: "October" of "October 18", "6 million" of "6
million Lira", "15,000" of "between 15,000 and 20,000".

spaCy tags a value with the words that qualify it ("about 63%", "the fall of 1937", "more than
100", "age of 35"), and SQuAD's answers, like a reader's, mostly leave those out: widening a
span to the whole entity loses more answers than it wins. What belongs to the value itself
is its figures and names (the day and year of a month, "Lira" after "6 million"), the figures
a connector joins to it ("15,000 *and* 20,000", "1% *to* 3%", "May 19*,* 2006"), the symbol
before a sum, and the unit after a sum, share, time or measure ("euros", "seconds"), never the
counted noun of a date or count ("5,000 *years*" answers "how many years" with "5,000"). A
date's part that holds a figure stays as it is: the year of "November 2004" is an answer.
"""

from __future__ import annotations

import re

from rag.text_utils import MONTH_NAMES

_DECADE = re.compile(r"\d{4}s|'\d0s")  # "the 1950s", "the '80s": a time, not a sum

# Labels whose values carry a unit after the figure ("578m euros", "14 minutes 32.93 seconds").
UNIT_LABELS = frozenset({"MONEY", "PERCENT", "QUANTITY", "TIME"})


def _part(token, label: str, rightwards: bool) -> bool:
    if token.like_num or token.pos_ == "PROPN":
        return True
    if token.pos_ == "SYM":
        return True  # "$", "£", "%"
    return rightwards and label in UNIT_LABELS and token.pos_ == "NOUN"


def _connector(token) -> bool:
    return token.pos_ in ("CCONJ", "PUNCT", "ADP", "PART", "SYM")  # "and", ",", "to", "-"


def _days_of_a_month(tokens, inside: list[int]) -> bool:
    """Whether the figures of the span (`inside`, indices into the date's `tokens`) are day
    numbers, 1 to 31, and the date names a month the span leaves out."""
    figures = [tokens[i].text for i in inside if tokens[i].like_num]
    months = [k for k, t in enumerate(tokens) if t.lower_ in MONTH_NAMES]
    return (
        all(f.isdigit() and 1 <= int(f) <= 31 for f in figures)
        and bool(months)
        and not set(months) & set(inside)
    )


def whole_value(sentence, entity: tuple[int, int, str], span: tuple[int, int]) -> tuple[int, int]:
    """(start, end) in the sentence's characters of the span widened, inside the value entity
    `entity` (start, end, label), over the value's own parts; `span` unchanged when it has
    none beside it. `sentence`: spaCy's Doc of the sentence the offsets are in."""
    e0, e1, label = entity
    tokens = [t for t in sentence if e0 <= t.idx and t.idx + len(t) <= e1]
    inside = [i for i, t in enumerate(tokens) if t.idx < span[1] and t.idx + len(t) > span[0]]
    if not inside or (
        label == "DATE"
        and any(tokens[i].like_num for i in inside)
        and not _days_of_a_month(tokens, inside)
    ):
        # A date's part that holds a figure is a point in time of its own ("2004" of "November
        # 2004" answers "what year"); a bare month or day name is not one, nor a day's number
        # without its month ("19-20" of "19-20 March": SQuAD's dev part-a answers none of its
        # 66 such dates that way).
        return span
    first, last = inside[0], inside[-1]
    for step in (1, -1):
        k = last + 1 if step == 1 else first - 1
        while 0 <= k < len(tokens):
            t = tokens[k]
            if _part(t, label, step == 1):
                reached = k
            elif _connector(t) and 0 <= k + step < len(tokens) and tokens[k + step].like_num:
                reached = k + step
            else:
                break
            if step == 1:
                last = reached
            else:
                first = reached
            k = reached + step
    start = min(span[0], tokens[first].idx)
    end = max(span[1], tokens[last].idx + len(tokens[last]))
    return start, end


def unit_after_number(sentence, span: tuple[int, int]) -> tuple[int, int]:
    """`span` (sentence character offsets) taken over the nouns right after a sum written
    with a magnitude and no currency sign, at most two ("578m *euros*", "40m *rupees*",
    "260.75bn *roubles*"), for a question that asks for a sum or measure: the small English
    pipeline tags a sum in a currency it does not know as a bare number, and whole_value
    leaves a number's words out. A sum with its sign ("£6m offer") or a figure without a
    magnitude ("90 experts") is left as it is: the word after it is what it sums or counts."""
    tokens = [t for t in sentence if t.idx < span[1] and t.idx + len(t) > span[0]]
    if not tokens or not _with_magnitude(tokens[-1]):
        return span
    if any(t.is_currency or t.text == "%" or _DECADE.fullmatch(t.text) for t in tokens):
        return span
    end = span[1]
    for t in sentence[tokens[-1].i + 1 : tokens[-1].i + 3]:
        if t.pos_ != "NOUN" or not t.is_alpha or t.ent_type_:
            break
        end = t.idx + len(t)
    return span[0], end


def _with_magnitude(token) -> bool:
    """Whether the token is a figure with its magnitude written on: "260.75bn", or the "m"
    of "578m" (a separate token)."""
    if any(ch.isdigit() for ch in token.text):
        return any(ch.isalpha() for ch in token.text)
    before = token.doc[token.i - 1] if token.i else None
    return token.is_alpha and before is not None and before.like_num and not before.whitespace_
