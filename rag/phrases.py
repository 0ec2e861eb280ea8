"""Answer-phrase candidates inside a sentence: names, dates, numbers and places.

General English surface patterns (capitalisation, date and number shapes), not patterns for any
particular corpus. Every candidate is a (start, end) span of the sentence, so the answer phrase is
always verbatim text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest import _DATELINE_RE, _MONTH_RE
from rag.text_utils import MONTH_NAMES, STOPWORDS

ENTITY, DATE, NUMBER, PLACE, SENTENCE = "entity", "date", "number", "place", "sentence"

_NUM_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "dozen",
    "dozens",
    "hundreds",
    "thousands",
]
_QUALIFIER = (
    r"(?:(?:more than|fewer than|less than|over|about|around|some|nearly|almost|up to|"
    r"at least|approximately|roughly|an estimated)\s+)?"
)
NUMBER_RE = re.compile(
    rf"\b{_QUALIFIER}(?:\d[\d,.]*%?|(?:{'|'.join(_NUM_WORDS)})(?:[- ](?:{'|'.join(_NUM_WORDS)}))?)"
    r"(?:\s+(?:million|billion|thousand|hundred|per cent|percent))?\b",
    re.I,
)
DATE_RE = re.compile(
    rf"\b(?:\d{{1,2}}\s+(?:and\s+\d{{1,2}}\s+)?{_MONTH_RE}\.?,?\s+\d{{4}}"
    rf"|{_MONTH_RE}\.?\s+\d{{1,2}},?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:and\s+\d{{1,2}}\s+)?{_MONTH_RE}\b"
    rf"|{_MONTH_RE}\s+\d{{4}}"
    r"|(?:19|20)\d\d)\b"
)
_TITLES = r"(?:Mr|Mrs|Ms|Dr|Gen|Prof|Col|Lt|Capt|Amb|Sen|Gov|St)\."
_CAP_WORD = rf"(?:{_TITLES}|[A-Z][\w'’&.-]*[\w)]|[A-Z])"
_CONNECT = r"(?:of|on|for|and|de|du|der|the|in|to|against)"
_NAME = rf"{_CAP_WORD}(?:(?:\s+{_CONNECT})*\s+{_CAP_WORD})*"
_LIST = (
    rf"(?:the\s+)?{_NAME}(?:\s*,\s*(?:and\s+)?(?:the\s+)?{_NAME})*"
    rf"(?:,?\s+(?:and|as well as)\s+(?:the\s+)?{_NAME}"
    rf"(?:\s*,\s*(?:the\s+)?{_NAME})*(?:,?\s+and\s+(?:the\s+)?{_NAME})?)?"
)
NAME_RE = re.compile(_LIST)
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_MONTH_NAMES = set(MONTH_NAMES)


@dataclass(frozen=True)
class Phrase:
    start: int
    end: int
    text: str
    kind: str


def dateline_end(sentence: str) -> int:
    """Length of a leading dateline ('VIENNA, 17 July 2008 - '), 0 if none."""
    m = _DATELINE_RE.match(sentence)
    return m.end() if m else 0


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading articles/stopword capitals ('The', 'It') and trailing connectors."""
    span = text[start:end]
    while True:
        m = re.match(r"(\w+)\s+", span)
        if m and (m.group(1).lower() in STOPWORDS or m.group(1).lower() in _WEEKDAYS):
            start += m.end()
            span = text[start:end]
            continue
        break
    span = span.rstrip(" ,.;:")
    return start, start + len(span)


def names(sentence: str) -> list[Phrase]:
    """Capitalised names and lists ('Belgium, Norway, the Russian Federation and Japan')."""
    out = []
    skip = dateline_end(sentence)
    for m in NAME_RE.finditer(sentence, skip):
        start, end = _trim_name(sentence, m.start(), m.end())
        text = sentence[start:end]
        if not text:
            continue
        low = text.lower()
        if low in STOPWORDS or low in _MONTH_NAMES or low in _WEEKDAYS:
            continue
        if start <= skip and " " not in text and not text.isupper():
            continue  # a capitalised first word ("Representatives") is rarely a name
        out.append(Phrase(start, end, text, ENTITY))
    return out


def dates(sentence: str) -> list[Phrase]:
    return [Phrase(m.start(), m.end(), m.group(), DATE) for m in DATE_RE.finditer(sentence)]


def numbers(sentence: str) -> list[Phrase]:
    """Counts and amounts, with up to four following words ('more than 90 experts')."""
    date_spans = [(d.start, d.end) for d in dates(sentence)]
    out = []
    for m in NUMBER_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in date_spans):
            continue
        # "one" is mostly a pronoun ("no one", "one of the"): a count only as in "one-day".
        if m.group().lower().split()[-1] == "one" and sentence[m.end() : m.end() + 1] != "-":
            continue
        if re.fullmatch(r"(?:19|20)\d\d", m.group().strip()):
            continue
        # An identifier such as "Decision 1048" or "Resolution 1325" is not a count.
        if re.search(r"\b[A-Z][\w.]*\s+$", sentence[: m.start()]) and m.group()[0].isdigit():
            continue
        tail = re.match(r"(?:[- ](?:[\w’'-]+)){0,4}", sentence[m.end() :])
        end = m.end() + (tail.end() if tail else 0)
        out.append(Phrase(m.start(), end, sentence[m.start() : end], NUMBER))
    return out
