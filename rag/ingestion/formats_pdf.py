"""PDF releases (pypdf): text in content order, wrapped lines re-flowed into paragraphs, pages kept.

Pages are separated by a form feed on its own line ("\\n\\f\\n"), as pdftotext does, so the
stored cleaned text says where each page starts: `page_at(text, offset)` names the page of any
citation offset, and `page_spans(text)` lists them. Sentences never cross a page (a newline
always ends one). A PDF with no text layer (scanned), a password-protected one and a broken
one raise IngestError with a one-line reason.
"""

from __future__ import annotations

import io
import logging
import re

from rag.ingestion.release_text import IngestError, find_dateline, parse_date, strip_heading
from rag.values import Document

log = logging.getLogger(__name__)

PAGE_BREAK = "\n\f\n"
_UNTITLED = re.compile(r"^(untitled|microsoft word - .*|document\d*|.*\.(docx?|pdf|indd))$", re.I)


def page_at(text: str, offset: int) -> int:
    """The 1-based page holding `offset` of a document's text (1 for texts without pages)."""
    return text.count("\f", 0, max(0, offset)) + 1


def page_spans(text: str) -> list[dict[str, int]]:
    """[{"page", "start", "end"}] for a text with form-feed page breaks; [] for one without."""
    if "\f" not in text:
        return []
    spans, start = [], 0
    for n, part in enumerate(text.split(PAGE_BREAK), 1):
        spans.append({"page": n, "start": start, "end": start + len(part)})
        start += len(part) + len(PAGE_BREAK)
    return spans


def reflow(page_text: str) -> list[str]:
    """Paragraphs of one page: wrapped lines joined; a clearly short line ends a paragraph."""
    lines = [" ".join(ln.split()) for ln in page_text.splitlines()]
    widest = max((len(ln) for ln in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current.endswith("-") and line[:1].islower():
            current += line  # a word hyphenated across lines: keep the hyphen, no space
        else:
            current = f"{current} {line}" if current else line
        if widest < 40 or len(line) < 0.75 * widest:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _reader(data: bytes):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise IngestError(f"not a readable PDF ({_short(exc)})") from None
    except Exception as exc:  # pypdf raises assorted errors on corrupt files
        raise IngestError(f"not a readable PDF ({_short(exc)})") from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise IngestError(
                "encrypted PDF (opening it needs the 'cryptography' package)"
            ) from None
        except Exception as exc:
            raise IngestError(f"encrypted PDF that cannot be opened ({_short(exc)})") from None
        if not opened:
            raise IngestError("password-protected PDF (no text can be read without the password)")
    return reader


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def parse_pdf(data: bytes, source: str) -> Document:
    """A Document from a PDF's bytes; IngestError when it has no readable text."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError("not a PDF (no %PDF header)")
    reader = _reader(data)
    pages: list[list[str]] = []
    try:
        for page in reader.pages:
            pages.append(reflow(page.extract_text() or ""))
        meta = reader.metadata or {}
        meta_title = str(meta.get("/Title") or "").strip()
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"not a readable PDF ({_short(exc)})") from None
    if not pages:
        raise IngestError("PDF without pages")
    if not any(pages):
        raise IngestError(
            f"no text layer in {len(pages)} page(s) (a scanned PDF?); OCR it first to index it"
        )
    first = next(i for i, p in enumerate(pages) if p)
    title = meta_title if meta_title and not _UNTITLED.match(meta_title) else ""
    opening = pages[first]
    short_first = len(opening) > 1 and len(opening[0]) <= 200
    if not title and short_first and find_dateline(opening[:1])[0] != 0:
        title = opening[0]
    pages[first] = strip_heading(opening, title) or opening
    body = [p for page in pages for p in page]
    _, place, country, iso = find_dateline(body)
    if not iso:
        iso = next((d for d in (parse_date(p.removeprefix("Date:")) for p in body[:5]) if d), "")
    text = PAGE_BREAK.join("\n\n".join(page) for page in pages)
    log.debug("%s: %d pages, %d chars", source, len(pages), len(text))
    return Document(
        source=source,
        title=" ".join((title or body[0][:80]).split()),
        text=text,
        date=iso,
        place=place,
        country=country,
    )


def read_pdf(data: bytes, name: str) -> list[Document]:
    """The rag.ingestion.formats reader: one document per file."""
    return [parse_pdf(data, name)]
