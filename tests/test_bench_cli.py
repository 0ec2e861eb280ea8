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
