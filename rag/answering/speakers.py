"""Who is quoted: the speakers of a release's direct quotations.

Press releases and news reports quote people ('"...," said Kevin Carty, the OSCE Senior Police
Adviser.'; 'Jeannette Kloetzer, Deputy Head of the OSCE Centre in Astana, added: "..."'), and
people ask who spoke, who was quoted, which minister spoke at an event. The span reader reads
the best two passages of a release; quotations run through all of it. So the speakers are read
off the whole release retrieval finds first: in each sentence that holds part of a quotation,
a person the entity recogniser tags who is the subject of a verb outside the quotation marks.

A question asks for them when it asks for a person (who, whose, or a wh-phrase whose head the
answer-type model maps to PERSON above any other entity label) with a verb that takes no object
and no clause ("Who spoke at ...?", "Who is quoted ...?", not "Who told the conference that
...?", which the reader answers) and that restates a verb the release introduces its quotations
with as closely as a slot's verb must (MiniLM similarity, `slot_threshold` of
rag/models/predicate.json: "speak" and "quote" restate "say"; "organize" does not). No list of
speech verbs: the release's own verbs are the reference.

The question's other words that the release's title, place and date do not hold describe the
one asked about ("Which *Kazakh Interior Minister* spoke ...", "on behalf of the OSCE
*Chairmanship*"): a question that asks for one person is answered with the speaker whose
sentence holds more of them than any other speaker's; one that asks for several, or describes
no one, with every speaker.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from rag.answering.evidence import Candidate, chunk_sentences
from rag.answering.question_analysis import WH_TAGS, Annotator, QuestionAnalysis
from rag.answering.question_kinds import about_another_event
from rag.answering.roles import predicate_threshold
from rag.cache import LRU
from rag.text_utils import WORD_CHARS, human_date, stem
from rag.values import Answer, Document, Hit

_OPENING = "“«"
_CLOSING = "”»"
_STRAIGHT = '"'
# Arguments that make a verb say something particular of someone ("told *the conference*
# that ..."): such a question asks what was said, and the reader reads it.
_COMPLEMENTS = ("dobj", "ccomp", "xcomp", "dative", "attr")
_CONTENT_POS = ("NOUN", "PROPN", "ADJ", "NUM")
_ACTORS = ("PERSON", "ORG", "NORP")  # entity labels of who may speak
_WHEN_WHERE = ("DATE", "TIME", "GPE", "LOC", "FAC", "EVENT")


@dataclass(frozen=True)
class Speaker:
    name: str
    sentence: tuple[int, int]  # document offsets of the sentence that quotes the speaker
    verb: str  # lemma of the verb that introduces the quotation
    words: frozenset[str]  # stems of the sentence outside the quotation marks


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks, marks included. A quotation still open at a
    line break ends there: news quotes that run over paragraphs open each one again."""
    ranges: list[tuple[int, int]] = []
    opened: int | None = None
    for i, ch in enumerate(text):
        if opened is None:
            if ch in _OPENING or ch == _STRAIGHT:
                opened = i
        elif ch in _CLOSING or ch == _STRAIGHT:
            ranges.append((opened, i + 1))
            opened = None
        elif ch == "\n":
            ranges.append((opened, i))
            opened = None
    if opened is not None:
        ranges.append((opened, len(text)))
    return ranges


class SpeakerReader:
    """The speakers of each release, read once per release text (thread-safe)."""

    def __init__(self, annotator: Annotator, cache_size: int = 256) -> None:
        self.annotator = annotator
        self._cache = LRU(cache_size)
        self._lock = threading.Lock()

    def speakers(self, doc: Document) -> list[Speaker]:
        key = (doc.source, hash(doc.text))
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = self._read(doc)
            with self._lock:
                self._cache.put(key, found)
        return found

    def _read(self, doc: Document) -> list[Speaker]:
        text = doc.text
        quoted = quoted_ranges(text)
        found: list[Speaker] = []
        for s in chunk_sentences(doc, 0, len(text)):
            inside = [
                (max(a, s.start), min(b, s.end)) for a, b in quoted if a < s.end and s.start < b
            ]
            if not inside:
                continue
            # The entity tags first (kept from ingest, where pretagged): a sentence with no
            # person outside the quotation marks costs no parse.
            people = [
                s.start + a
                for a, _, label in self.annotator.entities(text[s.start : s.end])
                if label == "PERSON"
            ]
            if not any(not any(x <= p < y for x, y in inside) for p in people):
                continue
            parsed = self.annotator.parse(text[s.start : s.end])

            def outside(token, inside=inside, start=s.start) -> bool:
                at = start + token.idx
                return not any(a <= at < b for a, b in inside)

            for ent in parsed.ents:
                head = ent.root
                if (
                    ent.label_ != "PERSON"
                    or head.dep_ != "nsubj"
                    or head.head.pos_ != "VERB"
                    or not outside(head)
                    or not outside(head.head)
                ):
                    continue
                words = frozenset(
                    stem(t.lower_) for t in parsed if outside(t) and t.is_alpha and not t.is_stop
                )
                found.append(Speaker(ent.text, (s.start, s.end), head.head.lemma_.lower(), words))
        return found


