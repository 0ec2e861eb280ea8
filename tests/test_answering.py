"""Answering: question analysis, the span reader and ranker, citations, abstention.

Behaviour on text the reader was never written against (BBC-style sentences, made-up releases)
matters more than the seed questions: the reader and ranker are trained on SQuAD.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from rag.answering.answer_ranker import span_label
from rag.answering.evidence import Candidate
from rag.answering.extractive import Answerer, _trimmed, abbreviates, repeats_question
from rag.answering.span_checks import asks_measure, counts_things
from rag.values import LOW_CONFIDENCE, Chunk, Document, Hit
from tests.conftest import (
    ASTANA,
    TASHKENT,
    VIENNA,
    one_release_engine,
    releases_engine,
    span_in_one_chunk,
)


def test_citation_failing_the_verbatim_check_is_dropped():
    doc = Document(source="d.txt", title="T", text="First sentence. Second one.")
    chunk = Chunk("d.txt#0", "d.txt", 0, 0, len(doc.text), doc.text, doc.text, 6)
    hit = Hit(chunk=chunk, document=doc, score=1.0)
    good = Candidate(doc, hit, 0, 16, 27, "Second one.")
    bad = Candidate(doc, hit, 0, 0, 15, "Forged quote!!!")
    answerer = Answerer.__new__(Answerer)
    cites = answerer.verified_citations([bad, good])
    assert [(c.n, c.quote, c.start, c.end) for c in cites] == [(1, "Second one.", 16, 27)]


# -- with the real model ------------------------------------------------------------------

FUNDING = [
    (
        "Who funded the 2008 Vienna conference?",
        "Belgium, Norway, the Russian Federation and Japan",
        VIENNA,
        "It was financed by Belgium, Norway, the Russian Federation and Japan.",
    ),
    (
        "Who funded the 2008 Tashkent workshop?",
        "Norway",
        TASHKENT,
        "The event was funded by the Government of Norway.",
    ),
    (
        "Who funded the 2009 Astana meeting?",
        "Norway and Belgium",
        ASTANA,
        "Norway and Belgium provided financial support.",
    ),
]


@pytest.mark.model
@pytest.mark.parametrize(("question", "answer", "source", "sentence"), FUNDING)
def test_funding_questions_find_the_funders(real_engine, question, answer, source, sentence):
    """An answer at confidence 0.5 or more names the funders and is cited by its sentence; an
    abstention is allowed (the confidence model is calibrated on SQuAD and may doubt it), and
    so is a wrong answer below 0.5, which the page and the CLI label as low confidence."""
    result = real_engine.ask(question)
    if result.abstained:
        assert result.citations == [] and result.confidence < 0.5
        return
    if result.confidence < LOW_CONFIDENCE:
        return
    assert answer in result.answer or result.answer in answer
    assert [c.source for c in result.citations] == [source]
    cite = result.citations[0]
    assert cite.quote == sentence
    doc, _ = real_engine.get_document(source)
    assert doc.text[cite.start : cite.end] == cite.quote


@pytest.mark.model
@pytest.mark.parametrize(("question", "answer", "source", "sentence"), FUNDING[:2])
def test_the_readers_best_span_names_the_funders(real_engine, question, answer, source, sentence):
    # The Astana question (FUNDING[2]) is a known miss: the best span is a person of the
    # release, at confidence 0.40, so the engine declines rather than answer it.
    snap = real_engine.snapshot
    resolved, hits, unmet = real_engine.answerer.retrieve(snap, question, 5)
    assert not unmet
    best = real_engine.answerer.candidates(resolved, hits)[0]
    real_engine.answerer.widen_to_coordination(best)
    assert best.doc.source == source
    assert answer in best.text or best.text in answer
    assert best.doc.text[slice(*real_engine.answerer.sentence_of(best))] == sentence


@pytest.mark.model
def test_a_span_inside_a_coordination_widens_to_the_whole_list(real_engine):
    result = real_engine.ask("Which governments financed the 2008 Vienna conference?")
    snap = real_engine.snapshot
    resolved, hits, _ = real_engine.answerer.retrieve(
        snap, "Which governments financed the 2008 Vienna conference?", 5
    )
    best = real_engine.answerer.candidates(resolved, hits)[0]
    real_engine.answerer.widen_to_coordination(best)
    assert best.text == "Belgium, Norway, the Russian Federation and Japan"
    # A plural wh-phrase asks for a list: its items are the coordination's.
    items = ["Belgium", "Norway", "the Russian Federation", "Japan"]
    assert result.abstained or [i["text"] for i in result.items] == items


@pytest.mark.model
@pytest.mark.parametrize(
    "question",
    [
        "Who funded the 2012 Berlin conference?",
        "Who funded the 2009 Vienna conference?",
        "What was the budget of the Vienna conference in euros?",
        "What is the population of Tajikistan?",
    ],
)
def test_abstains_when_the_releases_do_not_say(real_engine, question):
    """Declined, or (the threshold is set for the best accuracy, not for certainty) answered
    only at low confidence, which the page and the CLI label as such."""
    result = real_engine.ask(question)
    assert 0.0 <= result.confidence < LOW_CONFIDENCE
    if not result.abstained:
        return
    assert result.citations == []
    assert result.answer.startswith("The releases don't say.")
    assert result.related


@pytest.mark.model
def test_search_finds_the_vienna_funding_passage_first_among_passages(real_engine):
    hits = real_engine.search("who funded the 2008 Vienna conference", 5)
    assert hits[0].chunk.source == VIENNA
    # The re-rank scores sentences from BM25 statistics (no model call): the funding passage is
    # among the first two passages of the release, behind its opening passage.
    funding = "It was financed by Belgium, Norway, the Russian Federation and Japan."
    assert any(funding in h.chunk.text for h in hits[:2])


def _span_in(text: str, part: str):
    """A reader's span over `part` of a one-passage release holding `text`."""
    from rag.answering.answer_ranker import SpanCandidate
    from rag.answering.reader import Span

    doc = Document(source="one.txt", title="One", text=text)
    chunk = Chunk("one.txt#0", "one.txt", 0, 0, len(text), text, text, 30)
    hit = Hit(chunk=chunk, document=doc, score=1.0)
    start = text.index(part)
    span = Span(0, start, start + len(part), part, 1.0, 0.0)
    return SpanCandidate(hit, 0, start, start + len(part), part, span)


