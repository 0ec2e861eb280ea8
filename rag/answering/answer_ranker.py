"""Candidate answer spans, their features, and the trained model that ranks them.

The span reader (rag.answering.reader) proposes spans over the retrieved passages; each becomes a
`SpanCandidate` with features from the reader (scores, margin over "no answer", agreement across
passages), retrieval (passage rank), spaCy (the span's entity label, weighed by the answer-type
model of rag.answering.question_analysis) and the question (words the span merely repeats). A
logistic
regression fitted on held-out questions (`python -m eval.train_ranker`, rag/models/
answer_ranker.json) turns the features into the probability that the span is the right answer:
the best one is the answer and that probability is its confidence.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answering.evidence import chunk_sentences
from rag.answering.question_analysis import Annotator, QuestionAnalysis
from rag.answering.reader import Span
from rag.text_utils import WORD_CHARS, stem
from rag.values import Document, Hit

log = logging.getLogger(__name__)

RANKER_MODEL = Path(__file__).resolve().parent.parent / "models" / "answer_ranker.json"
FEATURES = (
    "span_score",
    "null_score",
    "margin",
    "span_prob",
    "text_prob",
    "region_prob",
    "top_span",
    "passage_rank",
    "type_known",
    "type_prob",
    "entity",
    "question_overlap",
    "length",
    "sentence_overlap",
    "preposition",
)
LABELLED_SPANS = 8


@dataclass
class SpanCandidate:
    hit: Hit
    hit_rank: int
    start: int  # character offsets into the document's text
    end: int
    text: str
    span: Span
    label: str = ""  # spaCy entity label of the span ("NONE": no entity, "": not labelled)
    features: dict[str, float] = field(default_factory=dict)
    rank_score: float = 0.0  # the ranker's probability that this span is exactly the answer
    prob: float = 0.0  # the confidence model's probability that this span is right

    @property
    def doc(self) -> Document:
        return self.hit.document


def normalise_answer(text: str) -> str:
    return " ".join(WORD_CHARS.findall(text.lower()))


# What may join the items of a list of entities ("Belgium, Norway, the Russian Federation and
# Japan"): punctuation and the coordinating conjunctions and determiners of English.
_JOINERS = frozenset({"and", "or", "nor", "the", "as", "well"})


def list_label(entities, text: str, start: int, end: int) -> str:
    """The label shared by the entities that text[start:end] lists, joined by commas and
    conjunctions only ("Norway and Belgium": GPE), given `entities` as (start, end, label)
    offsets into `text`; "NONE" for anything else. (The ranker's `span_label` stays the one
    its answer types were learned with: one entity covering most of the span.)"""
    inside = sorted(
        (max(start, a), min(end, b), label) for a, b, label in entities if a < end and start < b
    )
    if len(inside) < 2 or len({label for _, _, label in inside}) != 1:
        return "NONE"
    rest, at = [], start
    for a, b, _ in inside:
        rest.append(text[at:a])
        at = max(at, b)
    rest.append(text[at:end])
    if set(WORD_CHARS.findall(" ".join(rest).lower())) <= _JOINERS:
        return inside[0][2]
    return "NONE"


def span_label(annotator: Annotator, text: str, start: int, end: int, sentence: tuple[int, int]):
    """The entity label covering most of doc text[start:end], read off its sentence's NER."""
    s0, s1 = sentence
    best, best_overlap = "NONE", 0
    for e_start, e_end, label in annotator.entities(text[s0:s1]):
        overlap = min(end, s0 + e_end) - max(start, s0 + e_start)
        if overlap > best_overlap:
            best, best_overlap = label, overlap
    # The entity must cover most of the span and the span most of the entity.
    if best_overlap * 2 < (end - start):
        return "NONE"
    return best


