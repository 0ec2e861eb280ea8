"""Extension points are entry points: document formats ("rag.formats"), embedding backends
("rag.embedders") and vector backends ("rag.vector_backends"). The built-ins are registered
that way, and a new one is one function or class plus one registration."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest

from rag import plugins
from rag.config import Settings
from rag.embedders.base import BUILTIN_EMBEDDERS, FakeEmbedder, embedder_backends, make_embedder
from rag.engine import Engine
from rag.index.faiss_backend import FaissBackend
from rag.index.vector_backend import VectorConfig
from rag.ingestion import formats
from rag.ingestion.ingest import IngestError, parse_bytes
from rag.values import Document


def read_shouting(data: bytes, name: str) -> list[Document]:
    """A made-up format for the test: one release a line, title first, upper case."""
    lines = data.decode().splitlines()
    return [Document(source=name, title=lines[0].title(), text="\n\n".join(lines[1:]).lower())]


def hashing_embedder(name: str, batch_size: int = 64) -> FakeEmbedder:
    """A made-up embedding backend for the test."""
    return FakeEmbedder(dimension=32)


def _with(monkeypatch, name: str, target: str, group: str) -> None:
    installed = plugins.entry_points

    def more(group: str):
        return [*installed(group=group), EntryPoint(name, target, group)]

    monkeypatch.setattr(plugins, "entry_points", more)
    plugins.refresh()


@pytest.fixture
def fresh_registry():
    plugins.refresh()
    yield
    plugins.refresh()


def test_the_built_in_formats_are_registered_entry_points(fresh_registry) -> None:
    got = formats.registered()
    assert got == {f".{k}": v for k, v in formats.BUILTIN.items()}
    assert parse_bytes(b"Title\n\nOSLO, 3 May 2005 - Text.", "a.md")[0].title


def test_a_new_format_is_one_function_and_one_entry_point(fresh_registry, monkeypatch) -> None:
    with pytest.raises(IngestError, match=r"unsupported file type \.shout"):
        parse_bytes(b"X", "note.shout")
    _with(monkeypatch, "shout", f"{__name__}:read_shouting", "rag.formats")
    assert ".shout" in formats.supported_suffixes()
    (doc,) = parse_bytes(b"BUDGET DAY\nTHE TAX ON FUEL ROSE.", "note.shout")
    assert doc.title == "Budget Day" and doc.text == "the tax on fuel rose."
    assert doc.content_hash  # set from the bytes, as for every format
    with pytest.raises(IngestError, match="empty file"):
        parse_bytes(b"  \n", "other.shout")


def test_embedding_backends_are_entry_points(fresh_registry, monkeypatch) -> None:
    assert embedder_backends() == BUILTIN_EMBEDDERS
    with pytest.raises(ValueError, match="onnx, onnx-int8, torch, not 'hashing'"):
        make_embedder("some-model", backend="hashing")
    _with(monkeypatch, "hashing", f"{__name__}:hashing_embedder", "rag.embedders")
    embedder = make_embedder("some-model", backend="hashing")
    assert embedder.dimension == 32
    assert embedder.encode(["a text"]).shape == (1, 32)


class RecordingBackend(FaissBackend):
    """A made-up vector backend: FAISS underneath, every call of the store's protocol noted."""

    name = "recording"
    calls: list[str] = []

    def __getattribute__(self, attr: str):
        if attr in ("check_available", "create", "open", "before_write", "write", "stage"):
            RecordingBackend.calls.append(attr)
        return super().__getattribute__(attr)


def test_a_vector_backend_is_one_class_and_one_entry_point(
    fresh_registry, monkeypatch, tmp_path, seeds_copy
) -> None:
    with pytest.raises(ValueError, match="must be one of faiss, milvus, not 'recording'"):
        VectorConfig(backend="recording")
    _with(monkeypatch, "recording", f"{__name__}:RecordingBackend", "rag.vector_backends")
    settings = Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        vector_backend="recording",
    )
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.index_directory()
    assert engine.search("Who funded the Vienna conference?", 3, rerank=False)
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["recording"]["generation"] == engine.snapshot.generation
    assert {"check_available", "create", "before_write", "write", "stage"} <= set(
        RecordingBackend.calls
    )
    reopened = Engine(settings, embedder=FakeEmbedder()).open()
    assert reopened.snapshot.chunk_count == engine.snapshot.chunk_count
    assert RecordingBackend.calls.count("open") >= 1
