"""The claim checker: every generated sentence against the passage(s) it cites."""

from __future__ import annotations

import pytest

from rag.answering.claims import Passage, PassageIndex, check_sentence, human_date, split_generated
from rag.values import Chunk, Document, Hit

QUESTION = "Who funded the 2008 Vienna conference?"
VIENNA_TEXT = (
    "VIENNA, 17 July 2008 - A two-day OSCE expert conference began today in Vienna.\n\n"
    "The conference was opened by Kevin Carty. It brings together more than 150 law "
    "enforcement experts.\n\nIt was financed by Belgium, Norway, the Russian Federation and Japan."
)
TASHKENT_TEXT = (
    "TASHKENT, 20 November 2008 - A regional workshop opened in Tashkent today. "
    "The event was funded by the Government of Norway. It did not cover cyber crime."
)


def passage(n: int, text: str, source: str, date: str, place: str) -> Passage:
    doc = Document(source=source, title=f"Release from {place}", text=text, date=date, place=place)
    chunk = Chunk(f"{source}#0", source, 0, 0, len(text), text, text, 50)
    return Passage(n, Hit(chunk, doc, 1.0 / n))


@pytest.fixture(scope="module")
def index() -> PassageIndex:
    return PassageIndex(
        [
            passage(1, VIENNA_TEXT, "vienna.txt", "2008-07-17", "Vienna"),
            passage(2, TASHKENT_TEXT, "tashkent.txt", "2008-11-20", "Tashkent"),
        ]
    )


def check(text: str, index: PassageIndex, question: str = QUESTION):
    (sentence,) = split_generated(text)
    return check_sentence(sentence, question, index)


@pytest.mark.parametrize(
    "text",
    [
        "The conference was funded by Belgium, Norway, the Russian Federation and Japan [1].",
        "It was financed by Norway and Japan [1].",
        "Norway funded it [1].",
        "More than 150 experts attended the conference [1].",
        "The two-day conference began on 17 July 2008 in Vienna [1].",  # dateline + header
        "The Tashkent workshop was funded by the Government of Norway [2].",
        "Belgium funded the conference [1] and the Government of Norway the workshop [2].",
        "It did not cover cyber crime [2].",
    ],
)
def test_supported_sentences(index: PassageIndex, text: str) -> None:
    result = check(text, index)
    assert result.supported, result.reason
    assert result.windows and not result.reason


@pytest.mark.parametrize(
    ("text", "reason", "missing"),
    [
        ("The conference was funded by the Government of Norway [1].", "not in", "Government"),
        ("It was funded by the European Union [1].", "not in", "European"),
        ("Finland paid for the conference [1].", "terms", "Finland"),
        ("About 200 experts attended [1].", "not in", "200"),
        ("The conference began in March 2008 [1].", "not in", "March"),
        ("The Vienna conference was funded by Belgium [2].", "not in", "Vienna"),
        ("Three thousand experts came [1].", "not in", "Three"),
        ("Belgium and Japan funded it.", "cites no passage", None),
        ("Belgium and Japan funded it [7].", "not shown", None),
        ("Japan did not fund the conference [1].", "negates", None),
        ("The passages do not say [1].", "nothing", None),
        ("The 2008 Vienna conference was funded [1].", "restates", None),
    ],
)
def test_unsupported_sentences(
    index: PassageIndex, text: str, reason: str, missing: str | None
) -> None:
    result = check(text, index)
    assert not result.supported
    assert reason in result.reason
    if missing:
        assert missing in result.missing


def test_terms_spread_over_distant_sentences_are_not_one_claim(index: PassageIndex) -> None:
    # Kevin Carty and the funders are two sentences apart: not a claim the passage makes.
    assert not check("Kevin Carty financed it with Japan [1].", index).supported
    assert check("The conference was opened by Kevin Carty [1].", index).supported


def test_window_is_the_supporting_sentence_verbatim(index: PassageIndex) -> None:
    result = check("Norway and Japan financed it [1].", index)
    start, end = result.windows[1]
    assert VIENNA_TEXT[start:end] == (
        "It was financed by Belgium, Norway, the Russian Federation and Japan."
    )


def test_split_generated_attaches_markers_and_keeps_abbreviations() -> None:
    parts = split_generated(
        "Mr. Carty opened it. [1] It was financed by Japan [1, 2]. Unmarked claim. [Passage 3]"
    )
    assert [p.text for p in parts] == [
        "Mr. Carty opened it.",
        "It was financed by Japan.",
        "Unmarked claim.",
    ]
    assert [p.cites for p in parts] == [[1], [1, 2], [3]]
    assert split_generated("[1]") == [] and split_generated("") == []


def test_human_date() -> None:
    assert human_date("2008-07-17") == "17 July 2008"
    assert human_date("") == "" and human_date("2008") == "2008"
