"""spaCy in a child process (`rag serve`): the same parses and entity tags as in-process, a
child that dies is started again, one that cannot start leaves spaCy in-process, and a pool
starts a second child only for concurrent calls."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.answering.nlp_process import NlpProcess, NlpProcessError
from rag.answering.question_analysis import Annotator, load_spacy, spacy_pool, spacy_process

pytestmark = pytest.mark.model

QUESTIONS = [
    "Who funded the 2008 Vienna conference?",
    "Which countries sent law enforcement representatives to the meeting in Almaty?",
    "Did Japan fund the Astana meeting?",
    "How many experts attended the two-day workshop in Tashkent in November 2008?",
]
SENTENCE = "It was financed by Belgium, Norway, the Russian Federation and Japan."


def _view(doc) -> list:
    return [
        [(t.text, t.lemma_, t.tag_, t.pos_, t.dep_, t.head.i, t.is_stop) for t in doc],
        [(e.start_char, e.end_char, e.label_) for e in doc.ents],
        [c.text for c in doc.noun_chunks],
        [s.text for s in doc.sents],
    ]


@pytest.fixture(scope="module")
def child():
    process = spacy_process()
    yield process
    process.close()


def test_the_child_parses_and_tags_as_spacy_does_here(child: NlpProcess) -> None:
    nlp = load_spacy()
    for text in [*QUESTIONS, SENTENCE]:
        assert _view(child.parse(text)) == _view(nlp(text))
    syntax = child.parse(SENTENCE, disable=["ner"])
    assert not syntax.ents and _view(syntax)[0] == _view(nlp(SENTENCE))[0]
    expected = [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in QUESTIONS]
    assert child.entities(QUESTIONS) == [[tuple(e) for e in ents] for ents in expected]


def test_an_annotator_over_the_child_analyses_questions_as_one_in_process(
    child: NlpProcess,
) -> None:
    here, there = Annotator(), Annotator(nlp_process=child)
    for q in QUESTIONS:
        a, b = here.analyse(q), there.analyse(q)
        assert (a.kind, a.content_lemmas, a.expected) == (b.kind, b.content_lemmas, b.expected)
    assert here.entities(SENTENCE) == [tuple(e) for e in there.entities(SENTENCE)]


def test_a_child_that_dies_is_started_again(child: NlpProcess) -> None:
    child.parse(QUESTIONS[0])
    first = child._proc
    first.kill()
    first.wait(10)
    assert child.parse(QUESTIONS[1])[0].text == "Which"
    assert child._proc is not first and child._proc.poll() is None


def test_a_child_that_cannot_start_leaves_spacy_in_process() -> None:
    broken = NlpProcess("no_such_spacy_package", ())
    with pytest.raises(NlpProcessError, match="no_such_spacy_package"):
        broken.parse("Who funded it?")
    annotator = Annotator(nlp_process=NlpProcess("no_such_spacy_package", ()))
    assert annotator.analyse(QUESTIONS[0]).kind == "fact"  # answered by spaCy in-process
    assert annotator.nlp_process is None


def test_a_pool_starts_a_second_child_only_for_concurrent_calls() -> None:
    """One question at a time keeps one child; calls that find it busy start another (up to
    the pool's size), and every child answers as spaCy does here."""
    import threading

    nlp = load_spacy()
    pool = spacy_pool(2)
    try:
        for q in QUESTIONS:
            assert _view(pool.parse(q)) == _view(nlp(q))
        assert len(pool.pids) == 1
        first = pool.pids[0]
        busy = threading.Barrier(4)
        seen: list[list] = []

        def ask(text: str) -> None:
            busy.wait()
            for _ in range(5):
                seen.append(pool.entities([text]))

        threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(pool.pids) == 2 and first in pool.pids
        expected = {
            q: [(e.start_char, e.end_char, e.label_) for e in nlp(q).ents] for q in QUESTIONS
        }
        assert sorted(map(str, seen)) == sorted(
            str([expected[q]]) for q in QUESTIONS for _ in range(5)
        )
        pids = pool.pids
    finally:
        pool.close()
    assert pool.pids == []
    for pid in pids:  # the children end with the pool
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()


def test_an_engine_that_parses_in_a_child_answers_as_one_in_process(real_engine) -> None:
    """With spaCy in its own process, a question's passages are retrieved while the child
    parses it (Engine._retrieve_while_parsing): every kind of question gets the answer, the
    citations and the confidence an engine parsing in-process gives, and the fact answer
    still reports its retrieval time."""
    from dataclasses import replace

    from rag.engine import Engine

    settings = replace(real_engine.settings, nlp_process="on")
    engine = Engine(settings).open()
    try:
        for question in [
            *QUESTIONS,
            "Which meetings did Norway help fund?",
            "Which is the most recent of the releases?",
        ]:
            here, there = real_engine.ask(question), engine.ask(question)
            assert there.kind == here.kind, question
            assert there.answer == here.answer, question
            assert there.confidence == pytest.approx(here.confidence), question
            assert [(c.source, c.start, c.end) for c in there.citations] == [
                (c.source, c.start, c.end) for c in here.citations
            ], question
        fact = engine.ask("Who funded the 2008 Vienna conference?")
        assert fact.timings_ms["retrieve"] > 0
        assert engine.annotator.nlp_process is not None
    finally:
        if engine.annotator.nlp_process is not None:
            engine.annotator.nlp_process.close()
