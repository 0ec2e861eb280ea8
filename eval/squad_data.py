"""SQuAD v1.1 loading and the by-article split every trained part of the reader respects.

Articles, not questions, are split, so no paragraph is seen in two splits:
- train: the span reader's training data (eval.train_reader);
- calib: held out from the reader; the answer ranker / confidence calibrator is fitted on it;
- dev: touched by nothing; `python -m eval.bench squad` reports on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQUAD = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/squad/dev-v1.1-part-a.json"
)
SPLITS = ("train", "calib", "dev", "all")


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    article: int
    paragraph: int  # index into the article's paragraphs


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[Question, ...]


def split_of(article_index: int) -> str:
    """A fixed assignment by position: of every 8 articles, 2 go to dev, 1 to calib, 5 to train."""
    r = article_index % 8
    if r in (3, 7):
        return "dev"
    if r == 5:
        return "calib"
    return "train"


def load_articles(path: Path, split: str = "all") -> list[Article]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    raw = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    out = []
    for ai, art in enumerate(raw):
        if split != "all" and split_of(ai) != split:
            continue
        paragraphs, questions = [], []
        for pi, para in enumerate(art["paragraphs"]):
            paragraphs.append(para["context"])
            for qa in para["qas"]:
                questions.append(
                    Question(
                        qid=qa["id"],
                        question=qa["question"].strip(),
                        answers=tuple(a["text"] for a in qa["answers"]),
                        answer_starts=tuple(a["answer_start"] for a in qa["answers"]),
                        article=ai,
                        paragraph=pi,
                    )
                )
        out.append(Article(art["title"], tuple(paragraphs), tuple(questions)))
    return out
