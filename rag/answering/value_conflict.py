"""Whether a value a release gives conflicts with the one a question names.

Two dates conflict when they state a common field otherwise: the year, the decade, the month,
the day of the month or the day of the week ("27 January" and "27 February"; "1981" and
"1985"). Dates that share no field ("December" and "the 1930s", "15 June" and "Tuesday") do
not: each may hold with the other. Two figures conflict when their numbers differ (at the same
scale where both give one: "£1.3bn" and "£1.5bn"), or when the stated figure falls outside the
bound the question puts ("90" against "more than 150"). An approximate figure ("about 75%",
"nearly 50") conflicts with nothing: how near is near enough is not said.

The month and weekday names come from Python's `calendar` module; the degree words and number
words from rag.answering.quantities.
"""

from __future__ import annotations

import calendar
import re

from rag.answering.constraints import place_kind
from rag.answering.quantities import holds, number_value, stated_comparison
from rag.text_utils import stem

_MONTHS = {
    **{name.lower(): i for i, name in enumerate(calendar.month_name) if name},
    **{name.lower(): i for i, name in enumerate(calendar.month_abbr) if name},
}
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WORD = re.compile(r"[A-Za-z]+|\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|s)?|-")
_YEAR = re.compile(r"^(1\d{3}|20\d{2})$")
_DECADE = re.compile(r"^(1\d{2}|20\d)0s$")
_DAY = re.compile(r"^([1-9]|[12]\d|3[01])(?:st|nd|rd|th)?$")
# The scale words that follow a figure ("£7.2m", "3 billion"): a closed class of English.
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
}
_TIME_LABELS = frozenset({"DATE", "TIME"})


def date_fields(text: str) -> dict[str, set[int]]:
    """The calendar fields a date states: {"year": {2004}, "month": {6}, "day": {15}, ...};
    a season's span of years ("2004-05") gives both."""
    words = _WORD.findall(text.replace("-", " - "))
    fields: dict[str, set[int]] = {}
    for i, word in enumerate(words):
        low = word.lower()
        if _YEAR.match(word):
            fields.setdefault("year", set()).add(int(word))
            after = words[i + 2] if i + 2 < len(words) and words[i + 1] == "-" else ""
            if re.fullmatch(r"\d{2}", after):  # "2004-05": the season runs into 2005
                fields["year"].add(int(word[:2] + after))
        elif _DECADE.match(low):
            fields.setdefault("decade", set()).add(int(low[:-1]))
        elif low in _MONTHS:
            fields.setdefault("month", set()).add(_MONTHS[low])
            for near in (words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""):
                if _DAY.match(near):
                    fields.setdefault("day", set()).add(int(re.sub(r"\D", "", near)))
        elif low in _WEEKDAYS:
            fields.setdefault("weekday", set()).add(_WEEKDAYS[low])
    if "year" in fields:
        fields.setdefault("decade", {y // 10 * 10 for y in fields["year"]})
    return fields


def figure(text: str) -> tuple[float, float | None, str | None] | None:
    """(number, scale or None, how the words before it bound it: "=", ">", ... or None for an
    approximation) of the first figure in the text; None when it has none."""
    words = _WORD.findall(text)
    for i, word in enumerate(words):
        value = number_value(word)
        if value is None:
            continue
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        before = [w.lower() for w in words[:i]]
        return value, _SCALES.get(after), stated_comparison(before)
    return None


def conflicting_value(asked: str, stated: str, label: str) -> bool:
    """Whether the release's value `stated` conflicts with the question's `asked` (both of the
    entity label `label`'s kind)."""
    if label in _TIME_LABELS:
        mine, theirs = date_fields(asked), date_fields(stated)
        shared = mine.keys() & theirs.keys()
        return any(not (mine[f] & theirs[f]) for f in shared)
    mine_figure, their_figure = figure(asked), figure(stated)
    if mine_figure is None or their_figure is None:
        return False
    (bound, my_scale, op), (value, their_scale, their_op) = mine_figure, their_figure
    if op is None or their_op != "=":
        return False  # an approximation, or a bound stated against a bound
    if my_scale is not None and their_scale is not None:
        bound, value = bound * my_scale, value * their_scale
    return not holds(value, op, bound)


def conflicting_place(asked: str, stated: str) -> bool:
    """Whether two places cannot both be where one thing happened: two cities, or two
    countries, that the gazetteer knows as such and that share no word ("Birmingham" and
    "Sheffield"; not "Sheffield" and "England", or "Newcastle" and "Newcastle upon Tyne")."""
    kind = place_kind(asked)
    if kind is None or place_kind(stated) != kind:
        return False
    return not set(_WORD.findall(asked.lower())) & set(_WORD.findall(stated.lower()))


def counted_otherwise(question_doc, stated: str, sentence_doc) -> str | None:
    """A number of the deciding sentence that counts what a number of the question, which the
    text `stated` (that sentence and the one before) does not hold, counts, and that conflicts
    with it: "1.9 times" in "Asians were 1.9 times more likely" against "were Asians 2.5 times
    more likely?". The thing counted is the word after the number (past a hyphen: "10-game"),
    of the same stem in both; a number followed by no word counts nothing ("2-1", a score);
    None when there is no such number."""
    held = set(_WORD.findall(stated.lower()))
    for asked in question_doc.ents:
        if asked.label_ != "CARDINAL" or (counted := _counted_word(asked)) is None:
            continue
        if set(_WORD.findall(asked.text.lower())) <= held:
            continue
        for given in sentence_doc.ents:
            if (
                given.label_ == "CARDINAL"
                and _counted_word(given) == counted
                and conflicting_value(asked.text, given.text, "CARDINAL")
            ):
                return given.text
    return None


def _counted_word(number) -> str | None:
    """The stem of the word right after a number entity, past a hyphen; None when none is."""
    doc, at = number.doc, number.end
    if at < len(doc) and doc[at].text == "-":
        at += 1
    if at >= len(doc) or not doc[at].is_alpha:
        return None
    return stem(doc[at].text.lower())