def asked_verb(question_doc, analysis: QuestionAnalysis):
    """The verb of a question that asks which person spoke ("Who spoke at ...?"): the verb
    the wh-phrase depends on (in a copular question, the verb of the clause that describes
    the one asked about: "Who was the minister *quoted* at ...?"), when it takes no object or
    clause and the question asks for a person or has the wh-phrase as its subject; None
    otherwise."""
    wh = next((t for t in question_doc if t.tag_ in WH_TAGS), None)
    if wh is None:
        return None
    verb = wh
    while verb.pos_ != "VERB" and verb.head.i != verb.i:
        verb = verb.head
    if verb.pos_ != "VERB":
        verb = next(
            (t for t in verb.subtree if t.pos_ == "VERB" and t.dep_ in ("acl", "relcl")), None
        )
    # (the wh-word itself is no object: the small parser reads "Which minister spoke" so)
    if verb is None or any(c.dep_ in _COMPLEMENTS and c.i != wh.i for c in verb.children):
        return None
    if wh.lower_ in ("who", "whom", "whose"):
        return verb
    # "Which officials spoke?": the wh-phrase is the verb's subject, and what it asks for is
    # an actor more than any other entity (the type model knows officials mostly as none).
    named = {k: v for k, v in analysis.expected.items() if k != "NONE"}
    top = max(named, key=named.get) if named else ""
    subject = any(
        c.dep_ in ("nsubj", "nsubjpass") and c.left_edge.i in (wh.i, wh.i + 1)
        for c in verb.children
    )
    return verb if subject and top in _ACTORS else None


def described(question_doc, verb, context: str) -> set[str]:
    """Stems of the question's content words that may describe the one asked about: not the
    verb, not in a phrase of the verb that says when or where ("at the *2009 Astana* meeting",
    "in the release on the *July 2010* conference": the event, which every speaker of the
    release shares), and not held by the release's title, place and date (by stem, or a name
    by its first four letters: "Kazakh" is held by "Kazakhstan")."""
    held = {stem(w.lower()) for w in WORD_CHARS.findall(context)}
    prefixes = {w[:4].lower() for w in WORD_CHARS.findall(context) if w[:1].isupper()}
    event = {
        t.i
        for c in verb.children
        if c.dep_ in ("prep", "agent", "npadvmod")
        and any(t.ent_type_ in _WHEN_WHERE for t in c.subtree)
        for t in c.subtree
    }
    words = set()
    for t in question_doc:
        if t.i == verb.i or t.i in event:
            continue
        if t.pos_ not in _CONTENT_POS or t.is_stop or not t.is_alpha:
            continue
        if stem(t.lower_) in held or (t.text[:1].isupper() and t.text[:4].lower() in prefixes):
            continue
        words.add(stem(t.lower_))
    return words


def chosen_speakers(
    speakers: list[Speaker], words: set[str], release_words: set[str], asks_one: bool
) -> list[Speaker]:
    """For a question that asks for one person and describes one: the speaker whose sentence
    holds more of the description than any other's (none when no one's does, or when the
    description is in the release only outside the speakers' sentences: someone else);
    else every speaker, each name once (a later mention by surname is the same person).
    Words the release does not hold ("release", "quoted") describe no one."""
    distinct: list[Speaker] = []
    for sp in speakers:
        if not any(_same_person(sp.name, seen.name) for seen in distinct):
            distinct.append(sp)
    words = words & release_words
    if not asks_one or not words:
        return distinct
    scores = [len(words & sp.words) for sp in speakers]
    best = max(scores, default=0)
    winners = {speakers[i].name for i, s in enumerate(scores) if s == best}
    if best == 0 or len({_surname(n) for n in winners}) != 1:
        return []
    return [sp for sp in distinct if _same_person(sp.name, next(iter(winners)))]


