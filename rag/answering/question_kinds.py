"""Yes/no questions and list questions, built on the fact reader (rag.answering.extractive).

Yes/no: the question's focus (its named entity or number that no metadata constraint took, e.g.
"Japan" in "Did Japan fund the Astana meeting?") is replaced by a wh-word of its entity type,
giving the fact question the releases can answer ("Who did fund the Astana meeting?"). The
reader answers it; the answer is "Yes" when the answer span (or a span of the same release the
ranker nearly as much believes) names the focus (a value more loosely: "150" for "more than
150") and the release names the question's other names and numbers too ("under *ten*" is no
"Yes" from a release that says seven); "No" when an answer above the threshold fills the same
slot with something of the focus's kind ("Norway and Belgium"; a government for a country) in a
sentence that does not name the focus; "The releases don't say" otherwise. A sentence holding
the question's participants in other roles says "No" too (rag.answering.roles: "Agassi suffered
a defeat by Melzer": another agent of the asked verb). "The releases don't say" also when
neither that sentence nor the one before restates the asked verb (rag.answering.roles: "the
bridge was opened by Keith Brown" does not say whether he paid for it). The deciding sentence is
quoted and cited.

Lists: when one sentence states the list (an answer the ranker believes at least half as much as
its best is an item of a coordination), its items are the list, citing that sentence and every
other retrieved release with a sentence naming all of them. Otherwise the question is read
against the best passage of each of many retrieved releases (not only the top passages), and
every release whose best span is likely enough becomes an item: the span, with the release's
title, date and place, and its own citation; items with the same text are merged. A list of the
releases' events that a named entity took part in ("Which meetings did Norway help fund?") holds
the releases whose passage has the entity in the asked slot: as many as do, one or none ("the
releases don't say").
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from rag.answering.answer_ranker import (
    SpanCandidate,
    list_label,
    normalise_answer,
    sentence_before,
)
from rag.answering.evidence import Candidate, chunk_sentences
from rag.answering.extractive import ABSTAIN_TEXT, Answerer, other_reports, same_report
from rag.answering.focus import (
    WH_FOR_LABEL,
    argument_of_main_clause,
    metadata_words,
    names_focus,
    question_focus,
    release_filter_question,
    same_kind,
    unnamed_entities,
    wh_question,
)
from rag.answering.quantities import counted
from rag.answering.roles import (
    asked_predicate,
    governing_verb,
    predicate_similarity,
    predicate_threshold,
    role_of,
    roles_reversed,
)
from rag.answering.slots import SlotReader, asked_slot, hedged, mentions, restatement
from rag.index.store import Snapshot
from rag.text_utils import human_date
from rag.values import Answer, Hit

log = logging.getLogger(__name__)

YES_NO_READ = 4  # passages a yes/no question reads (a fact question reads AnswerParams.read)
LIST_RELEASES = 12  # releases whose best passage is read for a list question
LIST_POOL = 60  # passages retrieved to find them
_LOOK_BACK = 1000  # characters before a passage searched for the sentence before its first


def _by_surname(focus, cand: SpanCandidate) -> bool:
    """Whether the span is the focus's last name alone ("Evans" for "Rhian Evans") in a release
    that names the focus in full: news names a person in full once, then by surname."""
    words = [t.text for t in focus if not t.is_punct]
    if len(words) < 2 or not all(w[:1].isupper() for w in words):
        return False
    return normalise_answer(cand.text) == words[-1].lower() and normalise_answer(
        focus.text
    ) in normalise_answer(cand.doc.text)


class KindsAnswerer:
    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer

    # -- yes / no ------------------------------------------------------------------------------
    def yes_no(self, snap: Snapshot, question: str, top_k: int, **kwargs) -> Answer | None:
        t0 = time.perf_counter()
        a = self.answerer
        doc = a.annotator.parse(question.strip())
        focus = question_focus(doc, metadata_words(snap), taken_arguments=True)
        if focus is None:
            return None  # nothing to compare: answered as a fact question
        # The wh-question finds the event; the focus ("Japan") must not constrain retrieval.
        asked = wh_question(doc, focus)
        resolved, hits, unmet = a.retrieve(snap, asked, top_k, **kwargs)
        timings = {"retrieve": (time.perf_counter() - t0) * 1000}
        if unmet or not hits:
            return self._declined(
                question, resolved, hits, 0.0, unmet or "nothing relevant", timings
            )
        # The focus may fill the slot in a passage other than the best two (a list of funders
        # further down the release): a yes/no question reads as far as the passages go.
        cands = a.candidates(asked, hits, read=YES_NO_READ)
        timings["answer"] = (time.perf_counter() - t0) * 1000 - timings["retrieve"]
        if not cands:
            return self._declined(
                question, resolved, hits, 0.0, "no passage holds an answer", timings
            )
        best = cands[0]
        # A slot may have several fillers in the release about the event (speakers, funders):
        # the focus is stated when any span of that release the ranker nearly as much believes
        # holds it; that span's sentence is the one quoted.
        stating = [
            c
            for c in cands
            if c.doc.source == best.doc.source
            and c.prob >= 0.5 * best.prob
            and (names_focus(focus, c.text) or _by_surname(focus, c))
        ]
        if not stating and best.prob >= a.threshold:
            # The best span may be one item of a list that holds the focus ("Belgium" of
            # "Belgium, Norway, ... and Japan").
            found = a.coordination(best)
            if found is not None:
                whole = best.doc.text[found[0][0] : found[0][1]]
                stating = [best] if names_focus(focus, whole) else []
        predicate = asked_predicate(doc)
        if stating and predicate is not None and not self._restates(doc, predicate, stating[0]):
            stating = []  # the focus, named where nothing restates the asked verb
        # The reader may take another name near the deciding sentence for the filler (the
        # sayer of "Mr Straw said the US had agreed ..."): the parse of its passage's sentences
        # may still put the focus in the asked slot (rag.answering.slots). Not so for "No":
        # other names that the parse alone puts in a slot are too often wrong.
        if not stating:
            stating = self._stated_in_slot(doc, focus, best, hits)
        elif asked_slot(focus) is not None:
            # The reader's span names the focus; its passage's parse should agree: a sentence
            # that puts the focus in the asked slot is quoted, and where none does and the
            # span's own sentence makes the focus an argument of another verb ("claims that
            # Chelsea could launch a bid" for "Did Chelsea make a bid for Gerrard?"), the
            # span is no "Yes".
            confirmed = self._stated_in_slot(doc, focus, stating[0])
            if confirmed:
                stating = confirmed
            elif self._argument_elsewhere(focus, stating[0]):
                stating = []
        if stating and self._roles_reversed(doc, stating[0]):
            # "Did Agassi beat Melzer?" against "Agassi suffered a defeat by Melzer": the
            # sentence names the focus, but another participant holds the asked agent's role:
            # a conflicting filler of the same slot, as another funder would be.
            verdict, best = "No", stating[0]
        elif stating:
            verdict, best = "Yes", stating[0]
        elif (
            best.prob >= a.threshold
            and focus.label_
            and same_kind(focus, self._filler_label(best))
            and not names_focus(focus, self._quote(best).text)
        ):
            # "No": the slot holds another entity of the focus's kind (another funder, date,
            # place). A filler of another kind says nothing about the focus: a release that
            # never says who paid for the bridge, only who opened it, does not say "No" to
            # "Did Germany pay for it?", whether or not it names Germany. Nor does a sentence
            # that names the focus too ("in co-operation with the Government of Uzbekistan
            # ... and the UNODC"): the reader took another of its names for the filler.
            verdict = "No"
        elif (miscounted := self._miscounted(doc, best, hits)) is not None:
            # "Was the conference split into four sessions?": a sentence about it counts the
            # sessions otherwise ("divided in three sessions").
            verdict, best = "No", miscounted
        else:
            return self._declined(
                question, resolved, hits, best.prob, "no passage answers it well enough", timings
            )
        if predicate is not None and not self._restates(doc, predicate, best):
            reason = f"no passage says '{predicate}' or the like"
            return self._declined(question, resolved, hits, best.prob, reason, timings)
        if verdict == "Yes" and (miscounted := self._miscounted(doc, best, hits)) is not None:
            # The focus is stated, but the release counts what the question counts otherwise
            # ("Was Pasquale's the fourth series ...?" where it says the third).
            verdict, best = "No", miscounted
        release = best.doc
        missing = unnamed_entities(
            doc, focus, " ".join([release.title, release.context_line(), release.text])
        )
        if verdict == "Yes" and missing:
            # The question names what the release does not: another event, or another fact
            # of this one ("against England" where it says Scotland). (A "No" stands: the
            # release holds another filler of the asked slot.)
            reason = f"the release does not mention {missing[0]}"
            return self._declined(question, resolved, hits, best.prob, reason, timings)
        return self._answer(verdict, best, question, resolved, hits, timings)

    def _miscounted(self, question_doc, best: SpanCandidate, hits: list[Hit]):
        """A span of the best release counting a noun the question counts, otherwise (its
        number and noun), in a sentence that, or whose sentence before, holds another content
        word of the question; None when there is none, or when the release also counts it as
        the question does."""
        asked = counted(question_doc)
        if not asked:
            return None
        numbers = {t.i for t, _, _ in asked}
        event = {
            t.lemma_.lower()
            for t in question_doc
            if t.is_alpha and not t.is_stop and t.pos_ != "AUX" and t.i not in numbers
        } - {noun for _, noun, _ in asked}
        annotator = self.answerer.annotator
        passages = [(best.hit_rank, best.hit)] + [
            (r, h)
            for r, h in enumerate(hits)
            if h.chunk.source == best.doc.source and h.chunk.chunk_id != best.hit.chunk.chunk_id
        ]
        stated, conflicts = set(), []
        for rank, hit in passages:
            text = hit.document.text
            sentences = chunk_sentences(hit.document, hit.chunk.start, hit.chunk.end)
            for i, sent in enumerate(sentences):
                chunk_text = text[sent.start : sent.end].lower()
                if not any(noun[:4] in chunk_text for _, noun, _ in asked):
                    continue
                parsed = annotator.parse(text[sent.start : sent.end], entities=False)
                before = sentences[i - 1] if i else sent
                context = {t.lemma_.lower() for t in parsed} | {
                    t.lemma_.lower()
                    for t in annotator.parse(text[before.start : sent.start], entities=False)
                }
                for t, noun, value in counted(parsed):
                    for _, q_noun, q_value in asked:
                        if noun != q_noun:
                            continue
                        if value == q_value:
                            stated.add(q_noun)
                        elif event & context:
                            start = sent.start + min(t.idx, t.head.idx) - parsed[0].idx
                            end = sent.start + max(t.idx + len(t), t.head.idx + len(t.head))
                            end -= parsed[0].idx
                            conflicts.append((q_noun, rank, hit, start, end))
        for q_noun, rank, hit, start, end in conflicts:
            if q_noun not in stated:
                span = hit.document.text[start:end]
                return replace(best, hit=hit, hit_rank=rank, start=start, end=end, text=span)
        return None

    def _filler_label(self, cand: SpanCandidate) -> str:
        """The span's entity label, or the one label of the entities it lists ("Norway and
        Belgium" fill a "who funded" slot as countries, as "Japan" would)."""
        if cand.label not in ("", "NONE"):
            return cand.label
        s0, s1 = self.answerer.sentence_of(cand)
        text = cand.doc.text
        ents = [
            (s0 + x, s0 + y, lab) for x, y, lab in self.answerer.annotator.entities(text[s0:s1])
        ]
        return list_label(ents, text, cand.start, cand.end)

    def _restates(self, question_doc, predicate: str, cand: SpanCandidate) -> bool:
        """Whether the span's sentence, or the one before it (which may name what a pronoun
        stands for), restates the asked verb as closely as answering sentences mostly do."""
        annotator = self.answerer.annotator
        threshold = self._verb_bound()
        if threshold is None:
            return True
        s0, s1 = self.answerer.sentence_of(cand)
        start = sentence_before(cand, s0)
        spans = [(start, s0), (s0, s1)] if start < s0 else [(s0, s1)]
        docs = [annotator.parse(cand.doc.text[a:b].strip(), entities=False) for a, b in spans]
        return (
            predicate_similarity(question_doc, predicate, docs, annotator.word_vectors) >= threshold
        )

    def _verb_bound(self, key: str = "threshold") -> float | None:
        embedder = self.answerer.annotator.embedder
        if embedder is None:
            return None
        return predicate_threshold(getattr(embedder, "base_name", embedder.name), key)

    def _stated_in_slot(
        self, question_doc, focus, best: SpanCandidate, hits: list[Hit] = ()
    ) -> list[SpanCandidate]:
        """[the focus where a sentence puts it in the asked slot (the first such sentence of
        the best span's passage, else of the other retrieved passages, best first)], as a span
        for quoting; [] where none does."""
        slot = asked_slot(focus)
        threshold = self._verb_bound("slot_threshold")
        if slot is None or threshold is None:
            return []
        reader = SlotReader(self.answerer.annotator.word_vectors, threshold)
        others = [(r, h) for r, h in enumerate(hits) if h.chunk.chunk_id != best.hit.chunk.chunk_id]
        for rank, hit in [(best.hit_rank, best.hit), *others]:
            found = self._slot_in_passage(reader, slot, focus, hit)
            if found is not None:
                start, end = found
                text = hit.document.text[start:end]
                return [replace(best, hit=hit, hit_rank=rank, start=start, end=end, text=text)]
        return []

    def _slot_in_passage(self, reader: SlotReader, slot, focus, hit: Hit):
        """(start, end) of the focus in the first sentence of the passage that puts it in the
        slot, or None."""
        annotator = self.answerer.annotator
        doc, chunk = hit.document, hit.chunk
        text = doc.text
        sentences = chunk_sentences(doc, chunk.start, chunk.end)
        # The sentence before the passage's first too: a chunk may begin mid-paragraph.
        earlier = chunk_sentences(doc, max(0, chunk.start - _LOOK_BACK), chunk.start)
        starts = [earlier[-1].start if earlier else chunk.start, *(s.start for s in sentences)]
        for i, sent in enumerate(sentences):
            if focus.text.lower() not in text[sent.start : sent.end].lower():
                continue
            prior = annotator.parse(text[starts[i] : sent.start], entities=False)
            before = frozenset(t.lemma_.lower() for t in prior)
            parsed = annotator.parse(text[sent.start : sent.end], entities=False)
            found = reader.focus_in(slot, focus.text, parsed, before)
            if found is not None:
                return sent.start + found[0], sent.start + found[1]
        return None

    def _argument_elsewhere(self, focus, cand: SpanCandidate) -> bool:
        """Whether the span's sentence makes the focus an agent or patient of another verb
        than the asked one (one that does not restate it: _stated_in_slot found the focus in
        no slot of the asked verb), or of a verb it only says might happen ("claims that
        Chelsea *could* launch a bid")."""
        slot = asked_slot(focus)
        threshold = self._verb_bound("slot_threshold")
        s0, s1 = self.answerer.sentence_of(cand)
        sentence = self.answerer.annotator.parse(cand.doc.text[s0:s1], entities=False)
        for _, span in mentions(sentence, focus.text):
            verb = governing_verb(span.root) if role_of(span.root) else None
            if verb is None:
                continue
            if hedged(verb) or slot is None or threshold is None:
                return True
            if restatement(self.answerer.annotator.word_vectors, slot.phrase, verb) < threshold:
                return True
        return False

    def _roles_reversed(self, question_doc, cand: SpanCandidate) -> bool:
        s0, s1 = self.answerer.sentence_of(cand)
        sentence = self.answerer.annotator.parse(cand.doc.text[s0:s1], entities=False)
        return roles_reversed(question_doc, sentence)

    def _declined(self, *args) -> Answer:
        answer = self.answerer._abstain(*args)
        answer.kind = "yes_no"
        return answer

    def _quote(self, best: SpanCandidate) -> Candidate:
        """The sentence holding the span, as a quote."""
        s0, s1 = self.answerer.sentence_of(best)
        text = best.doc.text[s0:s1]
        return Candidate(best.doc, best.hit, best.hit_rank, s0, s1, text, best.prob)

    def _answer(self, verdict, best: SpanCandidate, question, resolved, hits, timings) -> Answer:
        # The deciding sentence, and other releases' reports of it (same_report).
        quote = self._quote(best)
        others = same_report(normalise_answer(best.text), [quote], hits)
        citations = self.answerer.verified_citations([quote, *others])
        timings["total"] = timings["retrieve"] + timings["answer"]
        return Answer(
            answer=f"{verdict}. {quote.text}",
            abstained=False,
            confidence=best.prob,
            citations=citations,
            kind="yes_no",
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits,
        )

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
        doc = a.annotator.parse(question.strip())
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
        self, question: str, resolved: str, hits: list[Hit], timings: dict, t0: float
    ) -> Answer | None:
        """The list one sentence states ("Heineken and Carlsberg, two of the world's largest
        brewers, ..."): when an answer of the best passages, as a fact question would get
        them, is an item of a coordination, its items are the list, all citing that sentence.
        A list question asks for several, so the answers the ranker believes nearly as much as
        its best (half as much, as a yes/no question's filler) are looked through, best first,
        for one that has coordinated items. None when all are single items (then each release
        is read)."""
        a = self.answerer
        cands = a.candidates(resolved, hits)
        if not cands or cands[0].prob < a.threshold:
            return None
        floor = max(a.threshold, 0.5 * cands[0].prob)
        for best in (c for c in cands if c.prob >= floor):
            a.widen_to_entity(best)
            found = a.coordination(best)
            if found is not None:
                break
        else:
            return None
        quote = self._quote(best)
        names = [best.doc.text[s:e] for s, e in found[1]]
        citations = a.verified_citations([quote, *_restating(names, quote, hits)])
        if not citations or citations[0].source != best.doc.source:
            return None
        numbers = [c.n for c in citations]
        items = [{"text": name, "citations": numbers} for name in names]
        timings["answer"] = (time.perf_counter() - t0) * 1000 - timings["retrieve"]
        timings["total"] = timings["retrieve"] + timings["answer"]
        return Answer(
            answer=best.doc.text[found[0][0] : found[0][1]],  # as the sentence words it
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
        if filtering is None:
            within = self._one_sentence_list(question, resolved, hits, timings, t0)
            if within is not None:
                return within
        if len(per_release) < 2:
            return None  # one release: a fact answer
        found: list[SpanCandidate] = []
        for hit in per_release.values():
            if filtering is not None:
                stated = self._states(filtering[0], filtering[1], hit)
                if stated is not None:
                    found.append(stated)
                continue
            cands = a.candidates(resolved, [hit])
            if cands and cands[0].prob >= a.threshold:
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
            return None  # at most one release answers: the fact answer says it best
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


def _item_key(text: str) -> str:
    words = normalise_answer(text).split()
    return " ".join(words[1:] if words and words[0] in ("the", "a", "an") else words)


def _restating(names: list[str], quote: Candidate, hits: list[Hit]) -> list[Candidate]:
    """One sentence from each other release among `hits` that names every item of the list
    `quote` states: that release states the list too (several reports of one event), so it is
    cited with each item. Names are matched whole, case and punctuation aside."""
    keys = [f" {k} " for k in map(_item_key, names) if k]
    if len(keys) < 2:
        return []

    def names_all(text: str) -> bool:
        words = f" {normalise_answer(text)} "
        return all(k in words for k in keys)

    return other_reports(hits, {quote.doc.source}, names_all, quote.score)


__all__ = ["ABSTAIN_TEXT", "WH_FOR_LABEL", "KindsAnswerer", "wh_question"]
