"""The built wheel carries everything the service and its evaluation need, and an installed
`rag eval` runs from any directory: it reads the Q&A sets and seed releases shipped in the
package and writes its results to the working directory, not into site-packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, unpacked as an install would lay it out. It is built
    from a copy of the working tree less what git ignores: a build in the checkout would reuse
    its build/ folder, where files since removed linger."""
    tmp = tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    source = tmp / "source"
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    build = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist")]
    subprocess.run(
        [sys.executable, "-m", "pip", *build, str(source)],
        check=True,
        capture_output=True,
        cwd=tmp,
    )
    (wheel,) = (tmp / "dist").glob("rag-*.whl")
    site = tmp / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def test_wheel_carries_models_page_question_sets_and_seeds(installed: Path) -> None:
    assert (installed / "rag" / "models" / "reader.safetensors").stat().st_size > 1_000_000
    assert (installed / "rag" / "http" / "web" / "index.html").exists()
    for name in ("qa.jsonl", "qa_kinds.jsonl", "bbc_qa.jsonl"):
        assert (installed / "eval" / name).read_bytes() == (ROOT / "eval" / name).read_bytes()
    seeds = sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))
    assert len(seeds) == 5
    for name in seeds:
        shipped = installed / "eval" / "seeds" / name
        assert shipped.read_bytes() == (ROOT / "seeds" / name).read_bytes()


@pytest.mark.model
def test_installed_rag_eval_runs_outside_a_checkout(installed: Path, tmp_path: Path) -> None:
    lines = (ROOT / "eval" / "qa.jsonl").read_text().splitlines()
    own = [json.loads(line) for line in lines if line.strip()]
    picked = [own[0], next(q for q in own if not q["answerable"])]
    qa = tmp_path / "mine.jsonl"
    qa.write_text("".join(json.dumps(q) + "\n" for q in picked))
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    for name in ("RAG_INDEX_DIR", "RAG_SOURCE_DIR", "RAG_LLM_BASE_URL"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--qa", str(qa), "--report-only"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # Outside a checkout the results go to ./rag-eval, which proves the shipped eval ran.
    report = json.loads((work / "rag-eval" / "results" / "local" / "latest.json").read_text())
    seeds = report["sets"]["seeds"]
    assert seeds["questions"] == 2 and seeds["unanswerable"] == 1
    assert set(report["sets"]) == {"seeds"}  # the person's own set alone: no kinds, no BBC
    # The shipped seed releases were indexed: the answerable question is found first.
    assert seeds["retrieval"]["hybrid"]["recall@1"] == 1.0
    assert not (installed / "eval" / "results").exists()
