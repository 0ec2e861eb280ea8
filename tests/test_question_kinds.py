"""Yes/no, list and collection questions over the seed releases, with the real models."""

from __future__ import annotations

import pytest

from rag.answering.yes_no_confidence import READER_SPAN, confidence, route
from tests.conftest import ASTANA, TASHKENT, VIENNA, span_in_one_chunk

pytestmark = pytest.mark.model

ALMATY_DATE = "2014-12-03"
ALMATY_DAY = "3 December 2014"


def _cited(answer) -> set[str]:
    return {c.source for c in answer.citations}


def _verbatim(engine, answer) -> None:
    for c in answer.citations:
        doc, _ = engine.get_document(c.source)
        assert doc.text[c.start : c.end] == c.quote


def test_most_recent_and_oldest_release_come_from_the_metadata(real_engine) -> None:
    newest = real_engine.ask("Which is the most recent of the releases?")
    assert newest.kind == "collection" and not newest.abstained
    assert [i["text"] for i in newest.items] and ALMATY_DAY in newest.items[0]["text"]
    assert newest.citations[0].date == ALMATY_DATE
    oldest = real_engine.ask("Which is the oldest release?")
    assert _cited(oldest) == {VIENNA}
    _verbatim(real_engine, oldest)


def test_count_of_releases_mentioning_a_name_cites_each(real_engine) -> None:
    answer = real_engine.ask("How many releases mention Afghanistan?")
    assert answer.kind == "collection"
    assert answer.answer.startswith("5 releases")
    assert len(answer.items) == 5 and len(_cited(answer)) == 5
    for c in answer.citations:
        assert "afghan" in c.quote.lower() or "afghan" in c.title.lower()
    _verbatim(real_engine, answer)


@pytest.mark.parametrize(
    "question",
    [
        "Which releases mention Interpol?",  # the tagger reads "releases" as a verb here
        "List the releases that mention Interpol.",  # "that" is no wh-word of the question
    ],
)
def test_releases_mentioning_a_name(real_engine, question) -> None:
    answer = real_engine.ask(question)
    assert answer.kind == "collection", answer.answer
    assert _cited(answer) == {ASTANA}
    assert "Interpol" in answer.citations[0].quote
    _verbatim(real_engine, answer)


def test_all_releases_and_a_compound_collection_noun(real_engine) -> None:
    listing = real_engine.ask("List all releases.")
    assert listing.kind == "collection" and len(_cited(listing)) == 5
    # "press releases": the head of the compound is what is counted.
    count = real_engine.ask("How many press releases mention Kevin Carty?")
    assert count.kind == "collection", count.answer
    assert _cited(count) == {TASHKENT, VIENNA, ASTANA}
    _verbatim(real_engine, count)


def test_releases_of_a_year(real_engine) -> None:
    answer = real_engine.ask("List the releases from 2008.")
    assert answer.kind == "collection"
    assert _cited(answer) == {VIENNA, TASHKENT}
    assert all(c.date.startswith("2008") for c in answer.citations)


def test_yes_no_no_when_the_release_names_other_funders(real_engine) -> None:
    """The reader's "who funded" span is a person of the release; the parse of "Norway and
    Belgium provided financial support" puts other countries in the asked slot."""
    answer = real_engine.ask("Did Japan fund the Astana meeting?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No.")
    assert "Norway and Belgium" in answer.citations[0].quote
    assert _cited(answer) == {ASTANA}
    _verbatim(real_engine, answer)


