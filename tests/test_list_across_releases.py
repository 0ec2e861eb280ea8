"""A list asked of several events is stated event by event: one sentence's list, with what
each other release about the events adds, each item citing every sentence that states it."""

from __future__ import annotations

import pytest

from rag.values import Document
from tests.conftest import releases_engine

RELEASES = [
    Document(
        source="tromso.txt",
        title="Forum workshop on river pollution in Tromso",
        date="2010-03-03",
        text=(
            "TROMSO, 3 March 2010 - The Nordic Water Forum held a workshop on river pollution "
            "in Tromso on Wednesday. The workshop was funded by Denmark, Finland and Iceland. "
            "Forty engineers attended."
        ),
    ),
    Document(
        source="bergen.txt",
        title="Forum conference on river pollution opens in Bergen",
        date="2011-06-09",
        text=(
            "BERGEN, 9 June 2011 - The Nordic Water Forum opened its conference on river "
            "pollution in Bergen today. The conference was funded by the Government of Sweden. "
            "It runs for two days."
        ),
    ),
    Document(
        source="turku.txt",
        title="Forum meets in Turku on river pollution",
        date="2012-05-02",
        text=(
            "TURKU, 2 May 2012 - The Nordic Water Forum met in Turku to discuss river "
            "pollution. The meeting was funded by Estonia and Finland. Delegates agreed a plan."
        ),
    ),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return releases_engine(tmp_path_factory.mktemp("across"), RELEASES)


@pytest.mark.model
def test_a_list_asked_of_several_events_gathers_each_release(engine) -> None:
    answer = engine.ask("Which countries funded the Nordic Water Forum's meetings on pollution?")
    assert answer.kind == "list", answer.answer
    by_text = {i["text"]: i["citations"] for i in answer.items}
    assert {"Denmark", "Finland", "Iceland", "Estonia"} <= set(by_text), by_text
    assert any("Sweden" in text for text in by_text), by_text
    sources = {c.n: c.source for c in answer.citations}
    # Finland is stated by two releases, and cites both
    assert {sources[n] for n in by_text["Finland"]} == {"tromso.txt", "turku.txt"}
    # every item's citation quotes a sentence that names it
    for text, numbers in by_text.items():
        assert all(text in next(c.quote for c in answer.citations if c.n == n) for n in numbers)


BALTIC = [
    Document(
        source="riga.txt",
        title="Rail forum meets in Riga",
        date="2013-05-04",
        text=(
            "RIGA, 4 May 2013 - The Baltic Rail Forum met in Riga to discuss rail safety. "
            "Latvia and Poland provided financial support for the meeting."
        ),
    ),
    Document(
        source="vilnius.txt",
        title="Rail forum conference in Vilnius",
        date="2014-06-07",
        text=(
            "VILNIUS, 7 June 2014 - The Baltic Rail Forum held its rail safety conference in "
            "Vilnius. The conference was financed by Poland, Latvia, Germany and Lithuania."
        ),
    ),
]


@pytest.mark.model
def test_a_release_naming_the_whole_list_adds_its_other_items(tmp_path) -> None:
    """One release names every item of the other's list and more: it adds the rest. The
    question asks what the countries are *named as*: the verb after "as" is the asked one."""
    engine = releases_engine(tmp_path, BALTIC)
    answer = engine.ask(
        "Which countries are named as having funded the Baltic Rail Forum's meetings on safety?"
    )
    assert answer.kind == "list", answer.answer
    by_text = {i["text"]: i["citations"] for i in answer.items}
    assert {"Latvia", "Poland", "Germany", "Lithuania"} <= set(by_text), by_text
    sources = {c.n: c.source for c in answer.citations}
    for country in ("Latvia", "Poland"):
        assert {sources[n] for n in by_text[country]} == {"riga.txt", "vilnius.txt"}, by_text
    assert len(answer.citations) == len({(c.source, c.start) for c in answer.citations})
