"""The confidence of a yes/no answer: how often answers decided the same way were right.

A yes/no verdict comes from one of a few checks (rag.answering.yes_no): the reader's span names
the asked name ("yes: the reader's span"), the parse puts it in the asked slot, another filler
of the slot was read or parsed ("no: another filler read"), a count or a value disagrees. The
reader's span probability says how sure the reader is of a span, not whether the check that
turned it into a verdict was right: on the project's yes/no questions it does not tell right
verdicts from wrong ones. So a verdict's confidence is the share of right answers among the
verdicts its check gave on questions written for fitting (`python -m eval.fit_yes_no`,
rag/models/yes_no_routes.json), smoothed towards the share over all checks when a check
decided few of them. Without the file, the reader's span probability stands.

Answers about the collection (rag.answering.collection) get their confidence the same way, per
operation ("collection: count", fitted by `python -m eval.fit_collection` into
rag/models/collection_routes.json).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
YES_NO_MODEL = MODELS_DIR / "yes_no_routes.json"

# The checks that decide a verdict (the route of an answer: "<verdict>: <check>").
READER_SPAN = "the reader's span"
FOCUS_IN_SLOT = "the focus in the slot"
ROLES_REVERSED = "roles reversed"
FILLER_READ = "another filler read"
FILLER_PARSED = "another filler parsed"
COUNTS = "counts"
OTHER_VALUE = "another value"
OTHER_DESCRIPTION = "another description"
OTHER_ARGUMENT = "another argument"


def route(verdict: str, check: str) -> str:
    """The key of a verdict decided by `check`: "yes: the reader's span"."""
    return f"{verdict.lower()}: {check}"


def smoothed(right: int, wrong: int, prior: float, weight: float) -> float:
    """The share of right answers, with `weight` answers at the `prior` share added: a check
    that decided few questions gets about the share of all checks."""
    return (right + weight * prior) / (right + wrong + weight)


@cache
def _probabilities(path: Path) -> tuple[dict[str, float], float | None]:
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("no fitted confidences at %s; the unfitted confidence stands", path)
        return {}, None
    routes = {key: float(r["probability"]) for key, r in model.get("routes", {}).items()}
    return routes, float(model["default"]) if "default" in model else None


def confidence(key: str, reader_probability: float, path: Path = YES_NO_MODEL) -> float:
    """The fitted share of right answers for verdicts of this route; for a route the fit never
    saw, the share over all routes; without a model, the reader's span probability."""
    routes, default = _probabilities(path)
    if key in routes:
        return routes[key]
    return default if default is not None else reader_probability
