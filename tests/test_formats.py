"""Document formats come from the "rag.formats" entry points: the built-ins are registered that
way, and a new format is one function plus one registration."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from rag import formats
from rag.ingest import IngestError, parse_bytes
from rag.types import Document


def read_shouting(data: bytes, name: str) -> list[Document]:
    """A made-up format for the test: one release a line, title first, upper case."""
    lines = data.decode().splitlines()
    return [Document(source=name, title=lines[0].title(), text="\n\n".join(lines[1:]).lower())]


@pytest.fixture
def fresh_registry():
    formats.registered.cache_clear()
    formats.reader_for.cache_clear()
    yield
    formats.registered.cache_clear()
    formats.reader_for.cache_clear()


def test_the_built_in_formats_are_registered_entry_points(fresh_registry) -> None:
    got = formats.registered()
    assert got == {f".{k}": v for k, v in formats.BUILTIN.items()}
    assert parse_bytes(b"Title\n\nOSLO, 3 May 2005 - Text.", "a.md")[0].title


def test_a_new_format_is_one_function_and_one_entry_point(fresh_registry, monkeypatch) -> None:
    with pytest.raises(IngestError, match=r"unsupported file type \.shout"):
        parse_bytes(b"X", "note.shout")
    formats.registered.cache_clear()
    formats.reader_for.cache_clear()
    installed = formats.entry_points

    def with_shout(group: str):
        extra = EntryPoint("shout", f"{__name__}:read_shouting", group)
        return [*installed(group=group), extra]

    monkeypatch.setattr(formats, "entry_points", with_shout)
    assert ".shout" in formats.supported_suffixes()
    (doc,) = parse_bytes(b"BUDGET DAY\nTHE TAX ON FUEL ROSE.", "note.shout")
    assert doc.title == "Budget Day" and doc.text == "the tax on fuel rose."
    assert doc.content_hash  # set from the bytes, as for every format
    with pytest.raises(IngestError, match="empty file"):
        parse_bytes(b"  \n", "other.shout")
