"""Request and response models of the HTTP API (validation and the /docs examples)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from rag.ingestion.names import (
    MAX_SOURCE_CHARS,
    NO_NUL_PATTERN,
    NON_BLANK_PATTERN,
    NON_BLANK_TEXT_PATTERN,
    SOURCE_PATTERN,
    source_problem,
)

VIENNA_QUESTION = "Who funded the 2008 Vienna conference?"
MAX_TOP_K = 20
MAX_HISTORY = 50
MAX_MESSAGE_CHARS = 20_000


def _utf8(value: str) -> str:
    """Reject text that cannot be stored or searched (lone surrogates, NUL characters)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _not_blank(value: str) -> str:
    if not re.search(NON_BLANK_PATTERN, value):
        raise ValueError("must not be empty or whitespace")
    return value


# The schema states what the validators check (rag.ingestion.names): no NUL; required text not
# blank.
Text = Annotated[str, AfterValidator(_utf8), Field(json_schema_extra={"pattern": NO_NUL_PATTERN})]


def _source_name(value: str) -> str:
    """A document name follows rag.ingestion.names (no '.' or '..'); a blank one is derived
    instead."""
    problem = source_problem(value.strip()) if value.strip() else None
    if problem is not None:
        raise ValueError(problem)
    return value


SourceName = Annotated[str, AfterValidator(_utf8), AfterValidator(_source_name)]
NonBlank = Annotated[
    str,
    AfterValidator(_utf8),
    AfterValidator(_not_blank),
    Field(json_schema_extra={"pattern": NON_BLANK_TEXT_PATTERN}),
]


def _iso_date(value: str) -> str:
    """A posted document's date: YYYY-MM-DD (a real date) or "" (none), as the schema says."""
    if value and not (re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and _real_date(value)):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _real_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


IsoDate = Annotated[str, AfterValidator(_iso_date)]


