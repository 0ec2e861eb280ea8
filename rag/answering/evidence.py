"""Sentence-level evidence scores for the re-ranking of search hits (`Engine.search`).

A sentence's score mixes (weights in EvidenceParams), with no model call, so that a question
nobody asked before is as fast as a repeated one:
- dense: the cosine of its passage from retrieval (no per-sentence embedding);
- lexical: IDF-weighted share of the question's terms the sentence holds (BM25 terms and the
  keyword index's corpus idf, which is kept per snapshot generation), times a local idf over
  the candidate sentences;
- context: the same share over sentence + its release's title, place, date and the sentence
  before (what "It was financed by ..." refers back to);
- rank: a small prior from the passage's retrieval rank.
Candidate (a sentence of a hit) is shared with the answerers.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rag.cache import LRU
from rag.index.keyword_index import KeywordIndex, query_terms, tokenize
from rag.index.store import Snapshot
from rag.ingestion.chunking import Span, split_sentences
from rag.values import Document, Hit

# A sentence opening with a pronoun or a definite description refers back ("It was ...",
# "The two-day event ...", "This meeting ..."), not "The OSCE ..." (a name).
_ANAPHORIC = re.compile(
    r"^\W*(?:(?:It|He|She|They|Its|His|Her|Their)\b|(?:The|This|That|These|Those|Such)\s+[a-z])"
)


@dataclass(frozen=True)
class EvidenceParams:
    w_dense: float = 0.30
    w_lexical: float = 0.45
    w_context: float = 0.10
    w_rank: float = 0.07
    anaphora: float = 0.8  # share of the context match an anaphoric sentence inherits


@dataclass
class Candidate:
    doc: Document
    hit: Hit
    hit_rank: int
    start: int
    end: int
    text: str
    score: float = 0.0


def _previous_sentence(cand: Candidate) -> str:
    """The sentence before the candidate's, across a paragraph break ('' at the text start)."""
    before = cand.doc.text[max(0, cand.start - 600) : cand.start]
    spans = split_sentences(before) if before.strip() else []
    return before[spans[-1].start : spans[-1].end] if spans else ""


_SENTENCES = LRU(20_000)
_SENTENCES_LOCK = threading.Lock()


def chunk_sentences(doc: Document, start: int, end: int) -> tuple[Span, ...]:
    """The sentences of doc.text[start:end], split once per text and range: one ask wants a
    passage's sentences many times (the re-rank, each candidate span's sentence, the ranker's
    context), and splitting is pure Python that holds the GIL."""
    key = (doc.source, hash(doc.text), start, end)  # a str caches its hash: O(1) after once
    with _SENTENCES_LOCK:
        spans = _SENTENCES.get(key)
    if spans is None:
        spans = tuple(split_sentences(doc.text, start, end))
        with _SENTENCES_LOCK:
            _SENTENCES.put(key, spans)
    return spans


def candidates(hits: list[Hit]) -> list[Candidate]:
    """The sentences of the hits' chunks, once each, in hit order."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, hit in enumerate(hits):
        doc = hit.document
        for span in chunk_sentences(doc, hit.chunk.start, hit.chunk.end):
            if (doc.source, span.start) in seen:
                continue
            seen.add((doc.source, span.start))
            out.append(
                Candidate(doc, hit, rank, span.start, span.end, doc.text[span.start : span.end])
            )
    return out


class EvidenceScorer:
    def __init__(self, params: EvidenceParams | None = None) -> None:
        self.params = params or EvidenceParams()
        self._sentence_terms = LRU(200_000)
        self._terms_lock = threading.Lock()  # searches run in parallel threads

    def rerank(
        self,
        snap: Snapshot,
        question: str,
        hits: list[Hit],
        keywords: KeywordIndex,
    ) -> list[Hit]:
        """Hits re-ordered by their best sentence's score, with no model call (`lexical_scores`):
        a question nobody asked before costs what a repeated one does."""
        cands = candidates(hits)
        self.lexical_scores(question, cands, keywords)
        best: dict[str, float] = {}
        for c in cands:
            best[c.hit.chunk.chunk_id] = max(best.get(c.hit.chunk.chunk_id, -1.0), c.score)
        for h in hits:
            h.fused_score = h.score
            h.score = best.get(h.chunk.chunk_id, 0.0)
        return sorted(hits, key=lambda h: -h.score)

    def _terms(self, key: tuple, text: Callable[[], str]) -> frozenset[str]:
        with self._terms_lock:
            terms = self._sentence_terms.get(key)
        if terms is None:
            terms = frozenset(tokenize(text()))
            with self._terms_lock:
                self._sentence_terms.put(key, terms)
        return terms

    def lexical_scores(self, question: str, cands: list[Candidate], keywords: KeywordIndex) -> None:
        """Set `score` from the corpus's BM25 statistics, no embedding.

        The terms are the keyword index's (stemmed as FTS5 does), weighted by corpus idf
        (kept per snapshot by the index, so a write changes nothing to recompute here) times
        a local idf over the candidate sentences. Dense similarity is the passage's own
        cosine from retrieval (a passage outside the dense top-n gets the lowest one seen,
        an upper bound of its own).
        """
        if not cands:
            return
        p = self.params
        q_terms = list(dict.fromkeys(query_terms(question)))
        sent = [
            self._terms(("s", c.doc.content_hash, c.start, c.end), lambda c=c: c.text)
            for c in cands
        ]
        ctx = []
        for i, c in enumerate(cands):
            line = self._terms(("d", c.doc.content_hash), c.doc.context_line)
            if i and cands[i - 1].hit is c.hit:  # the sentence before, in the same passage
                before = sent[i - 1]
            else:
                before = self._terms(
                    ("p", c.doc.content_hash, c.start), lambda c=c: _previous_sentence(c)
                )
            ctx.append(sent[i] | line | before)
        n = len(cands)
        weights = [
            keywords.idf(t) * math.log(1 + n / max(1, sum(t in s for s in sent))) for t in q_terms
        ]
        total = sum(weights) or 1.0
        seen = [h.dense_score for h in {id(c.hit): c.hit for c in cands}.values()]
        floor = min((d for d in seen if d is not None), default=0.0)
        for i, cand in enumerate(cands):
            lexical = sum(w for w, t in zip(weights, q_terms, strict=True) if t in sent[i]) / total
            context = sum(w for w, t in zip(weights, q_terms, strict=True) if t in ctx[i]) / total
            if _ANAPHORIC.match(cand.text):
                # "The two-day event ..." / "It was financed by ...": about what came before,
                # so the question's words found in that context count almost as its own.
                lexical = max(lexical, p.anaphora * context)
            dense = cand.hit.dense_score if cand.hit.dense_score is not None else floor
            cand.score = (
                p.w_dense * float(dense)
                + p.w_lexical * lexical
                + p.w_context * context
                + p.w_rank / (1 + cand.hit_rank)
            )
