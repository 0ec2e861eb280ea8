"""A list question's items where spaCy's parse and its entities each see part of the list."""

from __future__ import annotations

import pytest

from tests.conftest import one_release_engine

AID = (
    "NAIROBI, 2 May 2011 - A charity said on Monday that textile workers would lose most in "
    "countries such as Ghana, Kenya, Uganda and Malawi once the quotas end. The cast of the "
    "charity's film includes British actors Michael Maloney, Caroline Langrishe and Polly "
    "Adams, it said."
)


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "items"),
    [
        # entities of one label joined by commas and "and"
        (
            "Which countries did the charity say had the workers who would lose most?",
            {"Ghana", "Kenya", "Uganda", "Malawi"},
        ),
        # the NER tags two of the actors, the parse links the last two: one list of three
        (
            "Which British actors are in the cast of the charity's film?",
            {"Michael Maloney", "Caroline Langrishe", "Polly Adams"},
        ),
    ],
)
def test_every_item_of_a_stated_list(tmp_path, question, items) -> None:
    engine = one_release_engine(tmp_path, "aid.txt", "Textile jobs at risk", AID)
    answer = engine.ask(question)
    assert answer.kind == "list", answer.answer
    assert {i["text"] for i in answer.items} >= items


@pytest.mark.model
def test_the_list_that_holds_the_best_answer() -> None:
    """The reader's best answer is one country, read in another sentence; a list it also
    proposed, believing it less, names that country: the list is the answer."""
    from dataclasses import replace

    from rag.answering.extractive import Answerer, AnswerParams
    from rag.answering.question_analysis import Annotator
    from rag.answering.question_kinds import KindsAnswerer
    from tests.conftest import span_in_one_chunk

    text = (
        "Millions of textile jobs are at risk when quotas end, the charity said. Workers in "
        "countries such as Ghana, Kenya, Uganda and Malawi will lose most. Funding is "
        "available to Ghana to help it adjust."
    )
    one = span_in_one_chunk("textiles.txt", text, "Ghana")
    alone = replace(one, start=text.rindex("Ghana"), end=text.rindex("Ghana") + 5)
    listed = span_in_one_chunk("textiles.txt", text, "Ghana, Kenya, Uganda and Malawi")
    alone.prob, listed.prob = 0.6, 0.2  # the list: under half the best answer's belief
    answerer = Answerer(None, None, Annotator(), params=AnswerParams(threshold=0.25))
    kinds = KindsAnswerer(answerer)
    question = "Which countries will lose most?"
    hits = [alone.hit]
    answer = kinds._one_sentence_list(
        question, question, hits, {"retrieve": 0.0}, 0.0, lambda: [alone, listed]
    )
    assert answer is not None and answer.kind == "list"
    assert [i["text"] for i in answer.items] == ["Ghana", "Kenya", "Uganda", "Malawi"]
    # A weaker list that does not name the best answer is no answer to the question.
    other = span_in_one_chunk("textiles.txt", text.replace("Ghana, Kenya", "Chad, Kenya"), "Chad")
    other.prob = 0.2
    assert (
        kinds._one_sentence_list(
            question, question, hits, {"retrieve": 0.0}, 0.0, lambda: [alone, other]
        )
        is None
    )


@pytest.mark.model
def test_what_a_named_person_did_is_a_list_in_one_sentence(tmp_path) -> None:
    """ "Which films did X go on to?" names a person and asks for things the answer-type
    model expects no entity label for, as "Which meetings did Norway fund?" does; but the list
    stated in one sentence does not hold the person: it is the answer, not the releases
    whose events the person took part in."""
    text = (
        "LONDON, 3 May 2005 - Actor Tom Lane is to be honoured for his career. Lane began his "
        "movie career in Night Games 2, before moving on to roles in Harbour Lights, Bluewater "
        "and Glass Towers. He will receive the award in June."
    )
    engine = one_release_engine(tmp_path, "lane.txt", "Career honour for actor Lane", text)
    answer = engine.ask("Which films did Tom Lane go on to after starting out in Night Games 2?")
    assert answer.kind == "list", answer.answer
    assert {"Harbour Lights", "Bluewater", "Glass Towers"} <= {i["text"] for i in answer.items}


@pytest.mark.model
def test_a_list_of_long_phrases_is_a_list(tmp_path) -> None:
    """Each item of a list question's answer may be a phrase of its own ("cutting waiting
    times for ..."), together longer than a fact answer is ever widened to."""
    text = (
        "CARDIFF, 12 January 2005 - The Welsh health minister has ordered a review of hospital "
        "services. The review will be split into three parts looking at: cutting waiting times "
        "for routine hospital operations, recruiting more nurses and midwives for rural clinics "
        "and improving the care of elderly patients in their own homes. It is due to report in "
        "the autumn."
    )
    engine = one_release_engine(tmp_path, "review.txt", "Health review announced", text)
    answer = engine.ask("What are the three parts of the Welsh hospital services review?")
    assert answer.kind == "list", answer.answer
    assert {i["text"] for i in answer.items} >= {
        "cutting waiting times for routine hospital operations",
        "improving the care of elderly patients in their own homes",
    }


