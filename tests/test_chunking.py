from __future__ import annotations

import itertools

import pytest

from rag.ingestion.chunking import chunk_document, count_tokens, split_sentences
from rag.ingestion.ingest import Loaded, iter_source_dir
from rag.values import Document
from tests.conftest import SEEDS


def _docs():
    return [i.document for i in iter_source_dir(SEEDS) if isinstance(i, Loaded)]


@pytest.mark.parametrize(("budget", "overlap"), [(160, 32), (64, 0), (40, 16)])
def test_offsets_rebuild_text_and_respect_budget(budget, overlap):
    for doc in _docs():
        chunks = chunk_document(doc, budget, overlap)
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert count_tokens(c.text) <= budget
            assert c.embed_text.endswith(c.text) and doc.title in c.embed_text
        # Without overlap the chunks tile the text: only whitespace lies between them.
        if overlap == 0:
            assert all(not doc.text[a.end : b.start].strip() for a, b in itertools.pairwise(chunks))
            assert chunks[0].start == 0 and chunks[-1].end == len(doc.text.rstrip())


def test_overlap_repeats_trailing_sentences():
    doc = _docs()[2]
    chunks = chunk_document(doc, 64, 32)
    assert any(b.start < a.end for a, b in itertools.pairwise(chunks))


def test_context_line_names_the_release():
    tashkent = _docs()[0]
    chunk = chunk_document(tashkent, 160, 0)[1]
    assert "Tashkent" in chunk.embed_text and "2008-11-20" in chunk.embed_text
    assert "Tashkent" not in chunk.text  # the stored text stays the original


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Gen. Daud. They spoke.", ["Mr. Smith met Gen. Daud.", "They spoke."]),
        ("The U.N. Office agreed. Then it left.", ["The U.N. Office agreed.", "Then it left."]),
        (
            "VIENNA, 17 July 2008 - It began. Next one.",
            ["VIENNA, 17 July 2008 - It began.", "Next one."],
        ),
        (
            '"Crime is global. We must act," said Carty. He left.',
            ['"Crime is global. We must act," said Carty.', "He left."],
        ),
        ("He said: “One. Two.” Then silence.", ["He said: “One. Two.”", "Then silence."]),
        ("First para.\n\nSecond para", ["First para.", "Second para"]),
    ],
)
def test_sentence_boundaries(text, expected):
    assert [text[s.start : s.end] for s in split_sentences(text)] == expected


def test_overlong_sentence_is_split_within_budget():
    doc = Document(source="x.txt", title="T", text="word " * 400 + "end.")
    chunks = chunk_document(doc, 50, 0)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 50 and doc.text[c.start : c.end] == c.text for c in chunks)
