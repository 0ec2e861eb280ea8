from __future__ import annotations

import pytest

from rag.answering import constraints as query
from rag.ingestion.ingest import Loaded, iter_source_dir
from tests.conftest import ASTANA, SEEDS, TASHKENT, VIENNA


@pytest.fixture(scope="module")
def docs():
    return {i.document.source: i.document for i in iter_source_dir(SEEDS) if isinstance(i, Loaded)}


def _allowed(question, docs, filters=None):
    res = query.resolve(query.extract(question, docs, filters), docs)
    return res


def test_year_and_place_from_metadata_intersect(docs):
    c = query.extract("Who funded the 2008 Vienna conference?", docs)
    assert c.years == {2008} and c.places == {"vienna"}
    res = query.resolve(c, docs)
    assert res.allowed == {VIENNA} and not res.unmet
    assert res.retrieval_text("Who funded the 2008 Vienna conference?") == (
        "Who funded the conference?"
    )


def test_country_from_dateline_metadata(docs):
    res = _allowed("What happened in Kazakhstan in 2014?", docs)
    assert res.allowed == {"001_58abf07a5ff85481.txt"}


def test_place_alone_and_year_alone(docs):
    assert _allowed("Who spoke in Astana?", docs).allowed == {ASTANA}
    assert _allowed("What was discussed in 2008?", docs).allowed == {VIENNA, TASHKENT}


def test_month_narrows_within_year(docs):
    assert _allowed("Which meeting took place in November 2008?", docs).allowed == {TASHKENT}


@pytest.mark.parametrize(
    "question",
    [
        "Who funded the 2012 Berlin conference?",
        "Who funded the 2009 Vienna conference?",
        "What did the OSCE discuss in 1995?",
        "Who attended the workshop in Moscow?",
    ],
)
def test_constraints_no_release_meets_are_unmet(docs, question):
    res = _allowed(question, docs)
    assert res.unmet and res.allowed == set()


def test_year_only_in_text_requires_the_sentence_to_mention_it(docs):
    res = _allowed("Which concept was adopted in 2012?", docs)
    assert res.allowed == {"001_58abf07a5ff85481.txt"} and res.required_terms == ["2012"]


def test_explicit_filters(docs):
    assert _allowed("drug trafficking", docs, {"year": 2010}).allowed == {
        "004_d78ae3091e855bee.txt"
    }
    assert _allowed("drug trafficking", docs, {"place": "Tashkent"}).allowed == {TASHKENT}
    assert _allowed("drug trafficking", docs, {"source": VIENNA}).allowed == {VIENNA}
    assert _allowed("drug trafficking", docs, {"source": "nope.txt"}).unmet


def test_no_constraints_no_restriction(docs):
    res = _allowed("Who is the senior police adviser?", docs)
    assert res.allowed is None and not res.unmet
