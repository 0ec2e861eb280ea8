"""Extractive answering: read the retrieved passages, rank candidate spans, cite verbatim.

Retrieval finds the passages (with the question's year/place constraints); the span reader
(rag.answering.reader) proposes answer spans in the best of them; rag.answering.answer_ranker
scores each span with
a model trained on held-out data, whose probability is the answer's `confidence`. The answer is
the best span and citation 1 quotes the sentence holding it, checked verbatim against the
release text at [start, end); other retrieved releases that report the same (a sentence holding
the answer and most of the quoted sentence's words) are cited after it. A span that only
repeats words of the question is no answer (unless the question offers a choice). When no span
is likely enough to be right, or the question's year/place matches no release, the answer
abstains and lists the closest passages.
"""

from __future__ import annotations

import datetime
import logging
import time
import unicodedata
from dataclasses import dataclass

from rag.answering.answer_ranker import AnswerRanker, SpanCandidate, featurize, normalise_answer
from rag.answering.comitative import comitative_preps, joined_participants
from rag.answering.constraints import ASKED_PLACE_KIND, place_kind
from rag.answering.descriptions import described_name, descriptions
from rag.answering.evidence import Candidate, EvidenceScorer, chunk_sentences
from rag.answering.focus import PLACE_LABELS, VALUE_LABELS
from rag.answering.followup import resolve_followup
from rag.answering.question_analysis import Annotator
from rag.answering.reader import SpanReader
from rag.answering.retrieval import Retriever
from rag.answering.span_checks import (
    DEICTIC_DAYS,
    asked_count,
    asked_stretch,
    asks_measure,
    asks_place_or_time,
    counts,
    counts_things,
    names_a_point_in_time,
    no_dateline_answer,
    superseded_dateline,
)
from rag.answering.value_spans import unit_after_number, whole_value
from rag.index.store import Snapshot
from rag.ingestion.chunking import is_abbreviation
from rag.ingestion.release_text import DATELINE_RE
from rag.text_utils import WORD_CHARS, human_date, stem
from rag.values import Answer, Citation, Hit

__all__ = ["ABSTAIN_TEXT", "AnswerParams", "Answerer"]

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The releases don't say."
MAX_WIDENED_WORDS = 20  # a coordination longer than this is a clause, not an answer
# Entity labels that name one thing as a whole: a span cut out of one ("Without Borders" of
# "Reporters Without Borders") is widened to it. Not dates and numbers, whose parts are often
# what is asked (the year of "November 2007").
NAME_LABELS = frozenset(
    ("PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW")
)


@dataclass(frozen=True)
class AnswerParams:
    passages: int = 8  # chunks retrieved for the answer (and listed when abstaining)
    read: int = 2  # of those, the best ones the span reader reads
    read_more: int = 2  # passages read after them when the best answer is below read_on_below
    read_on_below: float = 0.5
    spans_per_passage: int = 4
    # Abstain below this confidence; None = the threshold stored with the trained ranker.
    threshold: float | None = None
    support_ratio: float = 0.9  # other releases stating the same answer are cited too


def other_reports(hits: list[Hit], seen: set[str], holds, score: float) -> list[Candidate]:
    """The first sentence for which `holds(text)` in each release of `hits` (best first) not
    in `seen`, as citable candidates."""
    found, seen = [], set(seen)
    for rank, h in enumerate(hits):
        if h.chunk.source in seen:
            continue
        for s in chunk_sentences(h.document, h.chunk.start, h.chunk.end):
            text = h.document.text[s.start : s.end]
            if holds(text):
                found.append(Candidate(h.document, h, rank, s.start, s.end, text, score))
                seen.add(h.chunk.source)
                break
    return found