def featurize(
    analysis: QuestionAnalysis,
    cands: list[SpanCandidate],
    annotator: Annotator,
    sentence_of,
) -> None:
    """Set `label` and `features` on every candidate; `sentence_of(cand)` gives its sentence."""
    if not cands:
        return
    text_prob: dict[tuple[str, str], float] = {}
    for c in cands:
        key = (c.doc.source, normalise_answer(c.text))
        text_prob[key] = text_prob.get(key, 0.0) + c.span.prob
    across: dict[str, float] = {}
    for (_, norm), p in text_prob.items():
        across[norm] = across.get(norm, 0.0) + p
    best_score = max(c.span.score for c in cands)
    # Spans that overlap in one passage locate the same region with other boundaries: their
    # summed probability says how surely the region holds the answer.
    region: dict[int, float] = {}
    for c in cands:
        region[id(c)] = sum(
            o.span.prob
            for o in cands
            if o.hit.chunk.chunk_id == c.hit.chunk.chunk_id and o.start < c.end and c.start < o.end
        )
    q_words = {w.lower() for w in analysis.content_lemmas} | {
        w.lower() for w in WORD_CHARS.findall(analysis.text)
    }
    # The question's content words (stemmed), looked for in each span's sentence: how much of
    # the question the sentence around the answer restates.
    q_stems = {stem(w) for w in analysis.content_lemmas}
    sentence_overlap: dict[tuple[int, int, str], float] = {}
    expected = analysis.expected
    # Entity labels for the spans the reader likes best only: NER costs a few ms a sentence.
    labelled = {
        id(c): sentence_of(c) for c in sorted(cands, key=lambda c: -c.span.score)[:LABELLED_SPANS]
    }
    by_id = {id(c): c for c in cands}
    annotator.prefetch_entities([by_id[i].doc.text[s0:s1] for i, (s0, s1) in labelled.items()])
    asked = annotator.parse(analysis.text, keep=False) if analysis.wh else None
    asked_prep = asked_preposition(asked) if asked is not None else ""
    for c in cands:
        if id(c) in labelled:
            c.label = span_label(annotator, c.doc.text, c.start, c.end, labelled[id(c)])
        words = WORD_CHARS.findall(c.text.lower())
        overlap = sum(w in q_words for w in words) / len(words) if words else 1.0
        c.features = {
            "span_score": c.span.score,
            "null_score": c.span.null_score,
            "margin": c.span.score - c.span.null_score,
            "span_prob": c.span.prob,
            "text_prob": across[normalise_answer(c.text)],
            "region_prob": region[id(c)],
            "top_span": float(c.span.score >= best_score),
            "passage_rank": 1.0 / (1 + c.hit_rank),
            "type_known": float(bool(expected)),
            "type_prob": expected.get(c.label, 0.0) if expected and c.label else 0.0,
            "entity": float(c.label not in ("", "NONE")),
            "question_overlap": overlap,
            "length": math.log1p(len(words)),
            "sentence_overlap": _restated(c, sentence_of, q_stems, sentence_overlap),
            "preposition": (
                _preposition_agreement(annotator, c, labelled[id(c)], asked_prep)
                if asked_prep and id(c) in labelled
                else 0.0
            ),
        }


def asked_preposition(question) -> str:
    """The preposition whose object is the question's wh-phrase ("*To* what price did crude
    fall?", "*By* how much did sales rise?"), lower case; "" when there is none."""
    wh = next((t for t in question if t.tag_ in ("WDT", "WP", "WRB", "WP$")), None)
    if wh is None:
        return ""
    phrase = wh
    while phrase.dep_ in ("det", "advmod", "amod") and phrase.head.i != phrase.i:
        phrase = phrase.head  # "what" -> "price", "how" -> "much"
    head = phrase.head
    if phrase.dep_ in ("pobj", "pcomp") and head.pos_ == "ADP":
        return head.lower_
    return ""


# Relations that keep a figure inside the noun phrase it measures ("$51.43 a barrel").
_INSIDE_PHRASE = frozenset({"nummod", "compound", "quantmod", "amod", "nmod"})


