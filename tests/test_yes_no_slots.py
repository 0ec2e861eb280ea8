"""A yes/no question is answered "No" when a sentence about the event puts others of the
focus's kind in the asked slot, though the reader's own span fills it with no one of that kind
(rag.answering.yes_no, rag.answering.slots)."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.engine import Engine
from rag.values import Document

pytestmark = pytest.mark.model

BRIDGE = (
    "A new footbridge over the River Tiel opened on Thursday after two years of work, the "
    "engineer Alan Brodie told reporters at the ceremony. "
    "France and the Netherlands provided financial support. "
    "Mr Brodie said the crossing would carry 2,000 walkers a day."
)
ROAD = (
    "DUNDEE, 9 May 2006 - Work on the Dundee ring road will start in June, the contractor "
    "said. The Scottish Executive is paying for the road."
)

SPRINTERS = (
    "Greek sprinters Nikos Petrakis and Eleni Varga are expected to learn on Friday whether they "
    "face a ban. The athletics federation said it would rule after hearing the pair. "
    '"We expect a verdict before the end of February," a spokesman said. '
    "Petrakis won 200m gold at the 2000 Sydney Olympics, while Varga won silver in the 100m."
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("yes-no-slots")
    engine = Engine(Settings(index_dir=root / "index", source_dir=root))
    engine.add_documents(
        [
            Document(source="bridge.txt", title="Tiel footbridge opens", text=BRIDGE),
            Document(source="road.txt", title="Ring road work to start", text=ROAD),
            Document(source="sprinters.txt", title="Sprinters await ruling", text=SPRINTERS),
        ]
    )
    return engine.open()


def test_others_of_the_focus_kind_in_the_slot_say_no(engine) -> None:
    answer = engine.ask("Did Germany help pay for the new footbridge over the River Tiel?")
    assert answer.kind == "yes_no"
    assert answer.answer.startswith("No."), answer.answer
    assert answer.citations[0].source == "bridge.txt"
    assert "France and the Netherlands" in answer.citations[0].quote


def test_the_focus_in_the_slot_says_yes(engine) -> None:
    answer = engine.ask("Did France help pay for the new footbridge over the River Tiel?")
    assert answer.answer.startswith("Yes."), answer.answer
    assert "France" in answer.citations[0].quote


def test_a_person_named_in_full_then_by_surname_fills_the_slot(engine) -> None:
    # News names a person in full once, then by surname: "Petrakis won ..." states it, though
    # the reader's best span is the full name in the first sentence, which states no win.
    answer = engine.ask(
        "Did sprinter Nikos Petrakis, who awaits a ruling, win 200m gold at the Sydney Olympics?"
    )
    assert answer.answer.startswith("Yes."), answer.answer
    assert "Petrakis won 200m gold" in answer.citations[0].quote


def test_another_value_in_the_deciding_sentence_says_no(engine) -> None:
    # The sentence that states the win gives another distance than the question asks about.
    answer = engine.ask("Did Nikos Petrakis win 400m gold at the Sydney Olympics?")
    assert answer.answer.startswith("No."), answer.answer
    assert "2000 Sydney Olympics" in answer.citations[0].quote


def test_a_value_the_release_never_gives_is_declined_without_a_rival(engine) -> None:
    # The release names no time for the bridge's opening hour: nothing to contradict.
    answer = engine.ask("Did the Tiel footbridge open at 9am?")
    assert answer.abstained, answer.answer


def test_another_events_release_naming_the_focus_in_the_slot_is_no_yes(tmp_path) -> None:
    """ "Did Japan help pay for the 2007 workshop in Tallinn?": the Riga release puts Japan
    among those who financed *its* workshop ("It was financed by ... Japan", after a sentence
    about "the workshop"), but never names Tallinn or 2007: the Tallinn release, whose other
    funders fill the slot, answers "No"."""
    releases = [
        Document(
            source="riga.txt",
            title="Workshop on port security opens in Riga",
            text="RIGA, 14 May 2006 - A two-day workshop on port security opened in Riga today. "
            "The workshop brings together 70 customs officers from the Baltic states. It was "
            "financed by Sweden, Austria and Japan.",
        ),
        Document(
            source="tallinn.txt",
            title="Customs officers meet in Tallinn",
            text="TALLINN, 2 October 2007 - Customs officers from the Baltic states met in "
            "Tallinn today for a one-day workshop on container smuggling. The workshop was "
            "organized by the Baltic Customs Unit. Sweden and Finland provided financial "
            "support.",
        ),
    ]
    engine = Engine(Settings(index_dir=tmp_path / "index", source_dir=tmp_path))
    engine.add_documents(releases)
    engine.open()
    answer = engine.ask("Did Japan help pay for the 2007 workshop in Tallinn?")
    assert answer.answer.startswith("No."), answer.answer
    assert answer.citations[0].source == "tallinn.txt"
    assert "Finland" in answer.citations[0].quote
