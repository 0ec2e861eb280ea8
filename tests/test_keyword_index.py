from __future__ import annotations

import numpy as np
import pytest

from rag.index.keyword_index import KeywordIndexer, query_terms, tokenize
from rag.text_utils import fts_query
from rag.values import Document
from tests.conftest import VIENNA

QUESTIONS = [
    "Who funded the 2008 Vienna conference?",
    "nuclear safety experts meeting",
    "How many countries signed the treaty in Geneva?",
    "radioactive sources security funding Norway",
    "women scientists training fellowship",
    "the",  # only a stopword: no terms, no hits
]


def test_tokenize_folds_case_and_diacritics_and_stems():
    assert tokenize("Café RÉSUMÉS, funding—funded_x") == ["cafe", "resum", "fund", "fund", "x"]
    assert query_terms("Who funded the fund-raising?") == ["fund", "fund", "rais"]


@pytest.fixture
def indexed(fake_engine):
    fake_engine.index_directory()
    return fake_engine.open()


def test_in_memory_bm25_ranks_like_fts5(indexed):
    snap = indexed.snapshot
    index = KeywordIndexer().for_snapshot(snap)
    compared = 0
    for question in QUESTIONS:
        fts = indexed.store.keyword_search(fts_query(question), 40)
        mine = index.search(query_terms(question), 40)
        assert [i for i, _ in mine] == [i for i, _ in fts], question
        assert np.allclose([s for _, s in mine], [s for _, s in fts], rtol=1e-5, atol=1e-9)
        compared += len(fts)
    assert compared > 30  # the questions really match chunks


def test_source_filter_matches_fts5(indexed):
    snap = indexed.snapshot
    allowed = np.asarray(snap.ids_by_source[VIENNA], dtype=np.int64)
    mine = KeywordIndexer().for_snapshot(snap).search(query_terms("Norway funded"), 50, allowed)
    fts = indexed.store.keyword_search(fts_query("Norway funded"), 50, {VIENNA})
    assert mine and [i for i, _ in mine] == [i for i, _ in fts]
    assert {snap.chunks[i].source for i, _ in mine} == {VIENNA}


def test_new_snapshot_sees_added_and_removed_chunks(indexed):
    indexer = KeywordIndexer()
    first = indexer.for_snapshot(indexed.snapshot)
    assert indexer.for_snapshot(indexed.snapshot) is first  # cached per snapshot
    assert not first.search(["zyxquor"], 5)
    doc = Document(source="new.txt", title="Zyxquor", text="The zyxquor reactor opened today.")
    indexed.add_document(doc)
    second = indexer.for_snapshot(indexed.snapshot)
    hits = second.search(query_terms("zyxquor reactor"), 5)
    assert indexed.snapshot.chunks[hits[0][0]].source == "new.txt"
    indexed.delete_document("new.txt")
    assert not indexer.for_snapshot(indexed.snapshot).search(["zyxquor"], 5)


def test_repeated_query_vector_comes_from_the_cache(indexed):
    retriever = indexed.retriever
    before = retriever.embedder.texts_encoded
    first = retriever.embed_query("Who funded the Vienna conference?")
    again = retriever.embed_query("Who funded the Vienna conference?")
    assert again is first and retriever.embedder.texts_encoded == before + 1
    assert not first.flags.writeable  # shared between callers: nobody may change it
    retriever.embed_query("Another question")
    assert retriever.embedder.texts_encoded == before + 2


def test_a_phrase_is_held_as_whole_words_in_any_case() -> None:
    from rag.text_utils import holds_phrase

    text = "Officials from the U.S. and New York met; Newcastle sent none."
    assert holds_phrase(text, "new york") and holds_phrase(text, "U.S.")
    assert holds_phrase(text, "New")  # "New York" holds the word "New"
    assert not holds_phrase(text, "York met Newcastle")
    assert not holds_phrase(text, "castle")  # inside a word
