"""Generated answers against a fake OpenAI-compatible server (httpx.MockTransport)."""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from rag.answering.generation import ChatClient, build_messages
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.http.app import create_app
from tests.conftest import VIENNA
from tests.test_api import parse_sse, wait_ready

VIENNA_Q = "Who funded the 2008 Vienna conference?"
GOOD = "The conference was financed by Belgium, Norway, the Russian Federation and Japan [{n}]."
INVENTED = "It was also funded by the European Union [{n}]."
Handler = Callable[[httpx.Request], httpx.Response]


def sse_body(text: str) -> bytes:
    """An OpenAI chat-completion stream of `text`, a few characters per chunk."""
    events = []
    for i in range(0, len(text), 7):
        delta = {"choices": [{"index": 0, "delta": {"content": text[i : i + 7]}}]}
        events.append(f"data: {json.dumps(delta)}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


class FakeLLM:
    """Answers every request with the next reply: a text, an HTTP status, or an exception."""

    def __init__(self, *replies: str | int | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, int):
            return httpx.Response(reply, json={"error": {"message": "overloaded"}})
        return httpx.Response(
            200, content=sse_body(reply), headers={"content-type": "text/event-stream"}
        )


@pytest.fixture
def llm_settings(fake_settings: Settings) -> Settings:
    return dataclasses.replace(fake_settings, llm_base_url="http://llm.test/v1", llm_timeout=10)


def answer_any_confidence(engine: Engine) -> None:
    """These tests are about generation, which needs an extractive answer to start from."""
    engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=0.0)


def funding_passage(engine: Engine) -> int:
    """The number the prompt gives the passage that names the Vienna funders."""
    assert engine.generator is not None
    passages = engine.generator.passages(engine.ask(VIENNA_Q, generate=False))
    return next(p.n for p in passages if "financed by Belgium" in p.hit.chunk.text)


@pytest.fixture
def make_engine(llm_settings: Settings) -> Iterator[Callable[..., tuple[Engine, list[float]]]]:
    """An engine over seeds/ whose LLM is a FakeLLM; returns (engine, backoff sleeps)."""
    engine = Engine(llm_settings, embedder=FakeEmbedder())
    answer_any_confidence(engine)
    engine.index_directory(llm_settings.source_dir)

    def make(llm: Handler, **overrides: object) -> tuple[Engine, list[float]]:
        settings = dataclasses.replace(llm_settings, **overrides)
        sleeps: list[float] = []
        assert engine.generator is not None
        engine.generator.client = ChatClient(
            settings, transport=httpx.MockTransport(llm), sleep=sleeps.append
        )
        engine.generator.settings = settings
        return engine, sleeps

    yield make


def test_supported_sentences_kept_unsupported_removed(make_engine) -> None:
    llm = FakeLLM("")
    engine, _ = make_engine(llm)
    n = funding_passage(engine)
    llm.replies = [f"{GOOD} {INVENTED}".format(n=n)]
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "generated" and answer.warning is None
    assert "Belgium" in answer.answer and "European" not in answer.answer
    assert answer.answer.endswith("Japan [1].")
    kept, removed = answer.sentences
    assert kept["supported"] and kept["citations"] == [1]
    assert not removed["supported"] and "European" in removed["missing"]
    (citation,) = answer.citations
    doc, _ = engine.get_document(citation.source)
    assert citation.source == VIENNA and citation.n == 1
    assert doc.text[citation.start : citation.end] == citation.quote
    assert "Belgium, Norway, the Russian Federation and Japan" in citation.quote
    assert "generate" in answer.timings_ms
    # The prompt numbers the passages, the extractive answer's passage first.
    prompt = llm.requests[0]["messages"][-1]["content"]
    assert prompt.index("[1]") < prompt.index("[2]") and VIENNA_Q in prompt
    assert "financed by Belgium" in prompt.split(f"[{n}]")[1]


def test_no_supported_sentence_falls_back_to_extractive(make_engine) -> None:
    engine, _ = make_engine(FakeLLM("The Government of Norway funded it [1]. Unmarked."))
    extractive = engine.ask(VIENNA_Q, generate=False)
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "fallback" and "support" in (answer.warning or "")
    assert answer.answer == extractive.answer and answer.citations == extractive.citations
    assert [s["supported"] for s in answer.sentences] == [False, False]
    assert answer.sentences[1]["reason"] == "cites no passage"


def test_abstentions_never_reach_the_model(make_engine) -> None:
    llm = FakeLLM("Zorbania paid for it [1].")
    engine, _ = make_engine(llm)
    answer = engine.ask("Who funded the 2031 Lisbon space summit?")
    assert answer.abstained and answer.mode == "extractive" and not llm.requests


