"""`rag` as a person at a terminal meets it: one-line errors before anything is written, the API's
validation, status lines while models load, help with examples, search snippets, and
`rag ask --server` against a running service. Fake embedder; no model is downloaded or loaded."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from rag import __version__
from rag.cli import support as ui
from rag.cli.commands import build_parser, main
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.errors import RagError
from rag.http.app import create_app
from rag.http.deps import check_question
from tests.conftest import VIENNA
from tests.live_server import free_port

VIENNA_Q = "Who funded the 2008 Vienna conference?"


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RAG_INDEX_DIR", "RAG_SOURCE_DIR", "RAG_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAG_EMBED_MODEL", "fake")


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_index_of_a_missing_folder_or_a_file_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_env: None, kind: str
) -> None:
    source = tmp_path / "releases"
    if kind == "file":
        source.write_text("not a folder")
    index_dir = tmp_path / "index"
    assert main(["index", "--source", str(source), "--index-dir", str(index_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: --source {source}: ")
    assert "Traceback" not in err
    assert not index_dir.exists()


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "x" * 1001])
def test_ask_refuses_what_the_api_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_env: None, question: str
) -> None:
    with pytest.raises(RagError) as api:
        check_question(question, Settings())
    code = main(["ask", question, "--index-dir", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"error: {api.value.message}\n"
    assert not (tmp_path / "index").exists()  # refused before the index was opened


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("k", ["0", "21", "-3", "many"])
def test_k_outside_the_api_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: str, k: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "Who funded it?", "-k", k])
    assert exit_.value.code == 2
    assert "argument -k:" in capsys.readouterr().err
    assert ui.top_k("1") == 1 and ui.top_k("20") == 20


def test_version_and_help_a_person_can_use(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"rag {__version__}\n"
    parser = build_parser()
    top = parser.format_help()
    assert "thin commands" not in top and "Ask questions about press releases" in top
    assert 'rag ask "Who funded the 2008 Vienna conference?"' in top
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and action.help.strip(), f"rag {name} {action.dest}: no help"
        if name != "watch":
            assert "examples:" in sub.format_help(), name
    assert "--save" in subparsers.choices["eval"].format_help()


def test_eval_writes_local_results_unless_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    import eval.__main__ as evaluation

    forwarded: list[list[str]] = []
    monkeypatch.setattr(evaluation, "main", lambda argv: forwarded.append(argv) or 0)
    assert main(["eval", "--report-only"]) == 0
    assert main(["eval", "--save"]) == 0
    assert forwarded == [["--report-only"], ["--save"]]


def test_eval_on_your_own_questions_skips_the_fixed_sets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`--qa` replaces the seed set and leaves out the seed kinds and the BBC set (which ask
    about other releases); an installed package runs it too (tests/test_packaging.py)."""
    import eval.__main__ as evaluation

    forwarded: list[list[str]] = []
    monkeypatch.setattr(evaluation, "main", lambda argv: forwarded.append(argv) or 0)
    mine = tmp_path / "mine.jsonl"
    assert main(["eval", "--qa", str(mine), "--index-dir", str(tmp_path)]) == 0
    assert main(["eval", "--no-bbc"]) == 0
    assert forwarded == [
        ["--index-dir", str(tmp_path), "--qa", str(mine), "--no-kinds", "--no-bbc"],
        ["--no-bbc"],
    ]


def test_snippet_is_the_best_sentence_marked_where_cut() -> None:
    text = (
        "VIENNA, 17 July 2008 - A conference opened today. The conference followed a decision. "
        "It was financed by Belgium, Norway, the Russian Federation and Japan. The Unit helps."
    )
    best = ui.snippet(text, "who financed it Belgium")
    assert best == "… It was financed by Belgium, Norway, the Russian Federation and Japan. …"
    assert ui.snippet(text, "zebra").startswith("VIENNA, 17 July 2008 - A conference opened")
    cut = ui.snippet("word " * 100 + "end.", "word", limit=42)
    assert cut.endswith(" …") and len(cut) <= 44 and "wor …" not in cut
    assert cut[:-2].split()[-1] == "word"  # cut at a word boundary


