"""A release's dateline says when it was issued: a sentence that states another date for what
it reports answers "when" with that date, and no date answers "how long"
(rag.answering.extractive), with the real models."""

from __future__ import annotations

import pytest

from tests.conftest import one_release_engine

pytestmark = pytest.mark.model

AHEAD = (
    "TROMSO, Norway, 2 March 2026 - Coastguard officers from Norway, Iceland and the Faroe "
    "Islands will meet on 9 and 10 March in Tromso to plan joint search-and-rescue exercises. "
    "The meeting is funded by the Nordic Council."
)
SAME_DAY = (
    "REYKJAVIK, 4 May 2026 - A one-day workshop on Arctic shipping opened in Reykjavik today, "
    "bringing together port authorities from five countries."
)


def test_the_date_the_sentence_states_is_the_answer_not_the_datelines(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "a", "tromso.txt", "Coastguards to meet", AHEAD)
    answer = engine.ask("On which days will the coastguard officers meet in Tromso?")
    assert not answer.abstained and "9 and 10 March" in answer.answer, answer.answer
    assert "2 March" not in answer.answer


def test_the_dateline_date_answers_when_the_sentence_says_today(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "b", "reykjavik.txt", "Workshop opens", SAME_DAY)
    # "one-day" is a stretch of time, not another date
    answer = engine.ask("When did the Arctic shipping workshop open in Reykjavik?")
    assert "4 May 2026" in answer.answer, answer.answer


def test_how_long_is_never_answered_with_a_date(tmp_path) -> None:
    engine = one_release_engine(tmp_path / "c", "reykjavik.txt", "Workshop opens", SAME_DAY)
    answer = engine.ask("How long did the Arctic shipping workshop in Reykjavik last?")
    # "4 May 2026" says when; the answer is the stretch, or nothing
    assert "4 May" not in answer.answer, answer.answer
    assert answer.abstained or "one-day" in answer.answer, answer.answer