@pytest.mark.parametrize(
    ("reply", "warning"),
    [
        (httpx.ConnectError("refused"), "cannot reach"),
        (httpx.ReadTimeout("slow"), "no answer within"),
        (400, "HTTP 400"),
    ],
)
def test_model_errors_give_the_extractive_answer_with_a_warning(
    make_engine, reply: Exception | int, warning: str
) -> None:
    llm = FakeLLM(reply)
    engine, sleeps = make_engine(llm, llm_retries=2)
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "fallback" and warning in (answer.warning or "")
    assert not answer.abstained and answer.citations
    # Transport errors are retried with backoff; a 400 is not.
    assert len(llm.requests) == (1 if reply == 400 else 3)
    assert sleeps == ([] if reply == 400 else [0.5, 1.0])


def test_retries_recover_from_an_overloaded_server(make_engine) -> None:
    llm = FakeLLM("")
    engine, sleeps = make_engine(llm, llm_retries=2)
    llm.replies = [503, 503, GOOD.format(n=funding_passage(engine))]
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "generated" and len(llm.requests) == 3 and sleeps == [0.5, 1.0]


def test_deadline_stops_the_retries(make_engine) -> None:
    llm = FakeLLM(503)
    engine, sleeps = make_engine(llm, llm_retries=5, llm_timeout=0.9)
    assert engine.ask(VIENNA_Q).mode == "fallback"
    assert sleeps == [0.5]  # a 1 s pause would pass the 0.9 s budget


def test_malformed_stream_falls_back(make_engine) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"data: {not json\n\n")

    engine, _ = make_engine(broken)
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "fallback" and "malformed" in (answer.warning or "")


def test_unreachable_server_over_http_is_not_a_5xx(llm_settings: Settings) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = dataclasses.replace(
        llm_settings, llm_base_url=f"http://127.0.0.1:{port}/v1", llm_retries=1
    )
    engine = Engine(settings, embedder=FakeEmbedder())
    answer_any_confidence(engine)
    with TestClient(create_app(settings, engine=engine)) as client:
        wait_ready(client)
        r = client.post("/api/ask", json={"question": VIENNA_Q})
        assert r.status_code == 200
        body = r.json()
        assert body["mode"] == "fallback" and "cannot reach" in body["warning"]
        assert body["answer"] == engine.ask(VIENNA_Q, generate=False).answer
        events = parse_sse(client.post("/api/ask/stream", json={"question": VIENNA_Q}).text)
        assert events[-1][0] == "done" and events[-1][1]["mode"] == "fallback"


def test_stream_sends_model_tokens_then_the_checked_answer(make_engine, llm_settings) -> None:
    llm = FakeLLM("")
    engine, _ = make_engine(llm)
    raw = f"{GOOD} {INVENTED}".format(n=funding_passage(engine))
    llm.replies = [raw]
    with TestClient(create_app(llm_settings, engine=engine)) as client:
        wait_ready(client)
        r = client.post("/api/ask/stream", json={"question": VIENNA_Q})
        events = parse_sse(r.text)
        plain = client.post("/api/ask", json={"question": VIENNA_Q}).json()
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done" and set(names[1:-1]) == {"token"}
    assert events[0][1] == {"citations": [], "generating": True}
    assert "".join(data["text"] for name, data in events if name == "token") == raw
    done = events[-1][1]
    assert done["mode"] == "generated" and done["answer"] != raw
    assert "European" not in done["answer"]
    done.pop("timings_ms")
    plain.pop("timings_ms")
    assert done == plain


def test_prompt_numbers_passages_with_their_release_header(make_engine) -> None:
    engine, _ = make_engine(FakeLLM(""))
    extractive = engine.ask(VIENNA_Q, generate=False)
    assert engine.generator is not None
    passages = engine.generator.passages(extractive)
    assert [p.n for p in passages] == list(range(1, len(passages) + 1)) and len(passages) <= 4
    system, user = build_messages(VIENNA_Q, passages)
    assert "only the numbered passages" in system["content"]
    assert "| 17 July 2008" in user["content"] and f"Question: {VIENNA_Q}" in user["content"]
    assert user["content"].endswith("like [1].")


def test_keep_alive_pings_do_not_extend_the_deadline(make_engine) -> None:
    sent: list[int] = []

    def pings() -> Iterator[bytes]:
        for i in range(50):  # 5 s of pings and no token, against a 0.5 s budget
            time.sleep(0.1)
            sent.append(i)
            yield b": ping\n\n"

    def slow(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=pings(), headers={"content-type": "text/event-stream"})

    engine, _ = make_engine(slow, llm_timeout=0.5, llm_retries=0)
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "fallback" and "no answer within" in (answer.warning or "")
    assert len(sent) < 50  # it gave up while the server was still pinging


def test_an_unexpected_model_failure_is_still_not_a_5xx(make_engine) -> None:
    engine, _ = make_engine(FakeLLM(RuntimeError("boom")))
    answer = engine.ask(VIENNA_Q)
    assert answer.mode == "fallback" and answer.warning == "LLM generation failed"
