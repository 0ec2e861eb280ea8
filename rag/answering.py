"""Extractive answering: pick the sentence that answers, narrow it to a phrase, cite it verbatim.

Every citation's quote is checked against the release text at [start, end) before it is returned.
When the evidence is weak, or the question's year/place matches no release, the answer abstains
and lists the closest passages under `related`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from rag import phrases as ph
from rag import query as query_mod
from rag.chunking import split_sentences
from rag.embedding import Embedder
from rag.followup import resolve_followup
from rag.retrieval import Retriever
from rag.store import Snapshot
from rag.text_utils import content_terms, stem
from rag.types import Answer, Citation, Document, Hit

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The releases don't say."


@dataclass(frozen=True)
class AnswerParams:
    passages: int = 8  # chunks whose sentences compete
    # Evidence score below which we abstain, and the slope of the logistic that turns the
    # score into `confidence` (0.5 at the threshold). Fitted on eval/qa.jsonl; see README.
    threshold: float = 0.42
    slope: float = 12.0
    w_dense: float = 0.45
    w_lexical: float = 0.30
    w_context: float = 0.10
    w_type: float = 0.08
    w_rank: float = 0.07
    support_ratio: float = 0.9  # other releases stating the same phrase are cited too


@dataclass
class Candidate:
    doc: Document
    hit: Hit
    hit_rank: int
    start: int
    end: int
    text: str
    score: float = 0.0
    phrase: ph.Phrase | None = None


def answer_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", q):
        return ph.NUMBER
    if re.search(r"\bwhen\b|\b(what|which) (year|date|day|month)\b|\bon what day\b", q):
        return ph.DATE
    if re.search(r"\bwhere\b|\b(what|which|in what|in which) (city|town|place|venue|capital)\b", q):
        return ph.PLACE
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return ph.ENTITY
    if re.search(
        r"\b(which|what)\s+(\w+\s+)?(countries|country|governments?|states?|nations?|"
        r"organi[sz]ations?|agenc(y|ies)|units?|offices?|body|bodies|institutions?|officials?|"
        r"ministers?|ministry|person|people|ambassador|department|partners?|donors?|sponsors?)\b",
        q,
    ) or re.search(r"\bwhat is the name\b|\bname the\b", q):
        return ph.ENTITY
    return ph.SENTENCE


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Answerer:
    def __init__(
        self, retriever: Retriever, embedder: Embedder, params: AnswerParams | None = None
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.params = params or AnswerParams()
        self._sentence_vectors = _LRU(50_000)
        self._idf_key: tuple | None = None
        self._idf: dict[str, float] = {}
        self._default_idf = 1.0

    # -- corpus statistics ---------------------------------------------------------------
    def _idf_for(self, snap: Snapshot) -> dict[str, float]:
        key = (snap.build_id, snap.generation)
        if key != self._idf_key:
            df: Counter[str] = Counter()
            for chunk in snap.chunks.values():
                df.update(set(content_terms(chunk.text)))
            n = max(1, len(snap.chunks))
            self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
            self._default_idf = math.log(1 + n)
            self._idf_key = key
        return self._idf

    def _vectors(self, cands: list[Candidate]) -> np.ndarray:
        keys = [(c.doc.content_hash, c.start, c.end) for c in cands]
        missing = [i for i, k in enumerate(keys) if k not in self._sentence_vectors]
        if missing:
            vecs = self.embedder.encode([cands[i].text for i in missing])
            for i, v in zip(missing, vecs, strict=True):
                self._sentence_vectors.put(keys[i], v)
        return np.vstack([self._sentence_vectors[k] for k in keys])

    # -- the pipeline --------------------------------------------------------------------
    def ask(
        self,
        snap: Snapshot,
        question: str,
        top_k: int,
        *,
        filters: dict | None = None,
        history: list[dict] | None = None,
        mode: str = "hybrid",
    ) -> Answer:
        t0 = time.perf_counter()
        resolved = resolve_followup(question, history or [], snap.documents)
        constraints = query_mod.extract(resolved, snap.documents, filters)
        resolution = query_mod.resolve(constraints, snap.documents)
        qvec = self.retriever.embed_query(resolution.retrieval_text(resolved))
        if resolution.unmet:
            hits = self.retriever.search(snap, resolved, top_k, mode=mode, query_vector=qvec)
            t1 = time.perf_counter()
            return self._abstain(
                question,
                resolved,
                hits,
                0.0,
                resolution.unmet,
                {"retrieve": (t1 - t0) * 1000, "answer": 0.0},
            )
        hits = self.retriever.search(
            snap,
            resolution.retrieval_text(resolved),
            max(top_k, self.params.passages),
            mode=mode,
            sources=resolution.allowed,
            query_vector=qvec,
        )
        t1 = time.perf_counter()
        timings = {"retrieve": (t1 - t0) * 1000}
        cands = self._candidates(hits)
        if not cands:
            timings["answer"] = (time.perf_counter() - t1) * 1000
            return self._abstain(
                question, resolved, hits, 0.0, "nothing relevant was found", timings
            )
        kind = answer_type(resolved)
        self._score(snap, resolved, qvec, kind, cands, resolution.required_terms)
        cands.sort(key=lambda c: -c.score)
        best = cands[0]
        confidence = 1 / (1 + math.exp(-self.params.slope * (best.score - self.params.threshold)))
        if best.score < self.params.threshold:
            timings["answer"] = (time.perf_counter() - t1) * 1000
            return self._abstain(
                question, resolved, hits, confidence, "no passage answers it well enough", timings
            )
        answer_text = best.phrase.text if best.phrase else best.text
        chosen = [best]
        if best.phrase:
            # Other releases that state the same phrase almost as strongly also support it.
            for c in cands[1:]:
                if (
                    c.doc.source not in {x.doc.source for x in chosen}
                    and c.score >= self.params.support_ratio * best.score
                    and best.phrase.text.lower() in c.text.lower()
                ):
                    chosen.append(c)
        citations = self._citations(chosen)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        if not citations:  # cannot happen unless offsets are corrupt; never answer uncited
            return self._abstain(question, resolved, hits, 0.0, "citation check failed", timings)
        timings["total"] = timings["retrieve"] + timings["answer"]
        return Answer(
            answer=answer_text,
            abstained=False,
            confidence=confidence,
            citations=citations,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
        )

    def _candidates(self, hits: list[Hit]) -> list[Candidate]:
        seen: set[tuple[str, int]] = set()
        out = []
        for rank, hit in enumerate(hits):
            doc = hit.document
            for span in split_sentences(doc.text, hit.chunk.start, hit.chunk.end):
                key = (doc.source, span.start)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    Candidate(doc, hit, rank, span.start, span.end, doc.text[span.start : span.end])
                )
        return out

    def _score(
        self,
        snap: Snapshot,
        question: str,
        qvec: np.ndarray,
        kind: str,
        cands: list[Candidate],
        required: list[str],
    ) -> None:
        p = self.params
        idf = self._idf_for(snap)
        q_terms = set(content_terms(question))
        q_weight = sum(idf.get(t, self._default_idf) for t in q_terms) or 1.0
        dense = self._vectors(cands) @ qvec
        for cand, d in zip(cands, dense, strict=True):
            s_terms = set(content_terms(cand.text))
            ctx_terms = s_terms | set(content_terms(cand.doc.context_line()))
            lexical = sum(idf.get(t, self._default_idf) for t in q_terms & s_terms) / q_weight
            context = sum(idf.get(t, self._default_idf) for t in q_terms & ctx_terms) / q_weight
            cand.phrase = (
                narrow(cand.text, question, kind, cand.doc) if kind != ph.SENTENCE else None
            )
            if cand.phrase is not None:
                cand.phrase = ph.Phrase(
                    cand.start + cand.phrase.start,
                    cand.start + cand.phrase.end,
                    cand.phrase.text,
                    cand.phrase.kind,
                )
            typed = 1.0 if (kind == ph.SENTENCE or cand.phrase is not None) else 0.0
            cand.score = (
                p.w_dense * float(d)
                + p.w_lexical * lexical
                + p.w_context * context
                + p.w_type * typed
                + p.w_rank / (1 + cand.hit_rank)
            )
            if required and not any(r in cand.text for r in required):
                cand.score *= 0.6

    def _citations(self, chosen: list[Candidate]) -> list[Citation]:
        citations = []
        for cand in chosen:
            quote = cand.doc.text[cand.start : cand.end]
            if quote != cand.text or not quote.strip():
                log.error("citation for %s failed the verbatim check", cand.doc.source)
                continue
            citations.append(
                Citation(
                    n=len(citations) + 1,
                    source=cand.doc.source,
                    title=cand.doc.title,
                    date=cand.doc.date,
                    place=cand.doc.place,
                    chunk_id=cand.hit.chunk.chunk_id,
                    start=cand.start,
                    end=cand.end,
                    quote=quote,
                    score=round(cand.score, 4),
                )
            )
        return citations

    def _abstain(
        self,
        question: str,
        resolved: str,
        hits: list[Hit],
        confidence: float,
        reason: str,
        timings: dict[str, float],
    ) -> Answer:
        related = [
            {
                "source": h.chunk.source,
                "title": h.document.title,
                "date": h.document.date,
                "place": h.document.place,
                "chunk_id": h.chunk.chunk_id,
                "start": h.chunk.start,
                "end": h.chunk.end,
                "quote": h.chunk.text,
                "score": round(h.score, 6),
            }
            for h in hits[:3]
        ]
        timings.setdefault("answer", 0.0)
        timings["total"] = timings.get("retrieve", 0.0) + timings["answer"]
        log.info("abstained on %r: %s", question, reason)
        return Answer(
            answer=f"{ABSTAIN_TEXT} ({reason}.)",
            abstained=True,
            confidence=min(confidence, 0.5),
            related=related,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
        )


def _question_stems(question: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w’'-]+", question.lower())}


def _proximity(sentence: str, span: tuple[int, int], q_stems: set[str]) -> float:
    """1 / (1 + distance in words) from the span to the nearest question word."""
    positions = [
        m.start()
        for m in re.finditer(r"[\w’'-]+", sentence)
        if stem(m.group().lower()) in q_stems
        and m.group().lower() not in ("the", "of", "and", "in", "a", "to")
    ]
    if not positions:
        return 0.0
    dist = min(abs(p - span[0]) if p < span[0] else abs(p - span[1]) for p in positions)
    return 1.0 / (1.0 + dist / 6.0)


def narrow(sentence: str, question: str, kind: str, doc: Document) -> ph.Phrase | None:
    """The answer phrase of the expected kind inside `sentence`, or None when none is certain."""
    q_stems = _question_stems(question)
    q_lower = question.lower()

    def novel(text: str) -> bool:
        return any(
            stem(w.lower()) not in q_stems
            for w in re.findall(r"[\w’'-]+", text)
            if w.lower() not in ("the", "and", "of")
        )

    if kind == ph.DATE:
        found = [d for d in ph.dates(sentence) if d.text.lower() not in q_lower]
        if not found and re.search(r"\btoday\b", sentence) and ph.dateline_end(sentence) == 0:
            return None
        if not found:
            return None
        return max(
            found, key=lambda d: (len(d.text) > 4, _proximity(sentence, (d.start, d.end), q_stems))
        )
    if kind == ph.NUMBER:
        found = [n for n in ph.numbers(sentence) if novel(n.text.split()[0])]
        if not found:
            return None

        def fit(n: ph.Phrase) -> float:
            tail = {stem(w.lower()) for w in n.text.split()[1:]}
            return 2.0 * len(tail & q_stems) + _proximity(sentence, (n.start, n.end), q_stems)

        return max(found, key=fit)
    if kind == ph.PLACE:
        dl = ph.dateline_end(sentence)
        places = [
            n
            for n in ph.names(sentence)
            if novel(n.text)
            and (
                n.text.lower() in query_mod._gazetteer()
                or n.text.lower() in (doc.place.lower(), doc.country.lower())
            )
        ]
        if places:
            return max(places, key=lambda n: _proximity(sentence, (n.start, n.end), q_stems))
        if dl and doc.place:
            m = re.match(r"[A-Z][A-Z .'’-]+", sentence)
            if m:
                return ph.Phrase(0, len(m.group().rstrip(" ,")), m.group().rstrip(" ,"), ph.PLACE)
        return None
    if kind == ph.ENTITY:
        found = [n for n in ph.names(sentence) if novel(n.text)]
        if not found:
            return None

        def fit(n: ph.Phrase) -> float:
            before = sentence[: n.start].rstrip().lower()
            agent = 1.0 if re.search(r"\b(by|from)$", before) else 0.0
            listy = 0.3 if ("," in n.text or " and " in n.text) else 0.0
            return agent + listy + _proximity(sentence, (n.start, n.end), q_stems)

        return max(found, key=fit)
    return None