def same_report(answer: str, quotes: list[Candidate], hits: list[Hit]) -> list[Candidate]:
    """Sentences of the other releases of `hits` that hold the (normalised) answer and restate
    most (more than half) of the content words of the first quoted sentence: the same report
    of the fact (news carries one story in several articles), to be cited too."""
    from spacy.lang.en.stop_words import STOP_WORDS  # spaCy loads when first asked, not on import

    def content(text: str) -> set[str]:
        return {stem(w) for w in WORD_CHARS.findall(text) if w.lower() not in STOP_WORDS}

    quoted = content(quotes[0].text)
    if not answer or not quoted:
        return []

    def same(text: str) -> bool:
        if f" {answer} " not in f" {normalise_answer(text)} ":
            return False
        return 2 * len(quoted & content(text)) > len(quoted)

    return other_reports(hits, {q.doc.source for q in quotes}, same, quotes[0].score)


def distinct_passages(hits: list[Hit]) -> list[Hit]:
    """The hits with each passage text once, at its best rank: a release published twice
    (syndicated, re-issued) is one piece of evidence; read twice, it costs the reader a window
    and the ranker takes the copy for a second witness of each of its spans."""
    seen: set[str] = set()
    kept = []
    for h in hits:
        key = " ".join(h.chunk.text.split())
        if key not in seen:
            seen.add(key)
            kept.append(h)
    return kept


def _located_first(cands: list[SpanCandidate]) -> list[SpanCandidate]:
    """`cands` (best first) with each answer shown where the reader located it: spans of one
    passage with one normalised text ("70" and "70%", "Uzbekistan" inside and outside "Government
    of Uzbekistan") are one answer to the ranker, whose labels (SQuAD exact match) cannot tell
    them apart, so only the reader's span probability says which boundaries are meant. The
    span it believes most takes the scores of the group's best-ranked one (they swap)."""
    leaders: dict[tuple[str, str], SpanCandidate] = {}
    for c in cands:
        norm = normalise_answer(c.text)
        if not norm:
            continue
        leader = leaders.setdefault((c.hit.chunk.chunk_id, norm), c)
        if leader is not c and c.span.prob > leader.span.prob:
            # Later spans rank lower: the best-located one so far gives up its place to c.
            c.rank_score, leader.rank_score = leader.rank_score, c.rank_score
            c.prob, leader.prob = leader.prob, c.prob
            leaders[(c.hit.chunk.chunk_id, norm)] = c
    cands.sort(key=lambda c: -c.rank_score)
    return cands


# Words by which a question offers its answers ("Was it a failure or a success?", "the winner
# between the Broncos and the Steelers"): there the answer is one of the question's phrases.
_CHOICE_WORDS = frozenset({"or", "between"})
_ARTICLES = frozenset({"a", "an", "the"})


def repeats_question(span: str, question: str) -> bool:
    """Whether every word of the span, articles aside, is a word of the question ("Cat
    Deeley" for "Who replaced Cat Deeley?", "a 20%" for "How much for the 20% stake?"): no
    answer, unless the question offers a choice. Of the SQuAD train and calib questions, 0.6%
    have such a gold answer, most of them choices (of SQuAD part-a's 5,696, 16 with the
    articles counted, 17 without)."""
    words = set(WORD_CHARS.findall(question.lower()))
    if words & _CHOICE_WORDS:
        return False
    span_words = [w for w in WORD_CHARS.findall(span.lower()) if w not in _ARTICLES]
    return bool(span_words) and all(w in words for w in span_words)


def abbreviates(span: str, question: str) -> bool:
    """Whether the span is an acronym of a name the question gives ("PBGC" for "the Pension
    Benefit Guaranty Corporation", "ODPM" for "the Office of the Deputy Prime Minister"): the
    initials of a run of capitalised words, short lower-case words ("of", "the") between them
    skipped. No answer to a fact question; a yes/no question's reading may still find the
    name it asks about under its acronym."""
    found = WORD_CHARS.findall(span)
    if len(found) != 1:
        return False
    letters = found[0][:-1] if found[0].endswith("s") else found[0]
    if not (2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper()):
        return False
    words = WORD_CHARS.findall(question)
    for i, first in enumerate(words):
        if not first[:1].isupper():
            continue
        initials = ""
        for j, word in enumerate(words[i:], start=i):
            if word[:1].isupper():
                initials += word[0]
            elif len(word) > 3 or not word.isalpha():
                break
            if initials == letters:
                # the whole name: "NRF" is none of the "Northern Rail Freight Board"
                return j + 1 == len(words) or not words[j + 1][:1].isupper()
            if not letters.startswith(initials):
                break
    return False


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span less the separators a reader's word pieces may leave at its ends (a dash,
    comma, colon or semicolon: "Imperial—"; a full stop: "Athens Olympics."); a closing
    bracket, a per cent sign or an abbreviation's period stays."""

    def separator(ch: str) -> bool:
        return ch.isspace() or ch in ",;:" or unicodedata.category(ch) == "Pd"

    while start < end and separator(text[start]):
        start += 1
    while end > start and separator(text[end - 1]):
        end -= 1
    if end - start > 1 and text[end - 1] == "." and not is_abbreviation(text, end - 1):
        end -= 1  # the sentence's full stop, not the "." of "Inc." or "U.S."
    return start, end


