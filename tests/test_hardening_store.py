"""Index integrity (issue 15): a corrupted or foreign vector file, an interrupted first build,
a full disk during a write, and temp files left by a killed writer."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import rag.index.faiss_index
import rag.index.store
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.errors import IndexMissing, InsufficientStorage
from rag.http.errors import http_status
from rag.index.faiss_index import FaissVectorIndex
from rag.index.files import file_sha256, is_disk_full
from rag.index.store import Store
from rag.ingestion.ingest import document_from_record
from tests.conftest import VIENNA


@pytest.fixture
def vector_backend() -> str:
    return "faiss"  # these are about the FAISS file


QUESTION = "Who funded the 2008 Vienna conference?"


def built(settings: Settings) -> Engine:
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.index_directory()
    return engine


def reopened(settings: Settings) -> Engine:
    return Engine(settings, embedder=FakeEmbedder()).open()


def manifest(settings: Settings) -> dict:
    return json.loads((settings.index_dir / "manifest.json").read_text())


def top_sources(engine: Engine, text: str = QUESTION) -> list[str]:
    return [h.chunk.source for h in engine.search(text, 5, rerank=False)]


def assert_sound(engine: Engine, settings: Settings) -> None:
    """Every live vector unit length; the file on disk is the one the manifest vouches for."""
    snap = engine.snapshot
    live = np.asarray(sorted(snap.chunks), dtype=np.int64)
    assert snap.vectors.bad_norms(live) == 0
    assert snap.vectors.count == snap.chunk_count
    tag = manifest(settings)["faiss"]
    assert tag["sha256"] == file_sha256(settings.index_dir / "vectors.faiss")


# -- 2: corruption -----------------------------------------------------------------------


def test_flipped_bytes_in_the_vector_file_are_detected_and_rebuilt(fake_settings, caplog):
    engine = built(fake_settings)
    expected = top_sources(engine)
    path = fake_settings.index_dir / "vectors.faiss"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="rag.index.store"):
        again = reopened(fake_settings)
    assert any("fails its checksum" in r.getMessage() for r in caplog.records), caplog.text
    assert_sound(again, fake_settings)
    assert top_sources(again) == expected


def test_a_vector_off_unit_length_is_detected_without_a_checksum(fake_settings, caplog):
    """An index written before checksums (or corrupted before one was taken): the norm check."""
    engine = built(fake_settings)
    expected = top_sources(engine)
    snap = engine.snapshot
    ids = np.asarray(sorted(snap.chunks), dtype=np.int64)
    vectors = snap.vectors._index.reconstruct_batch(ids)
    vectors[3] *= 2126.0  # the corrupted vector
    FaissVectorIndex.build(vectors.shape[1], "flat", ids, vectors).write(
        fake_settings.index_dir / "vectors.faiss"
    )
    meta = manifest(fake_settings)
    del meta["faiss"]["sha256"]
    (fake_settings.index_dir / "manifest.json").write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="rag.index.store"):
        again = reopened(fake_settings)
    assert any("not unit length" in r.getMessage() for r in caplog.records), caplog.text
    assert_sound(again, fake_settings)
    assert top_sources(again) == expected


@pytest.mark.parametrize(
    ("field", "value"), [("model", "all-mpnet-base-v2"), ("dimension", 768), ("chunk_tokens", 512)]
)
def test_a_manifest_naming_another_index_is_not_ignored(fake_settings, caplog, field, value):
    built(fake_settings)
    meta = manifest(fake_settings)
    meta[field] = value
    (fake_settings.index_dir / "manifest.json").write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="rag.index.store"):
        again = reopened(fake_settings)
    warned = [
        r.getMessage() for r in caplog.records if "belongs to another index" in r.getMessage()
    ]
    assert warned and field in warned[0], caplog.text
    assert manifest(fake_settings)[field] != value  # rewritten from the store of record
    assert_sound(again, fake_settings)


# -- 3: an interrupted first build ----------------------------------------------------------


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no handler catches it."""


def test_a_killed_first_build_is_recognised_and_finished(fake_settings, monkeypatch):
    engine = Engine(fake_settings, embedder=FakeEmbedder())

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(engine, "_embed", killed)
    with pytest.raises(Killed):
        engine.index_directory()
    store = Store(fake_settings.index_dir)
    assert store.exists() and store.unfinished_build() and store.needs_build()
    with pytest.raises(IndexMissing, match="did not finish"):
        Engine(fake_settings, embedder=FakeEmbedder()).open()
    report = Engine(fake_settings, embedder=FakeEmbedder()).index_directory()
    assert len(report.added) == 5
    assert not store.unfinished_build() and not store.needs_build()
    assert len(reopened(fake_settings).snapshot.documents) == 5


