"""The benchmark CLI refuses missing data with a message, before building anything."""

from __future__ import annotations

import pytest

from eval.bench import main


def test_missing_split_is_named(tmp_path, capsys) -> None:
    (tmp_path / "qrels").mkdir()
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/train.tsv"):
        (tmp_path / name).write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["scifact", "--data", str(tmp_path), "--split", "test"])
    assert exc.value.code == 2
    assert "qrels/test.tsv not found" in capsys.readouterr().err


def test_missing_file_is_named(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["squad", "--data", str(tmp_path / "absent.json")])
    assert exc.value.code == 2
    assert "absent.json not found" in capsys.readouterr().err


def test_the_latency_benchmark_asks_each_kind_of_its_corpus_from_the_sets() -> None:
    import json
    from pathlib import Path

    from eval.bench_latency import KIND_SETS, kind_questions

    sets = Path(__file__).resolve().parent.parent / "eval"
    written = {
        (q["corpus"], q["question"]): q["kind"]
        for name in KIND_SETS
        for line in (sets / name).read_text().splitlines()
        if line.strip() and (q := json.loads(line))
    }
    for corpus in ("bbc", "seeds"):
        picked = kind_questions(corpus, 5, seed=13)
        assert set(picked) == {"collection", "fact", "list", "yes_no"}
        for kind, questions in picked.items():
            assert len(questions) == len(set(questions)) == 5
            assert all(written[(corpus, q)] == kind for q in questions)
        assert picked == kind_questions(corpus, 5, seed=13)  # a fixed sample