def anchored_date(cand: SpanCandidate) -> str:
    """The answer text, with "today"/"yesterday"/"tomorrow" read as a date of the release."""
    text = cand.text.strip()
    offset = DEICTIC_DAYS.get(text.strip(".,;: ").lower())
    if offset is None or not cand.doc.date:
        return text
    try:
        day = datetime.date.fromisoformat(cand.doc.date) + datetime.timedelta(days=offset)
    except ValueError:
        return text
    return human_date(day.isoformat())


def _item_extent(token) -> tuple[int, int]:
    """Character offsets of one item of a coordination: the words around its head that are
    not the other items, the commas and conjunctions between them, or an appositive that
    describes it ("Heineken and Carlsberg, *two of the world's largest brewers*")."""
    skip = {
        x.i
        for c in token.children
        if c.dep_ in ("conj", "cc", "punct", "appos")
        or c in comitative_preps(token)
        or any(g in comitative_preps(token) for g in c.children)
        for x in c.subtree
    }
    first = last = token
    while first.i > token.left_edge.i and first.i - 1 not in skip:
        first = first.nbor(-1)
    while last.i < token.right_edge.i and last.i + 1 not in skip:
        last = last.nbor(1)
    if token.pos_ == "PROPN":
        # A name's item is the name: the words that say what the names are come before the
        # whole list, and the parse hangs them on the first ("British actors | Michael
        # Maloney, Caroline Langrishe and Polly Adams").
        lead = [t for t in token.doc[first.i : token.i] if t.pos_ != "PROPN"]
        if any(t.pos_ == "NOUN" for t in lead):  # ("the Russian Federation" stays whole)
            first = lead[-1].nbor(1)
    return first.idx, last.idx + len(last)