def test_yes_no_yes_when_the_release_states_it(real_engine) -> None:
    """The reader fills "Who was the conference financed by?" with the previous sentence's
    "OSCE Permanent Council"; "It was financed by ... Japan" (the pronoun named in the
    sentence before) states Japan in the asked role."""
    answer = real_engine.ask("Was the 2008 Vienna conference financed by Japan?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("Yes.")
    assert "Japan" in answer.citations[0].quote
    assert _cited(answer) == {VIENNA}


def test_yes_when_a_believed_span_is_one_item_of_a_list_naming_the_focus(real_engine) -> None:
    """The reader's spans for "who financed" are single funders ("Norway", "Belgium") of "It
    was financed by Belgium, Norway, the Russian Federation and Japan": a span it nearly as
    much believes that is an item of that list states every item, the asked one too."""
    answer = real_engine.ask("Did the Russian Federation finance the 2008 Vienna conference?")
    assert answer.answer.startswith("Yes.")
    assert "the Russian Federation and Japan" in answer.citations[0].quote
    assert answer.decided_by == route("Yes", READER_SPAN)
    assert _cited(answer) == {VIENNA}


def test_a_yes_no_confidence_is_how_often_its_check_was_right(real_engine) -> None:
    """The reader's span probability does not tell right verdicts from wrong ones: a verdict's
    confidence is the fitted share of right answers of the check that decided it."""
    answer = real_engine.ask("Did Japan fund the Astana meeting?")
    assert answer.decided_by.startswith("no: ")
    assert answer.confidence == confidence(answer.decided_by, reader_probability=-1.0)
    assert 0.0 < answer.confidence < 1.0
    assert "decided_by" not in answer.to_dict()


def test_or_between_verbs_is_still_a_yes_no_question(real_engine) -> None:
    """ "Did X fund or organise ...?" asks yes or no; "... by Norway or by Japan?" asks which
    of two, a fact."""
    verbs = real_engine.ask("Did Japan fund or organise the Astana meeting?")
    assert verbs.kind == "yes_no"
    either = real_engine.ask("Was the Astana meeting funded by Norway or by Japan?")
    assert either.kind == "fact"


def test_no_is_never_said_of_a_named_focus_in_another_role(real_engine) -> None:
    """The Vienna release names Japan as a funder; the reader's "who financed" slot holds an
    organisation. A "No" needs a conflicting filler of Japan's kind (another country): here
    the engine says Yes or declines, never No."""
    answer = real_engine.ask("Was the 2008 Vienna conference financed by Japan?")
    assert answer.kind == "yes_no"
    assert not answer.answer.startswith("No")
    assert answer.abstained or "Japan" in answer.citations[0].quote


def test_no_when_a_government_of_another_country_funded_it(real_engine) -> None:
    """ "The event was funded by the Government of Norway": spaCy labels the funder an
    organisation, the asked Japan a country; both are actors of the "who funded" slot."""
    answer = real_engine.ask("Was the Tashkent workshop funded by Japan?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No.")
    assert "Norway" in answer.citations[0].quote and _cited(answer) == {TASHKENT}


def test_yes_when_a_clause_of_the_event_names_the_organiser(real_engine) -> None:
    """ "The workshop is the second regional meeting organized by the OSCE Strategic Police
    Matters Unit ...": the participle's clause is about the workshop its sentence names."""
    answer = real_engine.ask("Did the OSCE organize the Tashkent workshop?")
    assert answer.answer.startswith("Yes.")
    assert "organized by the OSCE" in answer.citations[0].quote
    assert _cited(answer) == {TASHKENT}


def test_a_year_the_verb_asks_about_is_answered(real_engine) -> None:
    """ "2014" is one of the releases' years, yet here it is what is asked, not the event's
    name: the Almaty release (3 December 2014) says Yes, and 2012 No."""
    yes = real_engine.ask("Was the Almaty meeting held in 2014?")
    assert yes.kind == "yes_no" and yes.answer.startswith("Yes.")
    no = real_engine.ask("Was the Almaty meeting held in 2012?")
    assert no.kind == "yes_no" and no.answer.startswith("No.")


def test_no_is_never_quoted_from_a_sentence_naming_the_focus(real_engine) -> None:
    """The reader takes the Government of Uzbekistan for who co-operated on the Tashkent
    workshop; its sentence names the UNODC among the partners, so it is no "No"; the Vienna
    release says "more than 150 experts", which is no "No" to "more than 150"."""
    for question in (
        "Did the UNODC co-operate on the Tashkent workshop?",
        "Did more than 150 experts attend the Vienna conference?",
    ):
        answer = real_engine.ask(question)
        assert answer.kind == "yes_no"
        assert not answer.answer.startswith("No"), question


def test_a_list_of_events_may_hold_one_item_or_none(real_engine) -> None:
    """The number of items comes from the releases: one release has the Russian Federation
    among the funders; none has Afghanistan or the UNODC ("supported by the UNODC") among
    them, and the answer says so rather than falling back to a fact answer."""
    one = real_engine.ask("Which meetings did the Russian Federation help finance?")
    assert one.kind == "list" and len(one.items) == 1 and _cited(one) == {VIENNA}
    _verbatim(real_engine, one)
    for question in (
        "Which meetings did Afghanistan help fund?",
        "Which meetings did the UNODC help fund?",
    ):
        none = real_engine.ask(question)
        assert none.kind == "list" and none.abstained and not none.citations, question


def test_list_across_releases_cites_each_release(real_engine) -> None:
    answer = real_engine.ask("Which meetings did Norway help fund?")
    assert answer.kind == "list" and answer.items
    assert {TASHKENT, VIENNA, ASTANA} <= _cited(answer)
    numbers = [n for item in answer.items for n in item["citations"]]
    assert sorted(numbers) == sorted({c.n for c in answer.citations})
    _verbatim(real_engine, answer)


def test_a_list_one_sentence_states_is_its_items(real_engine) -> None:
    # The best answer is one item of a coordination: the items are its conjuncts, each
    # citing that sentence, with no other release read into the list.
    answer = real_engine.ask(
        "Which international organizations had experts at the 2009 Astana meeting?"
    )
    assert answer.kind == "list"
    assert [i["text"] for i in answer.items] == [
        "Interpol",
        "Eurojust",
        "the UNODC",
        "the Collective Security Treaty Organization",
    ]
    assert _cited(answer) == {ASTANA} and len(answer.citations) == 1
    assert all(i["citations"] == [answer.citations[0].n] for i in answer.items)
    _verbatim(real_engine, answer)


def test_a_list_question_takes_a_coordination_nearly_as_believed_as_a_single_answer(
    real_engine, monkeypatch
) -> None:
    """A list question asks for several: when the ranker's best answer is a single name and a
    coordination comes close behind (at least half its confidence), the coordination's items
    are the list; one far behind is not taken."""
    text = (
        "Experts from Interpol, Eurojust and the UNODC joined the meeting, said Anna Berg, "
        "the organiser."
    )
    kinds = real_engine.kinds
    hit = span_in_one_chunk("m.txt", text, "Anna Berg").hit

    def ranked(second_prob: float):
        single, item = (
            span_in_one_chunk("m.txt", text, "Anna Berg"),
            span_in_one_chunk("m.txt", text, "Eurojust"),
        )
        single.prob, item.prob = 0.6, second_prob
        return lambda *args, **kwargs: [single, item]

    monkeypatch.setattr(kinds.answerer, "candidates", ranked(0.4))
    answer = kinds._one_sentence_list(
        "Which organisations sent experts?", "", [hit], {"retrieve": 0.0}, 0.0
    )
    assert answer is not None and answer.kind == "list"
    assert [i["text"] for i in answer.items] == ["Interpol", "Eurojust", "the UNODC"]
    monkeypatch.setattr(kinds.answerer, "candidates", ranked(0.2))
    assert (
        kinds._one_sentence_list(
            "Which organisations sent experts?", "", [hit], {"retrieve": 0.0}, 0.0
        )
        is None
    )


def test_an_appositive_is_no_item_of_the_list(real_engine) -> None:
    """ "Heineken and Carlsberg, two of the world's largest brewers, ...": two items; the
    appositive describes the first and is no part of it or of the coordination."""
    text = (
        "Heineken and Carlsberg, two of the world's largest brewers, have reported falling "
        "profits after beer sales in western Europe fell flat."
    )
    cand = span_in_one_chunk("beer.txt", text, "Heineken")
    (start, end), items = real_engine.answerer.coordination(cand)
    assert text[start:end] == "Heineken and Carlsberg"
    assert [text[s:e] for s, e in items] == ["Heineken", "Carlsberg"]


def test_list_of_the_releases_events_a_person_took_part_in(real_engine) -> None:
    # "meetings" names no entity type: each release is checked for Carty in the asked slot,
    # and the items are the releases themselves, each with its own citation.
    answer = real_engine.ask(
        "At which of these meetings did OSCE Senior Police Adviser Kevin Carty speak?"
    )
    assert answer.kind == "list" and len(answer.items) == 3
    assert _cited(answer) == {TASHKENT, VIENNA, ASTANA}
    for item, place in zip(answer.items, ["Vienna", "Tashkent", "Astana"], strict=True):
        assert place in item["text"] and len(item["citations"]) == 1
    assert all("Carty" in c.quote for c in answer.citations)
    _verbatim(real_engine, answer)


@pytest.mark.parametrize(
    "question",
    [
        "Which newspaper reported that the minister had resigned?",
        "What is her world ranking in the reports denying she had withdrawn?",
        "How many participating States did the OSCE have according to its press releases?",
        "Who funded the 2008 Vienna conference?",
        # "article" and "publish" name what the collection holds, yet these ask about the text
        "Who published Tesla's writings?",
        "When was his article published in Century Magazine?",
        "What did article 65 of the ECSC ban?",
        "Which article allows the European Council to govern mergers between firms?",
        "Which article of the Treaty on European Union states that Commissioners are independent?",
    ],
)
def test_a_content_question_is_not_taken_for_one_about_the_collection(real_engine, question):
    assert real_engine.collection.parse(question, real_engine.snapshot, None) is None


def test_how_many_releases_are_from_a_place(real_engine) -> None:
    answer = real_engine.ask("How many of the releases are datelined Vienna?")
    assert answer.kind == "collection" and answer.answer.startswith("2 releases")
    assert all(c.place == "Vienna" for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "op", "terms"),
    [
        ("How many of the releases mention Afghanistan?", "count", ["Afghanistan"]),
        ("How many release titles mention Veritas?", "count", ["Veritas"]),
        ("Which press releases discuss Japan?", "list", ["Japan"]),
        ("Which releases are about drug trafficking?", "list", ["drug trafficking"]),
        # the releasing verb asked in the active voice, its subject a term
        ("What did the OSCE publish in July 2010?", "list", ["OSCE"]),
    ],
)
def test_questions_about_the_collection_are_recognised(real_engine, question, op, terms):
    query = real_engine.collection.parse(question, real_engine.snapshot, None)
    assert query is not None and (query.op, query.terms) == (op, terms)