def _integral(value: Any) -> Any:
    """6.0 is the integer 6 (as JSON Schema has it); strings and booleans stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Request models are strict ("5" is no integer, 0 no boolean), as the schema says; the bounds
# come before the validator so that the schema shows them as minimum/maximum.
Year = Annotated[int, Field(ge=1, le=9999), BeforeValidator(_integral)]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_integral)]


class ErrorBody(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str = Field(examples=["question: must not be empty or whitespace"])


class ErrorResponse(BaseModel):
    """Every error the service returns has this shape."""

    error: ErrorBody


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    year: Year | None = Field(default=None, description="release year")
    place: Text | None = Field(default=None, max_length=200, description="dateline place")
    source: Text | None = Field(default=None, max_length=500, description="one release's name")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant", "system"]
    content: Text = Field(max_length=MAX_MESSAGE_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"question": VIENNA_QUESTION},
                {"question": "How many experts attended?", "top_k": 5, "filters": {"year": 2008}},
                {
                    "question": "Who funded it?",
                    "history": [
                        {"role": "user", "content": "Tell me about the 2008 Vienna conference"},
                        {"role": "assistant", "content": "It was held on 17 July 2008 ..."},
                    ],
                },
            ]
        },
    )

    question: NonBlank = Field(
        description="the question; at most RAG_MAX_QUESTION_CHARS characters (1000 by default)"
    )
    top_k: TopK | None = Field(default=None, description="passages to consider (1..20)")
    filters: Filters | None = None
    history: list[Message] | None = Field(
        default=None, max_length=MAX_HISTORY, description="earlier turns, oldest first"
    )

    def history_dicts(self) -> list[dict[str, str]] | None:
        if not self.history:
            return None
        return [m.model_dump() for m in self.history]

    def filter_dict(self) -> dict[str, Any] | None:
        if self.filters is None:
            return None
        return self.filters.model_dump(exclude_none=True) or None


class CitationOut(BaseModel):
    n: int = Field(examples=[1])
    source: str = Field(examples=["002_b58f2e4459b73bca.txt"])
    title: str
    date: str = Field(examples=["2008-07-17"])
    place: str = Field(examples=["Vienna"])
    chunk_id: str
    start: int = Field(description="offset of quote in GET /api/documents/{source} text")
    end: int
    quote: str
    score: float


class SentenceSupport(BaseModel):
    text: str
    supported: bool = Field(description="kept: its cited passage states its terms")
    citations: list[int] = Field(description="the answer's citation numbers it was given")
    cited_passages: list[int] = Field(description="the passage numbers the model wrote")
    reason: str = Field(description="why it was removed; empty when kept")
    missing: list[str] = Field(description="its terms no cited passage contains")


class AnswerItem(BaseModel):
    text: str = Field(examples=["Tashkent workshop (2008-11-20, Tashkent)"])
    citations: list[int] = Field(description="the `n` of each citation supporting the item")


class AskResponse(BaseModel):
    answer: str = Field(examples=["Belgium, Norway, the Russian Federation and Japan"])
    abstained: bool
    confidence: float
    low_confidence: bool = Field(
        default=False,
        description="an answer given below confidence 0.5: less likely right than not; "
        "show it as a guess and point to the quote",
    )
    citations: list[CitationOut]
    related: list[dict[str, Any]] = Field(
        default_factory=list, description="closest passages, given when the answer abstains"
    )
    timings_ms: dict[str, float] = Field(examples=[{"retrieve": 9.1, "answer": 4.2, "total": 13.3}])
    kind: Literal["fact", "yes_no", "list", "collection"] = Field(
        default="fact",
        description="fact: a short span; yes_no: answer starts with Yes or No; list/collection: "
        "a summary line in `answer` and one entry per item in `items`",
    )
    items: list[AnswerItem] | None = Field(
        default=None, description="for list and collection answers: each item with its citations"
    )
    mode: Literal["extractive", "generated", "fallback"] = Field(
        default="extractive",
        description="generated: written by the configured LLM and checked sentence by sentence; "
        "fallback: the LLM failed or no sentence was supported, so the extractive answer",
    )
    warning: str | None = Field(default=None, description="why the answer fell back")
    sentences: list[SentenceSupport] = Field(
        default_factory=list, description="each generated sentence and whether it was kept"
    )


DOCUMENT_EXAMPLE = {
    "source": "2024-vienna-workshop.txt",
    "title": "OSCE workshop on cyber security in Vienna",
    "text": "VIENNA, 4 March 2024 - The Zephyr Foundation funded a workshop on cyber security "
    "held in Vienna today.",
    "date": "2024-03-04",
    "place": "Vienna",
}


class DocumentIn(BaseModel):
    """A release posted as JSON; its text is cleaned the way ingestion cleans files."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [DOCUMENT_EXAMPLE]}
    )

    source: SourceName | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SOURCE_CHARS,
        pattern=SOURCE_PATTERN,
        description="the document's name (its id); derived from the content when left out",
    )
    title: Text | None = Field(default=None, max_length=500)
    text: NonBlank
    date: IsoDate | None = Field(default=None, max_length=40, description="YYYY-MM-DD, or empty")
    place: Text | None = Field(default=None, max_length=200)
    url: Text | None = Field(default=None, max_length=2000)
    fields: list[Annotated[Text, Field(max_length=200)]] | None = Field(
        default=None,
        max_length=50,
        description="the topics, categories or sections the release belongs to",
    )


class DocumentSummary(BaseModel):
    source: str
    title: str
    date: str
    place: str
    country: str
    publisher: str
    fields: list[str]
    url: str
    chunks: int
    chars: int


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class PageSpan(BaseModel):
    page: int = Field(description="1-based page number")
    start: int = Field(description="offset of the page's first character in `text`")
    end: int


class DocumentOut(DocumentSummary):
    text: str = Field(description="the cleaned text that citation offsets index")
    pages: list[PageSpan] = Field(
        default_factory=list,
        description="for paged documents (PDF): where each page lies in `text`, so a citation's "
        "`start` names its page; pages are separated by a form feed line ('\\n\\f\\n')",
    )


class WriteResult(BaseModel):
    source: str
    status: Literal["added", "updated", "unchanged"]
    chunks: int
    title: str


class WriteResponse(BaseModel):
    documents: list[WriteResult]


class DeleteResponse(BaseModel):
    deleted: str


class Ready(BaseModel):
    status: Literal["ready"]
    documents: int
    chunks: int
    model: str
    dimension: int
    generation: int


def error_docs(**described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, all in the ErrorResponse shape."""
    common = {
        "401": "API key missing or wrong",
        "422": "invalid request",
        "503": "index still loading",
    }
    merged = {**common, **{k.lstrip("_"): v for k, v in described.items()}}
    return {int(k): {"model": ErrorResponse, "description": v} for k, v in merged.items()}
