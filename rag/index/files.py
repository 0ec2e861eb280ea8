"""The index folder's derived files (the vector file, manifest.json) and their integrity.

A write stages each file as a hidden temp file beside its target (`.NAME.PID.tmp`) before the
SQLite commit and renames it into place after it, so a full disk fails the write before
anything is committed. Temp files left by a killed process are removed when the index is next
opened. The vector file's SHA-256 is recorded in the manifest and checked on load.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# `.vectors.faiss.123.tmp`, `.manifest.json.123.tmp`, `.store.sqlite.123.new`
_TEMP_RE = re.compile(r"^\..+\.(\d+)\.(tmp|new)$")


def temp_path(path: Path) -> Path:
    """This process's temp file for `path` (hidden, in the same folder, so a rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_temp(path: Path, data: bytes) -> Path:
    """Write `data` durably to `path`'s temp file and return it; removed again on failure."""
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" / "quota exceeded", from the OS or from SQLite."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc).lower()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temp_files(index_dir: Path) -> list[Path]:
    """Delete temp files whose writing process is gone; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(Path(index_dir).iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _TEMP_RE.match(path.name)
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("could not remove the stale temp file %s: %s", path, exc)
            continue
        removed.append(path)
    if removed:
        log.warning(
            "removed %d temp file(s) left by an interrupted write: %s",
            len(removed),
            ", ".join(p.name for p in removed),
        )
    return removed


@dataclass
class Staged:
    """Temp files written before a commit, to rename into place after it (or discard)."""

    renames: list[tuple[Path, Path]] = field(default_factory=list)

    def add(self, tmp: Path, target: Path) -> None:
        self.renames.append((tmp, target))

    def install(self) -> None:
        """Rename every file into place; the vector file first, the manifest that tags it last."""
        for tmp, target in self.renames:
            os.replace(tmp, target)
        self.renames = []

    def discard(self) -> None:
        for tmp, _ in self.renames:
            tmp.unlink(missing_ok=True)
        self.renames = []