def test_other_reports_that_name_every_item_are_cited_with_the_list() -> None:
    """Several reports of one event state the same list: each release whose passage has a
    sentence naming every item is cited too; one naming only some of them is not."""
    from rag.answering.evidence import Candidate
    from rag.answering.question_kinds import _restating

    first = "The four men, Ann Lee, Bo Kim, Cy Park and Di Ross, were freed on Monday."
    quote_hit = span_in_one_chunk("a.txt", first, "Ann Lee").hit
    quote = Candidate(quote_hit.document, quote_hit, 0, 0, len(first), first, 0.8)
    also = "Police said. Bo Kim, Ann Lee, Di Ross and Cy Park left the jail in the morning."
    some = "Ann Lee and Bo Kim spoke to reporters; two others did not."
    hits = [
        quote_hit,
        span_in_one_chunk("b.txt", also, "Bo Kim").hit,
        span_in_one_chunk("c.txt", some, "Ann Lee").hit,
    ]
    names = ["Ann Lee", "Bo Kim", "Cy Park", "Di Ross"]
    found = _restating(names, quote, hits)
    assert [(c.doc.source, c.text) for c in found] == [
        ("b.txt", "Bo Kim, Ann Lee, Di Ross and Cy Park left the jail in the morning.")
    ]
    assert _restating(["Ann Lee"], quote, hits) == []