@pytest.mark.model
@pytest.mark.parametrize(
    "sentence",
    [
        # parsed: Light [appos Miller's [conj Jack Dawson's [conj Silverton [conj Krona]]]]
        "The group's main brands include Harbour Light, Miller's, Jack Dawson's, Silverton "
        "and Krona.",
        # parsed: Gold [appos Barker's] [conj Tom Hardy's [conj Redcastle [conj Millbrook]]]
        "The group's main brands include Tyne Gold, Barker's, Tom Hardy's, Redcastle and "
        "Millbrook.",
    ],
)
def test_list_items_the_parser_reads_as_appositions(tmp_path, sentence) -> None:
    text = f"NEWCASTLE, 3 March 2005 - A regional brewer has been sold to a rival. {sentence}"
    engine = one_release_engine(tmp_path, "brewer.txt", "Brewer sold", text)
    answer = engine.ask("Which brands are the group's main brands?")
    assert answer.kind == "list", answer.answer
    names = {i["text"] for i in answer.items}
    assert len(names) == 5, names


@pytest.mark.model
def test_a_list_the_reader_proposed_whole_is_split_at_its_commas(tmp_path) -> None:
    """ "What are X's brands?" asks for a set. Neither the parse nor the entities link the
    names of this list (the parse hangs them on each other as appositions and possessives,
    the NER gives them four labels), but the reader proposes the whole list as one span: its
    items are the parts between its commas and its "and"."""
    text = (
        "LEEDS, 4 April 2005 - A Yorkshire brewer has agreed a joint venture in India. Its "
        "best-known brands include Yorkshire Gold Ale, Baxter's, Tom Rigby's, Ironside and "
        "Kellerbrau. The venture starts in June."
    )
    engine = one_release_engine(tmp_path, "brewer.txt", "Brewer's Indian venture", text)
    answer = engine.ask("What are the Yorkshire brewer's best-known brands?")
    assert answer.kind == "list", answer.answer
    assert {i["text"] for i in answer.items} == {
        "Yorkshire Gold Ale",
        "Baxter's",
        "Tom Rigby's",
        "Ironside",
        "Kellerbrau",
    }


