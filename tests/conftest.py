from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.embedding import FakeEmbedder
from rag.engine import Engine

SEEDS = PROJECT_ROOT / "seeds"
VIENNA = "002_b58f2e4459b73bca.txt"
TASHKENT = "000_e87579e3fbfa82ba.txt"
ASTANA = "003_d8487920b28d3ab8.txt"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped releases."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture
def fake_settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", source_dir=seeds_copy, embed_model="fake")


@pytest.fixture
def fake_engine(fake_settings: Settings) -> Engine:
    return Engine(fake_settings, embedder=FakeEmbedder())


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The real MiniLM model over an index of seeds/ built once per session."""
    index_dir = tmp_path_factory.mktemp("real-index")
    engine = Engine(Settings(index_dir=index_dir, source_dir=SEEDS))
    engine.index_directory(SEEDS)
    return engine.open()