def test_the_cities_of_these_meetings_come_from_the_datelines(real_engine) -> None:
    answer = real_engine.ask("In which cities were these meetings held?")
    assert answer.kind == "collection" and not answer.abstained
    items = {i["text"].split(",")[0]: i["citations"] for i in answer.items}
    assert set(items) == {"Tashkent", "Almaty", "Vienna", "Astana"}
    cited = {c.source for c in answer.citations}
    assert len(cited) == 5  # both Vienna releases, each cited
    assert len(items["Vienna"]) == 2


def test_a_list_the_parse_puts_in_the_asked_slot(real_engine) -> None:
    # The reader's best span for who funded the Astana meeting is no country; the parse of
    # "Norway and Belgium provided financial support" puts both in the agent slot of "fund".
    answer = real_engine.ask("Which countries funded the Astana meeting?")
    assert answer.kind == "list" and not answer.abstained, answer.answer
    assert [i["text"] for i in answer.items] == ["Norway", "Belgium"]
    assert _cited(answer) == {ASTANA}
    assert "Norway and Belgium provided financial support" in answer.citations[0].quote
    _verbatim(real_engine, answer)


def test_what_an_organisation_released_in_a_year(real_engine) -> None:
    answer = real_engine.ask("What did the OSCE release in 2009?")
    assert answer.kind == "collection" and answer.answer.startswith("1 release")
    assert _cited(answer) == {ASTANA}


@pytest.mark.parametrize(
    "question", ["What did Norway fund in 2008?", "What did the minister announce in 2009?"]
)
def test_what_someone_did_in_a_year_is_no_question_about_the_collection(real_engine, question):
    assert real_engine.collection.parse(question, real_engine.snapshot, None) is None