@pytest.mark.model
def test_a_span_cut_out_of_a_name_widens_to_the_name_but_a_date_keeps_its_part(real_engine):
    text = "LONDON, 3 May 2005 - The International Olympic Committee visited in November 2004."
    name = _span_in(text, "Olympic Committee")
    real_engine.answerer.widen_to_entity(name)
    assert name.text == "International Olympic Committee"
    assert text[name.start : name.end] == name.text
    year = _span_in(text, "2004")
    real_engine.answerer.widen_to_entity(year)
    assert year.text == "2004"


@pytest.mark.model
def test_a_title_keeps_its_article_and_an_answer_never_cuts_a_word(real_engine):
    text = (
        "PARIS, 2 May 2005 - The minister praised the 2003 film The Life of David Gale. "
        "The Producers won three awards, and so did Hairspray. "
        "Profit rose to A$458.4m ($357.6m)."
    )

    def widened(part: str) -> str:
        cand = _span_in(text, part)
        real_engine.answerer.widen_to_entity(cand)
        assert text[cand.start : cand.end] == cand.text
        return cand.text

    assert widened("Life of David Gale") == "The Life of David Gale"
    assert widened("Producers") == "Producers"  # the sentence's own first word
    assert widened("minister") == "minister"  # after the dateline: lower case, no title
    # never part of a word: the tokenizer splits "A$458.4m" at the "$"
    assert widened("$458.4m") == "A$458.4m"
    assert widened("$357.6m") == "$357.6m"


