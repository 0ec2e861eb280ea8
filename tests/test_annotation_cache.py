"""Sentence entity tags kept on disk (rag.answering.annotation_cache): never tagged twice across
restarts."""

from __future__ import annotations

import logging

from rag.answering.annotation_cache import EntityCache
from rag.answering.question_analysis import Annotator, pipeline_id

SENTENCES = [
    "Maria Lopez, chief executive of Acme, said on Tuesday that profits rose 12% in 2004.",
    "The club paid £3m for the Brazilian striker in January.",
]


def test_tags_survive_a_restart_and_spacy_is_not_run_again(tmp_path, monkeypatch) -> None:
    path = tmp_path / "annotations.sqlite"
    first = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    tagged = [first.entities(s) for s in SENTENCES]
    assert any(label == "PERSON" for _, _, label in tagged[0])
    assert any(label == "MONEY" for _, _, label in tagged[1])

    restarted = Annotator(entity_cache=EntityCache(path, pipeline_id()))

    def no_spacy(texts):
        raise AssertionError(f"spaCy ran again on {texts}")

    monkeypatch.setattr(restarted, "_tag", no_spacy)
    restarted.prefetch_entities(SENTENCES)
    assert [restarted.entities(s) for s in SENTENCES] == tagged


def test_another_pipeline_version_does_not_read_old_tags(tmp_path) -> None:
    path = tmp_path / "annotations.sqlite"
    EntityCache(path, "pipeline-a").put_many({"Some sentence.": [(0, 4, "ORG")]})
    assert EntityCache(path, "pipeline-a").get_many(["Some sentence."]) == {
        "Some sentence.": [(0, 4, "ORG")]
    }
    assert EntityCache(path, "pipeline-b").get_many(["Some sentence."]) == {}


def test_a_file_that_cannot_be_opened_turns_the_cache_off_not_the_answers(tmp_path, caplog):
    path = tmp_path / "annotations.sqlite"
    path.mkdir()  # a folder where the file should be: sqlite cannot open it (as root too)
    annotator = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    with caplog.at_level(logging.WARNING):
        ents = annotator.entities(SENTENCES[0])
    assert any(label == "PERSON" for _, _, label in ents)
    assert "annotation cache" in caplog.text


def test_a_corrupt_file_turns_the_cache_off_not_the_answers(tmp_path, caplog) -> None:
    path = tmp_path / "annotations.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    annotator = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    with caplog.at_level(logging.WARNING):
        ents = annotator.entities(SENTENCES[1])
    assert any(label == "MONEY" for _, _, label in ents)
    assert "annotation cache" in caplog.text


def test_entity_tags_alone_are_the_full_pipelines_entities() -> None:
    """Tagging runs the NER component alone (no shared tok2vec, tagger or parser): its
    entities must be those of the whole pipeline, sentence for sentence."""
    annotator = Annotator()
    sentences = [
        *SENTENCES,
        "Shares in Vodafone rose 3% in London on Tuesday after it sold its Japanese unit.",
        "The Football Association fined Arsenal £175,000 and Manchester United £100,000.",
    ]
    alone = [annotator.entities(s) for s in sentences]
    whole = [
        [(e.start_char, e.end_char, e.label_) for e in annotator.parse(s).ents] for s in sentences
    ]
    assert alone == whole
    assert all(alone)


def _syntax(doc) -> list[tuple]:
    return [(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.ent_iob_) for t in doc]


def _spacy_must_not_run(annotator, monkeypatch) -> None:
    def no_spacy(text, entities):
        raise AssertionError(f"spaCy parsed {text!r} again")

    monkeypatch.setattr(annotator, "_parse_now", no_spacy)


def test_parses_survive_a_restart_and_spacy_is_not_run_again(tmp_path, monkeypatch) -> None:
    path = tmp_path / "annotations.sqlite"
    first = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    syntax = [_syntax(first.parse(s, entities=False)) for s in SENTENCES]
    full = [[(e.text, e.label_) for e in first.parse(s).ents] for s in SENTENCES]
    assert ("Maria Lopez", "PERSON") in full[0]

    restarted = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    _spacy_must_not_run(restarted, monkeypatch)
    assert [_syntax(restarted.parse(s, entities=False)) for s in SENTENCES] == syntax
    assert [[(e.text, e.label_) for e in restarted.parse(s).ents] for s in SENTENCES] == full


def test_a_stored_full_parse_serves_a_syntax_parse_as_if_ner_had_not_run(
    tmp_path, monkeypatch
) -> None:
    path = tmp_path / "annotations.sqlite"
    Annotator(entity_cache=EntityCache(path, pipeline_id())).parse(SENTENCES[0])  # full only
    restarted = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    _spacy_must_not_run(restarted, monkeypatch)
    served = restarted.parse(SENTENCES[0], entities=False)
    assert served.ents == ()
    assert _syntax(served) == _syntax(Annotator().parse(SENTENCES[0], entities=False))
    # a full parse is never made up from a syntax-only one
    syntax_only = tmp_path / "syntax.sqlite"
    Annotator(entity_cache=EntityCache(syntax_only, pipeline_id())).parse(
        SENTENCES[1], entities=False
    )
    assert EntityCache(syntax_only, pipeline_id()).get_parse(SENTENCES[1], True) is None
    assert EntityCache(syntax_only, pipeline_id()).get_parse(SENTENCES[1], False) is not None


def test_questions_are_parsed_but_not_kept(tmp_path) -> None:
    path = tmp_path / "annotations.sqlite"
    annotator = Annotator(entity_cache=EntityCache(path, pipeline_id()))
    question = "Who paid £3m for the Brazilian striker?"
    annotator.analyse(question)
    assert annotator.parse(question, keep=False)[0].lower_ == "who"
    cache = EntityCache(path, pipeline_id())
    assert cache.get_parse(question, True) is None
    assert cache.get_parse(question, False) is None