def _surname(name: str) -> str:
    return name.split()[-1].lower() if name.split() else ""


def _same_person(a: str, b: str) -> bool:
    return _surname(a) == _surname(b)


class SpeakerAnswerer:
    """Answers a question that asks who spoke from the speakers of the release retrieval finds
    first; None for any other question (or when no speaker fits), so the reader answers it.
    Its confidence is the reader's for its best span of the question, as for a list read off
    the parse (rag.answering.question_kinds): the speakers have no fitted confidence of their
    own."""

    def __init__(self, answerer) -> None:
        self.answerer = answerer
        self.reader = SpeakerReader(answerer.annotator)

    def answer(
        self,
        snap,
        question: str,
        top_k: int,
        *,
        retrieved=None,
        **kwargs,
    ) -> Answer | None:
        t0 = time.perf_counter()
        a = self.answerer
        analysis = a.annotator.analyse(question)
        doc = a.annotator.parse(question.strip(), keep=False)
        verb = asked_verb(doc, analysis)
        embedder = a.annotator.embedder
        if verb is None or embedder is None:
            return None
        name = getattr(embedder, "base_name", embedder.name)
        threshold = predicate_threshold(name, "slot_threshold")
        if threshold is None:
            return None
        if retrieved is None:
            resolved, hits, unmet = a.retrieve(snap, question, top_k, **kwargs)
            retrieve_ms = (time.perf_counter() - t0) * 1000
        else:
            (resolved, hits, unmet), retrieve_ms = retrieved
        if unmet or not hits:
            return None
        release = hits[0].document
        speakers = self.reader.speakers(release)
        if not speakers:
            return None
        verbs = sorted({sp.verb for sp in speakers})
        vectors = a.annotator.word_vectors([verb.lemma_.lower(), *verbs])
        if float(np.max(vectors[1:] @ vectors[0])) < threshold:
            return None  # the question's verb restates none the release quotes with
        # A person the question names is not who it asks for ("Who responded to Tony Blair?").
        asked = {w.lower() for w in WORD_CHARS.findall(question)}
        speakers = [sp for sp in speakers if _surname(sp.name) not in asked]
        if not speakers:
            return None
        context = f"{release.context_line()} {human_date(release.date)}"
        words = described(doc, verb, context)
        release_words = {stem(w.lower()) for w in WORD_CHARS.findall(release.text)}
        chosen = chosen_speakers(speakers, words, release_words, analysis.kind != "list")
        if not chosen:
            return None
        if about_another_event(doc, hits[0]):
            return None  # the question names what the release does not: another event
        cands = a.candidates(resolved, hits)
        confidence = cands[0].prob if cands else 0.0
        quotes = [self._quote(snap, release, sp, hits) for sp in chosen]
        citations = a.verified_citations(quotes)
        if len(citations) != len(chosen):
            return None
        names = [sp.name for sp in chosen]
        timings = {"retrieve": retrieve_ms, "answer": (time.perf_counter() - t0) * 1000}
        timings["answer"] -= 0.0 if retrieved is not None else retrieve_ms
        timings["total"] = timings["retrieve"] + timings["answer"]
        several = len(chosen) > 1
        return Answer(
            answer=", ".join(names[:-1]) + " and " + names[-1] if several else names[0],
            abstained=False,
            confidence=confidence,
            citations=citations,
            kind="list" if several else "fact",
            items=[{"text": n, "citations": [c.n]} for n, c in zip(names, citations, strict=True)]
            if several
            else None,
            timings_ms=timings,
            question=question,
            resolved_question=resolved,
            passages=hits[:8],
        )

    @staticmethod
    def _quote(snap, release: Document, sp: Speaker, hits: list[Hit]) -> Candidate:
        """The speaker's sentence as a citable candidate, with the passage that holds it."""
        s0, s1 = sp.sentence
        hit = next(
            (
                h
                for h in hits
                if h.chunk.source == release.source and h.chunk.start <= s0 < h.chunk.end
            ),
            None,
        )
        if hit is None:
            chunk = next(
                snap.chunks[i]
                for i in snap.ids_by_source.get(release.source, [])
                if i in snap.chunks and snap.chunks[i].start <= s0 < snap.chunks[i].end
            )
            hit = Hit(chunk=chunk, document=release, score=0.0)
        rank = hits.index(hit) if hit in hits else len(hits)
        return Candidate(release, hit, rank, s0, s1, release.text[s0:s1], 1.0)
