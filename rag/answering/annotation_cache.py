"""Named entities and parses of sentences, kept on disk so that no sentence is tagged or parsed
twice across restarts.

The answer path tags the sentences of the spans the reader likes best (spaCy NER, a few ms a
sentence: most of what a question nobody asked before costs beyond the reader). The tags depend
only on the sentence text and the spaCy pipeline, so they are stored by a hash of both in a small
SQLite file next to the index (`annotations.sqlite`): a cache, not part of the index of record;
deleting it loses nothing. A file that cannot be opened or written (a read-only index folder)
turns the cache off with one warning; answers are the same either way. Several processes share
the file (`rag serve`'s background tagger, rag.answering.pretagging, writes to it too).

Parses (spaCy's `Doc.to_bytes()`, compressed, about 1.5 KB a sentence) are kept the same way:
a yes/no or list question parses a dozen sentences nobody parsed before (some 8 ms each, most
of such a question's cost beyond the reader); rebuilding a stored one takes under half a ms. A
parse is stored as "full" (every component) or "syntax" (without NER); a full parse serves a
syntax request too, its entities dropped (NER has its own token vectors in the pipeline, so
the other components' output is the same either way).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import zlib
from pathlib import Path

log = logging.getLogger(__name__)

ANNOTATIONS_FILE = "annotations.sqlite"  # in the index folder
Entities = list[tuple[int, int, str]]  # (start char, end char, label) within the sentence
FULL, SYNTAX = "full", "syntax"  # a parse by every component, or by all but NER


class EntityCache:
    def __init__(self, path: Path | None, pipeline: str) -> None:
        """`path`: the SQLite file (None: no cache); `pipeline`: the spaCy package and version
        whose tags are stored (part of every key)."""
        self.path = path
        self.pipeline = pipeline
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._failed = path is None

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.pipeline}\0{text}".encode(), digest_size=16).digest()

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._failed:
            try:
                assert self.path is not None
                if not self.path.parent.is_dir():
                    return None  # no index folder yet: nothing to keep the file in
                conn = sqlite3.connect(self.path, check_same_thread=False, timeout=1.0)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # a cache: no fsync per answer
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS entities (key BLOB PRIMARY KEY, ents TEXT NOT NULL)"
                )
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS parses (key BLOB PRIMARY KEY, doc BLOB NOT NULL)"
                )
                self._conn = conn
            except (sqlite3.Error, OSError) as exc:
                self._disable(exc)
        return self._conn

    def _disable(self, exc: Exception) -> None:
        log.warning("annotation cache %s off: %s", self.path, exc)
        self._failed = True
        self._conn = None

    def get_many(self, texts: list[str]) -> dict[str, Entities]:
        """The stored tags of those of `texts` that have them."""
        keys = {self._key(t): t for t in texts}
        rows = self._read("SELECT key, ents FROM entities WHERE key IN ({})", list(keys))
        return {keys[k]: [tuple(e) for e in json.loads(v)] for k, v in rows}

    def put_many(self, tagged: dict[str, Entities]) -> None:
        self._write(
            "INSERT OR REPLACE INTO entities (key, ents) VALUES (?, ?)",
            [(self._key(t), json.dumps(e)) for t, e in tagged.items()],
        )

    # -- parses --------------------------------------------------------------------------------
    def _parse_key(self, text: str, mode: str) -> bytes:
        return hashlib.blake2b(f"{self.pipeline}\0{mode}\0{text}".encode(), digest_size=16).digest()

    def get_parse(self, text: str, entities: bool) -> tuple[bytes, bool] | None:
        """(the stored `Doc.to_bytes()` of `text`, whether it holds entities) for a parse with
        `entities` (a full parse only) or without (either kind); None when none is stored."""
        modes = (FULL,) if entities else (SYNTAX, FULL)
        keys = {self._parse_key(text, m): m for m in modes}
        rows = self._read("SELECT key, doc FROM parses WHERE key IN ({})", list(keys))
        if not rows:
            return None
        key, blob = min(rows, key=lambda r: modes.index(keys[r[0]]))
        try:
            return zlib.decompress(blob), keys[key] == FULL
        except zlib.error:  # a damaged row: parsed again, and stored over
            return None

    def put_parses(self, parses: dict[str, bytes], entities: bool) -> None:
        """Store each text's `Doc.to_bytes()`, parsed with (`entities`) or without NER."""
        mode = FULL if entities else SYNTAX
        self._write(
            "INSERT OR REPLACE INTO parses (key, doc) VALUES (?, ?)",
            [(self._parse_key(t, mode), zlib.compress(b, 1)) for t, b in parses.items()],
        )

    def parsed(self, texts: list[str]) -> set[str]:
        """Those of `texts` with a full parse stored."""
        keys = {self._parse_key(t, FULL): t for t in texts}
        return {
            keys[k] for (k,) in self._read("SELECT key FROM parses WHERE key IN ({})", list(keys))
        }

    def _read(self, sql: str, keys: list[bytes]) -> list[tuple]:
        """The rows of `sql` (its "{}" filled with one placeholder per key); none when the
        cache is off."""
        if self._failed or not keys:
            return []
        with self._lock:
            conn = self._connect()
            if conn is None:
                return []
            try:
                return conn.execute(sql.format(",".join("?" * len(keys))), keys).fetchall()
            except sqlite3.Error as exc:
                self._disable(exc)
                return []

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if self._failed or not rows:
            return
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                with conn:
                    conn.executemany(sql, rows)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    self._disable(exc)
                # Another process (the background tagger) held the write lock past the
                # timeout: these tags are not kept this time; the cache stays on.
            except sqlite3.Error as exc:
                self._disable(exc)

    @property
    def enabled(self) -> bool:
        """False once the file could not be opened or written."""
        return not self._failed


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
