"""The evaluation sets are well-formed: every question has the fields the scorer reads, ids are
unique across the sets, and the sentence each one quotes is in one of its sources (so a gold
citation points at text that exists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import (
    BBC_DATA,
    BBC_QA_PATH,
    FACTS_UNSEEN_PATH,
    KINDS_PATH,
    QA_PATH,
    SEEDS_DIR,
    UNSEEN_PATH,
    by_batch,
    load_questions,
)

SETS = (QA_PATH, KINDS_PATH, BBC_QA_PATH, UNSEEN_PATH, FACTS_UNSEEN_PATH)
FIELDS = ("id", "question", "answers", "sources", "answerable")


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def source_texts() -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in Path(SEEDS_DIR).glob("*.txt")}
    if BBC_DATA.exists():
        for line in BBC_DATA.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            texts[f"{BBC_DATA.name}:{article['id']}"] = article["text"]
    return texts


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_every_question_has_the_scored_fields(path: Path) -> None:
    for q in load_questions(path):
        missing = [f for f in FIELDS if f not in q]
        assert not missing, (q.get("id"), missing)
        if q["answerable"]:
            assert q["answers"] or q.get("items"), q["id"]
        else:
            assert not q["answers"], q["id"]


def test_ids_are_unique_across_the_sets() -> None:
    ids = [q["id"] for path in SETS for q in load_questions(path)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_the_quoted_sentence_is_in_a_source(path: Path, source_texts) -> None:
    checked = 0
    for q in load_questions(path):
        if not q.get("sentence") or not q["sources"]:
            continue
        texts = [source_texts[s] for s in q["sources"] if s in source_texts]
        if not texts:
            continue  # the BBC data is not on this machine
        assert any(_normalised(q["sentence"]) in _normalised(t) for t in texts), q["id"]
        checked += 1
    if path != BBC_QA_PATH or BBC_DATA.exists():
        assert checked, f"no quoted sentence of {path.name} was checked"


def test_answers_are_counted_by_batch() -> None:
    rows = [
        {"batch": 8, "ok": False, "abstained": False},
        {"batch": 7, "ok": True, "abstained": False},
        {"batch": 7, "ok": True, "abstained": True},  # an unanswerable question, declined
        {"batch": 7, "ok": False, "abstained": True},
        {"ok": True, "abstained": False},  # no batch: a set written with the code
    ]
    assert by_batch(rows) == {
        "7": {"right": 2, "wrong": 0, "declined": 1},
        "8": {"right": 0, "wrong": 1, "declined": 0},
    }


@pytest.mark.parametrize("failures", [[], [{"id": "q1", "ok": False}, {"id": "q2", "ok": False}]])
def test_the_results_file_holds_the_report_with_one_failure_a_line(failures) -> None:
    import json

    from eval.__main__ import results_json

    report = {"sets": {"seeds": {"questions": 2}}, "failures": failures, "passed": True}
    text = results_json(report)
    assert json.loads(text) == report
    assert [line.strip().rstrip(",") for line in text.splitlines() if '"id"' in line] == [
        json.dumps(f) for f in failures
    ]
