"""Named entities of sentences, kept on disk so that no sentence is tagged twice across restarts.

The answer path tags the sentences of the spans the reader likes best (spaCy NER, a few ms a
sentence: most of what a question nobody asked before costs beyond the reader). The tags depend
only on the sentence text and the spaCy pipeline, so they are stored by a hash of both in a small
SQLite file next to the index (`annotations.sqlite`): a cache, not part of the index of record;
deleting it loses nothing. A file that cannot be opened or written (a read-only index folder)
turns the cache off with one warning; answers are the same either way. Several processes share
the file (`rag serve`'s background tagger, rag.answering.pretagging, writes to it too).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

ANNOTATIONS_FILE = "annotations.sqlite"  # in the index folder
Entities = list[tuple[int, int, str]]  # (start char, end char, label) within the sentence


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
        if self._failed or not texts:
            return {}
        keys = {self._key(t): t for t in texts}
        with self._lock:
            conn = self._connect()
            if conn is None:
                return {}
            try:
                marks = ",".join("?" * len(keys))
                rows = conn.execute(
                    f"SELECT key, ents FROM entities WHERE key IN ({marks})", list(keys)
                ).fetchall()
            except sqlite3.Error as exc:
                self._disable(exc)
                return {}
        return {keys[k]: [tuple(e) for e in json.loads(v)] for k, v in rows}

    def put_many(self, tagged: dict[str, Entities]) -> None:
        if self._failed or not tagged:
            return
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                with conn:
                    conn.executemany(
                        "INSERT OR REPLACE INTO entities (key, ents) VALUES (?, ?)",
                        [(self._key(t), json.dumps(e)) for t, e in tagged.items()],
                    )
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
