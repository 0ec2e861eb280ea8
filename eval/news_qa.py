"""The project's own BBC fact questions as SQuAD-shaped training articles for the span reader.

Questions written blind over BBC News (eval/facts_unseen.jsonl, batches up to
TRAIN_BATCHES_UP_TO) give the reader news phrasing that SQuAD's Wikipedia questions lack. Each
BBC article becomes an Article whose paragraphs are runs of its own paragraphs of at least
PARAGRAPH_WORDS words (the size of a SQuAD paragraph); a question is asked of the run holding
its gold sentence, its answer at the gold answer's place in that sentence. Later batches, the
seed questions and eval/bbc_qa.jsonl stay out, so the sets that measure the reader are not the
ones it learnt from. Tried (`python -m eval.train_reader --news-repeat 2`) and not shipped: the
fact answers gained, the yes/no and list answers built on the reader's spans lost more
(rag/models/READER_CARD.md).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from eval.squad_data import Article, Question
from eval.synthetic_qa import paragraph_runs

ROOT = Path(__file__).resolve().parent.parent
NEWS_QUESTIONS = ROOT / "eval" / "facts_unseen.jsonl"
BBC_ARTICLES = ROOT.parent / "shared" / "data" / "bbc" / "bbc_articles.jsonl"
TRAIN_BATCHES_UP_TO = 20  # batches 21 onwards measure the reader trained on the others
PARAGRAPH_WORDS = 120


def _located(runs: list[str], sentence: str, answers: list[str]) -> tuple[int, int, str] | None:
    """(run index, answer start in the run, answer) for the first answer variant found inside
    the gold sentence; None when the sentence or the answer cannot be found."""
    for ri, run in enumerate(runs):
        at = run.find(sentence)
        if at < 0:
            continue
        for answer in answers:
            inside = sentence.find(answer)
            if inside >= 0:
                return ri, at + inside, answer
    return None


def eval_set_rows(questions: Path = NEWS_QUESTIONS, up_to_batch: int = TRAIN_BATCHES_UP_TO):
    """The answerable BBC fact questions of the eval set's batches up to `up_to_batch`."""
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    return [
        r
        for r in rows
        if r.get("corpus") == "bbc"
        and r.get("answers")
        and r.get("sentence")
        and int(r.get("batch") or 0) <= up_to_batch
    ]


def _most_tempting(runs: list[str], question: str) -> int:
    """The run sharing the most words with the question (the first on a tie): where a reader
    is likeliest to find a wrong answer to a question the article does not answer."""
    asked = {w.lower().strip("?,.'\"") for w in question.split()}
    return max(range(len(runs)), key=lambda i: (len(asked & set(runs[i].lower().split())), -i))


def news_articles(rows: list[dict], bbc: Path = BBC_ARTICLES) -> list[Article]:
    """One Article per BBC article the `rows` ask about. An answerable question is asked of the
    run holding its sentence (skipped when the sentence or answer is not found verbatim); one
    the article does not answer ("answerable": false), of the run most like it, with no answer."""
    by_source: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_source[r["sources"][0].split(":", 1)[1]].append(r)
    texts = {}
    with bbc.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] in by_source:
                texts[rec["id"]] = (rec["title"], rec["text"])
    articles = []
    for number, (source, asked) in enumerate(sorted(by_source.items())):
        title, text = texts[source]
        runs = paragraph_runs(text, PARAGRAPH_WORDS)
        found = []
        for r in asked:
            if r.get("answerable") is False:
                ri = _most_tempting(runs, r["question"])
                found.append(Question(r["id"], r["question"], ("",), (-1,), number, ri))
                continue
            where = _located(runs, r["sentence"], r["answers"])
            if where is None:
                continue
            ri, start, answer = where
            found.append(Question(r["id"], r["question"], (answer,), (start,), number, ri))
        if found:
            articles.append(Article(title, tuple(runs), tuple(found)))
    return articles
