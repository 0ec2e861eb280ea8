"""Cloze-style reading exercises from unlabelled news: extra training data for the span reader.

SQuAD part-a gives the reader 3,656 labelled questions, all about Wikipedia. This module makes
more from the BBC News articles in ../shared/data/bbc without any labelling, the "noisy cloze"
recipe of Lewis et al. (2019, "Unsupervised Question Answering by Cloze Translation"): spaCy
finds a named entity in a sentence; the clause around it, with the entity removed, a wh-word put
in front, a tenth of the words dropped and the rest shuffled locally, is the question; the entity
is the answer; the passage holding the sentence is the context. The wh-word comes from the
entity's label by the table yes/no questions use (rag.answering.focus.WH_FOR_LABEL, the
paper's
mapping: person/group/organisation: who, place: where, time: when, number: how many/how much,
other: what), not from any question of this project.

`python -m eval.train_reader --synthetic-articles 800` trains one pass over these before SQuAD.
Measured (rag/models/READER_CARD.md, "Tried"): no gain worth its hour of training, so the
shipped reader is trained without them (the option's default is 0). Articles that any question
of eval/bbc_qa.jsonl cites are never used, so the project's own BBC questions stay unseen; the
articles used are drawn by a fixed seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from eval.squad_data import Article, Question
from rag.answering.focus import WH_FOR_LABEL

EVAL_DIR = Path(__file__).resolve().parent
BBC_ARTICLES = EVAL_DIR.parent.parent / "shared" / "data" / "bbc" / "bbc_articles.jsonl"
BBC_QA = EVAL_DIR / "bbc_qa.jsonl"

# The wh-word of a cloze answer from its entity label: the product's own table (as in Lewis et
# al. 2019, section 3.2: person/organisation who, place where, time when, number how many/much,
# other what). Ordinals ("second") make no question.
UNASKED_LABELS = frozenset({"ORDINAL"})
CONTEXT_WORDS = 150  # consecutive paragraphs are joined up to about a SQuAD paragraph's length
QUESTIONS_PER_CONTEXT = 2
WORD_DROPOUT = 0.1
SHUFFLE_WINDOW = 3


def paragraph_runs(text: str, words: int = CONTEXT_WORDS) -> list[str]:
    """The article's paragraphs, joined into passages of at least `words` words (the last may
    be shorter)."""
    out, current = [], []
    for para in (p.strip() for p in text.split("\n\n")):
        if not para:
            continue
        current.append(para)
        if sum(len(p.split()) for p in current) >= words:
            out.append("\n\n".join(current))
            current = []
    if current:
        out.append("\n\n".join(current))
    return out


def _noisy(words: list[str], rng: random.Random) -> list[str]:
    """Word dropout then a local shuffle (each word moves at most SHUFFLE_WINDOW places), so the
    question cannot be matched to its sentence by copying alone."""
    kept = [w for w in words if rng.random() >= WORD_DROPOUT] or words
    keys = [i + rng.uniform(0, SHUFFLE_WINDOW) for i in range(len(kept))]
    return [w for _, w in sorted(zip(keys, kept, strict=True), key=lambda kw: kw[0])]


def cloze_question(sent, ent, rng: random.Random) -> str | None:
    """The clause around `ent` (the subtree of its nearest verb), the entity cut out, as a
    noisy wh-question; None when the clause is too short to ask anything."""
    head = ent.root
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:
        head = head.head
    lo, hi = (
        (head.left_edge.i, head.right_edge.i)
        if head.pos_ in ("VERB", "AUX")
        else (
            sent.start,
            sent.end - 1,
        )
    )
    words = [
        t.text
        for t in sent.doc[lo : hi + 1]
        if not (ent.start <= t.i < ent.end) and not t.is_punct and not t.is_space
    ]
    if len(words) < 4:
        return None
    return " ".join([WH_FOR_LABEL.get(ent.label_, "what"), *_noisy(words, rng)]) + "?"


def excluded_articles(qa_path: Path = BBC_QA) -> set[str]:
    """Article ids cited by the project's BBC questions (kept out of the synthetic data)."""
    ids = set()
    for line in qa_path.read_text().splitlines():
        if line.strip():
            for src in json.loads(line).get("sources", []):
                ids.add(src.split(":", 1)[-1])
    return ids


def cloze_articles(
    n_articles: int, seed: int = 13, path: Path = BBC_ARTICLES, qa_path: Path = BBC_QA
) -> list[Article]:
    """`n_articles` BBC articles (drawn by `seed`, never one the BBC questions cite) as SQuAD-
    shaped articles whose questions are cloze questions."""
    from rag.answering.question_analysis import Annotator

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    banned = excluded_articles(qa_path)
    rows = [r for r in rows if r["id"] not in banned]
    rng = random.Random(seed)
    rng.shuffle(rows)
    nlp = Annotator().nlp
    out = []
    for row in rows[:n_articles]:
        paragraphs = paragraph_runs(row["text"])
        questions = []
        for p_i, doc in enumerate(nlp.pipe(paragraphs)):
            ents = [
                e for e in doc.ents if e.label_ not in UNASKED_LABELS and 6 <= len(e.sent) <= 45
            ]
            rng.shuffle(ents)
            for ent in ents[:QUESTIONS_PER_CONTEXT]:
                question = cloze_question(ent.sent, ent, rng)
                if question is None:
                    continue
                questions.append(
                    Question(
                        qid=f"{row['id']}#{p_i}:{ent.start_char}",
                        question=question,
                        answers=(ent.text,),
                        answer_starts=(ent.start_char,),
                        article=-1,
                        paragraph=p_i,
                    )
                )
        if questions:
            out.append(Article(row["id"], tuple(paragraphs), tuple(questions)))
    return out


if __name__ == "__main__":  # a look at what the reader is given
    for art in cloze_articles(3):
        for q in art.questions[:4]:
            print(f"{q.question}  ->  {q.answers[0]}")
