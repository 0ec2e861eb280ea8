from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.errors import IndexIncompatible, IndexMissing, NotFound
from rag.index.store import Store
from tests.conftest import VIENNA


def test_first_index_then_unchanged_embeds_nothing(fake_settings):
    emb = FakeEmbedder()
    report = Engine(fake_settings, embedder=emb).index_directory()
    assert len(report.added) == 5 and report.chunks_embedded == report.chunks_total > 5
    assert [s.path for s in report.skipped] == ["README.md"]
    emb2 = FakeEmbedder()
    again = Engine(fake_settings, embedder=emb2).index_directory()
    assert len(again.unchanged) == 5 and not again.added and not again.updated
    assert again.chunks_embedded == 0 and emb2.texts_encoded == 0
    manifest = json.loads((fake_settings.index_dir / "manifest.json").read_text())
    assert manifest["documents"] == 5 and manifest["chunks"] == report.chunks_total
    assert manifest["model"] == "fake-hash-embedder" and manifest["chunk_tokens"] == 160


def test_changed_file_reindexed_and_removed_file_dropped(fake_settings, seeds_copy):
    engine = Engine(fake_settings, embedder=FakeEmbedder())
    engine.index_directory()
    vienna = seeds_copy / VIENNA
    vienna.write_text(vienna.read_text() + "\nA new closing paragraph about Oslo.")
    (seeds_copy / "000_e87579e3fbfa82ba.txt").unlink()
    emb = FakeEmbedder()
    engine2 = Engine(fake_settings, embedder=emb)
    report = engine2.index_directory()
    assert report.updated == [VIENNA]
    assert report.removed == ["000_e87579e3fbfa82ba.txt"]
    assert 0 < emb.texts_encoded < report.chunks_total
    reopened = Engine(fake_settings, embedder=FakeEmbedder()).open()
    assert set(reopened.snapshot.documents) == {
        VIENNA,
        "001_58abf07a5ff85481.txt",
        "003_d8487920b28d3ab8.txt",
        "004_d78ae3091e855bee.txt",
    }
    assert "Oslo" in reopened.get_document(VIENNA)[0].text
    hits = reopened.search("Oslo closing paragraph", 3, rerank=False)
    assert hits and hits[0].chunk.source == VIENNA
    assert reopened.snapshot.vectors.count == reopened.snapshot.chunk_count


def test_missing_and_incompatible_index(fake_settings):
    with pytest.raises(IndexMissing, match="rag index"):
        Engine(fake_settings, embedder=FakeEmbedder()).open()
    Engine(fake_settings, embedder=FakeEmbedder()).index_directory()
    other = Settings(
        index_dir=fake_settings.index_dir,
        source_dir=fake_settings.source_dir,
        embed_model="fake",
        chunk_tokens=64,
    )
    with pytest.raises(IndexIncompatible, match=r"chunk_tokens 160.*run `rag index`"):
        Engine(other, embedder=FakeEmbedder()).open()
    with pytest.raises(IndexIncompatible, match="model"):
        Engine(fake_settings, embedder=FakeEmbedder(name="another-model")).open()
    # `rag index` with the new settings rebuilds, after which the index opens.
    report = Engine(other, embedder=FakeEmbedder()).index_directory()
    assert len(report.added) == 5
    Engine(other, embedder=FakeEmbedder()).open()


@pytest.mark.parametrize("vector_backend", ["faiss"])  # a FAISS file; subprocesses
def test_stale_faiss_file_is_rebuilt_without_embedding(fake_settings):
    Engine(fake_settings, embedder=FakeEmbedder()).index_directory()
    faiss_path = fake_settings.index_dir / "vectors.faiss"
    faiss_path.write_bytes(b"garbage")
    emb = FakeEmbedder()
    engine = Engine(fake_settings, embedder=emb).open()
    assert engine.snapshot.vectors.count == engine.snapshot.chunk_count
    assert emb.calls == 0
    faiss_path.unlink()
    engine = Engine(fake_settings, embedder=FakeEmbedder()).open()
    assert engine.snapshot.vectors.count == engine.snapshot.chunk_count
    assert engine.search("financed Belgium Norway Japan", 1, rerank=False)[0].chunk.source == VIENNA


def test_add_and_delete_documents(fake_engine):
    from rag.errors import Conflict
    from rag.ingestion.ingest import document_from_record

    fake_engine.index_directory()
    doc = document_from_record({"title": "Zebra", "text": "Zebras crossed Nairobi."}, "z.txt")
    assert fake_engine.add_document(doc) == ("added", 1)
    assert fake_engine.add_document(doc)[0] == "unchanged"
    changed = document_from_record({"title": "Zebra", "text": "Zebras left."}, "z.txt")
    with pytest.raises(Conflict):
        fake_engine.add_document(changed)
    assert fake_engine.add_document(changed, replace=True)[0] == "updated"
    assert fake_engine.search("zebras", 1, rerank=False)[0].chunk.source == "z.txt"
    # `rag index` leaves API documents alone.
    assert "z.txt" not in fake_engine.index_directory().removed
    fake_engine.delete_document("z.txt")
    with pytest.raises(NotFound):
        fake_engine.delete_document("z.txt")
    assert all(h.chunk.source != "z.txt" for h in fake_engine.search("zebras", 5, rerank=False))


def _consistent(index_dir: Path) -> tuple[int, int]:
    engine = Engine(
        Settings(index_dir=index_dir, embed_model="fake"), embedder=FakeEmbedder()
    ).open()
    snap = engine.snapshot
    assert snap.vectors.count == snap.chunk_count
    assert all(snap.chunks[i].source in snap.documents for i in snap.chunks)
    return len(snap.documents), snap.chunk_count


@pytest.mark.parametrize("vector_backend", ["faiss"])  # a FAISS file; subprocesses
def test_sigkill_mid_index_leaves_previous_index(tmp_path, fake_settings, seeds_copy):
    Engine(fake_settings, embedder=FakeEmbedder()).index_directory()
    before = _consistent(fake_settings.index_dir)
    # A second run with many new documents, killed at several points while it works.
    for i in range(150):
        (seeds_copy / f"extra_{i:03d}.txt").write_text(
            f"Extra release {i}\n\nOSLO, 1 May 2011 - Paragraph {i} about topic {i}. " * 3
        )
    env = {
        **os.environ,
        "RAG_EMBED_MODEL": "fake-slow",
        "RAG_INDEX_DIR": str(fake_settings.index_dir),
        "RAG_SOURCE_DIR": str(seeds_copy),
    }
    for delay in (0.5, 1.5, 2.5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "index"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _consistent(fake_settings.index_dir) in (before, (155, before[1] + 150))
    # An uninterrupted run completes and is consistent too.
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "index"],
        env=env,
        check=True,
        capture_output=True,
    )
    assert _consistent(fake_settings.index_dir)[0] == 155


def test_store_keyword_search_filters_by_source(fake_engine):
    fake_engine.index_directory()
    store: Store = fake_engine.store
    all_hits = store.keyword_search('"norway"', 50)
    only = store.keyword_search('"norway"', 50, {VIENNA})
    snap = fake_engine.snapshot
    assert {snap.chunks[i].source for i, _ in all_hits} >= {VIENNA, "000_e87579e3fbfa82ba.txt"}
    assert {snap.chunks[i].source for i, _ in only} == {VIENNA}
