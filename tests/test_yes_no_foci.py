"""A yes/no question's other entities are tried when no passage settles its likeliest focus
(rag.answering.focus.question_foci, rag.answering.yes_no): news names the subject of a story
in full once, then as "it" or "he", where the question's object can still be found in its
slot."""

from __future__ import annotations

import pytest

from rag.answering.focus import question_foci
from rag.answering.question_analysis import Annotator
from rag.engine import Engine
from rag.values import Document
from tests.conftest import releases_engine

pytestmark = pytest.mark.model

RELEASES = [
    Document(
        source="halvorsen.txt",
        title="Halvorsen to cut 300 jobs",
        text="HULL, 4 May 2006 - Halvorsen Foods, the Norwegian-owned bakery group, is to cut "
        "300 jobs in England. It bakes bread and rolls at a factory in Grimsby, and makes "
        "cakes in Leyland. The firm said rising flour prices had squeezed its margins.",
    ),
    Document(
        source="larsen.txt",
        title="Larsen out for season",
        text="LONDON, 9 October 2004 - Midfielder Nils Larsen will miss the rest of the season. "
        "The 29-year-old Denmark international was operated on in Germany in March to repair "
        "the joint.",
    ),
    Document(
        source="corvel.txt",
        title="Corvel profits rise",
        text="LONDON, 2 March 2005 - Corvel's annual pre-tax profit rose in 2004, the retailer "
        "said on Tuesday. Its shares closed higher.",
    ),
]


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return releases_engine(tmp_path_factory.mktemp("foci"), RELEASES)


def _texts(annotator, question: str) -> list[str]:
    return [f.text for f in question_foci(annotator.parse(question), set())]


def test_the_subject_first_then_the_other_entities_from_last_to_first(annotator) -> None:
    foci = _texts(annotator, "Did Halvorsen Foods make cakes in Leyland in 2005?")
    assert foci[0] == "Halvorsen Foods"
    assert foci[1:] == ["2005", "Leyland"]


def test_a_possessor_is_tried_only_as_the_first_focus(annotator) -> None:
    """ "*Corvel's* stores" says whose stores are asked about, as a subject does."""
    foci = _texts(annotator, "Did Tesco buy Corvel's stores in Germany?")
    assert foci == ["Tesco", "Germany"]


def test_the_object_settles_what_the_pronoun_subject_hides(engine) -> None:
    answer = engine.ask("Does Halvorsen Foods make cakes in Leyland?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("Yes. It bakes bread and rolls")
    assert answer.citations[0].source == "halvorsen.txt"


def test_a_later_entity_the_releases_never_name_settles_nothing(engine) -> None:
    answer = engine.ask("Does Halvorsen Foods make cakes in Preston?")
    assert answer.abstained, answer.answer


def test_a_name_that_only_describes_another_noun_is_no_filler(engine) -> None:
    """ "the *Denmark* international was operated on in Germany": Denmark describes the
    player; the place of the operation is Germany, another place, so "No"."""
    answer = engine.ask("Was the Danish midfielder operated on in Denmark?")
    assert answer.answer.startswith("No. The 29-year-old Denmark international"), answer.answer


@pytest.mark.parametrize(
    ("question", "first"),
    [
        # "Was <subject> <amount>?": the amount that closes it is asked, not a date or name in
        # the subject's description (rag.answering.focus._copular_complement)
        ("Was Acme's offer for the Leeds brewery worth £40m?", "40"),
        ("Was the crowd at the Leeds match larger than 30,000?", "larger than 30,000"),
        # a verb of its own: the subject comes first, as before
        ("Did Acme's profit in 2004 reach £40m?", "Acme"),
    ],
)
def test_the_closing_amount_of_a_copular_question_is_its_first_focus(
    annotator, question: str, first: str
) -> None:
    assert _texts(annotator, question)[0] == first


@pytest.fixture(scope="module")
def rugby_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    import json

    from eval.news_qa import BBC_ARTICLES

    if not BBC_ARTICLES.exists():
        pytest.skip("needs ../shared/data/bbc")
    articles = [json.loads(line) for line in BBC_ARTICLES.open(encoding="utf-8")]
    about = ("Gregan", "Schalk Burger", "International Rugby Board")
    releases = [
        Document(source=a["id"].replace("/", "_") + ".txt", title=a["title"], text=a["text"])
        for a in articles
        if a["category"] == "sport" and any(name in a["text"] for name in about)
    ]
    return releases_engine(tmp_path_factory.mktemp("rugby"), releases)


def test_the_third_entity_is_tried_too(rugby_engine) -> None:
    # Seventeen BBC rugby reports. The likeliest focus (the board) leaves its slot to another
    # player of another report, the next is a date naming none ("the year"); the third, the
    # player, is in the slot of the awards report's sentence.
    answer = rugby_engine.ask(
        "Did the International Rugby Board choose South African flanker Schalk Burger as its "
        "player of the year?"
    )
    assert answer.answer.startswith("Yes.")
    assert "Schalk Burger was named player of the year" in answer.citations[0].quote
