"""A yes/no question is retrieved for as asked too, beside its wh-question: the focus it drops
("Tesco") is often what the question is about (rag.answering.yes_no)."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.engine import Engine
from rag.values import Document

pytestmark = pytest.mark.model

COMPANIES = ["Brixton", "Corvel", "Dunmore", "Elstree", "Farrow", "Glenmark", "Harlow", "Ivanti"]


def test_the_release_about_the_focus_is_read(tmp_path) -> None:
    docs = [
        Document(
            source=f"{name.lower()}.txt",
            title=f"{name} results",
            text=f"LONDON, 2 March 2005 - {name}'s annual pre-tax profit fell in 2004, the "
            f"retailer said on Tuesday. Its shares closed lower.",
        )
        for name in COMPANIES
    ]
    docs.append(
        Document(
            source="tesco.txt",
            title="Tesco results",
            text="LEEDS, 3 March 2005 - Tesco, the supermarket group, said its earnings before "
            "tax dropped by a fifth last year. Tesco blamed the cost of fuel.",
        )
    )
    engine = Engine(Settings(index_dir=tmp_path / "index", source_dir=tmp_path))
    engine.add_documents(docs)
    engine.open()
    answer = engine.ask("Did Tesco's pre-tax profit fall?")
    assert answer.kind == "yes_no"
    assert "tesco.txt" in [h.chunk.source for h in answer.passages[:4]]
