"""Sentence-level evidence scores shared by answering and the re-ranking of search hits.

A sentence's score mixes (weights in EvidenceParams):
- dense: cosine between the question and the sentence (MiniLM, cached per sentence);
- lexical: IDF-weighted share of the question's words the sentence contains, where a word also
  counts as matched, scaled by similarity, when a sentence word's embedding is close to it
  ("funded" ~ "financed" 0.82) — what a bi-encoder over whole passages tends to blur;
- context: the same share over sentence + its release's title, place and date;
- type: whether the sentence holds a phrase of the kind the question asks for;
- rank: a small prior from the passage's retrieval rank.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from rag.chunking import split_sentences
from rag.embedding import Embedder
from rag.store import Snapshot
from rag.text_utils import STOPWORDS, stem
from rag.types import Document, Hit

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
# A sentence opening with a pronoun or a definite description refers back ("It was ...",
# "The two-day event ...", "This meeting ..."), not "The OSCE ..." (a name).
_ANAPHORIC = re.compile(
    r"^\W*(?:(?:It|He|She|They|Its|His|Her|Their)\b|(?:The|This|That|These|Those|Such)\s+[a-z])"
)


@dataclass(frozen=True)
class EvidenceParams:
    w_dense: float = 0.30
    w_lexical: float = 0.45
    w_context: float = 0.10
    w_type: float = 0.25
    w_rank: float = 0.07
    soft_floor: float = 0.55  # word similarity below this is no match
    anaphora: float = 0.8  # share of the context match an anaphoric sentence inherits


@dataclass
class Candidate:
    doc: Document
    hit: Hit
    hit_rank: int
    start: int
    end: int
    text: str
    score: float = 0.0
    phrase: object | None = None
    fit: float = 0.0  # how surely `phrase` is the answer (see answering.narrow)
    ambiguous: bool = False  # another phrase of the sentence fits almost as well
    # Offsets (in `text`) of words matching a question word exactly or by embedding similarity.
    anchors: list[int] | None = None


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


_POSSESSIVE = re.compile(r"['’]s$")  # "Afghanistan's" matches "Afghanistan"


def _content_words(text: str) -> list[str]:
    return [
        w
        for w in (_POSSESSIVE.sub("", m.group().lower()).strip("'’-") for m in _WORD.finditer(text))
        if w and w not in STOPWORDS and len(w) > 1
    ]


def _previous_sentence(cand: Candidate) -> str:
    """The sentence before the candidate's, across a paragraph break ('' at the text start)."""
    before = cand.doc.text[max(0, cand.start - 600) : cand.start]
    spans = split_sentences(before) if before.strip() else []
    return before[spans[-1].start : spans[-1].end] if spans else ""


