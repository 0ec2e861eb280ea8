"""Every sentence of the index tagged in the background (rag.answering.pretagging): the tags are
the ones the answer path would compute for the sentences it reads, a write's new sentences are
tagged after it, and a cold question then runs no NER on a sentence of a single chunk."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from rag.answering.annotation_cache import ANNOTATIONS_FILE, EntityCache
from rag.answering.evidence import chunk_sentences
from rag.answering.pretagging import Pretagger, index_sentences, pretag
from rag.answering.question_analysis import Annotator, pipeline_id
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.values import Document

RELEASES = [
    Document(
        source="harbour.txt",
        title="Port of Lisbon to expand container terminal",
        text=(
            "The Port of Lisbon will spend €240m on a new container terminal, its chairman "
            "Rui Albuquerque said on Monday.\n\nWork begins in March 2026 and the Portuguese "
            "government will pay a third of the cost. The terminal will handle 1.2 million "
            "containers a year."
        ),
    ),
    Document(
        source="orchestra.txt",
        title="Helsinki orchestra names new conductor",
        text=(
            "The Helsinki Philharmonic Orchestra has appointed Anna Virtanen as its chief "
            "conductor from September.\n\nShe succeeds Jukka Koskinen, who led the orchestra "
            "for eleven years. Her first concert is planned for 14 September at the Music "
            "Centre."
        ),
    ),
]


def _engine(folder: Path, **settings) -> Engine:
    engine = Engine(
        Settings(index_dir=folder / "index", source_dir=folder, embed_model="fake", **settings),
        embedder=FakeEmbedder(),
    )
    engine.add_documents(RELEASES[:1])
    return engine.open()


def test_the_index_sentences_are_those_the_answer_path_reads(tmp_path) -> None:
    engine = _engine(tmp_path)
    snap = engine.snapshot
    read = {
        snap.documents[c.source].text[s.start : s.end]
        for c in snap.chunks.values()
        for s in chunk_sentences(snap.documents[c.source], c.start, c.end)
    }
    listed = list(index_sentences(engine.settings.index_dir))
    assert len(listed) == len(set(listed))
    assert set(listed) == read
    assert len(read) >= 3


def test_a_pass_stores_the_tags_the_answer_path_computes_and_a_second_pass_tags_nothing(
    tmp_path,
) -> None:
    engine = _engine(tmp_path)
    index_dir = engine.settings.index_dir
    first = pretag(index_dir)
    assert first["tagged"] == first["sentences"] >= 3
    assert pretag(index_dir)["tagged"] == 0

    sentences = list(index_sentences(index_dir))
    stored = EntityCache(index_dir / ANNOTATIONS_FILE, pipeline_id()).get_many(sentences)
    fresh = Annotator()  # no cache: spaCy runs
    assert stored == {s: fresh.entities(s) for s in sentences}
    labels = {label for ents in stored.values() for _, _, label in ents}
    assert {"PERSON", "MONEY", "DATE"} <= labels
    # and each sentence's parse, the one spaCy gives the answer path
    restarted = Annotator(entity_cache=EntityCache(index_dir / ANNOTATIONS_FILE, pipeline_id()))
    restarted._parse_now = None  # calling it would fail: every parse must come from the file
    for s in sentences:
        for entities in (True, False):
            kept, parsed = restarted.parse(s, entities=entities), fresh.parse(s, entities=entities)
            assert [(t.tag_, t.dep_, t.head.i, t.lemma_, t.ent_iob_) for t in kept] == [
                (t.tag_, t.dep_, t.head.i, t.lemma_, t.ent_iob_) for t in parsed
            ]
            assert [(e.start_char, e.label_) for e in kept.ents] == [
                (e.start_char, e.label_) for e in parsed.ents
            ]


def test_an_engine_on_a_tagged_index_runs_no_ner_on_its_sentences(tmp_path, monkeypatch) -> None:
    engine = _engine(tmp_path)
    pretag(engine.settings.index_dir)
    restarted = Engine(engine.settings, embedder=FakeEmbedder()).open()
    restarted.answerer.params = dataclasses.replace(restarted.answerer.params, threshold=0.0)
    tagged: list[str] = []
    real_tag = restarted.annotator._tag
    monkeypatch.setattr(restarted.annotator, "_tag", lambda t: (tagged.extend(t), real_tag(t))[1])
    answer = restarted.ask("How much will the Port of Lisbon spend on the terminal?")
    assert not answer.abstained
    sentences = set(index_sentences(engine.settings.index_dir))
    assert not [t for t in tagged if t in sentences]


def test_serve_style_engines_tag_a_writes_new_sentences_in_the_background(tmp_path) -> None:
    engine = _engine(tmp_path, pretag="on")
    assert engine.pretagger is not None
    try:
        assert engine.pretagger.wait(timeout=120) == 0
        engine.add_documents(RELEASES[1:])
        assert engine.pretagger.wait(timeout=120) == 0  # the pass the write started
        index_dir = engine.settings.index_dir
        sentences = list(index_sentences(index_dir))
        assert any("Virtanen" in s for s in sentences)
        cache = EntityCache(index_dir / ANNOTATIONS_FILE, pipeline_id())
        assert set(cache.get_many(sentences)) == set(sentences)
    finally:
        engine.pretagger.close()


def test_a_new_start_ends_the_pass_in_progress(tmp_path) -> None:
    engine = _engine(tmp_path)
    tagger = Pretagger(engine.settings.index_dir, delay=0.0)
    try:
        tagger.start()
        assert tagger._timer is not None
        tagger._timer.join(10)
        first = tagger._proc
        assert first is not None and first.poll() is None  # the first pass runs
        tagger.start()
        assert tagger.wait(timeout=120) == 0
        assert tagger._proc is not first
        assert first.poll() is not None  # ended, not left running beside the second
    finally:
        tagger.close()


def test_a_burst_of_starts_runs_one_pass(tmp_path, monkeypatch) -> None:
    import rag.answering.pretagging as pretagging

    engine = _engine(tmp_path)
    spawned: list[list[str]] = []
    real_popen = pretagging.subprocess.Popen

    def counting_popen(args, **kwargs):
        spawned.append(args)
        return real_popen(args, **kwargs)

    monkeypatch.setattr(pretagging.subprocess, "Popen", counting_popen)
    tagger = Pretagger(engine.settings.index_dir, delay=0.5)
    try:
        for _ in range(5):  # five writes in quick succession
            tagger.start()
        assert tagger.wait(timeout=120) == 0
        assert len(spawned) == 1
    finally:
        tagger.close()


def test_another_process_holding_the_write_lock_does_not_turn_the_cache_off(tmp_path) -> None:
    path = tmp_path / ANNOTATIONS_FILE
    cache = EntityCache(path, pipeline_id())
    cache.put_many({"First sentence.": [(0, 5, "ORDINAL")]})
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # the background tagger mid-write
    try:
        cache.put_many({"Second sentence.": [(0, 6, "ORDINAL")]})  # waits, then gives up
    finally:
        other.rollback()
        other.close()
    assert cache.enabled
    cache.put_many({"Third sentence.": [(0, 5, "ORDINAL")]})
    assert set(cache.get_many(["First sentence.", "Second sentence.", "Third sentence."])) == {
        "First sentence.",
        "Third sentence.",
    }
