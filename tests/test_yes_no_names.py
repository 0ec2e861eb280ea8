"""A span the reader cuts out of a name spaCy tags whole names what the name names
(rag.answering.yes_no.YesNoAnswerer._part_of_naming)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model


def test_a_span_cut_out_of_the_name_of_the_asked_organisation_names_it() -> None:
    """The reader may propose part of a long name ("UN Food and Agriculture" of "the UN Food
    and Agriculture Organization"): where spaCy tags the whole name, the span names the
    organisation the question asks about; part of another name does not."""
    from rag.answering.extractive import Answerer, AnswerParams
    from rag.answering.question_analysis import Annotator
    from rag.answering.yes_no import YesNoAnswerer
    from tests.conftest import span_in_one_chunk

    annotator = Annotator()
    yes_no = YesNoAnswerer(Answerer(None, None, annotator, params=AnswerParams(threshold=0.25)))
    question = annotator.parse(
        "Was the forum organised together with the UN Food and Agriculture Organization?"
    )
    focus = next(e for e in question.ents if e.label_ == "ORG")
    text = (
        "The forum, organized by the Coastal Affairs Unit in close co-ordination with the UN "
        "Food and Agriculture Organization, brings together 60 inspectors. UN Food Programme "
        "staff also attend."
    )
    assert "the UN Food and Agriculture Organization" in [
        text[a:b] for a, b, label in annotator.entities(text) if label == "ORG"
    ]
    part = span_in_one_chunk("forum.txt", text, "UN Food and Agriculture")
    assert yes_no._part_of_naming(focus, part)
    assert part.text == "UN Food and Agriculture"  # the candidate itself is left as it was
    other = span_in_one_chunk("forum.txt", text, "UN Food Programme")
    assert not yes_no._part_of_naming(focus, other)
