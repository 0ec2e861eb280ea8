"""PDF and Word releases from a folder: text, metadata, pages, exact offsets, bad files skipped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from eval.newsroom import encrypted_pdf, release, release_docx, release_pdf, scanned_pdf
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.ingestion.chunking import split_sentences
from rag.ingestion.formats_pdf import PAGE_BREAK, page_at, page_spans, reflow
from rag.ingestion.ingest import IngestError, parse_bytes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "releases"
    src.mkdir()
    (src / "oslo.pdf").write_bytes(release_pdf(release(2), ["Annex. Sweden sent 12 observers."]))
    (src / "astana.docx").write_bytes(release_docx(release(3)))
    (src / "scan.pdf").write_bytes(scanned_pdf(2))
    (src / "secret.pdf").write_bytes(encrypted_pdf())
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\n%garbage that ends early")
    (src / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (src / "notes.txt").write_text("Notes\n\nGENEVA, 3 May 2011 - Plain text still works.\n")
    return src


def test_folder_with_pdf_and_docx(folder: Path, tmp_path: Path) -> None:
    engine = Engine(
        Settings(index_dir=tmp_path / "index", embed_model="fake"), embedder=FakeEmbedder()
    )
    report = engine.index_directory(folder)
    assert sorted(report.added) == ["astana.docx", "notes.txt", "oslo.pdf"]
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons == {
        "scan.pdf": "no text layer in 2 page(s) (a scanned PDF?); OCR it first to index it",
        "secret.pdf": "password-protected PDF (no text can be read without the password)",
        "broken.pdf": reasons["broken.pdf"],
        "broken.docx": "not a Word .docx file (not a zip package)",
    }
    assert reasons["broken.pdf"].startswith("not a readable PDF")
    snap = engine.snapshot
    oslo, astana = snap.documents["oslo.pdf"], snap.documents["astana.docx"]
    rel2, rel3 = release(2), release(3)
    assert (oslo.title, oslo.date, oslo.place) == (rel2.title, rel2.iso, rel2.city)
    assert (astana.title, astana.date, astana.place) == (rel3.title, rel3.iso, rel3.city)
    assert oslo.text.startswith(rel2.dateline) and astana.text.startswith(rel3.dateline)
    assert astana.text == "\n\n".join(rel3.paragraphs)
    # every chunk is exactly its slice of the stored text
    for chunk in snap.chunks.values():
        doc = snap.documents[chunk.source]
        assert doc.text[chunk.start : chunk.end] == chunk.text
    # pages: the annex is page 2, and no sentence straddles a page break
    assert [p["page"] for p in page_spans(oslo.text)] == [1, 2]
    assert page_at(oslo.text, oslo.text.index("Sweden sent 12 observers")) == 2
    assert page_at(oslo.text, oslo.text.index(rel2.funder)) == 1
    assert not any("\f" in oslo.text[s.start : s.end] for s in split_sentences(oslo.text))
    # unchanged binary files embed nothing the second time
    assert engine.index_directory(folder).chunks_embedded == 0


def test_pdf_paragraphs_are_reflowed_from_wrapped_lines() -> None:
    wrapped = (
        "OSCE workshop opens\n"
        "OSLO, 3 May 2011 - An OSCE workshop on precursor chemicals opened today in Oslo with\n"
        "experts from twelve countries, discussing better controls on the trade in co-\n"
        "operation with customs.\n"
        "It was funded by Sweden."
    )
    assert reflow(wrapped) == [
        "OSCE workshop opens",
        "OSLO, 3 May 2011 - An OSCE workshop on precursor chemicals opened today in Oslo with "
        "experts from twelve countries, discussing better controls on the trade in co-operation "
        "with customs.",
        "It was funded by Sweden.",
    ]


def test_page_spans_cover_the_text() -> None:
    text = PAGE_BREAK.join(["Page one.", "", "Page three."])
    spans = page_spans(text)
    assert [text[s["start"] : s["end"]] for s in spans] == ["Page one.", "", "Page three."]
    assert page_spans("no pages") == [] and page_at("no pages", 5) == 1


def test_docx_tables_and_title_property() -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Budget release"
    document.add_paragraph("VIENNA, 2 June 2010 - The budget was adopted today.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Donor", (0, 1): "Amount", (1, 0): "Norway", (1, 1): "40"}.items():
        table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    doc = parse_bytes(out.getvalue(), "budget.docx")[0]
    assert (doc.title, doc.date, doc.place) == ("Budget release", "2010-06-02", "Vienna")
    assert doc.text.endswith("Donor | Amount\n\nNorway | 40")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.pdf", b"", "empty file"),
        ("a.pdf", b"hello", "not a PDF"),
        ("a.docx", b"hello", "not a Word .docx file"),
    ],
)
def test_bad_binary_files_give_one_line_reasons(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(IngestError, match=reason) as info:
        parse_bytes(data, name)
    assert "\n" not in str(info.value)
