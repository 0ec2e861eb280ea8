"""The one place that wires ingestion, the store, retrieval and answering together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag.answering import constraints as question_constraints
from rag.answering.annotation_cache import ANNOTATIONS_FILE, EntityCache
from rag.answering.collection import CollectionQuestions
from rag.answering.evidence import EvidenceScorer
from rag.answering.extractive import Answerer
from rag.answering.generation import Generator
from rag.answering.pretagging import Pretagger
from rag.answering.question_analysis import Annotator, pipeline_id, spacy_pool
from rag.answering.question_kinds import KindsAnswerer
from rag.answering.reader import SpanReader
from rag.answering.retrieval import RetrievalParams, Retriever
from rag.answering.speakers import SpeakerAnswerer
from rag.config import Settings
from rag.embedders.base import Embedder, make_embedder
from rag.errors import IndexMissing, NotFound, VectorBackendUnavailable
from rag.index import corpus_facts
from rag.index.store import IndexSpec, Snapshot, Store, Upsert
from rag.index.vector_backend import VectorConfig
from rag.ingestion.chunking import chunk_document
from rag.ingestion.ingest import Loaded, Skipped, iter_source_dir
from rag.values import Document, Hit

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "skipped": [{"file": s.path, "reason": s.reason} for s in self.skipped],
            "chunks_embedded": self.chunks_embedded,
            "chunks_total": self.chunks_total,
            "documents_total": self.documents_total,
            "seconds": round(self.seconds, 3),
        }


class ReadWriteLock:
    """Many readers or one writer; a waiting writer stops new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self):
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Engine:
    """Cheap to construct; `open()` loads the index, the model loads on first use."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        evidence_embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(
            settings.embed_model, settings.embed_batch_size, settings.embed_backend
        )
        self.store = Store(settings.index_dir, VectorConfig.from_settings(settings))
        self.retriever = Retriever(
            self.embedder, RetrievalParams(settings.candidates, settings.rrf_k)
        )
        self._snapshot: Snapshot | None = None
        self._write_lock = threading.Lock()  # serialises writers (embedding included)
        # Threads that wait on spaCy's process while a question retrieves: _retrieve_while_parsing
        # (a pool starts its threads only when first used).
        self._parse_threads = ThreadPoolExecutor(16, thread_name_prefix="rag-parse")
        self._rw = ReadWriteLock()  # makes commit + snapshot swap atomic for readers
        # The question analyser compares single words (head nouns, collection nouns), where
        # int8 vectors are too coarse (eval.bench backends): it gets its own model unless
        # given one embedder.
        if evidence_embedder is None:
            own = embedder is None and settings.evidence_backend != settings.embed_backend
            evidence_embedder = (
                make_embedder(
                    settings.embed_model, settings.embed_batch_size, settings.evidence_backend
                )
                if own
                else self.embedder
            )
        self.evidence_embedder = evidence_embedder
        self.scorer = EvidenceScorer()  # sentence re-rank of search hits: no model call
        # Its own MiniLM + trained weights, whatever model embeds the index.
        self.reader = SpanReader(backend=settings.reader_backend)
        self.annotator = Annotator(
            self.evidence_embedder,
            entity_cache=EntityCache(settings.index_dir / ANNOTATIONS_FILE, pipeline_id()),
            nlp_process=(
                spacy_pool(settings.nlp_processes) if settings.nlp_process == "on" else None
            ),
        )
        # Under `rag serve`: every sentence of the index tagged in the background, so that
        # cold questions find their sentences' entities stored (rag.answering.pretagging).
        self.pretagger = Pretagger(settings.index_dir) if settings.pretag == "on" else None
        self.answerer = Answerer(self.retriever, self.reader, self.annotator, scorer=self.scorer)
        self.collection = CollectionQuestions(self.annotator, self.store)
        self.kinds = KindsAnswerer(self.answerer)
        self.speakers = SpeakerAnswerer(self.answerer)
        # Optional LLM answers (RAG_LLM_BASE_URL), cited with the extractive path's citations.
        self.generator: Generator | None = (
            Generator(settings, self.answerer.verified_citations) if settings.llm_base_url else None
        )

    # -- lifecycle ---------------------------------------------------------------------
    def spec(self) -> IndexSpec:
        return IndexSpec(
            model=self.embedder.name,
            dimension=self.embedder.dimension,
            chunk_tokens=self.settings.chunk_tokens,
            chunk_overlap_tokens=self.settings.chunk_overlap_tokens,
        )

    def open(self) -> Engine:
        """Load the index on disk; raises IndexMissing / IndexIncompatible."""
        if not self.store.exists():
            raise IndexMissing(
                f"no index in {self.settings.index_dir}; run `rag index` to build one"
            )
        if self.store.unfinished_build():
            raise IndexMissing(
                f"the index in {self.settings.index_dir} is a first build that did not finish; "
                "run `rag index` to complete it"
            )
        self._snapshot = self.store.load(self.spec())
        self._prepare(self._snapshot)
        if self.pretagger is not None:
            self.pretagger.start()
        return self

    def warm_up(self) -> None:
        """Load the model and the place gazetteer now rather than on the first question."""
        for embedder in {id(e): e for e in (self.embedder, self.evidence_embedder)}.values():
            warm = getattr(embedder, "warm_up", None)
            if warm is not None:
                warm()
        question_constraints.load_gazetteer()
        self.reader.warm_up()
        self.annotator.warm_up()
        if self._snapshot is not None:
            self._prepare(self._snapshot, words=True)
            self.search("warm up", 1)

    def _prepare(self, snap: Snapshot, words: bool = False) -> None:
        """Derive what reads need from all chunks (BM25 postings and statistics, the places
        and words of the releases) for `snap`, from the previous snapshot's: a write costs
        the size of the write, and the first question after it finds them ready."""
        try:
            corpus_facts.register(snap.documents, words=words)
            self.retriever.keywords.for_snapshot(snap)
        except Exception:  # committed already: reads derive them lazily instead
            log.exception("could not prepare the search structures of the new snapshot")

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self.open()
        assert self._snapshot is not None
        return self._snapshot

    def _open_for_write(self, building: bool = False) -> Snapshot:
        """The current snapshot; a new index when there is none (with `building`, marked as a
        first build until the write that completes it)."""
        if self._snapshot is not None:
            return self._snapshot
        spec = self.spec()
        if self.store.exists():
            try:
                self.store.check_compatible(spec)
                self._snapshot = self.store.load(spec)
                return self._snapshot
            except VectorBackendUnavailable:  # Milvus down: fail the write, rebuild nothing
                raise
            except Exception as exc:  # incompatible or unreadable: rebuild from scratch
                log.warning("rebuilding the index: %s", getattr(exc, "message", exc))
        self.store.create(spec, building=building)
        self._snapshot = self.store.load(spec)
        return self._snapshot

    def _publish(
        self, upserts: list[Upsert], deletes: list[str], finish_build: bool = False
    ) -> Snapshot:
        with self._rw.write():
            snap = self.store.apply(
                self._open_for_write(), upserts, deletes, finish_build=finish_build
            )
            self._prepare(snap)
            self._snapshot = snap
        if self.pretagger is not None:
            self.pretagger.start()  # the new sentences (a pass over the rest finds them stored)
        return snap

    def _embed(self, docs: list[Document], progress: bool = False) -> list[Upsert]:
        chunked = [
            (d, chunk_document(d, self.settings.chunk_tokens, self.settings.chunk_overlap_tokens))
            for d in docs
        ]
        texts = [c.embed_text for _, chunks in chunked for c in chunks]
        vectors = self.embedder.encode(texts, show_progress=progress)
        out, pos = [], 0
        for doc, chunks in chunked:
            out.append(Upsert(doc, "", chunks, vectors[pos : pos + len(chunks)]))
            pos += len(chunks)
        return out

    # -- writes ------------------------------------------------------------------------
    def needs_build(self) -> bool:
        """No index yet, or its first build was interrupted."""
        return self.store.needs_build()

    def unfinished_build(self) -> bool:
        """A first build was started and did not finish."""
        return self.store.unfinished_build()

    def build_if_missing(self, source_dir: Path, progress: bool = False) -> IndexReport | None:
        """Index `source_dir` when there is no index (or its first build was interrupted);
        the report, or None when the index exists. Raises RagError/IngestError."""
        if not self.needs_build():
            return None
        return self.index_directory(source_dir, progress=progress)

    def index_directory(
        self,
        source_dir: Path | None = None,
        progress: bool = False,
    ) -> IndexReport:
        """Make the index mirror a folder: new and changed files embedded, removed ones dropped.

        Documents added over the API (origin "api") are left alone. Nothing is written unless
        the whole run succeeds.
        """
        started = time.perf_counter()
        source_dir = Path(source_dir or self.settings.source_dir)
        report = IndexReport()
        with self._write_lock:
            snap = self._open_for_write(building=True)
            loaded: list[Loaded] = []
            skipped_files: set[str] = set()
            for item in iter_source_dir(source_dir):
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    skipped_files.add(item.path)
                else:
                    loaded.append(item)
            todo, origins = [], {}
            for item in loaded:
                doc = item.document
                old = snap.documents.get(doc.source)
                origins[doc.source] = item.origin
                if old is not None and old.content_hash == doc.content_hash:
                    report.unchanged.append(doc.source)
                    continue
                (report.updated if old is not None else report.added).append(doc.source)
                todo.append(doc)
            seen = {item.document.source for item in loaded}
            report.removed = sorted(
                s
                for s, origin in snap.origins.items()
                if origin != "api" and s not in seen and origin not in skipped_files
            )
            upserts = self._embed(todo, progress=progress)
            upserts = [
                Upsert(u.document, origins[u.document.source], u.chunks, u.vectors) for u in upserts
            ]
            report.chunks_embedded = sum(len(u.chunks) for u in upserts)
            snap = self._publish(upserts, report.removed, finish_build=True)
        report.chunks_total = snap.chunk_count
        report.documents_total = len(snap.documents)
        report.seconds = time.perf_counter() - started
        return report

    def add_document(self, doc: Document, *, replace: bool = False) -> tuple[str, int]:
        """Index one document posted over the API; returns ("added"|"updated"|"unchanged", chunks).

        An existing source with different content raises Conflict unless `replace` is true.
        """
        return self.add_documents([doc], replace=replace)[0]

    def add_documents(
        self,
        docs: list[Document],
        *,
        replace: bool = False,
        embedded: dict[str, Upsert] | None = None,
    ) -> list[tuple[str, int]]:
        """Index documents posted over the API in one all-or-nothing write.

        Returns ("added"|"updated"|"unchanged", chunk count) per document. A conflict (an
        existing source with different content, and `replace` false) raises Conflict before
        anything is embedded or written. `embedded` (from `embed_for_write`) skips embedding
        under the write lock.
        """
        from rag.errors import Conflict, ValidationFailed
        from rag.ingestion.names import source_problem

        for doc in docs:  # every way a name arrives (JSON, upload, URL) meets the same rules
            problem = source_problem(doc.source)
            if problem is not None:
                raise ValidationFailed(f"source {doc.source[:60]!r} {problem}")
        with self._write_lock:
            snap = self._open_for_write()
            statuses: list[str] = []
            todo: list[Document] = []
            for doc in docs:
                old = snap.documents.get(doc.source)
                if old is not None and old.content_hash == doc.content_hash:
                    statuses.append("unchanged")
                    continue
                if old is not None and not replace:
                    raise Conflict(
                        f"a different document named {doc.source!r} exists; "
                        "it is replaced only when replacing is asked for"
                    )
                statuses.append("updated" if old is not None else "added")
                todo.append(doc)
            ready = embedded or {}

            def prepared(d: Document) -> bool:
                u = ready.get(d.source)
                return u is not None and u.document.content_hash == d.content_hash

            upserts = [ready[d.source] for d in todo if prepared(d)]
            fresh = [d for d in todo if not prepared(d)]
            upserts += [Upsert(u.document, "api", u.chunks, u.vectors) for u in self._embed(fresh)]
            if upserts:
                snap = self._publish(upserts, [])
        counts = {u.document.source: len(u.chunks) for u in upserts}
        return [
            (status, counts.get(doc.source, len(snap.ids_by_source.get(doc.source, []))))
            for status, doc in zip(statuses, docs, strict=True)
        ]

    def embed_for_write(
        self,
        docs: list[Document],
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
        batch: int = 256,
    ) -> dict[str, Upsert] | None:
        """Chunk and embed documents without holding the write lock, `batch` chunks at a time,
        for `add_documents(embedded=...)`: the slow part of a large write, so that other writes
        are not kept waiting. Calls `progress(done, total)` after each batch; returns None as
        soon as `stop()` is true."""
        import numpy as np

        chunked = [
            (d, chunk_document(d, self.settings.chunk_tokens, self.settings.chunk_overlap_tokens))
            for d in docs
        ]
        texts = [c.embed_text for _, chunks in chunked for c in chunks]
        parts: list[np.ndarray] = []
        for start in range(0, len(texts), batch):
            if stop is not None and stop():
                return None
            parts.append(self.embedder.encode(texts[start : start + batch]))
            if progress is not None:
                progress(min(start + batch, len(texts)), len(texts))
        if stop is not None and stop():
            return None
        dim = self.embedder.dimension
        vectors = np.vstack(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        out, pos = {}, 0
        for doc, chunks in chunked:
            out[doc.source] = Upsert(doc, "api", chunks, vectors[pos : pos + len(chunks)])
            pos += len(chunks)
        return out

    def delete_document(self, source: str) -> None:
        with self._write_lock:
            snap = self._open_for_write()
            if source not in snap.documents:
                raise NotFound(f"no document named {source!r}")
            self._publish([], [source])

    # -- reads -------------------------------------------------------------------------
    def get_document(self, source: str) -> tuple[Document, int]:
        snap = self.snapshot
        doc = snap.documents.get(source)
        if doc is None:
            raise NotFound(f"no document named {source!r}")
        return doc, len(snap.ids_by_source.get(source, []))

    def search(
        self,
        text: str,
        k: int = 5,
        *,
        mode: str = "hybrid",
        filters: dict | None = None,
        rerank: bool = True,
    ) -> list[Hit]:
        """Hybrid search with explicit filters and the question's own year/place constraints.

        With `rerank`, the fused top candidates are re-ordered by their best sentence's
        evidence score (rag.answering.evidence: lexical, from the BM25 statistics, no model call).
        """
        with self._rw.read():
            snap = self.snapshot
            pool = max(k, 20) if rerank else k
            hits, query, _ = self.retriever.search_constrained(
                snap, text, pool, mode=mode, filters=filters
            )
            if rerank and hits:
                hits = self.scorer.rerank(
                    snap, query, hits, self.retriever.keywords.for_snapshot(snap)
                )
            return hits[:k]

    def _retrieve_while_parsing(
        self, snap: Snapshot, question: str, top_k: int, filters: dict | None, mode: str
    ) -> tuple[tuple[str, list[Hit], str | None], float] | None:
        """(Answerer.retrieve's result, its ms): the passages a fact question reads, found
        while spaCy's own process parses the question. The answer path needs the parse first,
        retrieval does not, and on two cores the two overlap. Other kinds of question retrieve
        otherwise: for them this is a few ms of wasted work. None when retrieval fails: the
        answer path retrieves again and reports it."""
        parsing = self._parse_threads.submit(self.annotator.parse, question.strip(), keep=False)
        started = time.perf_counter()
        try:
            found = self.answerer.retrieve(snap, question, top_k, filters=filters, mode=mode)
            retrieved = found, (time.perf_counter() - started) * 1000
        except Exception:  # the answer path's own retrieval raises it again
            retrieved = None
        parsing.result()
        return retrieved

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: dict | None = None,
        history: list[dict] | None = None,
        mode: str = "hybrid",
        generate: bool = True,
    ):
        """The extractive answer, then (with an LLM configured and `generate`) the checked
        generated one; the LLM call runs outside the read lock, on the passages already found."""
        asked_as = question
        question = self.annotator.question_part(question)  # instructions after it dropped
        with self._rw.read():
            snap = self.snapshot
            retrieved = None
            if not history and self.annotator.nlp_process is not None:
                retrieved = self._retrieve_while_parsing(
                    snap, question, top_k or self.settings.top_k, filters, mode
                )
            about_collection = None if history else self.collection.parse(question, snap, filters)
            kind = self.annotator.analyse(question).kind if about_collection is None else ""
            answer = None
            k = top_k or self.settings.top_k
            asked = {"filters": filters, "mode": mode}
            if about_collection is not None:
                answer = self.collection.answer(about_collection, snap, question)
            elif kind == "yes_no":
                answer = self.kinds.yes_no(snap, question, k, history=history, **asked)
            elif kind in ("fact", "list") and not history:
                # "Who spoke at ...?": the speakers quoted anywhere in the release
                answer = self.speakers.answer(snap, question, k, retrieved=retrieved, **asked)
            if answer is None and kind == "list":
                answer = self.kinds.listing(snap, question, history=history, **asked)
            if answer is None and kind == "list" and not history:
                answer = self.kinds.stated_list(snap, question, k, retrieved=retrieved, **asked)
            if answer is None:
                # a list question answered as a fact keeps the lists' threshold
                bar = self.kinds.threshold if kind == "list" else None
                answer = self.answerer.ask(
                    snap, question, k, history=history, retrieved=retrieved, threshold=bar, **asked
                )
        if generate and self.generator is not None and self.generator.applies(answer):
            answer = self.generator.answer(answer)
        answer.question = asked_as
        return answer