def test_index_and_search_show_status_titles_and_one_source_per_hit(
    tmp_path: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str], fake_env: None
) -> None:
    index_dir = str(tmp_path / "index")
    assert main(["index", "--source", str(seeds_copy), "--index-dir", index_dir]) == 0
    out, err = capsys.readouterr()
    assert "Loading the embedding model" in err and out.startswith("Indexed ")
    query = "financed by Belgium Norway"
    assert main(["search", query, "--mode", "keyword", "-k", "3", "--index-dir", index_dir]) == 0
    out, err = capsys.readouterr()
    assert "Loading the index" in err
    hits = out.strip().split("\n[")
    assert 1 <= len(hits) <= 3
    for hit in hits:
        lines = hit.splitlines()
        assert len(lines) == 3, hit
        sources = [w.rstrip(",") for w in hit.split() if w.rstrip(",").endswith(".txt")]
        assert len(sources) == 1, hit  # the release's name once
    first = hits[0].splitlines()
    assert "International co-operation to fight drug trafficking" in first[0]
    assert "(17 July 2008, Vienna)" in first[0]
    assert first[1].strip().startswith(f"{VIENNA}, characters ")
    assert "It was financed by Belgium, Norway" in first[2]


@pytest.fixture
def running_service(tmp_path: Path, seeds_copy: Path) -> Iterator[str]:
    settings = Settings(index_dir=tmp_path / "served", source_dir=seeds_copy, embed_model="fake")
    app = create_app(settings, engine=Engine(settings, embedder=FakeEmbedder()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the test service did not get ready"
        time.sleep(0.2)
    yield base
    server.should_exit = True
    thread.join(timeout=30)


def test_ask_server_prints_what_the_service_answered_without_loading_models(
    running_service: str, capsys: pytest.CaptureFixture[str], fake_env: None
) -> None:
    answered = httpx.post(f"{running_service}/api/ask", json={"question": VIENNA_Q}).json()
    ui.print_answer(answered, VIENNA_Q)
    expected = capsys.readouterr().out
    assert main(["ask", "--server", running_service, VIENNA_Q]) == 0
    out, err = capsys.readouterr()
    assert out == expected and out.strip()
    assert "Loading" not in err and "tip:" not in err
    assert main(["ask", "--server", running_service, VIENNA_Q, "--json"]) == 0
    assert (
        httpx.Response(200, content=capsys.readouterr().out).json()["answer"]
        == (answered["answer"])
    )


def test_ask_server_that_is_not_running_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    assert main(["ask", "--server", base, VIENNA_Q]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: cannot reach {base}")
    assert "rag serve" in err


def test_answers_read_as_a_person_would(capsys: pytest.CaptureFixture[str]) -> None:
    citation = {
        "n": 1,
        "source": VIENNA,
        "title": "International co-operation to fight drug trafficking",
        "date": "2008-07-17",
        "place": "Vienna",
        "start": 2031,
        "end": 2100,
        "quote": "It was financed by Belgium, Norway, the Russian Federation and Japan.",
    }
    answer = {"answer": "Belgium", "abstained": False, "confidence": 0.31, "citations": [citation]}
    ui.print_answer(answer, VIENNA_Q)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Belgium"
    assert lines[1] == "(confidence 0.31)  (low: check the quote)"
    title = "International co-operation to fight drug trafficking"
    assert lines[2] == f"[1] {title} (17 July 2008, Vienna) — {VIENNA}"
    undated = {**citation, "date": "", "place": "", "source": "news.jsonl:tech/060"}
    ui.print_answer({**answer, "citations": [undated]}, VIENNA_Q)
    assert capsys.readouterr().out.splitlines()[2] == f"[1] {title} — news.jsonl:tech/060"
    refusal = {
        "answer": "The releases don't say. (no release is about or mentions Berlin.)",
        "abstained": True,
        "confidence": 0.0,
        "citations": [],
        "related": [],
    }
    ui.print_answer(refusal, "Who funded the 2012 Berlin conference?")
    assert capsys.readouterr().out == (
        "I couldn't find this in the releases (no release is about or mentions Berlin).\n"
    )
