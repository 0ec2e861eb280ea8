"""Value objects shared by every layer. Imports nothing from rag."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A cleaned release. `source` (the file name) is its id; offsets index `text`."""

    source: str
    title: str
    text: str
    date: str = ""  # ISO YYYY-MM-DD, "" when unknown
    place: str = ""
    country: str = ""
    publisher: str = ""  # the release's "Source:" field (e.g. "OSCE Secretariat")
    fields: tuple[str, ...] = ()
    url: str = ""
    content_hash: str = ""

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if len(self.date) >= 4 and self.date[:4].isdigit() else None

    def context_line(self) -> str:
        """The release context prepended to every chunk's embedded text."""
        where = ", ".join(p for p in (self.place, self.country) if p)
        parts = [self.title, where, self.date]
        return " | ".join(p for p in parts if p)

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "place": self.place,
            "country": self.country,
            "publisher": self.publisher,
            "fields": list(self.fields),
            "url": self.url,
        }


@dataclass(frozen=True)
class Chunk:
    """A token-budgeted span of a release: text == document.text[start:end]."""

    chunk_id: str
    source: str
    ordinal: int
    start: int
    end: int
    text: str
    embed_text: str
    n_tokens: int


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the document it belongs to."""

    chunk: Chunk
    document: Document
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None
    fused_score: float | None = None  # the RRF score, before any sentence-level re-rank

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.chunk.source,
            "chunk_id": self.chunk.chunk_id,
            "text": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": round(self.score, 6),
            "fused_score": round(
                self.fused_score if self.fused_score is not None else self.score, 6
            ),
            "title": self.document.title,
            "date": self.document.date,
            "place": self.document.place,
            "dense_rank": self.dense_rank,
            "keyword_rank": self.keyword_rank,
        }


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    date: str
    place: str
    chunk_id: str
    start: int
    end: int
    quote: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Below this confidence an answer is less likely right than not: still given (the threshold is
# set for the best accuracy, rag.answering.answer_ranker), but flagged `low_confidence` so that
# every client can say so.
LOW_CONFIDENCE = 0.5


@dataclass
class Answer:
    answer: str
    abstained: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    question: str = ""
    resolved_question: str = ""
    # "extractive" | "generated" (LLM, claim-checked) | "fallback" (LLM failed or unsupported)
    mode: str = "extractive"
    # "fact" | "yes_no" | "list" | "collection"; lists and collections also fill `items`.
    kind: str = "fact"
    items: list[dict[str, Any]] | None = None
    warning: str | None = None
    sentences: list[dict[str, Any]] = field(default_factory=list)  # per generated sentence
    # The passages the answerer considered (for the generator); not part of the response.
    passages: list[Hit] = field(default_factory=list, repr=False, compare=False)
    # Which check decided a yes/no verdict ("no: another filler read"); not part of the
    # response (rag.answering.yes_no_confidence).
    decided_by: str = field(default="", repr=False, compare=False)

    @property
    def low_confidence(self) -> bool:
        return not self.abstained and self.confidence < LOW_CONFIDENCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "low_confidence": self.low_confidence,
            "citations": [c.to_dict() for c in self.citations],
            "related": self.related,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "kind": self.kind,
            **({"items": self.items} if self.items is not None else {}),
            "mode": self.mode,
            "warning": self.warning,
            "sentences": self.sentences,
        }
