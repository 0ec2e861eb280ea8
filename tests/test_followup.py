"""Follow-up questions resolved from the conversation so far, with the real model."""

from __future__ import annotations

import pytest

from rag.answering.followup import resolve_followup
from rag.engine import Engine
from tests.conftest import ASTANA, TASHKENT


def _turns(engine: Engine, *questions: str):
    history: list[dict[str, str]] = []
    answer = None
    for q in questions:
        answer = engine.ask(q, history=history or None)
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": answer.answer}]
    return answer


@pytest.mark.model
@pytest.mark.xfail(
    strict=True,
    reason="known miss: the follow-up resolves to the Astana release, but the reader's "
    "'who funded' span there is a person (confidence 0.26), so the engine declines",
)
def test_and_who_funded_the_one_in_astana(real_engine: Engine) -> None:
    answer = _turns(
        real_engine,
        "Who funded the 2008 Vienna conference?",
        "And who funded the one in Astana?",
    )
    assert not answer.abstained, answer
    assert "Norway and Belgium" in answer.answer
    assert ASTANA in {c.source for c in answer.citations}


@pytest.mark.model
def test_how_many_experts_attended_it(real_engine: Engine) -> None:
    answer = _turns(
        real_engine,
        "Who funded the 2008 Tashkent workshop?",
        "How many experts attended it?",
    )
    assert not answer.abstained, answer
    assert "90" in answer.answer
    assert TASHKENT in {c.source for c in answer.citations}


def test_question_with_its_own_constraints_is_left_alone() -> None:
    history = [{"role": "user", "content": "Who funded the 2008 Vienna conference?"}]
    q = "Who funded the 2008 Tashkent workshop?"
    assert resolve_followup(q, history, {}) == q


def test_no_history_is_left_alone() -> None:
    assert resolve_followup("How many experts attended it?", [], {}) == (
        "How many experts attended it?"
    )
