"""News questions written for fitting the confidence model: eval/news_train.jsonl.

Twelve writers who saw neither the code nor the project's question sets wrote 100 fact
questions each over 646 BBC News articles that no question set uses (70 answerable, with the
answer's sentence; 30 about the article's subject that it does not answer).
`python -m eval.train_ranker` asks them through the product's own retrieval and reader over
the BBC index and adds their candidate spans to the confidence model's rows (label: SQuAD F1
>= 0.5 against the answers; none for a question the article cannot answer), so that
confidence learns what a right answer looks like in news as well as in Wikipedia. The span
ranker still learns from SQuAD alone. The writers split in two halves (`load_news`) for a span
reader that learns from the odd-numbered writers' questions (`python -m eval.train_reader
--news-train`) and a confidence fitted on the even-numbered writers' only, questions that reader
never saw (tried, not shipped: rag/models/READER_CARD.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.metrics import squad_em, squad_f1
from rag.answering.answer_ranker import FEATURES

NEWS_TRAIN = Path(__file__).resolve().parent / "news_train.jsonl"


def load_news(path: Path = NEWS_TRAIN, half: str = "all") -> list[dict]:
    """The news questions; `half` "reader" keeps the odd-numbered writers' (f1, f3 ...), which
    the span reader may learn from (`python -m eval.train_reader --news-train`), "confidence"
    the even-numbered writers', so a reader trained on one half is calibrated on questions it
    never saw; "all" both."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if half == "all":
        return rows
    parity = 1 if half == "reader" else 0
    return [r for r in rows if int(r["id"].split("-")[0].lstrip("f")) % 2 == parity]


def collect_news(engine, questions: list[dict], first_id: int, top_k: int = 5):
    """Feature rows, labels (exact match, F1 >= 0.5), question ids (from `first_id`, so they
    never meet the SQuAD questions') of every candidate span, and for each question in id
    order whether it is answerable."""
    from rich.progress import track

    answerer, snap = engine.answerer, engine.snapshot
    rows, labels, groups = [], [], []
    for qi, q in enumerate(track(questions, description="news questions")):
        resolved, hits, unmet = answerer.retrieve(snap, q["question"], top_k)
        if unmet or not hits:
            continue
        for c in answerer.candidates(resolved, hits):
            rows.append([c.features[f] for f in FEATURES])
            answers = q["answers"]
            right = (squad_em(c.text, answers), float(squad_f1(c.text, answers) >= 0.5))
            labels.append(right if answers else (0.0, 0.0))
            groups.append(first_id + qi)
    answerable = np.array([bool(q["answerable"]) for q in questions])
    return (
        np.array(rows).reshape(-1, len(FEATURES)),
        np.array(labels).reshape(-1, 2),
        np.array(groups, dtype=int),
        answerable,
    )


@dataclass
class NewsRows:
    """The news questions' candidate rows, standardised as the SQuAD ones, for fitting."""

    z: np.ndarray
    y: np.ndarray  # (exact match, F1 >= 0.5) per row
    groups: np.ndarray  # question id per row (from first_id)
    answerable: np.ndarray  # per question, in id order
    first_id: int
    weight: float  # of an unanswerable question (and each of its rows)

    def row_weights(self) -> np.ndarray:
        return np.where(self.answerable[self.groups - self.first_id], 1.0, self.weight)

    def subset(self, rows: np.ndarray) -> NewsRows:
        return replace(self, z=self.z[rows], y=self.y[rows], groups=self.groups[rows])


def unanswerable_weight(answerable: np.ndarray, share: float) -> float:
    """The weight that makes the unanswerable questions `share` of all the questions' weight."""
    n_answerable, n_unanswerable = int(answerable.sum()), int((~answerable).sum())
    if not n_unanswerable:
        return 0.0
    return share / (1 - share) * n_answerable / n_unanswerable
