"""A list read release by release holds only releases about the event the question names: a
release that leaves out one of the question's names or numbers answers about another event."""

from __future__ import annotations

from rag.answering.question_analysis import Annotator
from rag.answering.question_kinds import about_another_event
from rag.values import Chunk, Document, Hit

HARBOUR = Document(
    source="harbour.txt",
    title="Harbour Jazz Festival announces its programme",
    text=(
        "The 2026 Harbour Jazz Festival will open on 12 June in Bergen. The trumpeter Lena "
        "Halvorsen will headline the opening night, the festival's director said on Tuesday."
    ),
)
MEADOW = Document(
    source="meadow.txt",
    title="Meadow Folk Week line-up revealed",
    text=(
        "The 2026 Meadow Folk Week will run from 3 July in Galway. The fiddler Aoife Brennan "
        "will headline the opening concert, organisers said."
    ),
)
QUESTION = "Who will headline the opening night of the 2026 Harbour Jazz Festival?"


def _hit(doc: Document) -> Hit:
    chunk = Chunk(f"{doc.source}#0", doc.source, 0, 0, len(doc.text), doc.text, doc.text, 40)
    return Hit(chunk=chunk, document=doc, score=1.0)


def test_a_release_without_the_questions_event_is_about_another() -> None:
    question = Annotator().parse(QUESTION)
    assert about_another_event(question, _hit(MEADOW))  # no "Harbour Jazz Festival"
    assert not about_another_event(question, _hit(HARBOUR))


def test_a_possessive_name_is_named_by_a_release_without_the_possessive() -> None:
    """spaCy's entity may end with the possessive ("the Harbour Jazz Festival's"): the "'s"
    is no word the release must have."""
    question = Annotator().parse("Who will headline the Harbour Jazz Festival's opening night?")
    assert any(e.text.endswith("'s") for e in question.ents)  # the case this is about
    plain = Document(
        source="plain.txt",
        title="Harbour Jazz Festival programme",
        text="The 2026 Harbour Jazz Festival opens in Bergen. Lena Halvorsen will headline.",
    )
    assert not about_another_event(question, _hit(plain))
    assert about_another_event(question, _hit(MEADOW))
