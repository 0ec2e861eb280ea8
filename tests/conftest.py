from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine

SEEDS = PROJECT_ROOT / "seeds"
VIENNA = "002_b58f2e4459b73bca.txt"
TASHKENT = "000_e87579e3fbfa82ba.txt"
ASTANA = "003_d8487920b28d3ab8.txt"


def span_in_one_chunk(source: str, text: str, span: str):
    """A SpanCandidate for `span` (at its first occurrence) in a release of one chunk."""
    from rag.answering.answer_ranker import SpanCandidate
    from rag.values import Chunk, Document, Hit

    doc = Document(source=source, title=source, text=text)
    chunk = Chunk(f"{source}#0", source, 0, 0, len(text), text, text, 30)
    start = text.index(span)
    hit = Hit(chunk=chunk, document=doc, score=1.0)
    return SpanCandidate(hit, 0, start, start + len(span), span, None)


def releases_engine(folder: Path, releases: list):
    """A real-model engine, opened, over an index of the given new releases in `folder`."""
    from rag.config import Settings
    from rag.engine import Engine

    engine = Engine(Settings(index_dir=folder / "index", source_dir=folder))
    engine.add_documents(releases)
    return engine.open()


def one_release_engine(folder: Path, source: str, title: str, text: str):
    """A real-model engine, opened, over an index of one new release in `folder`."""
    from rag.values import Document

    return releases_engine(folder, [Document(source=source, title=title, text=text)])


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped releases."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


# Behaviour tests run against each vector backend: FAISS in the index folder and Milvus Lite
# (a local milvus.db through pymilvus). RAG_TEST_BACKENDS=faiss narrows a quick local run.
BACKENDS = [b for b in os.environ.get("RAG_TEST_BACKENDS", "faiss,milvus").split(",") if b]


@pytest.fixture(params=BACKENDS)
def vector_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "milvus":
        pytest.importorskip("milvus_lite")
    return request.param


@pytest.fixture
def fake_settings(tmp_path: Path, seeds_copy: Path, vector_backend: str) -> Settings:
    return Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        vector_backend=vector_backend,
    )


@pytest.fixture
def fake_engine(fake_settings: Settings) -> Engine:
    """An engine whose retrieval embeds with the fake embedder (the span reader is the real
    one). It answers with any confidence: these engines test the API, storage and generation
    mechanics, which need answers; abstention on weak evidence is tested with the real models
    (test_answering, test_reader, `rag eval`)."""
    engine = Engine(fake_settings, embedder=FakeEmbedder())
    engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=0.0)
    return engine


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The real MiniLM model over an index of seeds/ built once per session."""
    index_dir = tmp_path_factory.mktemp("real-index")
    engine = Engine(Settings(index_dir=index_dir, source_dir=SEEDS))
    engine.index_directory(SEEDS)
    return engine.open()
