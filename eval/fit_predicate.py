"""Fit how closely a sentence that answers a question restates the question's verb.

    python -m eval.fit_predicate [--data ../shared/data/squad/dev-v1.1-part-a.json]

For each question of the SQuAD `train` split whose main verb is a full verb ("Who *founded*
the company?"; not "Who is ..."), the similarity of that verb to the content words of the
sentence holding the gold answer (and of the sentence before it) is measured exactly as the
yes/no answers measure it (rag.answering.roles.predicate_similarity). The bound is the
`--quantile` of those similarities: the share of answering sentences that restate their
question's verb less closely than that, and would be declined. The `calib` split reports how
many answering sentences pass and how many other sentences of the same paragraphs pass too.
The slot bound (rag.answering.slots) is fitted the same way, one level finer: for each such
question whose gold answer is an agent or patient of a verb in its sentence, how closely that
verb restates the question's verbs (rag.answering.slots.restatement: "help pay" against
"provided financial support"). The `--slot-quantile` of those, the median, is
`slot_threshold`: a slot read off the parse alone, without the reader's span, decides a yes/no
answer, so its verb must restate the asked one as closely as the typical answer's verb does.
On `calib`, the share of the other arguments' verbs in the same paragraphs that pass is
reported.
Writes rag/models/predicate.json. Deterministic: every qualifying question in file order.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.squad_data import DEFAULT_SQUAD, load_articles
from rag.answering.question_analysis import SPACY_PACKAGE, Annotator
from rag.answering.roles import (
    PREDICATE_MODEL,
    asked_predicate,
    governing_verb,
    predicate_similarity,
    predicate_token,
    role_of,
)
from rag.answering.slots import restatement, verb_phrase
from rag.config import DEFAULT_MODEL, Settings
from rag.embedders.base import make_embedder

log = logging.getLogger("fit_predicate")


def _measure(data: Path, split: str, limit: int, desc: str, measure):
    """(answering, other) values of `measure(article, question)` -> ([...], [...]) or None
    (question skipped), over the split's questions in file order until `limit` are measured."""
    answering, other = [], []
    questions = [(a, q) for a in load_articles(data, split) for q in a.questions]
    done = 0
    with tqdm(total=limit, desc=f"{split} {desc}", unit="q", disable=None) as bar:
        for article, q in questions:
            if done >= limit:
                break
            got = measure(article, q)
            if got is None:
                continue
            answering += got[0]
            other += got[1]
            done += 1
            bar.update()
    return answering, other


def similarities(
    data: Path, split: str, annotator: Annotator, limit: int
) -> tuple[list[float], list[float]]:
    """(answering sentences', other sentences') similarity to their question's verb."""
    nlp = annotator.nlp

    def measure(article, q):
        question = annotator.parse(q.question)
        predicate = asked_predicate(question)
        if predicate is None:
            return None
        paragraph = article.paragraphs[q.paragraph]
        bounds = [(s.start_char, s.end_char) for s in nlp(paragraph).sents]
        gold = next((i for i, (a, b) in enumerate(bounds) if a <= q.answer_starts[0] < b), None)
        if gold is None:
            return None
        docs = [annotator.parse(paragraph[a:b], entities=False) for a, b in bounds]
        sims = [
            predicate_similarity(
                question, predicate, docs[max(0, i - 1) : i + 1], annotator.word_vectors
            )
            for i in range(len(docs))
        ]
        return [sims[gold]], sims[:gold] + sims[gold + 1 :]

    return _measure(data, split, limit, "questions", measure)


def slot_similarities(
    data: Path, split: str, annotator: Annotator, limit: int
) -> tuple[list[float], list[float]]:
    """(the answer's verb's, the other arguments' verbs') phrase similarity to the question's
    verb phrase, over questions whose gold answer is an agent or patient of a verb."""
    nlp = annotator.nlp

    def measure(article, q):
        verb = predicate_token(annotator.parse(q.question))
        if verb is None:
            return None
        paragraph = article.paragraphs[q.paragraph]
        start, end = q.answer_starts[0], q.answer_starts[0] + len(q.answers[0])
        gold_verb, others = None, []
        for sent in nlp(paragraph).sents:
            doc = annotator.parse(sent.text, entities=False)
            if sent.start_char <= start < sent.end_char:
                a0 = start - sent.start_char
                span = doc.char_span(a0, end - sent.start_char, alignment_mode="expand")
                if span is not None and role_of(span.root):
                    gold_verb = governing_verb(span.root)
                continue
            for chunk in doc.noun_chunks:
                found = governing_verb(chunk.root) if role_of(chunk.root) else None
                if found is not None:
                    others.append(found)
        if gold_verb is None:
            return None
        asked = verb_phrase(verb)
        return [restatement(annotator.word_vectors, asked, gold_verb)], [
            restatement(annotator.word_vectors, asked, o) for o in others
        ]

    return _measure(data, split, limit, "slots", measure)


def _share(values: list[float], threshold: float) -> float:
    return round(float(np.mean(np.array(values) >= threshold)), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_predicate", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--quantile", type=float, default=0.1)
    parser.add_argument("--slot-quantile", type=float, default=0.5)
    parser.add_argument("--questions", type=int, default=1500, help="per split, at most")
    parser.add_argument("--out", type=Path, default=PREDICATE_MODEL)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    settings = Settings()
    annotator = Annotator(make_embedder(DEFAULT_MODEL, 64, settings.evidence_backend))
    answering, _ = similarities(args.data, "train", annotator, args.questions)
    threshold = float(np.quantile(answering, args.quantile))
    calib, calib_other = similarities(args.data, "calib", annotator, args.questions)
    slots, _ = slot_similarities(args.data, "train", annotator, args.questions)
    slot_threshold = float(np.quantile(slots, args.slot_quantile))
    calib_slots, calib_verbs = slot_similarities(args.data, "calib", annotator, args.questions)
    model = {
        "threshold": round(threshold, 4),
        "slot_threshold": round(slot_threshold, 4),
        "quantile": args.quantile,
        "slot_quantile": args.slot_quantile,
        "embedding_model": DEFAULT_MODEL,
        "embedding_backend": settings.evidence_backend,
        "spacy": SPACY_PACKAGE,
        "fitted_on": f"SQuAD v1.1 {args.data.name}, train split, {len(answering)} questions "
        f"({len(slots)} for the slot bound)",
        "calib": {
            "questions": len(calib),
            "answering_sentences_passing": _share(calib, threshold),
            "other_sentences": len(calib_other),
            "other_sentences_passing": _share(calib_other, threshold),
            "slot_questions": len(calib_slots),
            "answer_verbs_passing": _share(calib_slots, slot_threshold),
            "other_verbs": len(calib_verbs),
            "other_verbs_passing": _share(calib_verbs, slot_threshold),
        },
    }
    args.out.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    log.info(
        "%s\nwrote %s in %.0f s", json.dumps(model, indent=2), args.out, time.perf_counter() - t0
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