@pytest.mark.model
def test_a_value_cut_short_widens_over_its_own_figures_and_unit_not_its_qualifiers(real_engine):
    text = (
        "GENEVA, 4 May 2005 - The fund paid 6 million Lira to between 15,000 and 20,000 "
        "farmers. The vote is on October 18. Her winning time was 14 minutes 32.93 seconds. "
        "Pumps use only 1% to 3% of the power. About 63% agreed, in the fall of 1937. "
        "The trials run on 19-20 March."
    )

    def widened(part: str) -> str:
        cand = _span_in(text, part)
        real_engine.answerer.widen_to_entity(cand)
        assert text[cand.start : cand.end] == cand.text
        return cand.text

    assert widened("6 million") == "6 million Lira"  # the currency after the sum
    assert widened("15,000") == "15,000 and 20,000"  # a range, without "between"
    assert widened("October") == "October 18"  # a bare month names no day
    assert widened("18") == "October 18"  # nor a day's number its month
    assert widened("19-20") == "19-20 March"
    assert widened("14 minutes") == "14 minutes 32.93 seconds"
    assert widened("1%") == "1% to 3%"  # not "only"
    assert widened("63%") == "63%"  # not "About"
    assert widened("1937") == "1937"  # a year with a figure of its own, not "the fall of"


def test_the_sentence_feature_counts_the_sentence_before_a_pronoun_subject() -> None:
    """How much of the question the span's context restates: "It was financed by ..." names
    the conference only through "It", so the sentence before it counts too."""
    from rag.answering.answer_ranker import _restated
    from rag.text_utils import stem

    text = (
        "VIENNA, 17 July 2008 - An OSCE conference on drug trafficking opened in Vienna today. "
        "It was financed by Belgium and Japan. Experts from 40 countries came."
    )
    cand = span_in_one_chunk("vienna.txt", text, "Belgium")
    question = {stem(w) for w in ("conference", "Vienna", "funded")}
    assert _restated(cand, Answerer.sentence_of, question, {}) == pytest.approx(2 / 3)
    later = span_in_one_chunk("vienna.txt", text, "Experts")
    assert _restated(later, Answerer.sentence_of, question, {}) == 0.0  # two sentences on


@pytest.mark.model
def test_a_singular_wh_phrase_is_answered_with_one_item_of_a_coordination(tmp_path) -> None:
    """ "Which institution": one item, though the sentence lists three."""
    text = (
        "Nikola Tesla toured the East in 1893. He spoke before the Franklin Institute, the "
        "Royal Society, and the Electric Light Association in 1893. The lectures drew large "
        "crowds."
    )
    engine = one_release_engine(tmp_path, "tesla.txt", "Tesla on tour", text)
    answer = engine.ask("Which American institution did Tesla speak before?")
    assert not answer.abstained
    assert "Franklin Institute" in answer.answer
    assert "Royal Society" not in answer.answer and "Association" not in answer.answer


def test_no_answer_repeats_what_the_question_names(tmp_path) -> None:
    """The reader's best span is the name the question gives (the host who quit): that is no
    answer to who replaced her, and the release names no one else."""
    text = (
        "Maria Keller has resigned as host of the station's Saturday morning music show after "
        "six years. Keller, 31, said she wanted to spend more time on her radio work. The "
        "station said the search for a successor would begin next month."
    )
    engine = one_release_engine(tmp_path, "keller.txt", "Keller quits Saturday show", text)
    answer = engine.ask(
        "Who was picked as the new host of the Saturday show after Maria Keller quit?"
    )
    assert answer.abstained or "Keller" not in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("span", "question", "repeats"),
    [
        ("Maria Keller", "Who replaced Maria Keller as host?", True),
        ("45", "Of the 45 banks sued, how many are Italian?", True),
        ("Scottish", "Which Scottish magazine drew up the list?", True),
        # an article adds nothing to what the question says ("the 20% stake")
        ("a 20%", "How much would Orchard Foods pay for the 20% stake?", True),
        ("the 20% stake", "How much would Orchard Foods pay for a 20% stake?", True),
        ("a £30m stake", "How much would Orchard Foods pay for the 20% stake?", False),
        ("Tom Reyes", "Who replaced Maria Keller as host?", False),
        ("Keller's successor", "Who replaced Maria Keller as host?", False),
        # a question that offers its answers
        ("a success", "Was the launch a failure or a success?", False),
        ("the Broncos", "Who won between the Broncos and the Steelers?", False),
    ],
)
def test_a_span_repeating_the_question(span, question, repeats) -> None:
    assert repeats_question(span, question) is repeats


