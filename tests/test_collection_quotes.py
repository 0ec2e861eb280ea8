"""A collection question's quoted phrase is what the releases must mention, exactly."""

from __future__ import annotations

import pytest

from rag.answering.collection import quoted_spans
from tests.conftest import VIENNA


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("How many articles mention 'spyware'?", ["spyware"]),
        ('Which releases use the phrase "drug supply routes"?', ["drug supply routes"]),
        ("Which titles have “Veritas” in them?", ["Veritas"]),
        # apostrophes are no quotation marks
        ("Which articles mention Kilroy-Silk's party?", []),
        ("Did the players' union meet the owners' group?", []),
        ("Which articles quote the Lions' coach saying 'no comment'?", ["no comment"]),
    ],
)
def test_quoted_phrases(text, quoted) -> None:
    assert [text[a:b] for a, b in quoted_spans(text)] == quoted


@pytest.mark.model
@pytest.mark.parametrize(
    "question",
    [
        "How many releases use the word 'precursors'?",
        'How many of the releases contain the word "precursors"?',
        "How many releases mention ‘precursors’?",
    ],
)
def test_a_quoted_word_is_counted_as_written(real_engine, question) -> None:
    answer = real_engine.ask(question)
    assert answer.kind == "collection" and not answer.abstained
    assert answer.answer.startswith("2 ")
    assert {c.source for c in answer.citations} == {VIENNA, "001_58abf07a5ff85481.txt"}


@pytest.mark.model
def test_an_unnamed_object_is_mentioned_with_its_compounds(tmp_path) -> None:
    """No entity in "the Sarbanes-Oxley Act": the releases must mention the name as printed,
    not any "Act"."""
    from rag.config import Settings
    from rag.engine import Engine
    from rag.values import Document

    texts = {
        "audit.txt": "Auditors said the Sarbanes-Oxley Act had raised the cost of a listing.",
        "listing.txt": "Firms blamed the Sarbanes-Oxley Act for leaving the New York market.",
        "water.txt": "The Water Act gives the regulator new powers over leaks and prices.",
        "riot.txt": "Police used the Public Order Act to disperse the crowd on Saturday.",
    }
    engine = Engine(Settings(index_dir=tmp_path / "index", source_dir=tmp_path))
    engine.add_documents(
        [Document(source=s, title=s.split(".")[0].title(), text=t) for s, t in texts.items()]
    )
    answer = engine.open().ask("How many articles mention the Sarbanes-Oxley Act?")
    assert answer.kind == "collection" and answer.answer.startswith("2 ")
    assert {c.source for c in answer.citations} == {"audit.txt", "listing.txt"}
