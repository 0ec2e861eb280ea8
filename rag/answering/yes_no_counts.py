"""The figures of a yes/no question against the figures a release states.

A question may count what it asks about ("Did more than 100 delegates attend?", "Were four
sessions held?") or bound a figure besides its focus ("Did shares fall under $50?"). These
checks read the counts and bounds off the parse (rag.answering.quantities) of the deciding
sentence and the sentences around it: a figure counting the asked noun that satisfies the
question's bound answers "Yes", one that contradicts it "No", and a figure counting another
noun ("the 56 participating States" for "delegates") neither.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rag.answering.answer_ranker import SpanCandidate, list_label, sentence_before
from rag.answering.evidence import chunk_sentences
from rag.answering.extractive import Answerer
from rag.answering.quantities import (
    bound_phrase,
    comparison,
    counted,
    counted_noun,
    holds,
    implies,
    is_duration,
    number_value,
)
from rag.answering.roles import verb_bound
from rag.values import Hit


class CountChecks:
    """Count and bound checks of yes/no questions, on the reader's parses and sentences."""

    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer

    def other_measure(self, focus, best: SpanCandidate) -> bool:
        """Whether the span is no other filler of the focus's slot: a number counting another
        noun than the focus does ("the 56 participating States" for "more than 100
        delegates"), or, for dates, one a stretch of time and the other a point in it ("Did it
        run over two days?" against "today"), or both the same stretch ("two-day" for "two
        days", which the counts then confirm)."""
        if focus.label_ == "CARDINAL" and self.filler_label(best) == "CARDINAL":
            return self._counts_another_noun(focus, best)
        if focus.label_ != "DATE" or self.filler_label(best) != "DATE":
            return False
        filler = self.answerer.annotator.parse(best.text, entities=False)
        if is_duration(focus) != is_duration(filler):
            return True
        lengths = {(noun, value) for _, noun, value, _ in counted(focus)}
        return bool(lengths & {(noun, value) for _, noun, value, _ in counted(filler)})

    @staticmethod
    def _focus_count(focus):
        """(the focus's last number token, the noun it counts) or None ("more than 100
        *delegates*")."""
        numbers = [t for t in focus if t.like_num]
        noun = counted_noun(numbers[-1]) if numbers else None
        return None if noun is None else (numbers[-1], noun.lemma_.lower())

    def _span_count(self, best: SpanCandidate):
        """(the span's number token in its sentence's parse, the lemmas of the nouns it may
        count) or None. The parse may hang the number on the first of coordinated nouns ("150
        law enforcement and judicial experts"): any of them may be what it counts."""
        s0, s1 = self.answerer.sentence_of(best)
        sentence = self.answerer.annotator.parse(best.doc.text[s0:s1], entities=False)
        at = best.start - s0
        number = next((t for t in sentence if t.idx <= at < t.idx + len(t) and t.like_num), None)
        noun = counted_noun(number) if number is not None else None
        if noun is None:
            return None
        return number, sorted({t.lemma_.lower() for t in (noun, *noun.conjuncts)})

    def _counts_another_noun(self, focus, best: SpanCandidate) -> bool:
        """Whether the focus and the span each count a noun and the nouns differ, neither the
        same lemma nor as close as a restated verb."""
        asked, stated = self._focus_count(focus), self._span_count(best)
        if asked is None or stated is None or asked[1] in stated[1]:
            return False
        threshold = verb_bound(self.answerer.annotator)
        if threshold is None:
            return False
        vectors = self.answerer.annotator.word_vectors([asked[1], *stated[1]])
        return float(np.max(vectors[1:] @ vectors[0])) < threshold

    def count_implied(self, focus, best: SpanCandidate) -> bool:
        """Whether the span counts the focus's noun with a figure that satisfies the focus's
        bound ("more than 80 experts" for "more than 50 experts")."""
        if focus.label_ != "CARDINAL" or self.filler_label(best) != "CARDINAL":
            return False
        asked, stated = self._focus_count(focus), self._span_count(best)
        if asked is None or stated is None or asked[1] not in stated[1]:
            return False
        (q_number, _), (number, _) = asked, stated
        q_value, q_op = number_value(q_number.text), comparison(q_number)
        value, op = number_value(number.text), comparison(number)
        if None in (q_value, q_op, value, op):
            return False
        return implies(op, value, q_op, q_value)

    def unmet_bound(self, question_doc, focus, best: SpanCandidate) -> str | None:
        """The question's first bounded figure outside the focus ("under $50", "more than
        five years") that no figure of the same kind (entity label, or counted noun) in the
        deciding sentence, or the one before, satisfies."""
        bounded = [
            (t, op, v)
            for t in question_doc
            if t.like_num
            and not focus.start <= t.i < focus.end
            and (op := comparison(t)) not in (None, "=")
            and (v := number_value(t.text)) is not None
        ]
        if not bounded:
            return None
        s0, s1 = self.answerer.sentence_of(best)
        text = best.doc.text[sentence_before(best, s0) : s1]
        stated = [
            (t, op, v)
            for t in self.answerer.annotator.parse(text)
            if t.tag_ == "CD"  # no ordinals
            and (v := number_value(t.text)) is not None
            and (op := comparison(t)) is not None
        ]

        def same_kind_of_figure(q, t) -> bool:
            if q.ent_type_ and q.ent_type_ == t.ent_type_:
                return True
            return q.head.pos_ == "NOUN" and q.head.lemma_.lower() == t.head.lemma_.lower()

        for q, op, bound in bounded:
            if not any(
                implies(s_op, v, op, bound) and same_kind_of_figure(q, t) for t, s_op, v in stated
            ):
                return bound_phrase(q)
        return None

    def by_counts(self, question_doc, focus, best: SpanCandidate, hits: list[Hit]):
        """("Yes" or "No", the count's span) when the best release counts a noun the question
        counts ("four sessions", "more than 10 arrests") in a sentence that, or whose sentence
        before, holds another content word of the question: "No" when such a count contradicts
        the question's ("three sessions") and none agrees, else "Yes" when one agrees with the
        count the question asks about, its focus ("11 arrests"; a count that only names the
        event, "the fourth-quarter profit", says nothing of the rest); None otherwise."""
        asked = counted(question_doc)
        if not asked:
            return None
        numbers = {t.i for t, _, _, _ in asked}
        event = {
            t.lemma_.lower()
            for t in question_doc
            if t.is_alpha and not t.is_stop and t.pos_ != "AUX" and t.i not in numbers
        } - {noun for _, noun, _, _ in asked}
        annotator = self.answerer.annotator
        passages = [(best.hit_rank, best.hit)] + [
            (r, h)
            for r, h in enumerate(hits)
            if h.chunk.source == best.doc.source and h.chunk.chunk_id != best.hit.chunk.chunk_id
        ]
        agreeing, contradicting, stated = {}, {}, set()
        for rank, hit in passages:
            text = hit.document.text
            sentences = chunk_sentences(hit.document, hit.chunk.start, hit.chunk.end)
            for i, sent in enumerate(sentences):
                lowered = text[sent.start : sent.end].lower()
                if not any(noun[:4] in lowered for _, noun, _, _ in asked):
                    continue
                parsed = annotator.parse(text[sent.start : sent.end], entities=False)
                before = sentences[i - 1] if i else sent
                context = {t.lemma_.lower() for t in parsed} | {
                    t.lemma_.lower()
                    for t in annotator.parse(text[before.start : sent.start], entities=False)
                }
                about = len(event & context)
                for t, noun, value, op in counted(parsed):
                    if op != "=":
                        continue  # the release's own bound ("more than 90") is no count
                    for q_token, q_noun, q_value, q_op in asked:
                        if noun != q_noun:
                            continue
                        agrees = holds(value, q_op, q_value)
                        if agrees:
                            stated.add(q_noun)
                            if not focus.start <= q_token.i < focus.end:
                                continue
                        found = agreeing if agrees else contradicting
                        if about and about > found.get(q_noun, (0,))[0]:
                            # the sentence most about the asked event is the one quoted
                            start = sent.start + min(t.idx, t.head.idx) - parsed[0].idx
                            end = sent.start + max(t.idx + len(t), t.head.idx + len(t.head))
                            end -= parsed[0].idx
                            found[q_noun] = (about, rank, hit, start, end)
        for verdict, found in (("No", contradicting), ("Yes", agreeing)):
            for q_noun, (_, rank, hit, start, end) in found.items():
                if verdict == "No" and q_noun in stated:
                    continue
                span = hit.document.text[start:end]
                cand = replace(best, hit=hit, hit_rank=rank, start=start, end=end, text=span)
                return verdict, cand
        return None

    def filler_label(self, cand: SpanCandidate) -> str:
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