@pytest.mark.parametrize(
    ("span", "question", "abbreviated"),
    [
        # an acronym of a name the question gives, with "of the" inside the name
        ("NRFB", "When was the Northern Rail Freight Board set up?", True),
        ("OHSM)", "What did the Office of the Harbour Safety Monitor report?", True),
        ("NRFBs", "How many Northern Rail Freight Boards are there?", True),
        ("NRF", "When was the Northern Rail Freight Board set up?", False),
        ("UN", "Which body did the United States fund?", False),
        ("NRFB report", "When was the Northern Rail Freight Board set up?", False),
    ],
)
def test_an_acronym_of_a_name_the_question_gives(span, question, abbreviated) -> None:
    assert abbreviates(span, question) is abbreviated


@pytest.mark.parametrize(
    ("span", "trimmed"),
    [
        ("Imperial—", "Imperial"),
        (", Norway:", "Norway"),
        ("70%", "70%"),
        ("(UN)", "(UN)"),
        ("the Athens Olympics.", "the Athens Olympics"),
        ("Yukos Inc.", "Yukos Inc."),
        ("the U.S.", "the U.S."),
    ],
)
def test_a_span_loses_the_separators_at_its_ends(span, trimmed) -> None:
    start, end = _trimmed(span, 0, len(span))
    assert span[start:end] == trimmed


def test_other_reports_of_the_same_sentence_are_cited_with_the_answer() -> None:
    """A story carried by several articles: another release's sentence that holds the answer
    and restates most of the quoted sentence is cited too; one that only holds the answer, or
    only restates the sentence, is not; the quoted release is not cited twice."""
    from rag.answering.evidence import Candidate
    from rag.answering.extractive import same_report

    first = "The ferry company Nordlink will open a route from Tromso to Kirkenes in May."
    quote_hit = span_in_one_chunk("a.txt", first, "May").hit
    quote = Candidate(quote_hit.document, quote_hit, 0, 0, len(first), first, 0.7)
    texts = {
        "b.txt": "Nordlink, the ferry company, will open its Tromso-Kirkenes route in May.",
        "c.txt": "Snow fell in May across the north.",
        "d.txt": "The ferry company Nordlink will open a route from Tromso to Kirkenes in June.",
    }
    hits = [quote_hit] + [span_in_one_chunk(src, t, t.split()[0]).hit for src, t in texts.items()]
    found = same_report("may", [quote], hits)
    assert [(c.doc.source, c.text) for c in found] == [("b.txt", texts["b.txt"])]
    assert same_report("", [quote], hits) == []


def test_who_is_a_person_is_answered_with_their_description(real_engine) -> None:
    answer = real_engine.ask("Who is Kevin Carty?")
    assert not answer.abstained
    assert "Senior Police Adviser" in answer.answer
    quote = answer.citations[0].quote
    assert "Kevin Carty" in quote and answer.answer in quote


