from __future__ import annotations

import json

import pytest

from rag.ingestion.ingest import (
    IngestError,
    Loaded,
    Skipped,
    iter_source_dir,
    parse_bytes,
    parse_date,
)
from tests.conftest import SEEDS, VIENNA

MENU_WORDS = ("Arms control", "Participating States", "Court of Conciliation", "Cyber/ICT")


def test_seed_release_metadata_and_body():
    doc = parse_bytes((SEEDS / VIENNA).read_bytes(), VIENNA)[0]
    assert doc.source == VIENNA
    assert doc.title == (
        "International co-operation to fight drug trafficking focus of OSCE experts meeting"
    )
    assert (doc.date, doc.place, doc.publisher, doc.fields) == (
        "2008-07-17",
        "Vienna",
        "OSCE Secretariat",
        ("Policing",),
    )
    assert doc.text.startswith("VIENNA, 17 July 2008 - How international co-operation")
    assert doc.text.endswith("training courses for law enforcement officers.")
    assert "It was financed by Belgium, Norway, the Russian Federation and Japan." in doc.text
    assert len(doc.content_hash) == 64


def test_dateline_with_country():
    name = "001_58abf07a5ff85481.txt"
    doc = parse_bytes((SEEDS / name).read_bytes(), name)[0]
    assert (doc.date, doc.place, doc.country) == ("2014-12-03", "Almaty", "Kazakhstan")


def test_no_release_keeps_menu_text():
    for item in iter_source_dir(SEEDS):
        if isinstance(item, Loaded):
            for word in MENU_WORDS:
                assert word not in item.document.text, (item.document.source, word)
            assert "- Date:" not in item.document.text


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("17 July 2008", "2008-07-17"),
        ("July 17, 2008", "2008-07-17"),
        ("2008-07-17", "2008-07-17"),
        ("3 Dec 2014", "2014-12-03"),
        ("31 February 2010", ""),
        ("yesterday", ""),
    ],
)
def test_parse_date(text, iso):
    assert parse_date(text) == iso


def test_plain_text_markdown_html_and_jsonl():
    plain = parse_bytes(b"Quarterly report\n\nGENEVA, 3 May 2011 - Sales rose.\n", "r.txt")[0]
    assert (plain.title, plain.date, plain.place) == ("Quarterly report", "2011-05-03", "Geneva")
    md = parse_bytes(b"# Big news\n\nSome **bold** text with a [link](http://x).\n", "n.md")[0]
    assert md.title == "Big news" and md.text == "Some bold text with a link."
    html = parse_bytes(
        b"<html><head><title>Page</title><style>p{color:red}</style></head><body>"
        b"<nav>ignored?</nav><script>alert(1)</script><p>Visible one.</p><p>Two.</p></body></html>",
        "p.html",
    )[0]
    assert html.title == "Page"
    assert "alert" not in html.text and "color" not in html.text
    assert "Visible one." in html.text and "Two." in html.text
    lines = [
        {"title": "A", "text": "Alpha text.", "date": "2020-01-02", "place": "Oslo"},
        {"title": "B", "text": "Beta text.", "url": "http://b"},
    ]
    docs = parse_bytes("\n".join(json.dumps(x) for x in lines).encode(), "batch.jsonl")
    assert [d.source for d in docs] == ["batch.jsonl:1", "batch.jsonl:2"]
    assert (docs[0].date, docs[0].place, docs[1].url) == ("2020-01-02", "Oslo", "http://b")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"   \n", "empty file"),
        ("blob.txt", b"abc\x00\x01\x02", "binary"),
        ("latin.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type .xlsx"),
        ("bad.jsonl", b'{"title": "x"}\n', "'text' is missing"),
        ("broken.jsonl", b"{not json\n", "invalid JSON"),
    ],
)
def test_bad_files_give_one_line_reasons(name, data, reason):
    with pytest.raises(IngestError, match=reason.replace(".", r"\.")) as info:
        parse_bytes(data, name)
    assert "\n" not in str(info.value)


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path):
    (tmp_path / "good.txt").write_text("Title\n\nBody sentence one. Body two.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00")
    items = list(iter_source_dir(tmp_path))
    skipped = {i.path: i.reason for i in items if isinstance(i, Skipped)}
    loaded = [i.document.source for i in items if isinstance(i, Loaded)]
    assert loaded == ["good.txt"]
    assert set(skipped) == {"empty.txt", "image.png"}