def _preposition_agreement(annotator, c: SpanCandidate, sentence, asked: str) -> float:
    """+1 when the span is the object of the preposition the question's wh-phrase is the object
    of (a level "to $51.43" for "To what price ...?"), -1 when it is another preposition's ("by
    32 cents"), 0 otherwise."""
    s0, s1 = sentence
    doc = annotator.parse(c.doc.text[s0:s1], entities=False)
    start, end = c.start - s0, c.end - s0
    inside = [t for t in doc if t.idx >= start and t.idx + len(t) <= end]
    roots = [t for t in inside if not (start <= t.head.idx < end) or t.head.i == t.i]
    if not roots:
        return 0.0
    node = roots[0]
    while node.dep_ in _INSIDE_PHRASE and node.head.i != node.i:
        node = node.head
    if node.dep_ != "pobj" or node.head.pos_ != "ADP":
        return 0.0
    return 1.0 if node.head.lower_ == asked else -1.0


def _restated(c: SpanCandidate, sentence_of, q_stems: set[str], seen: dict) -> float:
    """The share of the question's content stems that the span's sentence and the one before
    it hold: the answer's own sentence often names the event only through a pronoun ("It was
    financed by ..."), the sentence before names it."""
    if not q_stems:
        return 0.0
    s0, s1 = sentence_of(c)
    key = (s0, s1, c.doc.source)
    if key not in seen:
        start = sentence_before(c, s0)
        held = {stem(w) for w in WORD_CHARS.findall(c.doc.text[start:s1])}
        seen[key] = len(q_stems & held) / len(q_stems)
    return seen[key]


def sentence_before(c: SpanCandidate, s0: int) -> int:
    """Where the sentence before the one starting at `s0` starts, within the candidate's
    passage; `s0` when that sentence is the passage's first."""
    chunk = c.hit.chunk
    before = [s for s in chunk_sentences(c.doc, chunk.start, chunk.end) if s.end <= s0]
    return before[-1].start if before else s0


class AnswerRanker:
    """Two standardised logistic regressions over FEATURES, read from a small JSON file: one
    ranks spans (trained to find the exact answer), the other gives the chosen span's
    `confidence` (trained on whether a span is right as a reader would judge it: SQuAD F1 of at
    least 0.5 against a gold answer)."""

    def __init__(self, path: Path = RANKER_MODEL) -> None:
        self.path = path
        self.threshold = 0.5
        self._models: dict[str, tuple[np.ndarray, float]] = {}
        self._mean = self._scale = None
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            model = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning(
                "no answer ranker at %s; ranking by the reader's span probability", self.path
            )
            return
        if tuple(model.get("features", ())) != FEATURES:
            log.warning("answer ranker %s has other features; ignoring it", self.path)
            return
        self._mean = np.array(model["mean"], dtype=np.float64)
        self._scale = np.array(model["scale"], dtype=np.float64)
        for name in ("rank", "confidence"):
            self._models[name] = (
                np.array(model[name]["coef"], dtype=np.float64),
                float(model[name]["intercept"]),
            )
        self.threshold = float(model.get("threshold", 0.5))

    @property
    def trained(self) -> bool:
        self._load()
        return bool(self._models)

    def _predict(self, name: str, x: np.ndarray) -> np.ndarray:
        coef, bias = self._models[name]
        return 1 / (1 + np.exp(-(((x - self._mean) / self._scale) @ coef + bias)))

    def score(self, cands: list[SpanCandidate]) -> None:
        """Set `rank_score` (ordering) and `prob` (confidence) on every candidate."""
        self._load()
        if not cands:
            return
        if not self._models:
            for c in cands:
                c.prob = c.rank_score = c.features.get("text_prob", c.span.prob)
            return
        x = np.array([[c.features[f] for f in FEATURES] for c in cands], dtype=np.float64)
        for c, r, p in zip(
            cands, self._predict("rank", x), self._predict("confidence", x), strict=True
        ):
            c.rank_score, c.prob = float(r), float(p)
