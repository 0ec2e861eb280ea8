"""Cloze questions made from unlabelled news (eval.synthetic_qa), extra reader training data."""

from __future__ import annotations

import random

import pytest

from eval.synthetic_qa import (
    BBC_ARTICLES,
    cloze_articles,
    cloze_question,
    excluded_articles,
)
from rag.answering.focus import WH_FOR_LABEL
from rag.answering.question_analysis import load_spacy


def test_the_answer_is_cut_out_and_a_wh_word_of_its_type_put_in_front() -> None:
    doc = load_spacy()("The carmaker said on Tuesday that Maria Lopez will lead the new factory.")
    person = next(e for e in doc.ents if e.label_ == "PERSON")
    question = cloze_question(person.sent, person, random.Random(0))
    assert question is not None
    assert question.startswith("who ") and question.endswith("?")
    assert "Maria" not in question and "Lopez" not in question
    words = set(question[4:-1].split())
    # only words of the sentence, most of the clause kept (a tenth dropped on average)
    assert words <= {t.text for t in doc}
    assert {"lead", "factory"} & words


def test_a_clause_too_short_to_ask_gives_no_question() -> None:
    doc = load_spacy()("Smith resigned.")
    ent = next(iter(doc.ents))
    assert cloze_question(ent.sent, ent, random.Random(0)) is None


@pytest.mark.skipif(not BBC_ARTICLES.exists(), reason="needs ../shared/data/bbc")
def test_articles_cited_by_the_projects_bbc_questions_are_never_used() -> None:
    banned = excluded_articles()
    assert len(banned) > 50  # the BBC questions cite many articles
    articles = cloze_articles(12, seed=5)
    assert articles and not {a.title for a in articles} & banned
    for art in articles:
        for q in art.questions:
            context = art.paragraphs[q.paragraph]
            start = q.answer_starts[0]
            assert context[start : start + len(q.answers[0])] == q.answers[0]
            assert q.question.split()[0] in {w.split()[0] for w in [*WH_FOR_LABEL.values(), "what"]}
    # deterministic: the same seed draws the same questions
    again = cloze_articles(12, seed=5)
    assert [q.question for a in again for q in a.questions] == [
        q.question for a in articles for q in a.questions
    ]
