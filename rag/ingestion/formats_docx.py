"""Word .docx releases (python-docx): paragraphs and table rows in document order.

The title is the document's Title property, else its first Title/Heading paragraph, else a
short first line; the dateline parser reads the body for place and date as for every format.
"""

from __future__ import annotations

import io
import zipfile

from rag.ingestion.release_text import IngestError, find_dateline, parse_date, strip_heading
from rag.values import Document


def _blocks(document) -> list[tuple[str, str]]:
    """(style name, text) of every non-empty paragraph and table row, in order."""
    from docx.table import Table

    out: list[tuple[str, str]] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    out.append(("table", " | ".join(cells)))
            continue
        text = " ".join(block.text.split())
        if text:
            style = (block.style.name if block.style is not None else "") or ""
            out.append((style.lower(), text))
    return out


def parse_docx(data: bytes, source: str) -> Document:
    """A Document from a .docx file's bytes; IngestError when it is not a readable one."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError("not a Word .docx file (not a zip package)")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(document)
        prop_title = (document.core_properties.title or "").strip()
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise IngestError(f"not a readable Word .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # malformed XML inside the package, and the like
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise IngestError(f"not a readable Word .docx file ({reason})") from None
    if not blocks:
        raise IngestError("no text in the document")
    title = prop_title
    if not title:
        title = next((t for s, t in blocks[:5] if s == "title" or s.startswith("heading")), "")
    paragraphs = [t for _, t in blocks]
    short_first = len(paragraphs) > 1 and len(paragraphs[0]) <= 200
    if not title and short_first and find_dateline(paragraphs[:1])[0] != 0:
        title = paragraphs[0]
    body = strip_heading(paragraphs, title) or paragraphs
    _, place, country, iso = find_dateline(body)
    if not iso:
        iso = next((d for d in (parse_date(p.removeprefix("Date:")) for p in body[:5]) if d), "")
    return Document(
        source=source,
        title=" ".join((title or body[0][:80]).split()),
        text="\n\n".join(body),
        date=iso,
        place=place,
        country=country,
    )


def read_docx(data: bytes, name: str) -> list[Document]:
    """The rag.ingestion.formats reader: one document per file."""
    return [parse_docx(data, name)]
