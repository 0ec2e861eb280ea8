"""A value the release gives conflicts with the question's only where the two can be compared
(rag.answering.value_conflict); a yes/no question whose likeliest focus is not found is
answered "No" by such a value read for its next focus, when the reader is sure of it
(rag.answering.yes_no.VALUE_READ_BELIEF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.value_conflict import conflicting_place, conflicting_value, date_fields, figure
from tests.conftest import one_release_engine, releases_engine


@pytest.mark.parametrize(
    ("asked", "stated", "label", "conflict"),
    [
        ("27 February", "27 January", "DATE", True),
        ("1985", "1981", "DATE", True),
        ("December 2004", "October 2004", "DATE", True),
        ("the 1990s", "1987", "DATE", True),
        ("1995", "the 1990s", "DATE", False),  # the decade holds the year
        ("December", "the 1930s", "DATE", False),  # no field in common
        ("15 June", "Tuesday", "DATE", False),
        ("2008", "November", "DATE", False),
        ("14 May 2011", "May 2011", "DATE", False),
        ("the 2004-05 season", "2005", "DATE", False),  # a season spans two years
        ("57", "56", "CARDINAL", True),
        ("more than 150", "90", "CARDINAL", True),  # outside the question's bound
        ("more than 150", "190", "CARDINAL", False),
        ("about 75%", "99.3%", "PERCENT", False),  # approximately: not comparable
        ("£1.5bn", "£1.3bn", "MONEY", True),
        ("£1.5bn", "£1,500m", "MONEY", False),  # the same sum at another scale
        ("fewer than 50", "more than 100", "CARDINAL", False),  # a bound against a bound
        ("twelve", "12", "CARDINAL", False),
    ],
)
def test_values_conflict_only_where_comparable(asked, stated, label, conflict) -> None:
    assert conflicting_value(asked, stated, label) is conflict


def test_date_fields_and_figures() -> None:
    assert date_fields("Tuesday 14 May 2011") == {
        "weekday": {1},
        "day": {14},
        "month": {5},
        "year": {2011},
        "decade": {2010},
    }
    assert figure("more than 3.5 billion") == (3.5, 1e9, ">")
    assert figure("nearly 50") == (50.0, None, None)
    assert figure("no figure here") is None


TEXT = (
    "Actor Tom Wells is to step down as head of the Alde Film Festival.\n\n"
    "Wells founded the festival in 1981 and it has since launched the careers of dozens of "
    "young directors. Its short film prize, added in 1995, is now its best-known award. He "
    "said he would stay on as a patron."
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("festival")
    return one_release_engine(folder, "alde.txt", "Wells to leave Alde festival", TEXT)


@pytest.mark.model
def test_a_sure_value_of_the_next_focus_answers_no(engine) -> None:
    # The likeliest focus ("the Alde Film Festival") answers nothing of who set it up; the
    # year's own question reads 1981, which 1995 cannot be.
    answer = engine.ask("Was the Alde Film Festival set up by Tom Wells in 1995?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No.")
    assert "founded the festival in 1981" in answer.citations[0].quote


@pytest.mark.model
def test_the_stated_value_still_answers_yes(engine) -> None:
    answer = engine.ask("Was the Alde Film Festival set up by Tom Wells in 1981?")
    assert answer.answer.startswith("Yes.")
    assert "in 1981" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("asked", "stated", "conflict"),
    [
        ("Birmingham", "Sheffield", True),  # two cities
        ("France", "Germany", True),  # two countries
        ("Sheffield", "England", False),  # a city and a country: one may hold the other
        ("Newcastle", "Newcastle upon Tyne", False),  # the same place, named more fully
        ("Wembley Stadium", "London", False),  # a site the gazetteer does not know
    ],
)
def test_places_conflict_only_when_of_one_kind(asked, stated, conflict) -> None:
    assert conflicting_place(asked, stated) is conflict


JUMP = (
    "Triple jumper Phillips Idowu has been named in the squad for the European Indoor "
    "Championships.\n\nIdowu landed 17.30m at the British trials in Sheffield last month to "
    "lead the world rankings. The 26-year-old will now prepare for the event in Madrid, where "
    "he hopes to win his first major indoor title."
)
HALL = "A new concert hall opened in Birmingham on Friday.\n\nThe hall seats 2,000 people."


@pytest.fixture(scope="module")
def trials_engine(tmp_path_factory: pytest.TempPathFactory):
    from rag.values import Document

    folder: Path = tmp_path_factory.mktemp("trials")
    return releases_engine(
        folder,
        [
            Document(source="idowu.txt", title="Idowu named for Madrid", text=JUMP),
            Document(source="hall.txt", title="Concert hall opens", text=HALL),
        ],
    )


@pytest.mark.model
def test_a_sure_place_of_the_next_focus_answers_no(trials_engine) -> None:
    # The tagger reads "Phillips Idowu" as an organisation, so the likeliest focus finds no
    # filler of its kind; the place's own question reads Sheffield, another city.
    answer = trials_engine.ask(
        "Did Phillips Idowu jump 17.30m at the British trials held in Birmingham?"
    )
    assert answer.answer.startswith("No.")
    assert "trials in Sheffield" in answer.citations[0].quote
    same = trials_engine.ask(
        "Did Phillips Idowu jump 17.30m at the British trials held in Sheffield?"
    )
    assert same.answer.startswith("Yes.")


STOPS = (
    "LONDON, 3 March 2005 - New police figures on roadside checks were published on Thursday."
    "\n\nThe figures showed that, in 2003/2004, young drivers were 2.3 times more likely to be "
    "stopped than older drivers, compared with 1.8 times in the previous year. The Home Office "
    "said the checks would continue."
)


@pytest.fixture(scope="module")
def stops_engine(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("stops")
    return one_release_engine(folder, "stops.txt", "Roadside check figures", STOPS)


@pytest.mark.model
def test_a_count_of_the_same_thing_otherwise_answers_no(stops_engine) -> None:
    # The focus (the young drivers) is named in the deciding sentence; the question's count
    # of "times" is not, and the sentence counts the times otherwise.
    answer = stops_engine.ask(
        "Were young drivers 3.1 times more likely to be stopped in 2003/2004?"
    )
    assert answer.answer.startswith("No.")
    assert "2.3 times more likely" in answer.citations[0].quote
    same = stops_engine.ask("Were young drivers 2.3 times more likely to be stopped in 2003/2004?")
    assert same.answer.startswith("Yes.")


@pytest.mark.model
def test_only_a_count_of_the_same_thing_conflicts() -> None:
    from rag.answering.question_analysis import Annotator
    from rag.answering.value_conflict import counted_otherwise

    annotator = Annotator()
    sentence = annotator.parse("The club sold 40 tickets to 12 schools on Monday.")
    asked = annotator.parse("Did the club sell 30 tickets to schools?")
    assert counted_otherwise(asked, sentence.text, sentence) == "40"
    # Another thing counted ("schools", not "tickets") is no conflict, nor a count stated.
    other = annotator.parse("Did the club sell tickets to 9 groups?")
    assert counted_otherwise(other, sentence.text, sentence) is None
    stated = annotator.parse("Did the club sell 40 tickets?")
    assert counted_otherwise(stated, sentence.text, sentence) is None


@pytest.mark.model
def test_a_score_counts_nothing_a_hyphenated_count_its_noun() -> None:
    from rag.answering.question_analysis import Annotator
    from rag.answering.value_conflict import counted_otherwise

    annotator = Annotator()
    sentence = annotator.parse("Ann Dale scored the winner to end Rovers' 10-game unbeaten run.")
    # "2-1" is a score: the hyphen after its first figure is no counted word.
    score = annotator.parse("In Ashby's 2-1 home win, did Ann Dale score the winning goal?")
    assert counted_otherwise(score, sentence.text, sentence) is None
    # Past the hyphen, "12-game" counts games, as the sentence's "10-game" does.
    games = annotator.parse("Did Ann Dale end Rovers' 12-game unbeaten run?")
    assert counted_otherwise(games, sentence.text, sentence) == "10"
