"""Fit the confidence of answers about the collection: how often each operation is right.

    python -m eval.fit_collection [--batches 13-15] [--prior-weight 5]

A collection answer (rag.answering.collection: how many releases mention X, which releases are
from a year or place, the most recent, a field's values) is read off the metadata, but what the
question asks (the operation, the terms a release must mention, the field) is inferred from its
parse, and that inference is wrong about one time in four on questions written by others. So
its confidence is the share of right answers among the answers its operation gave to the list
and collection questions of the given batches of eval/lists_unseen.jsonl (written from the texts
by others than the code's authors, after the code; README, Evaluation), asked through the
product's own answer path, smoothed towards the share over all operations with
`--prior-weight` answers (eval.fit_yes_no's method). Writes
rag/models/collection_routes.json. Batches 13-15 guided the collection changes, so the shares
may run high on new questions; batch 16 stays out of the fit so that it measures it.
Deterministic; about a minute.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from eval.__main__ import BBC_DATA, BBC_INDEX, LISTS_UNSEEN_PATH
from eval.fit_yes_no import batch_range, fit, fitting_questions, route_counts, write_routes
from rag.answering.collection import COLLECTION_MODEL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_collection", description=__doc__)
    parser.add_argument("--batches", default="13-15", help="batches of the lists set to fit on")
    parser.add_argument("--prior-weight", type=float, default=5.0)
    parser.add_argument("--bbc-data", type=Path, default=BBC_DATA)
    parser.add_argument("--bbc-index-dir", type=Path, default=BBC_INDEX)
    parser.add_argument("--out", type=Path, default=COLLECTION_MODEL)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    questions = fitting_questions(batch_range(args.batches), LISTS_UNSEEN_PATH)
    counts = route_counts(questions, args.bbc_data, args.bbc_index_dir)
    # Only the collection path's answers: a list read from passages has its own confidence.
    counts = {key: c for key, c in counts.items() if key.startswith("collection: ")}
    source = f"eval/lists_unseen.jsonl batches {args.batches} (`python -m eval.fit_collection`)"
    write_routes(source, len(questions), fit(counts, args.prior_weight), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
