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
from rag.retrieval import Retriever
from rag.store import Snapshot
from rag.text_utils import stem
from rag.types import Answer, Citation, Document, Hit

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


def answer_type(question: str) -> str:
    q = question.lower()
    if re.search(
        r"\bhow (many|much|long)\b|\bwhat (number|percentage|share)\b|"
        r"\bwhat (was|is|were) the (total |overall )?(budget|cost|amount|price|sum|figure)\b",
        q,
    ):
        return ph.NUMBER
    if re.search(r"\bwhen\b|\b(what|which) (years?|dates?|days?|months?)\b", q):
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
        self.scorer.score(snap, evidence_text, qvec, cands)
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
        if kind in (ph.NUMBER, ph.DATE):
            # A sentence without a number (date) cannot answer "how many" ("when").
            cands = [c for c in cands if c.phrase is not None]
            if not cands:
                timings["answer"] = (time.perf_counter() - t1) * 1000
                what = "number" if kind == ph.NUMBER else "date"
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


def _question_stems(question: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w’'-]+", question.lower())}


def _proximity(span: tuple[int, int], anchors: list[int]) -> float:
    """1 / (1 + distance in ~words) from the span to the nearest matched question word."""
    if not anchors:
        return 0.0
    dist = min(span[0] - a if a < span[0] else max(0, a - span[1]) for a in anchors)
    return 1.0 / (1.0 + max(0, dist) / 6.0)


def _novel_items(sentence: str, phrase: ph.Phrase, q_stems: set[str]) -> ph.Phrase | None:
    """A name list minus items the question already names ('Kevin Carty, the OSCE Adviser')."""
    items = [(m.start(), m.end()) for m in re.finditer(r"[^,]+?(?=,\s|\s+and\s|$)", phrase.text)]
    keep = []
    for a, b in items:
        item = re.sub(r"^\s*(and\s+)?(the\s+)?", "", phrase.text[a:b])
        words = [w for w in re.findall(r"[\w’'-]+", item) if w.lower() not in ("the", "of", "and")]
        if any(stem(w.lower()) not in q_stems for w in words):
            keep.append((a, b))
    if not keep:
        return None
    if len(keep) == len(items):
        return phrase
    a, b = keep[0]
    while a < len(phrase.text) and phrase.text[a] in " ,":
        a += 1
    text = re.sub(r"^(and\s+)", "", phrase.text[a:b])
    a = b - len(text)
    return ph.Phrase(phrase.start + a, phrase.start + b, text, phrase.kind)


_COUNT_STOP = frozenset(
    [
        "did",
        "do",
        "does",
        "were",
        "was",
        "are",
        "is",
        "had",
        "have",
        "has",
        "took",
        "take",
        "attended",
        "attend",
        "came",
        "come",
        "will",
        "would",
        "could",
        "can",
        "from",
        "at",
        "in",
        "of",
        "on",
        "for",
        "to",
        "by",
        "besides",
        "with",
        "who",
        "that",
        "which",
    ]
)


def _countries() -> frozenset[str]:
    """Lower-case country names (single words are enough to recognise a list of them)."""
    return query_mod.countries()


def _looks_like_person(text: str) -> bool:
    """Two to four capitalised words, no organisation words or acronyms: 'Kevin Carty'."""
    first = re.split(r",|\band\b", text)[0].strip()
    words = re.sub(r"\b(Mr|Mrs|Ms|Dr|Gen|Prof)\.\s*", "", first).split()
    org = {
        "office",
        "unit",
        "organization",
        "organisation",
        "ministry",
        "government",
        "centre",
        "center",
        "council",
        "department",
        "agency",
        "federation",
        "nations",
        "union",
        "osce",
        "chairmanship",
        "secretariat",
        "project",
        "programme",
        "mission",
        "states",
        "bank",
    }
    return (
        2 <= len(words) <= 4
        and all(w[:1].isupper() and not w.isupper() for w in words)
        and not any(w.lower().strip(".,") in org for w in words)
    )


PHRASE_MARGIN = 0.25  # fit gap under which two phrases are a toss-up: answer the sentence


def narrow(
    sentence: str, question: str, kind: str, doc: Document, anchors: list[int]
) -> tuple[ph.Phrase | None, float]:
    """(answer phrase of the expected kind in `sentence`, fit in [0, 1]); (None, 0) if unsure."""
    return _narrow(sentence, question, kind, doc, anchors, [False])


def narrow_checked(
    sentence: str, question: str, kind: str, doc: Document, anchors: list[int]
) -> tuple[ph.Phrase | None, float, bool]:
    """narrow() plus whether another phrase of the sentence fits almost as well."""
    ambiguous = [False]
    phrase, fit = _narrow(sentence, question, kind, doc, anchors, ambiguous)
    return phrase, fit, ambiguous[0]


def _narrow(
    sentence: str,
    question: str,
    kind: str,
    doc: Document,
    anchors: list[int],
    ambiguous: list[bool],
) -> tuple[ph.Phrase | None, float]:
    q_stems = _question_stems(question)
    q_lower = question.lower()

    def novel(text: str) -> bool:
        return any(
            stem(w.lower()) not in q_stems
            for w in re.findall(r"[\w’'-]+", text)
            if w.lower() not in ("the", "and", "of")
        )

    def best(found: list[ph.Phrase], bonus) -> tuple[ph.Phrase | None, float]:
        if not found:
            return None, 0.0
        scored = sorted(
            ((bonus(f) + _proximity((f.start, f.end), anchors), f) for f in found),
            key=lambda t: -t[0],
        )
        fit, phrase = scored[0]
        # Two phrases fitting almost equally well: neither is certain (see phrase_margin).
        margin = fit - scored[1][0] if len(scored) > 1 else fit
        ambiguous[0] = margin < PHRASE_MARGIN
        return phrase, min(1.0, fit)

    if kind == ph.DATE:
        found = [d for d in ph.dates(sentence) if d.text.lower() not in q_lower]
        dateline = ph.dateline_end(sentence)

        def date_bonus(d: ph.Phrase) -> float:
            if d.end <= dateline:
                return 0.6  # the dateline's date is when the release's event happened
            return 0.3 if len(d.text) > 4 else 0.0

        return best(found, date_bonus)
    if kind == ph.NUMBER:
        # The thing counted: "how many [participating States] did ..." -> its words.
        after = re.search(r"\bhow many\s+([^,;?]*)", q_lower)
        counted_words: list[str] = []
        for w in after.group(1).split() if after else []:
            if w in _COUNT_STOP:
                break
            counted_words.append(stem(w))
        counted = set(counted_words[-4:])
        duration = (
            re.search(r"\bhow long\b|\bhow many (hours|days|weeks|months|years)\b", q_lower)
            is not None
        )
        head_noun = counted_words[-1] if counted_words else ""
        out = []
        for n in ph.numbers(sentence):
            words = n.text.split()
            # Keep the tail up to the noun the question counts ("90 experts"), else 1 word.
            head = ph.NUMBER_RE.match(n.text)
            head_len = len(head.group().split()) if head else 1
            tail = words[head_len:]
            tail_stems = [stem(w.lower().strip(".,;:")) for w in tail]
            hits = [i for i, t in enumerate(tail_stems) if t in counted]
            cut = (
                hits[-1]
                if hits
                else next((i for i, t in enumerate(tail_stems) if t in q_stems), None)
            )
            keep = head_len + (cut + 1 if cut is not None else min(1, len(tail)))
            text = " ".join(words[:keep]).rstrip(".,;:")
            if not novel(words[0]):
                continue
            is_duration = duration and re.search(
                r"\b(hour|day|week|month|year)s?\b", n.text.lower()
            )
            if is_duration or (head_noun and head_noun in tail_stems):
                bonus_value = 0.6
            else:
                bonus_value = 0.3 if hits else (0.2 if cut is not None else 0.0)
            out.append((ph.Phrase(n.start, n.start + len(text), text, ph.NUMBER), bonus_value))
        bonus = {id(p): b for p, b in out}
        return best([p for p, _ in out], lambda p: bonus[id(p)])
    if kind == ph.PLACE:
        known = query_mod.gazetteer()
        meta = {doc.place.lower(), doc.country.lower()} - {""}
        found = [
            n
            for n in ph.names(sentence)
            if novel(n.text) and (n.text.lower() in known or n.text.lower() in meta)
        ]
        if ph.dateline_end(sentence) and doc.place:
            # The dateline names where the release's event happened: "VIENNA, 8 July 2010 -".
            m = re.match(r"[A-Z][A-Z .'’-]+", sentence)
            if m and novel(m.group()):
                text = m.group().rstrip(" ,")
                found.append(ph.Phrase(0, len(text), text, ph.PLACE))

        def place_bonus(n: ph.Phrase) -> float:
            if n.start == 0 and ph.dateline_end(sentence):
                return 1.0  # the dateline place is where the event was
            return 0.5 if n.text.lower() in meta else 0.0

        return best(found, place_bonus)
    if kind == ph.ENTITY:
        found = []
        for n in ph.names(sentence):
            trimmed = _novel_items(sentence, n, q_stems)
            if trimmed is not None and novel(trimmed.text):
                found.append(trimmed)

        wants_person = re.search(r"\bwho(m|se)?\b", q_lower) is not None
        # The words naming what is asked for: "which UN body", "which national ministry".
        asked = re.search(r"\b(?:which|what)\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)", q_lower)
        asked_stems = {stem(w) for w in asked.group(1).split()} if asked else set()
        asked_stems -= {stem(w) for w in ("the", "a", "an", "of", "did", "was", "were", "is")}
        speech = re.search(
            r"\b(say|said|says|tell|told|state|stated|urge|urged|add|added|"
            r"according|warn|warned|emphasi[sz]ed|note|noted)\b",
            q_lower,
        )

        acronyms = {w for w in re.findall(r"\b[A-Z]{2,}\b", question)}
        wants_country = bool(asked_stems & {"country", "countri", "government", "state", "nation"})

        def bonus(n: ph.Phrase) -> float:
            extra = 0.0
            tokens = re.findall(r"[\w’'-]+", n.text)
            if asked_stems & {stem(w.lower()) for w in tokens} or any(
                t.startswith(a) and t != a for t in tokens for a in acronyms
            ):
                extra += 0.4  # names what was asked for ("UN Office ..." for "which UN body")
            if wants_country and any(w.lower() in _countries() for w in tokens):
                extra += 0.4
            if wants_person and _looks_like_person(n.text):
                extra += 0.4
                if speech and re.search(
                    r"\b(said|says|told|stated|added|urged|warned|noted|emphasi[sz]ed)\b",
                    sentence[max(0, n.start - 25) : n.end + 25],
                ):
                    extra += 0.25
            if any(0 < a - n.end <= 1 for a in anchors):
                # "An OSCE workshop": the name modifies the thing asked about; not the answer.
                return -0.5
            return extra + _agent_bonus(n)

        def _agent_bonus(n: ph.Phrase) -> float:
            before = sentence[: n.start].rstrip().lower()
            agent = 0.4 if re.search(r"\bby(\s+the)?$", before) else 0.0
            if re.search(r"\bfrom(\s+the)?$", before):
                agent = 0.1
            # The subject of an active sentence whose verb matches the question.
            after = [a for a in anchors if a >= n.end]
            if n.start <= ph.dateline_end(sentence) + 4 and after and after[0] - n.end < 20:
                agent = max(agent, 0.4)
            return agent + (0.1 if ("," in n.text or " and " in n.text) else 0.0)

        return best(found, bonus)
    return None, 0.0
