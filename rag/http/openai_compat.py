"""OpenAI-compatible endpoints, so the `openai` client and chat front-ends can use the service.

The last user message is the question, earlier messages are the history; the reply is the
answer followed by its numbered sources.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.engine import Engine
from rag.errors import ValidationFailed
from rag.http.deps import check_question, get_state, ready_engine, require_read, run_ask
from rag.http.models import MAX_MESSAGE_CHARS, Text, error_docs
from rag.values import Answer

MODEL_ID = "rag"
router = APIRouter(prefix="/v1", tags=["openai-compatible"])
ReadyEngine = Annotated[Engine, Depends(ready_engine)]


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    text: Text | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    # each message's text is capped as /api/ask caps a history message's
    content: (
        Annotated[Text, Field(max_length=MAX_MESSAGE_CHARS)]
        | Annotated[list[ContentPart], Field(max_length=100)]
        | None
    ) = Field(default=None)

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI chat completions request; sampling parameters are accepted and ignored."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [
                        {"role": "user", "content": "Who funded the 2008 Vienna conference?"}
                    ],
                }
            ]
        },
    )

    model: str = Field(default=MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    stream_options: dict[str, Any] | None = None


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ValidationFailed("messages: there is no user message to answer")
    last = users[-1]
    history = [
        {"role": m.role, "content": m.text()}
        for m in messages[:last]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return messages[last].text(), history


def reply_text(answer: Answer) -> str:
    """The answer, then its sources as a numbered list with the quoted sentence. A client of
    this API sees only text, so an answer given below confidence 0.5 says it is a guess."""
    if not answer.citations:
        return answer.answer
    lines = [answer.answer]
    if answer.low_confidence:
        lines.append(f"(Low confidence, {answer.confidence:.0%}: check the quoted sources.)")
    lines += [
        f"- {i['text']} " + "".join(f"[{n}]" for n in i["citations"]) for i in answer.items or []
    ]
    lines += ["", "Sources:"]
    for c in answer.citations:
        where = ", ".join(p for p in (c.date, c.place) if p)
        quote = " ".join(c.quote.split())
        lines.append(f'[{c.n}] {c.title} — {c.source}{f" ({where})" if where else ""}: "{quote}"')
    return "\n".join(lines)


def pieces(text: str) -> list[str]:
    """The text in word-sized pieces that concatenate back to it exactly."""
    return re.findall(r"\s*\S+|\s+", text) or [""]


def _usage(question: str, history: list[dict[str, str]], reply: str) -> dict[str, int]:
    prompt = len(question.split()) + sum(len(m["content"].split()) for m in history)
    completion = len(reply.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@router.get("/models", dependencies=[Depends(require_read)], responses=error_docs())
def list_models(request: Request) -> dict[str, Any]:
    """The one model this service offers."""
    created = int(get_state(request).started)
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": created, "owned_by": "rag"}],
    }


@router.post(
    "/chat/completions",
    dependencies=[Depends(require_read)],
    responses={
        200: {
            "description": "a chat.completion object, or with stream=true a text/event-stream "
            "of chat.completion.chunk objects ending in [DONE]",
            "content": {"text/event-stream": {}},
        },
        **error_docs(_422="no usable user message"),
    },
)
async def chat_completions(body: ChatRequest, request: Request, engine: ReadyEngine) -> Any:
    """Answer the last user message, with the earlier messages as history."""
    question, history = question_and_history(body.messages)
    question = check_question(question, get_state(request).settings)
    answer = await run_ask(request, engine.ask, question, None, None, history or None)
    request.app.state.metrics.answers.labels(str(answer.abstained).lower()).inc()
    reply = reply_text(answer)
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    citations = [c.to_dict() for c in answer.citations]
    if not body.stream:
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                    }
                ],
                "usage": _usage(question, history, reply),
                "citations": citations,
            }
        )
    include_usage = bool((body.stream_options or {}).get("include_usage"))

    async def events() -> AsyncIterator[str]:
        base = {"id": cid, "object": "chat.completion.chunk", "created": created}
        base["model"] = body.model

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            data = {**base, "choices": [choice], **extra}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for piece in pieces(reply):
            yield chunk({"content": piece})
        yield chunk({}, "stop", citations=citations)
        if include_usage:
            usage = _usage(question, history, reply)
            data = {**base, "choices": [], "usage": usage}
            yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
