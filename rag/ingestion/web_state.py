"""What was last fetched from each URL, so a re-sync asks only for what changed.

`<index dir>/web_sources.sqlite`, one row per URL (pages, feeds, sitemaps): the validators the
server sent (ETag, Last-Modified), a hash of the body, the document it became, and for a
listing the URLs it listed. Rows are written only after the index write they describe has
committed, so the state never claims a page the index lacks (and a row whose document is not
in the index is simply fetched again in full).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

STATE_NAME = "web_sources.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    body_hash TEXT NOT NULL DEFAULT '',
    entries TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    fetched_at REAL NOT NULL
)
"""


@dataclass
class Resource:
    url: str
    kind: str  # "page" | "feed" | "sitemap"
    source: str = ""  # the document it became ("" for listings and failures)
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    entries: list[str] = field(default_factory=list)  # a listing's URLs
    error: str = ""  # why the last fetch failed
    fetched_at: float = 0.0


class WebState:
    """A small SQLite file beside the index; each call opens its own connection."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / STATE_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute(_SCHEMA)
        return conn

    def get_many(self, urls: Iterable[str]) -> dict[str, Resource]:
        wanted = list(dict.fromkeys(urls))
        if not wanted or not self.path.exists():
            return {}
        out: dict[str, Resource] = {}
        conn = self._connect()
        try:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows = conn.execute(
                    "SELECT url, kind, source, etag, last_modified, body_hash, entries, error,"
                    f" fetched_at FROM resources WHERE url IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
                for row in rows:
                    out[row[0]] = Resource(*row[:6], json.loads(row[6]), *row[7:])
        finally:
            conn.close()
        return out

    def get(self, url: str) -> Resource | None:
        return self.get_many([url]).get(url)

    def put_many(self, resources: Iterable[Resource]) -> None:
        rows = [
            (
                r.url,
                r.kind,
                r.source,
                r.etag,
                r.last_modified,
                r.body_hash,
                json.dumps(r.entries),
                r.error,
                r.fetched_at or time.time(),
            )
            for r in resources
        ]
        if not rows:
            return
        conn = self._connect()
        try:
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO resources VALUES (?,?,?,?,?,?,?,?,?)", rows
                )
        finally:
            conn.close()
