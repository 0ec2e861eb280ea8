"""Resolve a follow-up question using the conversation so far.

A follow-up that names no year, place or release of its own ("How many experts attended it?")
inherits the most recent user question's constraints by appending that question as context.
"""

from __future__ import annotations

import re

from rag.answering import constraints as question_constraints
from rag.values import Document

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|that|this|those|these|there|the same|"
    r"the one|one)\b",
    re.I,
)


def resolve_followup(question: str, history: list[dict], documents: dict[str, Document]) -> str:
    previous = [
        m.get("content", "")
        for m in history
        if isinstance(m, dict) and m.get("role") == "user" and m.get("content")
    ]
    if not previous:
        return question
    last = previous[-1]
    own = question_constraints.extract(question, documents)
    starts_follow = re.match(r"\s*(and|but|also|what about|how about)\b", question, re.I)
    if not own.empty() and not starts_follow:
        return question
    if own.empty() or _ANAPHORA.search(question) or starts_follow:
        if own.empty():
            return f"{question} (context: {last})"
        # "And who funded the one in Astana?": keep the new constraint, borrow the rest.
        return f"{question} (about: {_strip_constraints(last, documents)})"
    return question


def _strip_constraints(text: str, documents: dict[str, Document]) -> str:
    c = question_constraints.extract(text, documents)
    for y in c.years:
        text = text.replace(str(y), "")
    for p in c.places:
        text = re.sub(rf"\b{re.escape(p)}\b", "", text, flags=re.I)
    return " ".join(text.split())
