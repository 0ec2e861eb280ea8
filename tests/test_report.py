"""docs/benchmarks.md is generated from eval/results/*.json (eval.report): every figure in it is
one the results files hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

from eval import report


def test_every_figure_comes_from_the_results(tmp_path: Path, monkeypatch) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "squad.json").write_text(
        json.dumps(
            {
                "questions": 300,
                "hit@1": 0.84,
                "machine": {"cpus": 2},
                "failures": [{"q": "not shown"}],
                "answers": {"hybrid": {"f1": 0.5071, "p50_ms": 4.953}},
                "http": [{"concurrency": 1, "p50_ms": 284.81}, {"concurrency": 4, "p50_ms": 900}],
            }
        )
    )
    page = report.render(results)
    assert page.startswith("# Benchmarks\n") and "## Answering: SQuAD" in page
    assert "| hit@1 | 0.84 |" in page and "| questions | 300 |" in page
    assert "| hybrid | 0.5071 | 4.953 |" in page
    assert "| 4 | 900 |" in page
    assert "Machine: cpus 2" in page and "not shown" not in page
    numbers = set(re.findall(r"\d+(?:\.\d+)?", page))
    # The results' figures, plus those of the command line that wrote squad.json ("--sample 500").
    allowed = {"1", "2", "4", "300", "0.84", "0.5071", "4.953", "284.8", "900", "50", "500"}
    assert numbers <= allowed, numbers
    out = tmp_path / "benchmarks.md"
    monkeypatch.setattr(report, "RESULTS", results)
    monkeypatch.setattr(report, "render", lambda: page)
    assert report.main(["--out", str(out), "--check"]) == 1  # missing: stale
    assert report.main(["--out", str(out)]) == 0 and out.read_text() == page
    assert report.main(["--out", str(out), "--check"]) == 0
