"""Sentence-level evidence scores for the re-ranking of search hits (`Engine.search`).

A sentence's score mixes (weights in EvidenceParams), with no model call, so that a question
nobody asked before is as fast as a repeated one:
- dense: the cosine of its passage from retrieval (no per-sentence embedding);
- lexical: IDF-weighted share of the question's terms the sentence holds (BM25 terms and the
  keyword index's corpus idf, which is kept per snapshot generation), times a local idf over
  the candidate sentences;
- context: the same share over sentence + its release's title, place, date and the sentence
  before (what "It was financed by ..." refers back to);
- rank: a small prior from the passage's retrieval rank.
Candidate (a sentence of a hit) is shared with the answerers. `score` is the older,
embedding-based sentence score (sentence and word vectors, cached) for answerers that use it;
its corpus idf is derived per write from the previous snapshot's.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.cache import LRU
from rag.chunking import split_sentences
from rag.embedding import Embedder
from rag.keyword_index import KeywordIndex, query_terms, tokenize
from rag.store import Snapshot
from rag.text_utils import STOPWORDS, stem
from rag.types import Document, Hit

# A sentence opening with a pronoun or a definite description refers back ("It was ...",
# "The two-day event ...", "This meeting ..."), not "The OSCE ..." (a name).
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
_ANAPHORIC = re.compile(
    r"^\W*(?:(?:It|He|She|They|Its|His|Her|Their)\b|(?:The|This|That|These|Those|Such)\s+[a-z])"
)


@dataclass(frozen=True)
class EvidenceParams:
    w_dense: float = 0.30
    w_lexical: float = 0.45
    w_context: float = 0.10
    w_type: float = 0.25  # used by answerers that score answer types
    w_rank: float = 0.07
    soft_floor: float = 0.55  # word similarity below this is no match (`score`)
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
        self._queries = LRU(10_000)
        self._sentences = LRU(100_000)
        self._words = LRU(200_000)
        self._sentence_terms = LRU(200_000)
        self._idf_lock = threading.Lock()
        self._idf: _Idf | None = None
        self._terms_lock = threading.Lock()  # searches run in parallel threads

    def idf(self, snap: Snapshot) -> _Idf:
        """Corpus idf of content-word stems for `snap`, derived from the previous snapshot's
        by the chunks added and removed (a write costs the size of the write)."""
        idf = self._idf
        if idf is not None and idf.key == (snap.build_id, snap.generation):
            return idf
        with self._idf_lock:
            idf = self._idf
            if idf is None or idf.key != (snap.build_id, snap.generation):
                idf = _Idf.derive(idf, snap)
                self._idf = idf
            return idf

    def query_vector(self, text: str, retrieval_vector: np.ndarray | None) -> np.ndarray:
        """The question in this scorer's embedding space: the retriever's vector when both use
        one model, else the scorer's own (cached)."""
        if self.shares_query_vectors and retrieval_vector is not None:
            return retrieval_vector
        return self._encode_cached(self._queries, [text], [text])[0]

    def _encode_cached(self, cache: LRU, keys: list, texts: list[str]) -> np.ndarray:
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
                idf.get(stem(w)) * math.log(1 + n / max(1, local_df[j]))
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
        hits: list[Hit],
        keywords: KeywordIndex,
    ) -> list[Hit]:
        """Hits re-ordered by their best sentence's score, with no model call (`lexical_scores`):
        a question nobody asked before costs what a repeated one does."""
        cands = candidates(hits)
        self.lexical_scores(question, cands, keywords)
        best: dict[str, float] = {}
        for c in cands:
            best[c.hit.chunk.chunk_id] = max(best.get(c.hit.chunk.chunk_id, -1.0), c.score)
        for h in hits:
            h.fused_score = h.score
            h.score = best.get(h.chunk.chunk_id, 0.0)
        return sorted(hits, key=lambda h: -h.score)

    def _terms(self, key: tuple, text: Callable[[], str]) -> frozenset[str]:
        with self._terms_lock:
            terms = self._sentence_terms.get(key)
        if terms is None:
            terms = frozenset(tokenize(text()))
            with self._terms_lock:
                self._sentence_terms.put(key, terms)
        return terms

    def lexical_scores(self, question: str, cands: list[Candidate], keywords: KeywordIndex) -> None:
        """Set `score` from the corpus's BM25 statistics, no embedding.

        The terms are the keyword index's (stemmed as FTS5 does), weighted by corpus idf
        (kept per snapshot by the index, so a write changes nothing to recompute here) times
        a local idf over the candidate sentences. Dense similarity is the passage's own
        cosine from retrieval (a passage outside the dense top-n gets the lowest one seen,
        an upper bound of its own).
        """
        if not cands:
            return
        p = self.params
        q_terms = list(dict.fromkeys(query_terms(question)))
        sent = [
            self._terms(("s", c.doc.content_hash, c.start, c.end), lambda c=c: c.text)
            for c in cands
        ]
        ctx = []
        for i, c in enumerate(cands):
            line = self._terms(("d", c.doc.content_hash), c.doc.context_line)
            if i and cands[i - 1].hit is c.hit:  # the sentence before, in the same passage
                before = sent[i - 1]
            else:
                before = self._terms(
                    ("p", c.doc.content_hash, c.start), lambda c=c: _previous_sentence(c)
                )
            ctx.append(sent[i] | line | before)
        n = len(cands)
        weights = [
            keywords.idf(t) * math.log(1 + n / max(1, sum(t in s for s in sent))) for t in q_terms
        ]
        total = sum(weights) or 1.0
        seen = [h.dense_score for h in {id(c.hit): c.hit for c in cands}.values()]
        floor = min((d for d in seen if d is not None), default=0.0)
        for i, cand in enumerate(cands):
            lexical = sum(w for w, t in zip(weights, q_terms, strict=True) if t in sent[i]) / total
            context = sum(w for w, t in zip(weights, q_terms, strict=True) if t in ctx[i]) / total
            if _ANAPHORIC.match(cand.text):
                # "The two-day event ..." / "It was financed by ...": about what came before,
                # so the question's words found in that context count almost as its own.
                lexical = max(lexical, p.anaphora * context)
            dense = cand.hit.dense_score if cand.hit.dense_score is not None else floor
            cand.score = (
                p.w_dense * float(dense)
                + p.w_lexical * lexical
                + p.w_context * context
                + p.w_rank / (1 + cand.hit_rank)
            )


def _stems(text: str) -> set[str]:
    return {stem(w) for w in _content_words(text)}


class _Idf:
    """Document frequencies of stems over a snapshot's chunks; idf computed on lookup."""

    def __init__(self, key: tuple, chunks: dict, df: Counter[str]) -> None:
        self.key, self.chunks, self.df = key, chunks, df
        self.n = max(1, len(chunks))

    def get(self, term: str, default: float | None = None) -> float:
        c = self.df.get(term, 0)
        if c <= 0:
            return math.log(1 + self.n) if default is None else default
        return math.log(1 + self.n / c)

    @classmethod
    def derive(cls, old: _Idf | None, snap: Snapshot) -> _Idf:
        key = (snap.build_id, snap.generation)
        df: Counter[str] = Counter()
        if old is None or old.key[0] != snap.build_id:
            for chunk in snap.chunks.values():
                df.update(_stems(chunk.text))
            return cls(key, snap.chunks, df)
        df.update(old.df)
        for cid in old.chunks.keys() - snap.chunks.keys():
            df.subtract(_stems(old.chunks[cid].text))
        for cid in snap.chunks.keys() - old.chunks.keys():
            df.update(_stems(snap.chunks[cid].text))
        return cls(key, snap.chunks, df)
