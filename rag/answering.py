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
from dataclasses import dataclass

from rag import phrases as ph
from rag import query as query_mod
from rag.evidence import Candidate, EvidenceScorer, candidates
from rag.followup import resolve_followup
from rag.narrowing import answer_type, asks_person, narrow, narrow_checked
from rag.retrieval import Retriever
from rag.store import Snapshot
from rag.types import Answer, Citation, Hit

__all__ = ["ABSTAIN_TEXT", "AnswerParams", "Answerer", "answer_type", "narrow"]

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The releases don't say."


@dataclass(frozen=True)
class AnswerParams:
    passages: int = 8  # chunks whose sentences compete
    # Evidence score below which we abstain, and the slope of the logistic that turns the
    # score into `confidence` (0.5 at the threshold). Fitted on eval/qa.jsonl; see README.
    threshold: float = 0.49
    slope: float = 7.5
    # A phrase whose fit (agent/subject position, closeness to the question's words, kind
    # bonuses) is below this is not certain enough: the answer is the whole sentence.
    phrase_certainty: float = 0.5
    support_ratio: float = 0.9  # other releases stating the same phrase are cited too


class Answerer:
    def __init__(
        self, retriever: Retriever, scorer: EvidenceScorer, params: AnswerParams | None = None
    ) -> None:
        self.retriever = retriever
        self.scorer = scorer
        self.params = params or AnswerParams()

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
        text = resolution.retrieval_text(resolved)
        qvec = self.retriever.embed_query(text)
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
            text,
            max(top_k, self.params.passages),
            mode=mode,
            sources=resolution.allowed,
            query_vector=qvec,
        )
        t1 = time.perf_counter()
        timings = {"retrieve": (t1 - t0) * 1000}
        cands = candidates(hits)
        if not cands:
            timings["answer"] = (time.perf_counter() - t1) * 1000
            return self._abstain(
                question, resolved, hits, 0.0, "nothing relevant was found", timings
            )
        kind = answer_type(resolved)
        # "how long/many/much" name the answer's type (narrow() uses it), not its content.
        evidence_text = re.sub(r"\bhow (long|many|much)\b", "how", text, flags=re.I)
        self.scorer.score(snap, evidence_text, self.scorer.query_vector(text, qvec), cands)
        w_type = self.scorer.params.w_type
        for cand in cands:
            if kind == ph.SENTENCE:
                cand.score += w_type
            else:
                found, fit, unsure = narrow_checked(
                    cand.text, resolved, kind, cand.doc, cand.anchors or []
                )
                if found is not None:
                    cand.fit = fit
                    cand.ambiguous = unsure
                    cand.phrase = ph.Phrase(
                        cand.start + found.start, cand.start + found.end, found.text, found.kind
                    )
                    cand.score += w_type * (0.5 + 0.5 * fit)
            if resolution.required_terms and not any(
                r in cand.text for r in resolution.required_terms
            ):
                cand.score *= 0.6
        if kind in (ph.NUMBER, ph.DATE) or asks_person(resolved):
            # A sentence without a number (date, name) cannot answer "how many" ("when",
            # "who was the minister").
            cands = [c for c in cands if c.phrase is not None]
            if not cands:
                timings["answer"] = (time.perf_counter() - t1) * 1000
                what = {ph.NUMBER: "number", ph.DATE: "date"}.get(kind, "name")
                return self._abstain(
                    question, resolved, hits, 0.0, f"no passage gives a {what} for it", timings
                )
        cands.sort(key=lambda c: -c.score)
        best = cands[0]
        confidence = 1 / (1 + math.exp(-self.params.slope * (best.score - self.params.threshold)))
        if best.score < self.params.threshold:
            timings["answer"] = (time.perf_counter() - t1) * 1000
            return self._abstain(
                question, resolved, hits, confidence, "no passage answers it well enough", timings
            )
        if best.phrase is not None and (best.fit < self.params.phrase_certainty or best.ambiguous):
            best.phrase = None
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
        if not citations:  # only if offsets were corrupt: never answer uncited
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
            passages=hits,
        )

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
        log.debug("abstained on %r: %s", question, reason)
        return Answer(
            answer=f"{ABSTAIN_TEXT} ({reason}.)",
            abstained=True,
            confidence=min(confidence, 0.5),
            related=related,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits,
        )
