"""The span reader and the answer path on text nobody tuned for (made-up news, not the seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.answering.reader import MAX_ANSWER_TOKENS, SpanReader, _best_spans, cuts_a_word
from rag.config import DEFAULT_MODEL, Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.values import Document

pytestmark = pytest.mark.model

NEWS = (
    "GLASGOW, 14 March 2023 - Shares in Brightwater Foods rose 12% on Tuesday after the "
    "Glasgow-based company agreed to buy the dairy firm Meadowgate for £48m. Chief executive "
    "Alison Reid said the deal would create 300 jobs over the next two years.\n"
    "Meadowgate, founded in 1987 by the farmer Tom Ellis, supplies cheese to supermarkets "
    "across northern England."
)


QUESTIONS = [
    ("Who leads Brightwater Foods?", "Alison Reid"),
    ("How much is Brightwater paying for Meadowgate?", "£48m"),
    ("How many jobs will the acquisition bring?", "300"),
    ("When was Meadowgate set up?", "1987"),
    ("Who started Meadowgate?", "Tom Ellis"),
    ("Where is Brightwater Foods based?", "Glasgow"),
]


def test_reader_finds_spans_in_text_it_never_saw() -> None:
    reader = SpanReader()
    right = 0
    for question, expected in QUESTIONS:
        spans = reader.read(question, [NEWS])
        assert NEWS[spans[0].start : spans[0].end] == spans[0].text
        assert abs(sum(s.prob for s in spans) - 1.0) < 1e-6
        right += expected.lower() in spans[0].text.lower()
    # Measured 5 of 6 (the price question takes "12%"); SQuAD dev given the paragraph: EM 0.54.
    assert right >= 5


def test_overlapping_reads_give_what_a_read_alone_gives() -> None:
    """Reads that overlap run on their own one-thread session; the spans must not change."""
    from concurrent.futures import ThreadPoolExecutor

    reader = SpanReader(span_cache=0)  # every read runs the model
    alone = {q: reader.read(q, [NEWS]) for q, _ in QUESTIONS}
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda q: reader.read(q, [NEWS]), [q for q, _ in QUESTIONS] * 3))
    for (question, _), spans in zip(QUESTIONS * 3, together, strict=True):
        expected = alone[question]
        assert [(s.start, s.end) for s in spans] == [(s.start, s.end) for s in expected]
        assert all(abs(a.score - b.score) < 1e-3 for a, b in zip(spans, expected, strict=True))


def test_a_passage_read_again_for_the_same_question_runs_no_model() -> None:
    """The spans of a (question, passage) pair are kept: reading it again, alone or with other
    passages, gives what a fresh read gives (probabilities over that call's spans) and runs the
    model only for the passages not read before."""
    other = "LEEDS, 2 May 2023 - Councillor Priya Shah said work would start in June."
    question = QUESTIONS[0][0]
    fresh = SpanReader(span_cache=0)
    reader = SpanReader()
    reader.read(question, [NEWS])
    runs = []
    model = reader._run
    reader._run = lambda feeds: runs.append(1) or model(feeds)
    try:
        both = reader.read(question, [other, NEWS])
        assert len(runs) == 1  # the Leeds passage only
        again = reader.read(question, [NEWS])
        assert len(runs) == 1
    finally:
        reader._run = model
    pairs = ((both, [other, NEWS]), (again, [NEWS]))
    for got, expected in ((spans, fresh.read(question, read)) for spans, read in pairs):
        assert [(s.passage, s.start, s.end, s.text) for s in got] == [
            (s.passage, s.start, s.end, s.text) for s in expected
        ]
        assert [s.prob for s in got] == pytest.approx([s.prob for s in expected])


@pytest.fixture(scope="module")
def news_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An index of two made-up releases (fake embedder: retrieval by BM25; real reader)."""
    tmp = tmp_path_factory.mktemp("news")
    settings = Settings(index_dir=tmp / "index", source_dir=Path(tmp), embed_model="fake")
    engine = Engine(settings, embedder=FakeEmbedder())
    other = (
        "LEEDS, 2 May 2023 - The city council approved a new cycling lane along the river. "
        "Councillor Priya Shah said construction would start in June."
    )
    engine.add_documents(
        [
            Document(source="brightwater.txt", title="Brightwater buys Meadowgate", text=NEWS),
            Document(source="leeds.txt", title="Leeds approves cycle lane", text=other),
        ]
    )
    return engine.open()


def test_answer_cites_the_sentence_holding_the_span(news_engine: Engine) -> None:
    answer = news_engine.ask("Who is the chief executive of Brightwater Foods?")
    assert not answer.abstained and "Alison Reid" in answer.answer
    cite = answer.citations[0]
    assert cite.source == "brightwater.txt"
    assert cite.quote.startswith("Chief executive Alison Reid said")
    doc, _ = news_engine.get_document(cite.source)
    assert doc.text[cite.start : cite.end] == cite.quote
    assert 0.0 <= answer.confidence <= 1.0


def test_the_other_release_answers_its_own_question(news_engine: Engine) -> None:
    answer = news_engine.ask("When will work on the Leeds cycle lane begin?")
    assert not answer.abstained and "June" in answer.answer
    assert [c.source for c in answer.citations] == ["leeds.txt"]


def test_a_question_the_releases_do_not_answer_is_declined(news_engine: Engine) -> None:
    answer = news_engine.ask("What is the population of Peru?")
    assert answer.abstained and not answer.citations


def test_today_in_a_dated_release_is_read_as_its_date() -> None:
    from rag.answering.answer_ranker import SpanCandidate
    from rag.answering.extractive import anchored_date
    from rag.answering.reader import Span
    from rag.values import Chunk, Hit

    doc = Document(source="d.txt", title="T", text="The plant opened today.", date="2023-03-14")
    chunk = Chunk("d.txt#0", "d.txt", 0, 0, len(doc.text), doc.text, doc.text, 5)
    hit = Hit(chunk=chunk, document=doc, score=1.0)
    today = SpanCandidate(hit, 0, 17, 22, "today", Span(0, 17, 22, "today", 1.0, 0.0))
    assert anchored_date(today) == "14 March 2023"
    other = SpanCandidate(hit, 0, 4, 9, "plant", Span(0, 4, 9, "plant", 1.0, 0.0))
    assert anchored_date(other) == "plant"
    undated = SpanCandidate(
        Hit(chunk=chunk, document=Document(source="u.txt", title="T", text=doc.text), score=1.0),
        0,
        17,
        22,
        "today",
        Span(0, 17, 22, "today", 1.0, 0.0),
    )
    assert anchored_date(undated) == "today"


def test_an_answerless_paragraph_loses_the_answers_sentence_and_only_it() -> None:
    from eval.train_reader import without_answer_sentence

    text = "The club was founded in 1878. Its ground, Old Trafford, opened in 1910. Fans sing."
    rest = without_answer_sentence(text, text.index("Old Trafford"), "Old Trafford")
    assert rest == "The club was founded in 1878. Fans sing."
    # Still stated elsewhere, or nothing left: no "no answer" example can be made.
    twice = "Old Trafford opened in 1910. Fans love Old Trafford."
    assert without_answer_sentence(twice, 0, "Old Trafford") is None
    assert without_answer_sentence("Old Trafford opened.", 0, "Old Trafford") is None


def test_a_list_of_entities_of_one_label_has_that_label() -> None:
    from rag.answering.answer_ranker import list_label

    text = "The fair was paid for by Denmark, Chile, the Republic of Korea and Peru, with Acme Ltd."
    names = {"Denmark": "GPE", "Chile": "GPE", "the Republic of Korea": "GPE", "Peru": "GPE"}
    ents = [(text.index(n), text.index(n) + len(n), label) for n, label in names.items()]
    ents.append((text.index("Acme Ltd"), text.index("Acme Ltd") + 8, "ORG"))
    start, end = text.index("Denmark"), text.index(", with")
    assert list_label(ents, text, start, end) == "GPE"
    # One entity is no list; words other than joiners, or two labels: no list label.
    assert list_label(ents, text, start, start + len("Denmark")) == "NONE"
    assert list_label(ents, text, text.index("by"), end) == "NONE"
    assert list_label(ents, text, text.index("Peru"), text.index(".")) == "NONE"


def test_an_answer_is_shown_with_the_boundaries_the_reader_located() -> None:
    """'70' and '70%' are one answer to the ranker (exact match strips the sign): the span the
    reader believes most is shown, with the best scores of the two; other answers keep theirs."""
    from rag.answering.answer_ranker import SpanCandidate
    from rag.answering.extractive import _located_first
    from rag.answering.reader import Span
    from rag.values import Chunk, Hit

    text = "In the new chamber 70% of members would be elected, 385 in all."
    doc = Document(source="d.txt", title="T", text=text)
    chunk = Chunk("d.txt#0", "d.txt", 0, 0, len(text), text, text, 15)
    hit = Hit(chunk=chunk, document=doc, score=1.0)

    def cand(part: str, reader_prob: float, rank: float, prob: float) -> SpanCandidate:
        start = text.index(part)
        span = Span(0, start, start + len(part), part, 1.0, 0.0, reader_prob)
        c = SpanCandidate(hit, 0, start, start + len(part), part, span)
        c.rank_score, c.prob = rank, prob
        return c

    ranked = [
        cand("70", 0.02, 0.93, 0.98),
        cand("70%", 0.95, 0.92, 0.90),
        cand("385", 0.5, 0.5, 0.6),
    ]
    out = _located_first(ranked)
    assert [(c.text, c.rank_score, c.prob) for c in out] == [
        ("70%", 0.93, 0.98),
        ("70", 0.92, 0.90),
        ("385", 0.5, 0.6),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_best_spans_are_the_best_scoring_allowed_pairs(seed) -> None:
    """Against a brute force over every (start, end) pair: start <= end, at most
    MAX_ANSWER_TOKENS tokens, within the passage's tokens, no paragraph break inside, never
    starting or ending inside a word that wordpieces split."""
    rng = np.random.default_rng(seed)
    n_tokens, top_n = 120, 4
    start, end = rng.normal(size=n_tokens), rng.normal(size=n_tokens)
    context = np.zeros(n_tokens, dtype=bool)
    context[10:110] = True  # the passage's tokens; the question's and padding are not
    offsets = np.array([(4 * i, 4 * i + 3) for i in range(n_tokens)])
    # token i is "xxx" and a space, but a wordpiece that goes on a word has no space before it
    goes_on = {i for i in range(1, n_tokens) if rng.random() < 0.3}
    passage = "".join(
        "xxx" + ("\n" if i == 60 else "x" if i + 1 in goes_on else " ") for i in range(n_tokens)
    )
    found = _best_spans(start, end, context, offsets, passage, 0, top_n)
    allowed = sorted(
        (
            (float(start[a] + end[b]), offsets[a][0], offsets[b][1])
            for a in range(10, 110)
            for b in range(a, min(a + MAX_ANSWER_TOKENS, 110))
            if "\n" not in passage[offsets[a][0] : offsets[b][1]]
            and a not in goes_on
            and b + 1 not in goes_on
        ),
        reverse=True,
    )
    expected = [(round(sc, 9), s0, s1) for sc, s0, s1 in allowed][:top_n]
    assert [(round(sp.score, 9), sp.start, sp.end) for sp in found] == expected
    assert all(sp.null_score == pytest.approx(start[0] + end[0]) for sp in found)


@pytest.mark.parametrize(
    ("text", "part", "cut"),
    [
        ("Adults must be paid £5.35 an hour.", "£5", True),  # "£", "5", ".", "35"
        ("Adults must be paid £5.35 an hour.", "35 an hour", True),
        ("Adults must be paid £5.35 an hour.", "£5.35", False),
        ("Some 32,000 jobs went.", "32", True),
        ("Some 32,000 jobs went.", "32,000", False),
        ("Lord Walker of Gestingthorpe dissented.", "thorpe", True),
        ("Lord Walker of Gestingthorpe dissented.", "Lord Walker of Gestingthorpe", False),
        ("It rose 2.", "2", False),  # a full stop after a number ends the sentence
        ("It rose to 2,5 or 3.", "3", False),
        ("(UNODC) met.", "UNODC", False),
        ("a long-term plan", "term", False),  # a hyphen joins words, it does not make one
    ],
)
def test_an_answer_never_starts_or_ends_inside_a_word(text, part, cut) -> None:
    start = text.index(part)
    assert cuts_a_word(text, start, start + len(part)) is cut


@pytest.mark.model
def test_the_span_the_question_s_preposition_governs_agrees() -> None:
    """ "To what price ...?" asks for the object of "to": a level ("to $51.43") agrees, a change
    ("32 cents", governed by no preposition) neither agrees nor clashes, another preposition's
    object ("in New York") clashes."""
    from rag.answering.answer_ranker import _preposition_agreement, asked_preposition
    from rag.answering.question_analysis import Annotator
    from tests.conftest import span_in_one_chunk

    annotator = Annotator()
    asked = asked_preposition(annotator.parse("To what price did Brent crude fall on Monday?"))
    assert asked == "to"
    assert asked_preposition(annotator.parse("By how much did Brent crude fall?")) == "by"
    assert asked_preposition(annotator.parse("What did the oil price do on Monday?")) == ""
    text = "Brent crude fell 32 cents to $51.43 a barrel in New York."
    sentence = (0, len(text))

    def agreement(span: str) -> float:
        cand = span_in_one_chunk("oil.txt", text, span)
        return _preposition_agreement(annotator, cand, sentence, asked)

    assert agreement("$51.43") == 1.0
    assert agreement("32 cents") == 0.0
    assert agreement("New York") == -1.0


def test_a_reader_file_naming_fewer_layers_loads_a_shorter_encoder(tmp_path) -> None:
    """`eval.train_reader --layers N` writes only the first N layers' weights and says so in
    the file's metadata; the reader must cut the encoder to match (else the packaged weights
    of the layers left out would run untrained on top of the trained ones)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    from rag.answering.reader import READER_WEIGHTS, _torch_model

    with safe_open(str(READER_WEIGHTS), framework="pt") as fh:
        meta = dict(fh.metadata() or {})
        names = [k for k in fh.keys() if ".layer.4." not in k and ".layer.5." not in k]  # noqa: SIM118
        tensors = {k: fh.get_tensor(k) for k in names}
    cut = tmp_path / "reader-4.safetensors"
    save_file(tensors, str(cut), metadata={**meta, "layers": "4"})
    _, full = _torch_model(DEFAULT_MODEL, READER_WEIGHTS)
    _, short = _torch_model(DEFAULT_MODEL, cut)
    assert len(full.encoder.encoder.layer) == 6
    assert len(short.encoder.encoder.layer) == 4
    assert short.encoder.config.num_hidden_layers == 4
    # The layers kept are the trained ones, not the packaged ones.
    kept = short.encoder.encoder.layer[3].output.dense.weight
    assert np.allclose(
        kept.detach().numpy(), full.encoder.encoder.layer[3].output.dense.weight.detach().numpy()
    )
