"""Yes/no and list questions, as the engine asks them (yes/no: rag.answering.yes_no).

Lists: when one sentence states the list (an answer the ranker believes at least half as much as
its best is an item of a coordination), its items are the list, citing that sentence and every
other retrieved release with a sentence naming all of them. Otherwise the question is read
against the best passage of each of many retrieved releases (not only the top passages), and
every release whose best span is likely enough, and that names the question's names and numbers
(one without "the 2005 V Festival" is about another event), becomes an item: the span, with the
release's title, date and place, and its own citation; items with the same text are merged.
Where no more than one release answers so, the list is the one the parse of a sentence of the
first release puts in the slot the wh-phrase asks about ("Which countries funded the Astana
meeting?": "Norway and Belgium provided financial support"; rag.answering.slots). A list of the
releases' events that a named entity took part in ("Which meetings did Norway help fund?") holds
the releases whose passage has the entity in the asked slot: as many as do, one or none ("the
releases don't say").
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from rag.answering.answer_ranker import SpanCandidate, normalise_answer
from rag.answering.evidence import Candidate
from rag.answering.extractive import (
    ABSTAIN_TEXT,
    MAX_WIDENED_WORDS,
    NAME_LABELS,
    Answerer,
    other_reports,
)
from rag.answering.focus import (
    WH_FOR_LABEL,
    argument_of_main_clause,
    metadata_words,
    question_focus,
    release_filter_question,
    wh_question,
)
from rag.answering.list_across import about_another_event, item_key, with_other_releases
from rag.answering.list_extent import FINITE_TAGS, Coordination, completed
from rag.answering.roles import verb_bound
from rag.answering.slots import SlotReader, asked_slot
from rag.answering.yes_no import YesNoAnswerer, sentence_quote
from rag.answering.yes_no_slots import YES_NO_READ
from rag.index.store import Snapshot
from rag.ingestion.release_text import DATELINE_RE
from rag.text_utils import human_date
from rag.values import Answer, Hit

log = logging.getLogger(__name__)

# A list's confidence is the confidence model's belief in one span of it, a model fitted on
# short answers that believes long spans less: lists keep a decline threshold of their own,
# chosen from 0.15-0.35 by right answers on eval/lists_unseen.jsonl batches up to 30.
LIST_THRESHOLD = 0.25


# The reader's spans over a question's best passages, read on first call.
Reading = Callable[[], list[SpanCandidate]]

LIST_RELEASES = 12  # releases whose best passage is read for a list question
LIST_POOL = 60  # passages retrieved to find them


class KindsAnswerer:
    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self._yes_no = YesNoAnswerer(answerer)
        self.threshold = LIST_THRESHOLD  # lists' and their fact fallback's decline threshold

    def yes_no(self, snap: Snapshot, question: str, top_k: int, **kwargs) -> Answer | None:
        """ "Yes."/"No." with the deciding sentence, a decline, or None (no focus to ask
        about: answered as a fact question); rag.answering.yes_no."""
        return self._yes_no.answer(snap, question, top_k, **kwargs)

    # -- lists ---------------------------------------------------------------------------------
    def _release_filter(self, snap: Snapshot, question: str) -> tuple[str, str] | None:
        """(the focus's wh-question, the focus) when a list question asks which of the
        releases' events a named entity took part in ("Which meetings did Norway help fund?"):
        its wh-phrase names something the answer-type model says is no named entity (a
        meeting, a match, a deal), and a named entity outside the releases' metadata is the
        focus. None for lists of entities ("Which countries financed ...?")."""
        a = self.answerer
        expected = a.annotator.analyse(question).expected
        if not expected or max(expected, key=expected.get) != "NONE":
            return None
        doc = a.annotator.parse(question.strip(), keep=False)
        focus = question_focus(doc, metadata_words(snap))
        if focus is None or not argument_of_main_clause(focus):
            # An entity inside a noun phrase ("the *OSCE's* top official", "which *two*
            # brewers", "the system brokered by *Arbor Networks*") is not a participant whose
            # part in each event can be checked.
            return None
        asked = release_filter_question(doc, focus)
        return (asked, normalise_answer(focus.text)) if asked else None

    def _states(self, asked: str, target: str, hit: Hit) -> SpanCandidate | None:
        """The span of the release's passage, nearly as believed as its best, holding the
        focus in the slot the wh-question asks about; None when there is none."""
        cands = self.answerer.candidates(asked, [hit])
        if not cands or not target:
            return None
        top = cands[0].prob
        for c in cands:
            if c.prob < 0.5 * top:
                break
            if target in normalise_answer(c.text):
                return c
            found = self.answerer.coordination(c)  # "Belgium" of "Belgium, Norway, ..."
            if found and target in normalise_answer(c.doc.text[found[0][0] : found[0][1]]):
                return c
        return None

    def _one_sentence_list(
        self,
        question: str,
        resolved: str,
        hits: list[Hit],
        timings: dict,
        t0: float,
        read: Reading | None = None,
    ) -> Answer | None:
        """The list one sentence states ("Heineken and Carlsberg, two of the world's largest
        brewers, ..."): when an answer of the best passages, as a fact question would get
        them, is an item of a coordination, its items are the list, all citing that sentence.
        A list question asks for several, so the answers the ranker believes nearly as much as
        its best (half as much, as a yes/no question's filler) are looked through, best first,
        for one that has coordinated items; failing that, a list the reader proposed with
        less belief that names its best answer. None when there is none (then each release is
        read)."""
        a = self.answerer
        cands = read() if read else a.candidates(resolved, hits)
        if not cands or cands[0].prob < self.threshold:
            return None
        floor = max(self.threshold, 0.5 * cands[0].prob)
        for best in (c for c in cands if c.prob >= floor):
            a.widen_to_entity(best)
            found = self.list_of(best) or self.separated(best)
            if found is not None:
                break
        else:
            # The reader's best answer may be one item of a list it also proposed, believing
            # it less (a list is longer than answers mostly are): that list, its items naming
            # the best answer.
            key = f" {normalise_answer(cands[0].text)} "
            for best in (c for c in cands if c.prob < floor):
                found = self.list_of(best) or self.separated(best)
                if found is not None and any(
                    key in f" {normalise_answer(best.doc.text[x:y])} " for x, y in found[1]
                ):
                    break
            else:
                return None
        s0, s1 = a.sentence_of(best)
        sentence = best.doc.text[s0:s1]
        found = completed(
            a.annotator.parse(sentence, entities=False), a.annotator.entities(sentence), s0, found
        )
        quote = sentence_quote(a, best)
        names = [best.doc.text[s:e] for s, e in found[1]]
        citations = a.verified_citations([quote, *_restating(names, quote, hits)])
        if not citations or citations[0].source != best.doc.source:
            return None
        numbers = [c.n for c in citations]
        items = [{"text": name, "citations": numbers} for name in names]
        timings["answer"] = (time.perf_counter() - t0) * 1000 - timings["retrieve"]
        timings["total"] = timings["retrieve"] + timings["answer"]
        whole = best.doc.text[found[0][0] : found[0][1]]
        gaps = [(y, x) for (_, y), (x, _) in itertools.pairwise(found[1])]
        if any(
            t.pos_ in ("VERB", "AUX") and any(y <= s0 + t.idx < x for y, x in gaps)
            for t in a.annotator.parse(best.doc.text[s0:s1], entities=False)
        ):
            # a clause between the items ("X *is suspended alongside* Y and Z"): their names
            whole = ", ".join(names[:-1]) + " and " + names[-1]
        return Answer(
            answer=whole,  # as the sentence words it, where it lists only the items
            abstained=False,
            confidence=best.prob,
            citations=citations,
            kind="list",
            items=items,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits[:8],
        )

    def stated_list(
        self,
        snap: Snapshot,
        question: str,
        top_k: int,
        *,
        retrieved: tuple[tuple[str, list[Hit], str | None], float] | None = None,
        **kwargs,
    ) -> Answer | None:
        """The list one sentence states among the passages a fact question reads (the
        `top_k` best, not the wider pool `listing` reads): where the reader's best span there
        is an item of a coordination, its items; None otherwise (the fact answer stands)."""
        t0 = time.perf_counter()
        a = self.answerer
        if retrieved is None:
            resolved, hits, unmet = a.retrieve(snap, question, top_k, **kwargs)
            retrieve_ms = (time.perf_counter() - t0) * 1000
        else:
            (resolved, hits, unmet), retrieve_ms = retrieved
            t0 -= retrieve_ms / 1000  # the answer's timings count from the retrieval's start
        if unmet or not hits:
            return None
        read = functools.cache(lambda: a.read_on_if_unsure(resolved, hits))
        return self._one_sentence_list(
            question, resolved, hits, {"retrieve": retrieve_ms}, t0, read
        )

    def list_of(self, cand: SpanCandidate) -> Coordination | None:
        """The coordination the span is an item of, from the parse and the entities
        (_merged), or None."""
        a = self.answerer
        parsed, listed = a.coordination(cand, per_item=True), a.entity_list(cand)
        if parsed is None and listed is not None:
            # The parse may link the entities' last item to one the NER does not tag
            # ("Caroline Langrishe and Polly Adams").
            start, end = listed[1][-1]
            parsed = a.coordination(
                replace(cand, start=start, end=end, text=cand.doc.text[start:end]),
                per_item=True,
            )
        found = _merged(parsed, listed)
        return None if found is None else self._whole_names(cand, found)

    def restates(self, question_doc, predicate: str, cand: SpanCandidate) -> bool:
        """Whether the span's sentence restates the asked verb (YesNoAnswerer._restates)."""
        return self._yes_no._restates(question_doc, predicate, cand)

    def _whole_names(self, cand: SpanCandidate, found: Coordination) -> Coordination:
        """An item that cuts a name spaCy tags as one entity takes the whole name ("Jose
        Antonio" of "Jose Antonio Reyes", whose last word the parse hangs on the verb), unless
        the name reaches into another item."""
        a = self.answerer
        s0, s1 = a.sentence_of(cand)
        names = [
            (s0 + x, s0 + y)
            for x, y, label in a.annotator.entities(cand.doc.text[s0:s1])
            if label in NAME_LABELS
        ]
        items = list(found[1])
        for k, (x, y) in enumerate(items):
            for n0, n1 in names:
                if n0 < y and x < n1 and (n0 < x or n1 > y):
                    lo = items[k - 1][1] if k else s0
                    hi = items[k + 1][0] if k + 1 < len(items) else s1
                    if lo <= n0 and n1 <= hi:
                        items[k] = (min(x, n0), max(y, n1))
        return (min(found[0][0], items[0][0]), max(found[0][1], items[-1][1])), items

    def separated(self, cand: SpanCandidate) -> Coordination | None:
        """A span the reader proposed that reads as a list: its parts between commas and
        coordinating conjunctions that cut no name spaCy tags and no brackets ("Newcastle
        Brown Ale, Foster's, John Smith's, Strongbow and Kronenbourg", names the parse does
        not link). None for fewer than two parts, or where a part has a finite verb (a clause,
        not an item) or no noun or number, or where the span runs on from a release's
        dateline into its text (the place, country and date of "ALMATY, Kazakhstan, 3
        December 2014 - Representatives ..." are a heading, not a list)."""
        a = self.answerer
        s0, s1 = a.sentence_of(cand)
        if cand.start < s0 or cand.end > s1:
            return None
        text = cand.doc.text[s0:s1]
        dateline = DATELINE_RE.match(text)
        if dateline is not None and cand.start < s0 + dateline.end() < cand.end:
            return None
        doc = a.annotator.parse(text, entities=False)
        named = [(x, y) for x, y, _ in a.annotator.entities(text)]
        parts: list[list] = [[]]
        depth = 0
        for t in doc:
            if not cand.start <= s0 + t.idx < cand.end:
                continue
            depth += (t.text in ("(", "[")) - (t.text in (")", "]"))
            in_name = any(x <= t.idx < y for x, y in named)
            if depth <= 0 and not in_name and (t.text in (",", ";") or t.pos_ == "CCONJ"):
                parts.append([])
            else:
                parts[-1].append(t)
        parts = [p for p in parts if p]
        if len(parts) < 2 or any(
            len(p) > MAX_WIDENED_WORDS
            or any(t.tag_ in FINITE_TAGS or t.pos_ == "AUX" for t in p)
            or not any(t.pos_ in ("NOUN", "PROPN", "NUM") for t in p)
            for p in parts
        ):
            return None
        items = [(s0 + p[0].idx, s0 + p[-1].idx + len(p[-1])) for p in parts]
        return (items[0][0], items[-1][1]), items

    def _slot_list(
        self,
        question: str,
        resolved: str,
        hits: list[Hit],
        timings: dict,
        t0: float,
        read: Reading | None = None,
    ) -> Answer | None:
        """The list the parse of a sentence of the release retrieval finds first puts in the
        slot the wh-phrase asks about ("Which countries funded the Astana meeting?": "Norway
        and Belgium provided financial support"; rag.answering.slots), as two or more
        entities of the label the answer-type model expects; None when there is none.
        Its confidence is the reader's for its best span of the question: a list read off
        the parse has no fitted confidence of its own (a yes/no verdict's is fitted per check,
        rag.answering.yes_no_confidence)."""
        a, yes_no = self.answerer, self._yes_no
        analysis = a.annotator.analyse(resolved)
        if not analysis.expected or not hits:
            return None
        label = max(analysis.expected, key=analysis.expected.get)
        threshold = verb_bound(a.annotator, "slot_threshold")
        doc = a.annotator.parse(resolved.strip(), keep=False)
        head = next((t for t in doc if t.lemma_.lower() == analysis.head), None)
        if label == "NONE" or threshold is None or head is None:
            return None
        slot = asked_slot(doc[head.left_edge.i : head.i + 1])
        if slot is None:
            return None
        reader = SlotReader(a.annotator.word_vectors, threshold)
        about = hits[0].document.source
        for hit in (h for h in hits[:YES_NO_READ] if h.document.source == about):
            text = hit.document.text
            for sent, prior in yes_no.slots.sentences_read(hit):
                parsed = a.annotator.parse(text[sent.start : sent.end], entities=False)
                fillers = reader.fillers(
                    slot, parsed, yes_no.slots.lemmas(text[prior : sent.start])
                )
                if not fillers:
                    continue
                ents = a.annotator.entities(text[sent.start : sent.end])
                for x, y in fillers:
                    names = [
                        text[sent.start + e0 : sent.start + e1]
                        for e0, e1, e_label in ents
                        if e_label == label and x <= e0 and e1 <= y
                    ]
                    if len(names) >= 2:
                        cands = read() if read else a.candidates(resolved, hits)
                        confidence = cands[0].prob if cands else 0.0
                        return self._items_answer(
                            question, resolved, hits, hit, sent, names, confidence, timings, t0
                        )
        return None

    def _items_answer(
        self, question, resolved, hits, hit, sent, names, confidence, timings, t0
    ) -> Answer:
        a = self.answerer
        text = hit.document.text
        quote = Candidate(
            hit.document, hit, hits.index(hit), sent.start, sent.end, text[sent.start : sent.end]
        )
        citations = a.verified_citations([quote])
        timings["answer"] = (time.perf_counter() - t0) * 1000 - timings["retrieve"]
        timings["total"] = timings["retrieve"] + timings["answer"]
        return Answer(
            answer=", ".join(names[:-1]) + " and " + names[-1],
            abstained=False,
            confidence=confidence,
            citations=citations,
            kind="list",
            items=[{"text": name, "citations": [c.n for c in citations]} for name in names],
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits[:8],
        )

    def listing(self, snap: Snapshot, question: str, **kwargs) -> Answer | None:
        t0 = time.perf_counter()
        a = self.answerer
        resolved, hits, unmet = a.retrieve(snap, question, LIST_POOL, **kwargs)
        timings = {"retrieve": (time.perf_counter() - t0) * 1000}
        if unmet or not hits:
            return a._abstain(question, resolved, hits, 0.0, unmet or "nothing relevant", timings)
        per_release: dict[str, Hit] = {}
        for h in hits:
            per_release.setdefault(h.chunk.source, h)
            if len(per_release) >= LIST_RELEASES:
                break
        filtering = self._release_filter(snap, resolved)
        # The reader's spans over the best passages, read at most once for both fallbacks.
        read = functools.cache(lambda: a.read_on_if_unsure(resolved, hits))
        within = self._one_sentence_list(question, resolved, hits, timings, t0, read)
        # Asked which events a name took part in ("Which meetings did Norway fund?"), a list
        # that holds the name lists its peers ("Belgium, Norway, ... and Japan"), not the
        # events; one that does not is what the name did ("Which films did DiCaprio go on
        # to?": "The Basketball Diaries, Romeo and Juliet ...").
        question_doc = a.annotator.parse(resolved.strip(), keep=False)
        if within is not None and (
            filtering is None
            or not any(filtering[1] in normalise_answer(i["text"]) for i in within.items or [])
        ):
            return with_other_releases(self, within, resolved, per_release, question_doc)
        if len(per_release) < 2:
            # one release: a list its parse puts in the asked slot, else a fact answer
            return self._slot_list(question, resolved, hits, timings, t0, read)
        found: list[SpanCandidate] = []
        for hit in per_release.values():
            if filtering is not None:
                stated = self._states(filtering[0], filtering[1], hit)
                if stated is not None:
                    found.append(stated)
                continue
            if about_another_event(question_doc, hit):
                continue
            cands = a.candidates(resolved, [hit])
            if cands and cands[0].prob >= self.threshold:
                found.append(cands[0])
        timings["answer"] = (time.perf_counter() - t0) * 1000 - timings["retrieve"]
        if filtering is not None and not found:
            # "Which meetings did Japan fund?" where no release has Japan in that slot.
            answer = a._abstain(
                question, resolved, hits, 0.0, "no release has them in that part", timings
            )
            answer.kind = "list"
            return answer
        if filtering is None and len({c.doc.source for c in found}) < 2:
            # At most one release answers: a list the parse of the first release's passages
            # puts in the asked slot, else the fact answer says it best.
            return self._slot_list(question, resolved, hits, timings, t0, read)
        found.sort(key=lambda c: (c.doc.date, c.doc.source))
        quotes, items, index = [], [], {}
        for c in found:
            s0, s1 = a.sentence_of(c)
            quotes.append(Candidate(c.doc, c.hit, c.hit_rank, s0, s1, c.doc.text[s0:s1], c.prob))
        citations = a.verified_citations(quotes)
        by_quote = {(x.source, x.start): x.n for x in citations}
        for c, q in zip(found, quotes, strict=True):
            n = by_quote.get((q.doc.source, q.start))
            if n is None:
                continue
            when = ", ".join(x for x in (human_date(c.doc.date), c.doc.place) if x)
            if filtering is None:
                key = normalise_answer(c.text)
                label = f"{c.text.strip()} — {c.doc.title}" + (f" ({when})" if when else "")
            else:  # the item is the release's event itself; the span only holds the focus
                key = c.doc.source
                label = c.doc.title + (f" ({when})" if when else "")
            if key in index:
                items[index[key]]["citations"].append(n)
                continue
            index[key] = len(items)
            items.append({"text": label, "citations": [n]})
        timings["total"] = timings["retrieve"] + timings["answer"]
        names = "; ".join(i["text"].split(" — ")[0] for i in items)
        return Answer(
            answer=f"{len(items)} found: {names}",
            abstained=False,
            confidence=min(c.prob for c in found),
            citations=citations,
            kind="list",
            items=items,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits[:8],
        )


def _merged(parsed: Coordination | None, listed: Coordination | None) -> Coordination | None:
    """One list from the coordination spaCy's parse links and the run of same-label entities
    joined by commas and conjunctions (Answerer.coordination, Answerer.entity_list): where
    they share an item they are two readings of one list, each catching items the other
    misses (an item the NER does not tag; items the parse does not link); else the parse's,
    or the entities' where the parse finds none."""
    if parsed is None or listed is None:
        return parsed or listed
    if not set(parsed[1]) & set(listed[1]):
        return parsed
    items = sorted(set(parsed[1]) | set(listed[1]))
    if any(b > c for (_, b), (c, _) in itertools.pairwise(items)):
        # Overlapping items: the readings disagree on the items' extents. Where each item of
        # the parse lies within a name the entities list, the names are the items ("Mexico"
        # of "the Gulf of Mexico"); else the parse's.
        within = all(any(x <= a and b <= y for x, y in listed[1]) for a, b in parsed[1])
        return listed if within else parsed
    return (min(parsed[0][0], listed[0][0]), max(parsed[0][1], listed[0][1])), items


def _restating(names: list[str], quote: Candidate, hits: list[Hit]) -> list[Candidate]:
    """One sentence from each other release among `hits` that names every item of the list
    `quote` states: that release states the list too (several reports of one event), so it is
    cited with each item. Names are matched whole, case and punctuation aside."""
    keys = [f" {k} " for k in map(item_key, names) if k]
    if len(keys) < 2:
        return []

    def names_all(text: str) -> bool:
        words = f" {normalise_answer(text)} "
        return all(k in words for k in keys)

    return other_reports(hits, {quote.doc.source}, names_all, quote.score)


__all__ = ["ABSTAIN_TEXT", "WH_FOR_LABEL", "KindsAnswerer", "wh_question"]
