"""The project's own BBC questions as reader training data (eval.news_qa)."""

from __future__ import annotations

import json
from pathlib import Path

from eval.news_calib import load_news
from eval.news_qa import PARAGRAPH_WORDS, eval_set_rows, news_articles

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
    [article] = news_articles(eval_set_rows(asked), bbc)
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
    [article] = news_articles(eval_set_rows(asked, up_to_batch=20), bbc)
    assert [q.qid for q in article.questions] == ["n1-01"]


def test_a_question_the_article_does_not_answer_is_read_with_no_answer_where_it_tempts(
    tmp_path,
) -> None:
    tempting = "Acme Foods will close its Leeds plant, the company said."
    text = f"{_FILLER}\n\n{_FILLER}\n\n{tempting}"
    unanswerable = {
        **_question("f3-07", 0, [], "", "business/001"),
        "question": "How many jobs will go when Acme Foods closes its Leeds plant?",
        "answerable": False,
    }
    _, bbc = _write(
        tmp_path,
        [{"id": "business/001", "category": "business", "title": "Plant shut", "text": text}],
        [unanswerable],
    )
    [article] = news_articles([unanswerable], bbc)
    [question] = article.questions
    # No answer (the reader's [CLS] label), asked of the run that names the plant, not the
    # first one.
    assert question.answer_starts == (-1,) and question.answers == ("",)
    assert tempting in article.paragraphs[question.paragraph]
    assert question.paragraph > 0


def test_the_news_training_questions_split_by_writer_into_disjoint_halves() -> None:
    reader, confidence = load_news(half="reader"), load_news(half="confidence")
    everyone = load_news()
    assert len(reader) + len(confidence) == len(everyone) == 1200
    assert not {r["id"] for r in reader} & {r["id"] for r in confidence}
    # Whole writers go to one half: a reader never learns a writer's phrasing that calibrates it.
    writers = {
        h: {r["id"].split("-")[0] for r in rows} for h, rows in (("r", reader), ("c", confidence))
    }
    assert not writers["r"] & writers["c"] and len(writers["r"]) == len(writers["c"]) == 6