def test_an_empty_first_build_still_finishes(fake_settings, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    Engine(fake_settings, embedder=FakeEmbedder()).index_directory(empty)
    assert not Store(fake_settings.index_dir).needs_build()
    assert reopened(fake_settings).snapshot.documents == {}


def test_a_later_interrupted_run_keeps_the_finished_index(fake_settings, seeds_copy, monkeypatch):
    built(fake_settings)
    (seeds_copy / "extra.txt").write_text("Extra release\n\nOSLO, 1 May 2011 - Something new.")
    engine = Engine(fake_settings, embedder=FakeEmbedder())
    monkeypatch.setattr(engine, "_embed", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        engine.index_directory()
    assert not Store(fake_settings.index_dir).needs_build()
    assert len(reopened(fake_settings).snapshot.documents) == 5


# -- 4: a full disk -------------------------------------------------------------------------


class FullDisk(io.RawIOBase):
    """A file on a disk with `room` bytes left: writes past it fail with ENOSPC."""

    def __init__(self, path: Path, room: int) -> None:
        self._fh = open(path, "wb")  # noqa: SIM115
        self._room = room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self._room:
            self._fh.write(bytes(data[: self._room]))
            self._fh.flush()
            self._room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._fh.write(data)

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        self._fh.close()
        super().close()


def fill_disk(monkeypatch, room: int = 1000) -> None:
    """Every vector file written from now on meets a full disk after `room` bytes."""
    monkeypatch.setattr(
        rag.index.faiss_index, "open", lambda path, mode="r": FullDisk(path, room), raising=False
    )


def temp_files(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("."))


def quokka() -> object:
    return document_from_record(
        {
            "title": "Quokka grants",
            "text": "GENEVA, 3 May 2021 - The Quokka Council approved 17 grants.",
        },
        "quokka.txt",
    )


def test_a_full_disk_fails_the_write_and_changes_nothing(fake_settings, monkeypatch):
    engine = built(fake_settings)
    before = engine.snapshot
    fill_disk(monkeypatch)
    with pytest.raises(InsufficientStorage, match="full") as caught:
        engine.add_documents([quokka()])
    assert http_status(caught.value) == 507
    with pytest.raises(InsufficientStorage):
        engine.delete_document(VIENNA)
    # Nothing changed: not in memory, not on disk, no temp file left behind.
    assert engine.snapshot is before and "quokka.txt" not in engine.snapshot.documents
    assert VIENNA in engine.snapshot.documents
    assert temp_files(fake_settings.index_dir) == []
    monkeypatch.undo()
    again = reopened(fake_settings)
    assert set(again.snapshot.documents) == set(before.documents)
    assert_sound(again, fake_settings)
    # With room again the same write succeeds, and survives a restart.
    assert engine.add_documents([quokka()]) == [("added", 1)]
    assert "quokka.txt" in reopened(fake_settings).snapshot.documents


def test_a_full_disk_while_writing_the_manifest_changes_nothing(fake_settings, monkeypatch):
    engine = built(fake_settings)

    def no_room(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rag.index.store, "write_temp", no_room)
    with pytest.raises(InsufficientStorage):
        engine.add_documents([quokka()])
    assert temp_files(fake_settings.index_dir) == []
    monkeypatch.undo()
    assert "quokka.txt" not in reopened(fake_settings).snapshot.documents


def test_disk_full_errors_are_recognised() -> None:
    import sqlite3

    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))


def test_stale_temp_files_are_removed_at_start(fake_settings, caplog):
    built(fake_settings)
    index_dir = fake_settings.index_dir
    dead = 2**22 + 12345  # above the usual pid_max: no such process
    stale = [
        f".vectors.faiss.{dead}.tmp",
        f".manifest.json.{dead}.tmp",
        f".store.sqlite.{dead}.new",
    ]
    for name in stale:
        (index_dir / name).write_bytes(b"partial")
    ours = index_dir / f".vectors.faiss.{os.getppid()}.tmp"  # a live process's: kept
    ours.write_bytes(b"in progress")
    with caplog.at_level(logging.WARNING, logger="rag.index.files"):
        reopened(fake_settings)
    assert temp_files(index_dir) == [ours.name]
    assert any("interrupted write" in r.getMessage() for r in caplog.records)


def test_the_service_finishes_an_interrupted_first_build_before_it_is_ready(
    fake_settings, monkeypatch
):
    """`rag serve` killed during its own first build: the next start builds, /readyz waits."""
    from fastapi.testclient import TestClient

    from rag.http.app import create_app
    from tests.test_api import wait_ready

    killed = Engine(fake_settings, embedder=FakeEmbedder())
    monkeypatch.setattr(killed, "_embed", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        killed.index_directory()
    assert Store(fake_settings.index_dir).unfinished_build()
    engine = Engine(fake_settings, embedder=FakeEmbedder())
    with TestClient(create_app(fake_settings, engine=engine)) as client:
        ready = wait_ready(client)
    assert ready["documents"] == 5  # not an empty index reported ready
    assert not Store(fake_settings.index_dir).needs_build()


def test_a_store_that_is_not_an_index_is_reported_not_rebuilt(fake_settings) -> None:
    fake_settings.index_dir.mkdir(parents=True)
    (fake_settings.index_dir / "store.sqlite").write_bytes(b"not a database at all" * 100)
    store = Store(fake_settings.index_dir)
    assert not store.unfinished_build() and not store.needs_build()
    with pytest.raises(sqlite3.DatabaseError):
        Engine(fake_settings, embedder=FakeEmbedder()).open()
