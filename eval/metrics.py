"""Answer and retrieval metrics for the fixed Q&A set."""

from __future__ import annotations

import re
import string
from collections import Counter

_PUNCT = set(string.punctuation)


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s'-]", " ", text)
    return " ".join(text.split())


def contains_any(answer: str, accepted: list[str]) -> bool:
    a = normalise(answer)
    return any(normalise(s) and normalise(s) in a for s in accepted)


def token_f1(answer: str, accepted: list[str]) -> float:
    pred = normalise(answer).split()
    best = 0.0
    for gold_text in accepted:
        gold = normalise(gold_text).split()
        common = Counter(pred) & Counter(gold)
        same = sum(common.values())
        if not same:
            continue
        p, r = same / len(pred), same / len(gold)
        best = max(best, 2 * p * r / (p + r))
    return best


def reciprocal_rank(ranked_sources: list[str], gold: set[str]) -> float:
    for i, s in enumerate(ranked_sources, 1):
        if s in gold:
            return 1.0 / i
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def squad_normalise(text: str) -> str:
    """Official SQuAD v1.1 normalisation: lower case; no punctuation, articles or extra space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_em(prediction: str, answers: list[str] | tuple[str, ...]) -> float:
    return float(any(squad_normalise(prediction) == squad_normalise(a) for a in answers))


def squad_f1(prediction: str, answers: list[str] | tuple[str, ...]) -> float:
    """The official SQuAD v1.1 token F1, best over the gold answers."""
    pred = squad_normalise(prediction).split()
    best = 0.0
    for answer in answers:
        gold = squad_normalise(answer).split()
        same = sum((Counter(pred) & Counter(gold)).values())
        if same:
            p, r = same / len(pred), same / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best
