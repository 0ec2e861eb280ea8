from __future__ import annotations

import json

import numpy as np
import pytest

from rag.config import Settings
from rag.embedders.base import SentenceTransformerEmbedder, make_embedder
from rag.embedders.onnx_backend import INT8_VECTORS_VERSION, OnnxEmbedder
from rag.engine import Engine
from rag.errors import IndexIncompatible

TEXTS = [
    "It was financed by Belgium, Norway, the Russian Federation and Japan.",
    "The two-day event brought together more than 90 experts.",
    "Who funded the 2008 Vienna conference?",
    "short",
]


@pytest.mark.model
def test_onnx_backends_match_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_ONNX_CACHE", str(tmp_path))
    ref = SentenceTransformerEmbedder().encode(TEXTS)
    fp32 = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=2)
    int8 = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=3, quantized=True)
    v32, v8 = fp32.encode(TEXTS), int8.encode(TEXTS)
    assert v32.shape == v8.shape == ref.shape == (4, fp32.dimension)
    assert np.allclose(np.linalg.norm(v8, axis=1), 1.0, atol=1e-5)
    assert (ref * v32).sum(axis=1).min() > 0.9999  # same model, same vectors
    assert (ref * v8).sum(axis=1).min() > 0.95  # quantised per channel: close, not equal
    # Exported once, then loaded from the cache.
    assert sorted(p.name for p in next(tmp_path.iterdir()).iterdir()) == [
        "model-int8.onnx",
        "model.onnx",
    ]
    assert fp32.name == "all-MiniLM-L6-v2+onnx"
    assert int8.name == f"all-MiniLM-L6-v2+onnx-int8.v{INT8_VECTORS_VERSION}"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="one of onnx, onnx-int8, torch, not 'tensorrt'"):
        make_embedder("all-MiniLM-L6-v2", backend="tensorrt")


def test_index_records_the_backend_and_refuses_another(tmp_path):
    """An index built with one backend's vectors is never searched with another's."""
    from rag.embedders.base import FakeEmbedder

    int8_name = f"all-MiniLM-L6-v2+onnx-int8.v{INT8_VECTORS_VERSION}"
    settings = Settings(index_dir=tmp_path / "index")
    built = Engine(settings, embedder=FakeEmbedder(name=int8_name))
    built.index_directory()
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["model"] == int8_name
    for other in ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx"):
        with pytest.raises(IndexIncompatible, match=r"model .*onnx-int8"):
            Engine(settings, embedder=FakeEmbedder(name=other)).open()
    # The same backend opens it; re-indexing with another backend rebuilds it from scratch.
    assert Engine(settings, embedder=FakeEmbedder(name=int8_name)).open().snapshot.chunk_count
    torch_like = FakeEmbedder(name="all-MiniLM-L6-v2")
    report = Engine(settings, embedder=torch_like).index_directory()
    assert report.chunks_embedded == report.chunks_total and torch_like.texts_encoded
    assert json.loads((tmp_path / "index" / "manifest.json").read_text())["model"] == (
        "all-MiniLM-L6-v2"
    )


@pytest.mark.model
@pytest.mark.parametrize("quantized", [False, True])
def test_a_vector_does_not_depend_on_what_else_is_encoded(quantized):
    """int8 activations share one quantisation scale per run, fp32 batches would pad: either
    way a text's vector (so an answer) must not change with its batch-mates."""
    embedder = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=8, quantized=quantized)
    texts = [*TEXTS, "funded", "financed", "Norway"]
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-6)


def test_word_similarity_gets_its_own_model_when_backends_differ(tmp_path):
    from rag.embedders.base import FakeEmbedder

    engine = Engine(
        Settings(index_dir=tmp_path, embed_backend="onnx-int8", evidence_backend="onnx")
    )
    assert engine.embedder.name.endswith(f"+onnx-int8.v{INT8_VECTORS_VERSION}")
    assert engine.evidence_embedder.name == "all-MiniLM-L6-v2+onnx"
    assert engine.annotator.embedder is engine.evidence_embedder
    same = Engine(Settings(index_dir=tmp_path, embed_backend="onnx", evidence_backend="onnx"))
    assert same.evidence_embedder is same.embedder
    given = FakeEmbedder()
    assert Engine(Settings(index_dir=tmp_path), embedder=given).evidence_embedder is given
