"""Rare identifiers in BM25 (issue 15, item 11): an exact token match must outrank a
near-identical identifier ("Zorblat2x22" vs "Zorblat2x2")."""

from __future__ import annotations

import pytest

from rag.index.keyword_index import KeywordIndexer, query_terms, tokenize
from rag.ingestion.ingest import document_from_record

NAMES = ["Zorblat2x2", "Zorblat2x22", "Zorblat2x222", "Zorblat2xa", "Zorblat2xas", "A1B2", "A1B2ed"]


def release(name: str) -> object:
    return document_from_record(
        {
            "title": f"The {name} workshop",
            "text": f"VIENNA, 4 March 2024 - The {name} workshop opened in Vienna today. "
            f"The {name} workshop was funded by a grant from the foundation.",
        },
        f"{name}.txt",
    )


@pytest.fixture
def vector_backend() -> str:
    return "faiss"


def test_identifiers_are_whole_distinct_terms() -> None:
    terms = [tokenize(name) for name in NAMES]
    assert all(len(t) == 1 for t in terms)
    assert len({t[0] for t in terms}) == len(NAMES)  # no two names share a term
    assert tokenize("Zorblat2x22's funding") == ["zorblat2x22", "s", "fund"]  # words still stem
    assert query_terms("Who funded the Zorblat2x22 workshop?") == [
        "fund",
        "zorblat2x22",
        "workshop",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_the_exact_identifier_ranks_first(fake_engine, name: str) -> None:
    fake_engine.index_directory()
    fake_engine.add_documents([release(n) for n in NAMES])
    snap = fake_engine.snapshot
    hits = (
        KeywordIndexer()
        .for_snapshot(snap)
        .search(query_terms(f"Who funded the {name} workshop?"), 10)
    )
    sources = [snap.chunks[cid].source for cid, _ in hits]
    assert sources[0] == f"{name}.txt"
    best, runner_up = hits[0][1], hits[1][1]
    assert best > runner_up  # not a tie broken by id
