"""Where the parse of a release's sentences puts a yes/no question's focus, or others of its
kind, in the slot the question asks about (rag.answering.slots): "Norway and Belgium provided
financial support" puts Norway in the funder's slot of "Did Norway fund ...?", and two others
of Japan's kind in that of "Did Japan fund ...?".
"""

from __future__ import annotations

from dataclasses import replace

from rag.answering.answer_ranker import SpanCandidate, list_label, normalise_answer
from rag.answering.evidence import chunk_sentences
from rag.answering.extractive import Answerer
from rag.answering.focus import names_focus, same_kind, unnamed_entities
from rag.answering.roles import verb_bound
from rag.answering.slots import SlotReader, asked_slot
from rag.answering.yes_no_parse import document_text
from rag.values import Hit

YES_NO_READ = 4  # passages a yes/no question reads (a fact question reads AnswerParams.read)
_LOOK_BACK = 1000  # characters before a passage searched for the sentence before its first


def surname_of(focus, release_text: str) -> str | None:
    """The focus's last name ("Evans" for "Rhian Evans") when the focus is a name of several
    capitalised words that the release gives in full: news names a person in full once, then
    by surname."""
    words = [t.text for t in focus if not t.is_punct]
    if len(words) < 2 or not all(w[:1].isupper() for w in words):
        return None
    if normalise_answer(focus.text) not in normalise_answer(release_text):
        return None
    return words[-1]


def names_of(focus, release_text: str) -> list[str]:
    """How the release may name the focus: in full, and a person by surname (surname_of)."""
    surname = surname_of(focus, release_text) if focus.label_ == "PERSON" else None
    return [focus.text] if surname is None else [focus.text, surname]


def filler_label(entities, text: str, start: int, end: int) -> str:
    """The entity label of the slot's filler text[start:end]: the one entity that is most of
    it ("Sarah Mitchell"), or the label its listed entities share ("Norway and Belgium");
    "NONE" for anything else. `entities`: (start, end, label) offsets into `text`."""
    inside = [(a, b, label) for a, b, label in entities if a < end and start < b]
    if len(inside) == 1:
        a, b, label = inside[0]
        return label if 2 * (min(b, end) - max(a, start)) >= end - start else "NONE"
    return list_label(entities, text, start, end)


class SlotChecks:
    """Slot readings of the passages a yes/no question retrieved, on the reader's parses."""

    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer

    def filled_otherwise(self, focus, best: SpanCandidate, hits: list[Hit], single: bool = False):
        """A span for the first phrase that a sentence of the release the wh-question finds
        first (in the passages read) puts in the asked slot, naming things of the focus's
        kind (with `single`, or one such thing) and not the focus; None when there is none, or
        the focus itself fills the slot there. (Lists only, by default: one name in the slot
        of a verb like the asked one says "No" as often wrongly as rightly, 22 more wrong
        answers against 3 fewer right of the 2,632 yes/no questions of batches 1-70.)"""
        slot = asked_slot(focus)
        threshold = verb_bound(self.answerer.annotator, "slot_threshold")
        if slot is None or threshold is None:
            return None
        annotator = self.answerer.annotator
        reader = SlotReader(annotator.word_vectors, threshold)
        about = hits[0].document.source  # the release the wh-question finds first
        for rank, hit in enumerate(hits[:YES_NO_READ]):
            if hit.document.source != about:
                continue
            text = hit.document.text
            for sent, prior in self.sentences_read(hit):
                parsed = annotator.parse(text[sent.start : sent.end], entities=False)
                fillers = reader.fillers(slot, parsed, self.lemmas(text[prior : sent.start]))
                if not fillers:
                    continue
                ents = [
                    (sent.start + x, sent.start + y, label)
                    for x, y, label in annotator.entities(text[sent.start : sent.end])
                ]
                surname = surname_of(focus, text) if focus.label_ == "PERSON" else None
                for a, b in fillers:
                    start, end = sent.start + a, sent.start + b
                    words = normalise_answer(text[start:end]).split()
                    if names_focus(focus, text[start:end]) or (
                        surname is not None and surname.lower() in words
                    ):
                        return None  # the focus is in the slot here: no "No"
                    label = (filler_label if single else list_label)(ents, text, start, end)
                    if same_kind(focus, label):
                        span = text[start:end]
                        return replace(
                            best, hit=hit, hit_rank=rank, start=start, end=end, text=span
                        )
        return None

    def stated_in_slot(
        self, question_doc, focus, best: SpanCandidate, hits: list[Hit] = ()
    ) -> list[SpanCandidate]:
        """[the focus where a sentence puts it in the asked slot (the first such sentence of
        the best span's passage, else of the other retrieved passages, best first)], as a span
        for quoting; [] where none does."""
        slot = asked_slot(focus)
        threshold = verb_bound(self.answerer.annotator, "slot_threshold")
        if slot is None or threshold is None:
            return []
        reader = SlotReader(self.answerer.annotator.word_vectors, threshold)
        # Another release's passage must name all the question's names besides the focus: one
        # that lacks them is about another event ("It was financed by ... Japan" of the 2008
        # Vienna conference for "Did Japan help pay for the 2009 Astana meeting?").
        others = [
            (r, h)
            for r, h in enumerate(hits)
            if h.chunk.chunk_id != best.hit.chunk.chunk_id
            and (
                h.chunk.source == best.doc.source
                or not unnamed_entities(question_doc, focus, document_text(h.document))
            )
        ]
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
        text = hit.document.text
        names = names_of(focus, text)
        for sent, prior in self.sentences_read(hit):
            sentence = text[sent.start : sent.end].lower()
            for name in names:
                if name.lower() not in sentence:
                    continue
                parsed = self.answerer.annotator.parse(text[sent.start : sent.end], entities=False)
                found = reader.focus_in(slot, name, parsed, self.lemmas(text[prior : sent.start]))
                if found is not None:
                    return sent.start + found[0], sent.start + found[1]
        return None

    @staticmethod
    def sentences_read(hit: Hit) -> list[tuple]:
        """(sentence, start of the sentence before it) for each sentence of the passage; the
        sentence before the first too, since a chunk may begin mid-paragraph."""
        doc, chunk = hit.document, hit.chunk
        sentences = chunk_sentences(doc, chunk.start, chunk.end)
        earlier = chunk_sentences(doc, max(0, chunk.start - _LOOK_BACK), chunk.start)
        starts = [earlier[-1].start if earlier else chunk.start, *(s.start for s in sentences)]
        return list(zip(sentences, starts[:-1], strict=True))

    def lemmas(self, text: str) -> frozenset[str]:
        """The lemmas of `text`: the sentence before the one read, with the space after it,
        which is left out: the sentence alone is the text whose parse is kept on disk."""
        return frozenset(
            t.lemma_.lower() for t in self.answerer.annotator.parse(text.strip(), entities=False)
        )