def candidates(hits: list[Hit]) -> list[Candidate]:
    """The sentences of the hits' chunks, once each, in hit order."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, hit in enumerate(hits):
        doc = hit.document
        for span in split_sentences(doc.text, hit.chunk.start, hit.chunk.end):
            if (doc.source, span.start) in seen:
                continue
            seen.add((doc.source, span.start))
            out.append(
                Candidate(doc, hit, rank, span.start, span.end, doc.text[span.start : span.end])
            )
    return out


class EvidenceScorer:
    def __init__(
        self,
        embedder: Embedder,
        params: EvidenceParams | None = None,
        *,
        shares_query_vectors: bool = True,
    ) -> None:
        """`shares_query_vectors`: `embedder` is the retriever's, so the retrieval query vector
        can be reused; otherwise the scorer embeds the question itself (`query_vector`)."""
        self.embedder = embedder
        self.params = params or EvidenceParams()
        self.shares_query_vectors = shares_query_vectors
        self._queries = _LRU(10_000)
        self._sentences = _LRU(100_000)
        self._words = _LRU(200_000)
        self._idf_key: tuple | None = None
        self._idf: dict[str, float] = {}
        self._default_idf = 1.0

    def idf(self, snap: Snapshot) -> dict[str, float]:
        key = (snap.build_id, snap.generation)
        if key != self._idf_key:
            df: Counter[str] = Counter()
            for chunk in snap.chunks.values():
                df.update({stem(w) for w in _content_words(chunk.text)})
            n = max(1, len(snap.chunks))
            self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
            self._default_idf = math.log(1 + n)
            self._idf_key = key
        return self._idf

    def query_vector(self, text: str, retrieval_vector: np.ndarray | None) -> np.ndarray:
        """The question in this scorer's embedding space: the retriever's vector when both use
        one model, else the scorer's own (cached)."""
        if self.shares_query_vectors and retrieval_vector is not None:
            return retrieval_vector
        return self._encode_cached(self._queries, [text], [text])[0]

    def _encode_cached(self, cache: _LRU, keys: list, texts: list[str]) -> np.ndarray:
        missing = [i for i, k in enumerate(keys) if k not in cache]
        if missing:
            vecs = self.embedder.encode([texts[i] for i in missing])
            for i, v in zip(missing, vecs, strict=True):
                cache.put(keys[i], v)
        if not keys:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack([cache[k] for k in keys])

    def _matches(
        self,
        q_words: list[str],
        s_words: list[str],
        q_vecs: np.ndarray,
        word_index: dict[str, int],
        word_vecs: np.ndarray,
    ) -> tuple[np.ndarray, set[str]]:
        """(match strength in [0, 1] per question word, the sentence words that matched)."""
        strength = np.zeros(len(q_words), dtype=np.float32)
        hit_words: set[str] = set()
        if not q_words or not s_words:
            return strength, hit_words
        s_stems = {stem(w): w for w in s_words}
        uniq = list(dict.fromkeys(s_words))
        sims = q_vecs @ word_vecs[[word_index[w] for w in uniq]].T
        for i, w in enumerate(q_words):
            if stem(w) in s_stems:
                strength[i] = 1.0
                hit_words.add(s_stems[stem(w)])
                continue
            j = int(sims[i].argmax())
            if float(sims[i, j]) >= self.params.soft_floor:
                strength[i] = float(sims[i, j]) ** 0.5
                hit_words.add(uniq[j])
        return strength, hit_words

    def score(
        self, snap: Snapshot, question: str, qvec: np.ndarray, cands: list[Candidate]
    ) -> None:
        """Set `score` and `anchors` on every candidate (higher is better).

        Question words are weighted by corpus IDF times a local IDF over the candidate
        sentences: a word every candidate shares (the topic of the releases the question's
        year and place selected, say "meeting") says little about which sentence answers.
        The answer-type term (w_type) is added by the answerer, which knows the question type.
        """
        if not cands:
            return
        p = self.params
        idf = self.idf(snap)
        keys = [(c.doc.content_hash, c.start, c.end) for c in cands]
        dense = self._encode_cached(self._sentences, keys, [c.text for c in cands]) @ qvec
        q_words = list(dict.fromkeys(_content_words(question)))
        sent_words = [_content_words(c.text) for c in cands]
        # Context: the release's title/place/date and the sentence before, which is what
        # "It was financed by ..." or "The two-day event ..." refer back to.
        ctx_words = [
            _content_words(c.doc.context_line() + " " + _previous_sentence(c)) for c in cands
        ]
        vocab = list(dict.fromkeys(w for ws in (*sent_words, *ctx_words) for w in ws))
        word_vecs = self._encode_cached(self._words, vocab, vocab)
        word_index = {w: i for i, w in enumerate(vocab)}
        q_vecs = self._encode_cached(self._words, q_words, q_words)
        sent_m, ctx_m, hits = [], [], []
        for i in range(len(cands)):
            m, hit_words = self._matches(q_words, sent_words[i], q_vecs, word_index, word_vecs)
            mc, _ = self._matches(
                q_words, sent_words[i] + ctx_words[i], q_vecs, word_index, word_vecs
            )
            sent_m.append(m)
            ctx_m.append(mc)
            hits.append(hit_words)
        n = len(cands)
        local_df = (np.vstack(sent_m) > 0).sum(axis=0) if q_words else np.zeros(0)
        weights = np.array(
            [
                idf.get(stem(w), self._default_idf) * math.log(1 + n / max(1, local_df[j]))
                for j, w in enumerate(q_words)
            ],
            dtype=np.float32,
        )
        total = float(weights.sum()) or 1.0
        for i, cand in enumerate(cands):
            lexical = float(weights @ sent_m[i]) / total
            context = float(weights @ ctx_m[i]) / total
            if _ANAPHORIC.match(cand.text):
                # "The two-day event ..." / "It was financed by ...": about what came before,
                # so the question's words found in that context count almost as its own.
                lexical = max(lexical, p.anaphora * context)
            cand.anchors = [
                m.start()
                for m in _WORD.finditer(cand.text)
                if m.group().lower().strip("'’-") in hits[i]
            ]
            cand.score = (
                p.w_dense * float(dense[i])
                + p.w_lexical * lexical
                + p.w_context * context
                + p.w_rank / (1 + cand.hit_rank)
            )

    def rerank(
        self,
        snap: Snapshot,
        question: str,
        qvec: np.ndarray,
        hits: list[Hit],
    ) -> list[Hit]:
        """Hits re-ordered by their best sentence's evidence score."""
        cands = candidates(hits)
        self.score(snap, question, qvec, cands)
        best: dict[str, float] = {}
        for c in cands:
            best[c.hit.chunk.chunk_id] = max(best.get(c.hit.chunk.chunk_id, -1.0), c.score)
        for h in hits:
            h.fused_score = h.score
            h.score = best.get(h.chunk.chunk_id, 0.0)
        return sorted(hits, key=lambda h: -h.score)
