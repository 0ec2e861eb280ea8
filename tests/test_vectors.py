"""Vector backends: FAISS layouts (flat / hnsw / ivf-sq8) and Milvus (Lite) behind one interface."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import numpy as np
import pytest

from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.errors import VectorBackendUnavailable
from rag.http.errors import http_status
from rag.index.faiss_index import (
    EXACT_FILTER_LIMIT,
    HNSW_FROM,
    IVF_FROM,
    FaissVectorIndex,
    SearchFilter,
    auto_faiss_kind,
    ivf_nlist,
)
from rag.index.vector_backend import VectorConfig
from rag.ingestion.ingest import document_from_record
from tests.conftest import TASHKENT, VIENNA

LAYOUTS = ["flat", "hnsw", "ivf-sq8"]
# Direct parametrisation overrides conftest's vector_backend fixture for one backend's tests.
faiss_only = pytest.mark.parametrize("vector_backend", ["faiss"])
milvus_only = pytest.mark.parametrize("vector_backend", ["milvus"])


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _manifest(settings: Settings) -> dict:
    return json.loads((settings.index_dir / "manifest.json").read_text())


# -- FAISS layouts -------------------------------------------------------------------------


def test_auto_layout_by_size_with_hysteresis() -> None:
    assert auto_faiss_kind(0) == auto_faiss_kind(HNSW_FROM - 1) == "flat"
    assert auto_faiss_kind(HNSW_FROM) == auto_faiss_kind(IVF_FROM - 1) == "hnsw"
    assert auto_faiss_kind(IVF_FROM) == "ivf-sq8"
    # Shrinking a little below a threshold keeps the current layout (no flapping).
    assert auto_faiss_kind(HNSW_FROM - 1, current="hnsw") == "hnsw"
    assert auto_faiss_kind(HNSW_FROM // 2 - 1, current="hnsw") == "flat"
    assert auto_faiss_kind(IVF_FROM - 1, current="ivf-sq8") == "ivf-sq8"
    assert ivf_nlist(1_000_000) == 4096 and ivf_nlist(100) == 2 and ivf_nlist(10) == 1


@pytest.mark.parametrize("layout", ["hnsw", "ivf-sq8"])
def test_approximate_layouts_agree_with_flat_and_honour_filters(layout: str) -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 4000)
    ids = np.arange(10, 4010, dtype=np.int64)
    flat = FaissVectorIndex.build(32, "flat", ids, vectors)
    approx = FaissVectorIndex.build(32, layout, ids, vectors)
    queries = vectors[:50] + 0.05 * _unit(rng, 50)
    overlap = np.mean(
        [len(set(flat.search(q, 10)[1]) & set(approx.search(q, 10)[1])) / 10 for q in queries]
    )
    assert overlap >= 0.9
    # A small filter is answered exactly; a large one through an id selector.
    small = SearchFilter({"a"}, {"a": [int(i) for i in ids[::97]]})
    assert len(small.ids) <= EXACT_FILTER_LIMIT
    _, found = approx.search(queries[0], 5, small)
    assert list(found) == list(flat.search(queries[0], 5, small)[1])
    big_ids = [int(i) for i in ids[::2]]
    _, found = approx.search(queries[0], 10, SearchFilter({"b"}, {"b": big_ids}))
    assert len(found) == 10 and set(found) <= set(big_ids)
    # Removal: gone from results at once, and the copy taken before is untouched.
    before = approx.copy()
    top = int(approx.search(queries[0], 1)[1][0])
    approx.remove(np.asarray([top]))
    assert top not in approx.search(queries[0], 10)[1] and approx.count == 3999
    assert int(before.search(queries[0], 1)[1][0]) == top and before.count == 4000


@faiss_only
@pytest.mark.parametrize("layout", LAYOUTS)
def test_engine_with_each_layout(fake_settings: Settings, layout: str) -> None:
    settings = dataclasses.replace(fake_settings, faiss_index=layout)
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.index_directory()
    assert _manifest(settings)["vector_index"] == f"faiss-{layout}"
    assert _manifest(settings)["faiss"]["index"] == layout
    hits = engine.search("financed Belgium Norway Japan", 3, rerank=False, mode="dense")
    assert hits and hits[0].chunk.source == VIENNA
    engine.delete_document(VIENNA)
    reopened = Engine(settings, embedder=FakeEmbedder()).open()
    snap = reopened.snapshot
    assert snap.vectors.count == snap.chunk_count and VIENNA not in snap.documents
    hits = reopened.search("the conference was financed by", 10, rerank=False, mode="dense")
    assert len(hits) == 10 and all(h.chunk.source != VIENNA for h in hits)


@faiss_only
def test_layout_change_rebuilds_from_stored_vectors(fake_settings: Settings) -> None:
    Engine(fake_settings, embedder=FakeEmbedder()).index_directory()
    assert _manifest(fake_settings)["vector_index"] == "faiss-flat"  # auto: a small corpus
    emb = FakeEmbedder()
    hnsw = dataclasses.replace(fake_settings, faiss_index="hnsw")
    engine = Engine(hnsw, embedder=emb).open()
    assert emb.texts_encoded == 0
    assert _manifest(fake_settings)["vector_index"] == "faiss-hnsw"
    assert engine.snapshot.vectors.count == engine.snapshot.chunk_count


# -- filters pushed down -------------------------------------------------------------------


def test_search_filter_uses_fields_when_exact(fake_engine: Engine) -> None:
    from rag.index.milvus_index import milvus_filter

    fake_engine.index_directory()
    snap = fake_engine.snapshot
    vienna = snap.documents[VIENNA]
    by_year = {s for s, d in snap.documents.items() if d.year == vienna.year}
    f = snap.search_filter(by_year)
    assert f.years == {vienna.year} and f.sources is None
    assert set(f.ids) == {i for s in by_year for i in snap.ids_by_source[s]}
    assert milvus_filter(f) == f"year in [{vienna.year}]"
    two = snap.search_filter({VIENNA, TASHKENT})
    assert milvus_filter(two).startswith(("place in", "year in", "source in"))
    odd = SearchFilter({'a "quoted" name'}, {}, sources={'a "quoted" name'})
    assert milvus_filter(odd) == 'source in ["a \\"quoted\\" name"]'


@milvus_only
def test_filters_reach_milvus_as_expressions(fake_settings: Settings, monkeypatch) -> None:
    from rag.index.milvus_index import milvus_filter

    engine = Engine(fake_settings, embedder=FakeEmbedder())
    engine.index_directory()
    index = engine.snapshot.vectors
    seen: list[str] = []
    real_call = index._call

    def spy(what, fn, *args, **kwargs):
        if what == "search":
            client = index._client

            class Recorder:
                def search(self, *a, **kw):
                    seen.append(kw["filter"])
                    return client.search(*a, **kw)

            return fn(Recorder(), *args, **kwargs)
        return real_call(what, fn, *args, **kwargs)

    monkeypatch.setattr(index, "_call", spy)
    year = engine.snapshot.documents[VIENNA].year
    hits = engine.search("conference", 5, mode="dense", rerank=False, filters={"year": year})
    assert hits and all(h.document.year == year for h in hits)
    assert seen == [f"year in [{year}]"]
    hits = engine.search("conference", 5, mode="dense", rerank=False, filters={"source": VIENNA})
    assert hits and {h.chunk.source for h in hits} == {VIENNA}
    # One release: as fields when they single it out (here its year and dateline), else its name.
    assert seen[-1] == milvus_filter(engine.snapshot.search_filter({VIENNA}))
    assert seen[-1] in (f'source in ["{VIENNA}"]', f'year in [{year}] and place in ["vienna"]')


# -- Milvus: consistency with the store ----------------------------------------------------


@pytest.fixture
def milvus_engine(tmp_path, seeds_copy) -> Engine:
    settings = Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        vector_backend="milvus",
    )
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.index_directory()
    return engine


def _failing(real_call, *ops: str):
    def call(what, fn, *args, **kwargs):
        if what in ops:
            raise VectorBackendUnavailable(f"the Milvus vector backend is unavailable ({what})")
        return real_call(what, fn, *args, **kwargs)

    return call


def test_milvus_failure_mid_write_changes_nothing(milvus_engine: Engine, monkeypatch) -> None:
    index = milvus_engine.snapshot.vectors
    snap = milvus_engine.snapshot
    before = (snap.generation, snap.chunk_count, index.count)
    hits_before = [h.chunk.chunk_id for h in milvus_engine.search("Vienna", 5, rerank=False)]
    doc = document_from_record({"title": "Zebra", "text": "Zebras crossed Nairobi."}, "z.txt")
    real_call = index._call
    # An add failing at its insert, a delete failing at its delete: both undone in Milvus.
    monkeypatch.setattr(index, "_call", _failing(real_call, "upsert"))
    with pytest.raises(VectorBackendUnavailable) as err:
        milvus_engine.add_document(doc)
    assert http_status(err.value) == 503
    monkeypatch.setattr(index, "_call", _failing(real_call, "delete"))
    with pytest.raises(VectorBackendUnavailable):
        milvus_engine.delete_document(VIENNA)
    monkeypatch.setattr(index, "_call", real_call)
    snap = milvus_engine.snapshot
    assert (snap.generation, snap.chunk_count, index.refresh_count()) == before
    assert index.state()[1] == str(before[0])  # the generation marker was put back
    assert [h.chunk.chunk_id for h in milvus_engine.search("Vienna", 5, rerank=False)] == (
        hits_before
    )
    reopened = Engine(milvus_engine.settings, embedder=FakeEmbedder()).open()
    assert "z.txt" not in reopened.snapshot.documents and VIENNA in reopened.snapshot.documents
    assert reopened.snapshot.generation == before[0]
    # Once Milvus answers again, the same writes go through.
    assert milvus_engine.add_document(doc) == ("added", 1)
    assert milvus_engine.search("zebras", 1, rerank=False)[0].chunk.source == "z.txt"
    milvus_engine.delete_document(VIENNA)
    assert index.refresh_count() == milvus_engine.snapshot.chunk_count


def test_failed_undo_leaves_a_marker_the_next_write_repairs(
    milvus_engine: Engine, monkeypatch
) -> None:
    index = milvus_engine.snapshot.vectors
    generation = milvus_engine.snapshot.generation
    doc = document_from_record({"title": "Zebra", "text": "Zebras crossed Nairobi."}, "z.txt")
    real_call = index._call
    monkeypatch.setattr(index, "_call", _failing(real_call, "upsert", "delete"))
    with pytest.raises(VectorBackendUnavailable):
        milvus_engine.add_document(doc)
    monkeypatch.setattr(index, "_call", real_call)
    assert index.state()[1] == "-1" and milvus_engine.snapshot.generation == generation
    assert milvus_engine.add_document(doc) == ("added", 1)  # resyncs the collection first
    snap = milvus_engine.snapshot
    assert index.state()[1] == str(snap.generation) == str(generation + 1)
    assert index.refresh_count() == snap.chunk_count


def test_stale_milvus_collection_is_rebuilt_without_embedding(
    milvus_engine: Engine, caplog
) -> None:
    index = milvus_engine.snapshot.vectors
    index.mark_stale()  # as a crash between the Milvus write and the SQLite commit leaves it
    emb = FakeEmbedder()
    with caplog.at_level(logging.WARNING, logger="rag.index.store"):
        engine = Engine(milvus_engine.settings, embedder=emb).open()
    assert "rebuilding" in caplog.text and emb.texts_encoded == 0
    assert engine.snapshot.vectors.count == engine.snapshot.chunk_count
    assert engine.snapshot.vectors.state()[1] == str(engine.snapshot.generation)
    # Rows lost out of band are found too (count differs), and writes resync first.
    engine.snapshot.vectors._delete(np.asarray(engine.snapshot.ids_by_source[VIENNA]))
    again = Engine(milvus_engine.settings, embedder=FakeEmbedder()).open()
    assert again.search("financed Belgium Norway Japan", 1, rerank=False)[0].chunk.source == VIENNA


def test_unreachable_milvus_fails_cleanly(tmp_path, seeds_copy) -> None:
    settings = Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        vector_backend="milvus",
        milvus_uri="http://127.0.0.1:9",  # nothing listens on the discard port
        milvus_timeout=2,
    )
    with pytest.raises(VectorBackendUnavailable, match=r"Milvus vector backend at http://127"):
        Engine(settings, embedder=FakeEmbedder()).index_directory()
    assert not (tmp_path / "index" / "store.sqlite").exists()
    # An index built through Milvus Lite, then the service pointed at a Milvus that is down:
    # writes fail and the store of record keeps every document.
    lite = dataclasses.replace(settings, milvus_uri="")
    built = Engine(lite, embedder=FakeEmbedder()).index_directory()
    (seeds_copy / VIENNA).write_text((seeds_copy / VIENNA).read_text() + "\nA new paragraph.")
    with pytest.raises(VectorBackendUnavailable):
        Engine(settings, embedder=FakeEmbedder()).index_directory()
    # FAISS opens the same store, rebuilding its vectors from SQLite: nothing was lost.
    faiss = Engine(dataclasses.replace(settings, vector_backend="faiss"), embedder=FakeEmbedder())
    snap = faiss.open().snapshot
    assert len(snap.documents) == 5 and snap.chunk_count == built.chunks_total
    assert "A new paragraph" not in snap.documents[VIENNA].text


def test_readyz_reports_milvus_down(milvus_engine: Engine, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from rag.http.app import create_app

    app = create_app(milvus_engine.settings, engine=milvus_engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 120  # loading the models takes a while on a busy machine
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200

        def down(*args, **kwargs):
            raise VectorBackendUnavailable("the Milvus vector backend at test is unavailable")

        index = milvus_engine.snapshot.vectors
        monkeypatch.setattr(index, "_call", down)
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "vector_backend_unavailable"
        r = client.post("/api/documents", json={"title": "Zebra", "text": "Zebras ran."})
        assert r.status_code == 503 and "Milvus" in r.json()["error"]["message"]


def test_bad_vector_settings_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="must be one of faiss, milvus, not 'chroma'"):
        VectorConfig(backend="chroma")
    with pytest.raises(ValueError, match="RAG_FAISS_INDEX"):
        VectorConfig(faiss_index="ivf")
    with pytest.raises(ValueError, match="RAG_MILVUS_URI"):
        VectorConfig(backend="milvus", milvus_uri="/data/vectors")
    with pytest.raises(ValueError, match="RAG_MILVUS_COLLECTION"):
        VectorConfig(milvus_collection="my-chunks")


# -- the fixed Q&A set, answered through Milvus -------------------------------------------


@pytest.mark.model
def test_milvus_answers_the_fixed_questions_as_faiss_does(real_engine: Engine, tmp_path) -> None:
    """`rag eval`'s answers and metrics (so its thresholds) are the same with either backend."""
    from eval.__main__ import THRESHOLDS, answer_metrics, load_questions
    from tests.conftest import SEEDS

    settings = dataclasses.replace(
        real_engine.settings, index_dir=tmp_path / "milvus-index", vector_backend="milvus"
    )
    milvus = Engine(
        settings,
        embedder=real_engine.embedder,
        evidence_embedder=real_engine.evidence_embedder,
    )
    milvus.index_directory(SEEDS)
    milvus.open()
    assert milvus.snapshot.vectors.kind == "milvus"
    questions = load_questions()
    faiss_metrics, faiss_rows = answer_metrics(real_engine, questions)
    milvus_metrics, milvus_rows = answer_metrics(milvus, questions)

    def key(row: dict) -> tuple:
        return row["id"], row["ok"], row["abstained"], row["answer"], tuple(row["cited"])

    assert [key(r) for r in milvus_rows] == [key(r) for r in faiss_rows]
    for r_m, r_f in zip(milvus_rows, faiss_rows, strict=True):
        assert r_m["confidence"] == pytest.approx(r_f["confidence"], abs=2e-3)
    for name in THRESHOLDS:
        assert milvus_metrics[name] == pytest.approx(faiss_metrics[name])