class Answerer:
    def __init__(
        self,
        retriever: Retriever,
        reader: SpanReader,
        annotator: Annotator,
        ranker: AnswerRanker | None = None,
        params: AnswerParams | None = None,
        scorer: EvidenceScorer | None = None,
    ) -> None:
        self.retriever = retriever
        # Re-orders the retrieved passages by their best sentence's lexical evidence before
        # the reader reads the first ones (None: the fused retrieval order).
        self.scorer = scorer
        self.reader = reader
        self.annotator = annotator
        self.ranker = ranker or AnswerRanker()
        self.params = params or AnswerParams()

    @property
    def threshold(self) -> float:
        if self.params.threshold is not None:
            return self.params.threshold
        self.ranker.trained  # noqa: B018 - loads the stored threshold
        return self.ranker.threshold

    def retrieve(
        self,
        snap: Snapshot,
        question: str,
        top_k: int,
        *,
        filters: dict | None = None,
        history: list[dict] | None = None,
        mode: str = "hybrid",
    ) -> tuple[str, list[Hit], str | None]:
        """(the resolved question, the passages, the reason no release can answer or None)."""
        resolved = resolve_followup(question, history or [], snap.documents)
        hits, _, unmet = self.retriever.search_constrained(
            snap, resolved, max(top_k, self.params.passages), mode=mode, filters=filters
        )
        if unmet:  # no release can answer; the closest passages are still shown
            hits = self.retriever.search(snap, resolved, top_k, mode=mode)
        hits = distinct_passages(hits)
        if hits and not unmet and self.scorer is not None:
            keywords = self.retriever.keywords.for_snapshot(snap)
            hits = self.scorer.rerank(snap, resolved, hits, keywords)
        return resolved, hits, unmet

    def candidates(
        self, resolved: str, hits: list[Hit], read: int | None = None
    ) -> list[SpanCandidate]:
        """Spans the reader proposes in the best `read` passages (default: the params'),
        featurised and scored, best first."""
        read = hits[: read or self.params.read]
        spans = self.reader.read(
            resolved, [h.chunk.text for h in read], top_n=self.params.spans_per_passage
        )
        best: dict[tuple[str, int, int], SpanCandidate] = {}
        for sp in spans:
            hit = read[sp.passage]
            start, end = _trimmed(
                hit.document.text, hit.chunk.start + sp.start, hit.chunk.start + sp.end
            )
            if end <= start:
                continue
            key = (hit.chunk.source, start, end)
            if key in best and best[key].span.score >= sp.score:
                continue
            text = hit.document.text[start:end]
            best[key] = SpanCandidate(hit, sp.passage, start, end, text, sp)
        cands = list(best.values())
        analysis = self.annotator.analyse(resolved)
        featurize(analysis, cands, self.annotator, self.sentence_of)
        self.ranker.score(cands)
        cands = [c for c in cands if not repeats_question(c.text, resolved)]
        asked_kind = ASKED_PLACE_KIND.get(analysis.head)
        if asked_kind is not None:
            # "In which city ...?": a place the gazetteer knows as a country is no answer
            # (nor a city for "which country"), however the reader scores it.
            cands = [c for c in cands if place_kind(c.text) in (None, asked_kind)]
        counted = asked_count(self.annotator, resolved)
        if counted is not None:
            # "How many participants attended?": a date, share or sum that counts something
            # else ("4 and 5 December", "70%") is no answer, nor a span without a figure.
            cands = [c for c in cands if counts(self.annotator, c, self.sentence_of(c), counted)]
        if asks_measure(analysis.expected):
            # "How much did they pay?", "At what price ...?": "two" of "bought two labels"
            # counts things and is no amount.
            cands = [c for c in cands if not counts_things(self.annotator, c, self.sentence_of(c))]
        if stretch := asked_stretch(self.annotator, resolved):
            # "How long did the meeting last?": "20 November" names when, not how long; nor
            # is the day he died how old he was.
            age = stretch == "how old"
            cands = [c for c in cands if not names_a_point_in_time(self.annotator, c, age)]
        # A release's dateline says when it was issued; a sentence that states another date
        # for what it reports ("ALMATY, 3 December 2014 - ... are meeting on 4 and 5
        # December") answers "when" with that date, not the dateline's.
        cands = [
            c for c in cands if not superseded_dateline(self.annotator, c, self.sentence_of(c))
        ]
        place_or_time = asks_place_or_time(analysis.expected)
        cands = [c for c in cands if not no_dateline_answer(c, self.sentence_of(c), place_or_time)]
        cands.sort(key=lambda c: -c.rank_score)
        return _located_first(cands)

    def read_on_if_unsure(self, resolved: str, hits: list[Hit]) -> list[SpanCandidate]:
        """`candidates` of the best passages; when the best of them is below an even chance,
        of the next ones too (each costs a reader window; a sure answer spends none), except
        where that turns an answer at the threshold into none."""
        cands = self.candidates(resolved, hits)
        unsure = not cands or cands[0].prob < self.params.read_on_below
        if not unsure or len(hits) <= self.params.read:
            return cands
        more = self.candidates(resolved, hits, read=self.params.read + self.params.read_more)
        fell = not more or more[0].prob < self.threshold
        if cands and cands[0].prob >= self.threshold and fell:
            # More passages share the belief among more spans: falling below the threshold
            # says they hold other candidates, not that the answer found first is wrong.
            return cands
        return more

    def widen_to_unit(self, cand: SpanCandidate, expected: dict[str, float]) -> None:
        """A figure the question asks as a sum or measure ("how much", "at what price") takes
        the unit words after it (value_spans.unit_after_number)."""
        if not asks_measure(expected):
            return
        s0, s1 = self.sentence_of(cand)
        sentence = self.annotator.parse(cand.doc.text[s0:s1])
        x, y = unit_after_number(sentence, (cand.start - s0, cand.end - s0))
        cand.start, cand.end = s0 + x, s0 + y
        cand.text = cand.doc.text[cand.start : cand.end]

    def widen_to_entity(self, cand: SpanCandidate) -> None:
        """When the span is part of a name spaCy tags as one entity, the answer is the name,
        with the capitalised article that begins a title; never part of a word."""
        s0, s1 = self.sentence_of(cand)
        dateline = DATELINE_RE.match(cand.doc.text[s0:s1])
        heading = s0 + dateline.end() if dateline else s0  # the text starts after a dateline
        for e_start, e_end, label in self.annotator.entities(cand.doc.text[s0:s1]):
            start, end = s0 + e_start, s0 + e_end
            if start < heading <= cand.start:
                continue  # an entity the recogniser runs on from the dateline into the text
            if cand.doc.text[start:end].lower().startswith("the ") and cand.start >= start + 4:
                start += 4  # spaCy's entity may hold the article: "The International ..."
            if label in NAME_LABELS and start <= cand.start and cand.end <= end:
                if (start, end) != (cand.start, cand.end):
                    cand.start, cand.end, cand.text = start, end, cand.doc.text[start:end]
                break
            if label in VALUE_LABELS and start <= cand.start and cand.end <= end:
                sentence = self.annotator.parse(cand.doc.text[s0:s1], entities=False)
                x, y = whole_value(
                    sentence, (e_start, e_end, label), (cand.start - s0, cand.end - s0)
                )
                start, end = s0 + x, s0 + y
                cand.start, cand.end, cand.text = start, end, cand.doc.text[start:end]
                break
        text = cand.doc.text
        # Nor does an answer cut a word: the reader's tokenizer splits "A$458.4m" at the "$"
        # (Australian dollars read as US ones).
        start, end = cand.start, cand.end
        while start > s0 and text[start - 1].isalnum():
            start -= 1
        while end < s1 and text[end].isalnum():
            end += 1
        if (start, end) != (cand.start, cand.end):
            cand.start, cand.end, cand.text = start, end, text[start:end]
        # A capitalised "The" inside a sentence is part of the title it begins ("film The
        # Life of David Gale"): readers trained on SQuAD leave it out, its scoring ignores it.
        # (Not the "The" that begins a sentence, a quote or the text after a dateline.)
        before = cand.start - len("The ")
        previous = text[s0:before].rstrip()[-1:] if before > s0 else ""
        if (
            text[before : cand.start] == "The "
            and cand.text[:1].isupper()
            and (previous.isalnum() or previous in (",", ";", ":", "("))
        ):
            cand.start, cand.text = before, text[before : cand.end]

    def widen_to_description(self, cand: SpanCandidate, name: str) -> None:
        """For "Who is X?": a span inside the release's description of X (its apposition or
        the title before it) is widened to the whole description."""
        s0, s1 = self.sentence_of(cand)
        sentence = self.annotator.parse(cand.doc.text[s0:s1], entities=False)
        for start, end in descriptions(sentence, name):
            start, end = s0 + start, s0 + end
            if start <= cand.start and cand.end <= end:
                cand.start, cand.end, cand.text = start, end, cand.doc.text[start:end]
                return

    def widen_to_coordination(self, cand: SpanCandidate) -> None:
        """When the span is one item of a coordinated list ("Belgium, Norway" of "Belgium,
        Norway, the Russian Federation and Japan"; "senior" of "senior and middle management"),
        the answer is the whole coordination."""
        found = self.coordination(cand)
        if found is not None:
            (start, end), _ = found
            cand.start, cand.end, cand.text = start, end, cand.doc.text[start:end]

    def coordination(
        self, cand: SpanCandidate, per_item: bool = False
    ) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
        """The document offsets of the coordination the span is an item of, and of each item,
        read off spaCy's parse of the sentence; None when the span is in no coordination, or
        one longer than MAX_WIDENED_WORDS (`per_item`: an item longer than that; a list
        question may ask for phrases: "countering illicit trafficking in Afghan opiates,
        combating ... and improving ...")."""
        s0, s1 = self.sentence_of(cand)
        doc = self.annotator.parse(cand.doc.text[s0:s1], entities=False)
        inside = [t for t in doc if cand.start <= s0 + t.idx < cand.end]
        if not inside:
            return None
        root = min(inside, key=lambda t: len(list(t.ancestors)))
        while root.dep_ in ("conj", "appos") and root.head.i != root.i:
            if root.dep_ == "appos" and not _listed_appositions(root.head):
                break
            root = root.head
        # A list question's items include the participants a comitative phrase joins ("X is
        # suspended alongside Y and Z"); a fact answer is not widened to them.
        joined = joined_participants(root) if per_item else []
        items = sorted(
            {root, *root.conjuncts, *_listed_appositions(root), *joined}, key=lambda t: t.i
        )
        if len(items) < 2:
            return None
        spans = [_item_extent(t) for t in items]
        left, right = spans[0][0], max(e for _, e in spans)
        if root.dep_ in ("amod", "compound", "nmod", "nummod") and root.head.i > root.i:
            # Coordinated modifiers name kinds of their noun: "senior and middle *management*".
            right = max(right, root.head.idx + len(root.head))
        start, end = s0 + min(left, cand.start - s0), s0 + max(right, cand.end - s0)
        lengths = [len(cand.doc.text[s0 + a : s0 + b].split()) for a, b in spans]
        if (max(lengths) if per_item else len(cand.doc.text[start:end].split())) > (
            MAX_WIDENED_WORDS
        ):
            return None
        return (start, end), [(s0 + a, s0 + b) for a, b in spans]

    def entity_list(
        self, cand: SpanCandidate
    ) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
        """The document offsets of the run of entities of one label that the span is part of,
        joined by nothing but commas and coordinating conjunctions ("Bangladesh, Cambodia,
        Sri Lanka and Nepal"), and of each; None for fewer than two. spaCy's entities find
        such a list where its parse links the items otherwise ("countries such as
        Bangladesh, Cambodia ..." parses "Cambodia" as no conjunct of "Bangladesh")."""
        s0, s1 = self.sentence_of(cand)
        text = cand.doc.text[s0:s1]
        ents = self.annotator.entities(text)
        inside = [
            k for k, (a, b, _) in enumerate(ents) if s0 + a < cand.end and cand.start < s0 + b
        ]
        if not inside:
            return None
        parsed = self.annotator.parse(text, entities=False)

        def joined(k: int) -> bool:  # entity k and k + 1: one label (or both places), a
            # separator between
            gap = [t for t in parsed if ents[k][1] <= t.idx < ents[k + 1][0]]
            labels = {ents[k][2], ents[k + 1][2]}
            return (
                (len(labels) == 1 or labels <= PLACE_LABELS)
                and bool(gap)
                and all(t.text == "," or t.pos_ == "CCONJ" for t in gap)
            )

        first, last = inside[0], inside[-1]
        if any(not joined(k) for k in range(first, last)):
            return None
        while first > 0 and joined(first - 1):
            first -= 1
        while last + 1 < len(ents) and joined(last):
            last += 1
        if last == first:
            return None
        items = [(s0 + ents[k][0], s0 + ents[k][1]) for k in range(first, last + 1)]
        return (items[0][0], items[-1][1]), items

    @staticmethod
    def sentence_of(cand: SpanCandidate) -> tuple[int, int]:
        """The document offsets of the sentence(s) holding the span, within its chunk."""
        chunk = cand.hit.chunk
        sents = chunk_sentences(cand.doc, chunk.start, chunk.end)
        covering = [s for s in sents if s.end > cand.start and s.start < cand.end]
        if not covering:
            return chunk.start, chunk.end
        return covering[0].start, covering[-1].end

    def ask(
        self,
        snap: Snapshot,
        question: str,
        top_k: int,
        *,
        filters: dict | None = None,
        history: list[dict] | None = None,
        mode: str = "hybrid",
        retrieved: tuple[tuple[str, list[Hit], str | None], float] | None = None,
        threshold: float | None = None,
    ) -> Answer:
        """`retrieved`: what `retrieve` returned for these arguments and the ms it took, when
        already done; `threshold`: decline below it instead of the ranker's."""
        t0 = time.perf_counter()
        if retrieved is None:
            resolved, hits, unmet = self.retrieve(
                snap, question, top_k, filters=filters, history=history, mode=mode
            )
            retrieve_ms = (time.perf_counter() - t0) * 1000
        else:
            (resolved, hits, unmet), retrieve_ms = retrieved
        t1 = time.perf_counter()
        timings = {"retrieve": retrieve_ms}
        if unmet:
            return self._abstain(question, resolved, hits, 0.0, unmet, timings)
        if not hits:
            return self._abstain(
                question, resolved, hits, 0.0, "nothing relevant was found", timings
            )
        cands = self.read_on_if_unsure(resolved, hits)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        if not cands:
            return self._abstain(
                question, resolved, hits, 0.0, "no passage holds an answer", timings
            )
        best = cands[0]
        if best.prob < (self.threshold if threshold is None else threshold):
            return self._abstain(
                question, resolved, hits, best.prob, "no passage answers it well enough", timings
            )
        self.widen_to_entity(best)
        self.widen_to_unit(best, self.annotator.analyse(resolved).expected)
        if repeats_question(best.text, resolved) or abbreviates(best.text, resolved):
            # a piece of a name the question gives ("ley"), widened to the name
            reason = "the passages name only what the question names"
            return self._abstain(question, resolved, hits, best.prob, reason, timings)
        described = described_name(self.annotator.parse(resolved.strip(), keep=False))
        if described is not None:
            self.widen_to_description(best, described)
            if best.label == "PERSON" and not set(best.text.split()) & set(described.split()):
                # "Who is Philip Green?" is not answered by another person's name.
                reason = f"the passages name other people, not who {described} is"
                return self._abstain(question, resolved, hits, best.prob, reason, timings)
        if not self.annotator.analyse(resolved).asks_one:
            self.widen_to_coordination(best)
        answer_text = anchored_date(best)
        chosen = [best]
        norm = normalise_answer(best.text)
        for c in cands[1:]:
            # Other releases that state the same answer almost as surely also support it.
            if (
                c.doc.source not in {x.doc.source for x in chosen}
                and c.prob >= self.params.support_ratio * best.prob
                and normalise_answer(c.text) == norm
            ):
                chosen.append(c)
        quotes = []
        for c in chosen:
            s0, s1 = self.sentence_of(c)
            quotes.append(Candidate(c.doc, c.hit, c.hit_rank, s0, s1, c.doc.text[s0:s1], c.prob))
        quotes += same_report(norm, quotes, hits)
        citations = self.verified_citations(quotes)
        if not citations:  # only if offsets were corrupt: never answer uncited
            return self._abstain(question, resolved, hits, 0.0, "citation check failed", timings)
        timings["total"] = timings["retrieve"] + timings["answer"]
        return Answer(
            answer=answer_text,
            abstained=False,
            confidence=best.prob,
            citations=citations,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits,
        )

    def verified_citations(self, chosen: list[Candidate]) -> list[Citation]:
        """Citations numbered from 1 for the quoted sentences, each checked verbatim against
        its release's text (one that fails is logged and left out)."""
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


def _listed_appositions(token) -> list:
    """The middle items of a list the small parser reads as appositions of its first item,
    the last ones as their conjuncts ("Newcastle Brown Ale, [appos Foster's], [appos John
    Smith's [conj Strongbow] [conj and Kronenbourg]]"): the appositions and their conjuncts
    when one of them has any, or names between the token's own conjuncts ("Tyne Gold,
    [appos Barker's], [conj Tom Hardy's] ..."); else nothing (a plain apposition describes its
    head: "Tyne Gold, the brewery's best seller"), and names only."""
    appositions = [c for c in token.children if c.dep_ == "appos"]
    if not appositions or not all(c.pos_ == "PROPN" for c in appositions):
        return []  # "Bill Gates, Microsoft *chairman* and chief software architect"
    if not (token.conjuncts or any(c.conjuncts for c in appositions)):
        return []
    return [t for c in appositions for t in (c, *c.conjuncts)]