@pytest.mark.model
def test_a_list_item_never_cuts_a_name() -> None:
    """Where the parse hangs a name's last word elsewhere, its item is cut short ("Juan
    Carlos" of "Juan Carlos Ibarra"); the NER tags the name whole: the item is the name."""
    from rag.answering.extractive import Answerer, AnswerParams
    from rag.answering.question_analysis import Annotator
    from rag.answering.question_kinds import KindsAnswerer
    from tests.conftest import span_in_one_chunk

    text = (
        "Rovers face the replay without three forwards. Mark Tilley is suspended alongside "
        "Paul Okafor and Juan Carlos Ibarra after being sent off at Hull."
    )
    cand = span_in_one_chunk("rovers.txt", text, "Paul Okafor")
    kinds = KindsAnswerer(Answerer(None, None, Annotator(), params=AnswerParams()))

    def at(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    cut = (at("Paul Okafor and Juan Carlos")[0], at("Juan Carlos")[1])
    whole, items = kinds._whole_names(cand, (cut, [at("Paul Okafor"), at("Juan Carlos")]))
    assert [text[x:y] for x, y in items] == ["Paul Okafor", "Juan Carlos Ibarra"]
    assert text[whole[0] : whole[1]] == "Paul Okafor and Juan Carlos Ibarra"
    # Both items cut a name ("Okafor", "Juan"): each takes its whole name.
    items = [at("Okafor"), at("Juan")]
    _, widened = kinds._whole_names(cand, ((items[0][0], items[1][1]), items))
    assert [text[x:y] for x, y in widened] == ["Paul Okafor", "Juan Carlos Ibarra"]


@pytest.mark.model
@pytest.mark.parametrize(
    ("sentence", "question", "names"),
    [
        # "alongside", hanging from the verb: its subject is an item too
        (
            "Mark Tilley is suspended alongside Paul Okafor and Juan Carlos Ibarra after "
            "being sent off at Hull.",
            "Which Rovers players are suspended for the replay?",
            {"Mark Tilley", "Paul Okafor", "Juan Carlos Ibarra"},
        ),
        # "along with", hanging from the subject; the words that say who each is are no part
        # of the name
        (
            "Club founder Tom Reyes along with Ann Walsh, coach Peter Lund and trainer Mia "
            "Hart are charged with fraud.",
            "Which four people are charged with fraud?",
            {"Tom Reyes", "Ann Walsh", "Peter Lund", "Mia Hart"},
        ),
    ],
)
def test_a_comitative_phrase_adds_its_participants(tmp_path, sentence, question, names) -> None:
    text = f"HULL, 2 March 2005 - Rovers face a difficult week. {sentence} The club will appeal."
    engine = one_release_engine(tmp_path, "rovers.txt", "Rovers news", text)
    answer = engine.ask(question)
    assert answer.kind == "list", answer.answer
    assert {i["text"] for i in answer.items} == names
    # the answer lists the names, not the sentence's words between them
    assert all(n in answer.answer for n in names) and " are charged" not in answer.answer
    assert "suspended" not in answer.answer


@pytest.mark.model
def test_a_fact_answer_is_not_widened_to_a_comitative_phrase(tmp_path) -> None:
    """A comitative phrase's participants are items of a list question only: a fact question's
    answer is not widened to them."""
    text = (
        "CARDIFF, 9 May 2005 - The assembly debated council budgets. The minister has also "
        "required that school libraries, along with other kinds of public reading rooms, be "
        "open at weekends."
    )
    engine = one_release_engine(tmp_path, "budgets.txt", "Council budgets debated", text)
    answer = engine.ask("What has the minister required to be open at weekends?")
    assert answer.kind == "fact", answer.answer
    assert answer.answer == "school libraries"


@pytest.mark.model
@pytest.mark.parametrize("span", ["Gulf of Guinea and Peru", "Chile", "Peru"])
def test_places_of_several_labels_listed_together_are_one_list(span) -> None:
    """Countries and a region listed together ("in Chile, the Gulf of Guinea and Peru") carry
    two entity labels, and the parse hangs the last country on the region's "of" phrase:
    whichever part of it the reader proposes, the entities' reading, whose names hold the
    parse's items, is the list."""
    from rag.answering.extractive import Answerer, AnswerParams
    from rag.answering.question_analysis import Annotator
    from rag.answering.question_kinds import KindsAnswerer
    from tests.conftest import span_in_one_chunk

    text = "The miner has made new finds in Chile, the Gulf of Guinea and Peru."
    annotator = Annotator()
    sentence = annotator.parse(text)
    heads = {t.text: (t.dep_, t.head.text) for t in sentence}
    assert heads["Gulf"] == ("appos", "Chile") and heads["Peru"] == ("conj", "Guinea")
    assert {e.label_ for e in sentence.ents} == {"GPE", "LOC"}
    kinds = KindsAnswerer(Answerer(None, None, annotator, params=AnswerParams(threshold=0.25)))
    found = kinds.list_of(span_in_one_chunk("miner.txt", text, span))
    assert found is not None
    assert [text[a:b] for a, b in found[1]] == ["Chile", "the Gulf of Guinea", "Peru"]


@pytest.mark.model
def test_a_list_the_fact_answer_is_an_item_of(tmp_path, monkeypatch) -> None:
    """Where the wider reading of a list question finds nothing sure enough, the list the best
    passages state still answers it, rather than one item of it as a fact."""
    engine = one_release_engine(tmp_path, "aid.txt", "Textile jobs at risk", AID)
    question = "Which countries did the charity say had the workers who would lose most?"
    stated = engine.kinds.stated_list(engine.snapshot, question, 5)
    assert stated is not None and stated.kind == "list"
    assert {i["text"] for i in stated.items} >= {"Ghana", "Kenya", "Uganda", "Malawi"}
    assert stated.timings_ms["total"] >= stated.timings_ms["retrieve"] >= 0
    monkeypatch.setattr(engine.kinds, "listing", lambda *args, **kwargs: None)
    answer = engine.ask(question)
    assert answer.kind == "list"
    assert {i["text"] for i in answer.items} >= {"Ghana", "Kenya", "Uganda", "Malawi"}


@pytest.mark.model
def test_a_list_question_answered_as_a_fact_keeps_the_lists_threshold(
    tmp_path, monkeypatch
) -> None:
    """Lists decline below a threshold of their own (the confidence model believes long spans
    less); a list question that ends with the fact reader is held to it too."""
    engine = one_release_engine(tmp_path, "aid.txt", "Textile jobs at risk", AID)
    question = "Which countries did the charity say had the workers who would lose most?"
    for path in ("listing", "stated_list"):
        monkeypatch.setattr(engine.kinds, path, lambda *args, **kwargs: None)
    engine.kinds.threshold = 0.0
    assert not engine.ask(question).abstained
    engine.kinds.threshold = 0.999
    assert engine.ask(question).abstained