def test_an_unsure_reading_goes_on_to_the_next_passages(tmp_path, monkeypatch) -> None:
    """The best two passages are read first; when the best span they give is below an even
    chance, the next two are read as well (a sure answer costs no more reader windows), unless
    that turns an answer at the threshold into none."""
    bridge = "the new bridge over the river Wear"
    releases = [
        Document(
            source="opening.txt",
            title="Wear bridge opens",
            text=f"{bridge.capitalize()} opened to traffic on Monday. The bridge was designed "
            "to carry four lanes and a cycle path. Drivers queued to cross it.",
        ),
        Document(
            source="cost.txt",
            title="Bridge cost rises",
            text=f"The cost of {bridge} rose to £120m, the council said. Councillors said the "
            "bridge, designed for 40,000 cars a day, was worth the money.",
        ),
        Document(
            source="traffic.txt",
            title="Bridge traffic",
            text=f"Traffic on {bridge} doubled in its first week, its operators said. The "
            "bridge was designed to ease the queues in the city centre.",
        ),
        Document(
            source="design.txt",
            title="Prize for Swedish studio",
            text="A Swedish studio won a prize in Oslo on Friday. Plans for the new Wear "
            "crossing were drawn up by its founder, Maria Lindqvist. The studio employs 40 people.",
        ),
    ]
    engine = releases_engine(tmp_path, releases)
    read: list[int] = []
    reader_read = engine.answerer.reader.read

    def counted(question, passages, top_n=5):
        read.append(len(passages))
        return reader_read(question, passages, top_n)

    monkeypatch.setattr(engine.answerer.reader, "read", counted)
    sure = engine.ask("Who drew up the plans for the new bridge?")
    assert sure.answer == "Maria Lindqvist" and sure.confidence >= 0.5
    assert read == [2]
    read.clear()
    question = "Who designed the new bridge over the river Wear?"
    engine.ask(question)
    assert read == [2, 4]
    # Where four passages share the belief among more spans and fall below the threshold
    # (0.2 here, against 0.3 from the best two), reading on never turns an answer into none:
    # the guess of the best two stands.
    first_two, four = [SimpleNamespace(prob=0.3)], [SimpleNamespace(prob=0.2)]
    monkeypatch.setattr(
        engine.answerer,
        "candidates",
        lambda resolved, hits, read=2: first_two if read == 2 else four,
    )
    engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=0.25)
    hits = [object()] * 6
    assert engine.answerer.read_on_if_unsure(question, hits) is first_two
    engine.answerer.params = dataclasses.replace(engine.answerer.params, threshold=0.35)
    assert engine.answerer.read_on_if_unsure(question, hits) is four  # no answer either way


def test_how_much_is_answered_with_an_amount_never_a_count_of_things(tmp_path) -> None:
    """'How much did they pay?' asks for a sum: "two" of "bought two bakeries" counts things
    and is no answer; where the release states the sum, the sum is."""
    text = (
        "Harbourside Foods has bought two family bakeries in Dundee, the firm said on Monday. "
        "The terms of the deal were not disclosed. The bakeries employ 85 people and will keep "
        "their names."
    )
    engine = one_release_engine(tmp_path / "undisclosed", "bakeries.txt", "Bakeries sold", text)
    answer = engine.ask("How much did Harbourside Foods pay for the Dundee bakeries?")
    assert answer.abstained, answer.answer

    stated = text.replace(
        "The terms of the deal were not disclosed.", "It paid £4.2m for the two businesses."
    )
    engine = one_release_engine(tmp_path / "stated", "bakeries.txt", "Bakeries sold", stated)
    answer = engine.ask("How much did Harbourside Foods pay for the Dundee bakeries?")
    assert not answer.abstained and "4.2m" in answer.answer, answer.answer


@pytest.mark.parametrize(
    ("sentence", "span", "bare"),
    [
        ("The Falic Group bought two cosmetics labels from LVMH in 2003.", "two", True),
        ("It has sold more than 100,000 devices in Europe.", "more than 100,000", True),
        ("France wants to distil 250 million litres of wine.", "250 million litres", False),
        ("Asians were 1.9 times more likely to be stopped.", "1.9", False),
        ("A probationer earns 20,427 in the first year.", "20,427", False),
        ("The cranks are connected at 90° out of phase.", "90", False),
    ],
)
def test_a_bare_count_of_things(real_engine, sentence, span, bare) -> None:
    annotator = real_engine.answerer.annotator
    start = sentence.index(span)
    end = start + len(span)
    label = span_label(annotator, sentence, start, end, (0, len(sentence)))
    cand = SimpleNamespace(label=label, start=start, end=end, doc=SimpleNamespace(text=sentence))
    assert counts_things(annotator, cand, (0, len(sentence))) is bare


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("How much did the firm pay for the bakeries?", True),
        ("At what price were the shares offered?", True),
        ("How many bakeries did the firm buy?", False),
        ("Who bought the bakeries?", False),
    ],
)
def test_the_answer_type_model_says_which_questions_ask_a_measure(
    real_engine, question, measure
) -> None:
    expected = real_engine.answerer.annotator.analyse(question).expected
    assert asks_measure(expected) is measure, expected
