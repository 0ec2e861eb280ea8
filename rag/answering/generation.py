"""Optional generated answers through an OpenAI-compatible chat API, checked claim by claim.

Set `RAG_LLM_BASE_URL` (Ollama, vLLM, llama.cpp's server, a hosted API) and `Engine.ask` runs
the extractive answerer first, for its passages, its abstention decision and a fallback, then
asks the model to answer from those passages only, numbered `[1]`..`[n]`. rag.answering.claims
checks
every generated sentence against the passage(s) it cites; unsupported sentences are removed,
and when none is left, or the model cannot be reached in time, the extractive answer is
returned with `mode: "fallback"` and a warning. Questions the extractive path abstains on are
never sent to the model: it must not answer from its own memory.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx

from rag.answering.claims import Check, Passage, PassageIndex, check_sentence, split_generated
from rag.answering.evidence import Candidate
from rag.config import Settings
from rag.values import Answer, Citation

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about press releases using only the numbered passages you are "
    "given. Never use other knowledge. Write one to three short sentences. End every sentence "
    "with the number of the passage it comes from in square brackets, like [1]. If the "
    "passages do not answer the question, reply exactly: The passages do not say."
)
# Repeated after the passages: small models follow the last instruction they read.
REMINDER = "Answer from the passages only, ending each sentence with its passage number, like [1]."
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
CiteFn = Callable[[list[Candidate]], list[Citation]]


class LLMError(Exception):
    """The model could not be reached, timed out, or answered with an error."""


def build_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    blocks = []
    for p in passages:
        text = " ".join(p.hit.chunk.text.split())
        blocks.append(f"[{p.n}] {p.header()}\n{text}")
    user = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}\n\n{REMINDER}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


class ChatClient:
    """OpenAI-compatible /chat/completions over httpx: a deadline, retries with backoff."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if settings.llm_api_key:
            headers["Authorization"] = f"Bearer {settings.llm_api_key}"
        self._http = httpx.Client(headers=headers, transport=transport)
        self._sleep = sleep

    def _body(self, messages: list[dict[str, str]], stream: bool) -> dict:
        return {
            "model": self.settings.llm_model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.settings.llm_max_tokens,
            "stream": stream,
        }

    def _timeout(self, deadline: float) -> httpx.Timeout:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LLMError(f"no answer within {self.settings.llm_timeout:g} s")
        return httpx.Timeout(left, connect=min(left, self.settings.llm_connect_timeout))

    def _attempts(self, deadline: float) -> Iterator[int]:
        """Attempt numbers, sleeping 0.5 s, 1 s, 2 s ... between them while time is left."""
        for attempt in range(self.settings.llm_retries + 1):
            if attempt:
                pause = 0.5 * 2 ** (attempt - 1)
                if time.monotonic() + pause >= deadline:
                    return
                self._sleep(pause)
            yield attempt

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The answer's text pieces as they arrive. Retries only before the first piece."""
        deadline = time.monotonic() + self.settings.llm_timeout
        error: LLMError = LLMError("no attempt was made")
        for _attempt in self._attempts(deadline):
            started = False
            try:
                timeout = self._timeout(deadline)
                with self._http.stream(
                    "POST", self.url, json=self._body(messages, True), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        response.read()
                        error = LLMError(_status_message(response))
                        if response.status_code in RETRY_STATUSES:
                            continue
                        raise error
                    for piece in _sse_pieces(_until(response.iter_lines(), deadline)):
                        started = True
                        yield piece
                    return
            except httpx.TimeoutException:
                error = LLMError(f"no answer within {self.settings.llm_timeout:g} s")
            except httpx.TransportError as exc:
                error = LLMError(f"cannot reach {self.settings.llm_base_url}: {exc}")
            except httpx.HTTPError as exc:  # a malformed response, a decoding error
                error = LLMError(f"bad response from {self.settings.llm_base_url}: {exc}")
            if started:
                raise error
        raise error

    def complete(self, messages: list[dict[str, str]]) -> str:
        return "".join(self.stream(messages))

    def close(self) -> None:
        self._http.close()


def _status_message(response: httpx.Response) -> str:
    try:
        detail = response.json().get("error", {})
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    except (ValueError, AttributeError):
        detail = response.text[:200]
    return f"the model server answered HTTP {response.status_code}: {detail}"


def _until(lines: Iterator[str], deadline: float) -> Iterator[str]:
    """The lines while the deadline holds (keep-alive pings must not extend it)."""
    for line in lines:
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the generation deadline passed")
        yield line


def _sse_pieces(lines: Iterator[str]) -> Iterator[str]:
    """Text deltas of an OpenAI chat-completion stream (chunk objects, then [DONE])."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise LLMError("the model server sent a malformed stream") from None
        if chunk.get("error"):
            raise LLMError(f"the model server failed: {chunk['error']}")
        for choice in chunk.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content") or ""
            if piece:
                yield piece


class Generator:
    """Generates from the extractive answer's passages and keeps only checked sentences."""

    def __init__(self, settings: Settings, cite: CiteFn, client: ChatClient | None = None):
        self.settings = settings
        self.cite = cite  # the extractive path's verbatim-checked citation builder
        self.client = client or ChatClient(settings)

    def applies(self, extractive: Answer) -> bool:
        return not extractive.abstained and bool(extractive.passages)

    def passages(self, extractive: Answer) -> list[Passage]:
        """The chunks the extractive answer cites first, then the others in retrieval order."""
        cited = [c.chunk_id for c in extractive.citations]
        hits = sorted(
            extractive.passages,
            key=lambda h: cited.index(h.chunk.chunk_id) if h.chunk.chunk_id in cited else 99,
        )
        return [Passage(i, h) for i, h in enumerate(hits[: self.settings.llm_passages], 1)]

    def answer(self, extractive: Answer) -> Answer:
        """The checked generated answer (or the extractive one with a warning)."""
        final = extractive
        for event, value in self.events(extractive):
            if event == "done":
                final = value
        return final

    def events(self, extractive: Answer) -> Iterator[tuple[str, object]]:
        """("token", text) as the model writes, then ("done", the checked Answer)."""
        t0 = time.perf_counter()
        passages = self.passages(extractive)
        messages = build_messages(extractive.resolved_question or extractive.question, passages)
        pieces: list[str] = []
        try:
            for piece in self.client.stream(messages):
                pieces.append(piece)
                yield "token", piece
        except LLMError as exc:
            log.warning("LLM generation failed, answering extractively: %s", exc)
            yield "done", self._fallback(extractive, f"LLM unavailable: {exc}", [], t0)
            return
        except Exception:  # whatever else goes wrong with the model, never a 5xx
            log.exception("LLM generation failed, answering extractively")
            yield "done", self._fallback(extractive, "LLM generation failed", [], t0)
            return
        try:
            final = self.check("".join(pieces), extractive, passages, t0)
        except Exception:
            log.exception("checking the generated answer failed, answering extractively")
            final = self._fallback(extractive, "the generated answer could not be checked", [], t0)
        yield "done", final

    def check(
        self, text: str, extractive: Answer, passages: list[Passage], t0: float | None = None
    ) -> Answer:
        t0 = time.perf_counter() if t0 is None else t0
        question = extractive.resolved_question or extractive.question
        index = PassageIndex(passages)
        checks = [check_sentence(s, question, index) for s in split_generated(text)]
        kept = [c for c in checks if c.supported]
        if not kept:
            why = "no sentence" if checks else "an empty answer"
            warning = f"the model gave {why} its cited passages support"
            return self._fallback(extractive, warning, checks, t0)
        order = list(dict.fromkeys(n for c in kept for n in c.windows))
        spans: dict[int, tuple[int, int]] = {}
        for c in kept:
            for n, (start, end) in c.windows.items():
                old = spans.get(n, (start, end))
                spans[n] = (min(old[0], start), max(old[1], end))
        by_n = {p.n: p for p in passages}
        cands = []
        for n in order:
            hit, (start, end) = by_n[n].hit, spans[n]
            doc = hit.document
            cands.append(Candidate(doc, hit, n - 1, start, end, doc.text[start:end], hit.score))
        citations = self.cite(cands)
        if len(citations) != len(cands):  # a quote failed the verbatim check: never miscite
            return self._fallback(extractive, "a citation failed the verbatim check", checks, t0)
        renumber = {n: i for i, n in enumerate(order, 1)}
        answer_text = " ".join(_with_markers(c, renumber) for c in kept)
        return replace(
            extractive,
            answer=answer_text,
            citations=citations,
            mode="generated",
            warning=None,
            sentences=[_report(c, renumber) for c in checks],
            timings_ms=_timed(extractive.timings_ms, t0),
        )

    def _fallback(self, extractive: Answer, warning: str, checks: list[Check], t0: float) -> Answer:
        return replace(
            extractive,
            mode="fallback",
            warning=warning,
            sentences=[_report(c, {}) for c in checks],
            timings_ms=_timed(extractive.timings_ms, t0),
        )


def _with_markers(check: Check, renumber: dict[int, int]) -> str:
    markers = "".join(f"[{renumber[n]}]" for n in check.windows)
    text = check.sentence.text
    m = re.search(r"[.!?]+[\"”’']?$", text)
    cut = m.start() if m else len(text)
    return f"{text[:cut]} {markers}{text[cut:]}"


def _report(check: Check, renumber: dict[int, int]) -> dict:
    return {
        "text": check.sentence.text,
        "supported": check.supported,
        "citations": [renumber[n] for n in check.windows if n in renumber],
        "cited_passages": check.sentence.cites,
        "reason": check.reason,
        "missing": check.missing,
    }


def _timed(timings: dict[str, float], t0: float) -> dict[str, float]:
    out = dict(timings)
    out["generate"] = (time.perf_counter() - t0) * 1000
    out["total"] = out.get("retrieve", 0.0) + out.get("answer", 0.0) + out["generate"]
    return out
