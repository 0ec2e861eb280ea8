"""The project's own BBC questions as reader training data (eval.news_qa)."""

from __future__ import annotations

import json
from pathlib import Path

from eval.news_qa import PARAGRAPH_WORDS, news_articles

_FILLER = " ".join(["The club trained at its usual ground on the coast."] * 12)


def _write(tmp_path: Path, articles: list[dict], questions: list[dict]) -> tuple[Path, Path]:
    bbc = tmp_path / "bbc.jsonl"
    bbc.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    asked = tmp_path / "facts.jsonl"
    asked.write_text("\n".join(json.dumps(q) for q in questions) + "\n", encoding="utf-8")
    return asked, bbc


def _question(qid: str, batch: int, answers: list[str], sentence: str, source: str) -> dict:
    return {
        "id": qid,
        "question": f"Question {qid}?",
        "answers": answers,
        "sources": [f"bbc_articles.jsonl:{source}"],
        "sentence": sentence,
        "corpus": "bbc",
        "batch": batch,
    }


def test_a_question_is_asked_of_the_run_of_paragraphs_holding_its_sentence(tmp_path) -> None:
    late = "Later in the season, Kestrel United sold their striker Tom Reid to Lune Rovers."
    text = f"{_FILLER}\n\n{_FILLER}\n\nRovers fans were told first.\n\n{late}"
    asked, bbc = _write(
        tmp_path,
        [{"id": "sport/001", "category": "sport", "title": "Reid leaves", "text": text}],
        [_question("n1-01", 3, ["Rovers", "Lune Rovers"], late, "sport/001")],
    )
    [article] = news_articles(asked, bbc)
    [question] = article.questions
    paragraph = article.paragraphs[question.paragraph]
    start = question.answer_starts[0]
    # The answer is the first variant found in the gold sentence, at its place there (not an
    # earlier "Rovers" elsewhere), in a run of paragraphs as long as a SQuAD paragraph.
    assert paragraph[start : start + len(question.answers[0])] == "Rovers"
    assert paragraph.index(late) < start
    assert article.paragraphs[0].count(".") >= 12
    assert all(len(p.split()) >= PARAGRAPH_WORDS for p in article.paragraphs[:-1])


def test_later_batches_unanswerable_and_unfound_questions_stay_out(tmp_path) -> None:
    sentence = "Acme Foods cut 300 jobs at its plant in Leeds on Monday."
    text = f"{sentence}\n\n{_FILLER}"
    rows = [
        _question("n1-01", 2, ["300"], sentence, "business/001"),
        _question("n30-01", 30, ["Leeds"], sentence, "business/001"),  # a measuring batch
        _question("n1-02", 2, [], "", "business/001"),  # unanswerable
        _question("n1-03", 2, ["Bradford"], sentence, "business/001"),  # not in the text
        {**_question("s1-01", 2, ["Acme"], sentence, "business/001"), "corpus": "seeds"},
    ]
    asked, bbc = _write(
        tmp_path,
        [{"id": "business/001", "category": "business", "title": "Jobs cut", "text": text}],
        rows,
    )
    [article] = news_articles(asked, bbc, up_to_batch=20)
    assert [q.qid for q in article.questions] == ["n1-01"]
