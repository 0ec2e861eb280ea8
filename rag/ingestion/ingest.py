"""Read releases from disk or JSON into clean Documents: menus and markup dropped, metadata parsed.

Supported: press-release .txt (navigation menu + metadata block + dateline), plain .txt, .md,
.html/.htm (main text by trafilatura, rag.ingestion.web_extract), .jsonl (one {"title", "text",
"date"?,
"place"?, "url"?} object a line), .pdf (rag.ingestion.formats_pdf: pages kept as form feeds) and
.docx
(rag.ingestion.formats_docx). Every file that cannot be read yields a `Skipped` with a one-line
reason;
the rest go on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from rag.ingestion.formats import reader_for, supported_suffixes
from rag.ingestion.release_text import (  # noqa: F401 - re-exported: the names ingest has always offered
    DATELINE_RE,
    IngestError,
    find_dateline,
    parse_date,
    parse_dateline,
    strip_heading,
    title_case_place,
)
from rag.values import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Loaded:
    document: Document
    origin: str  # the file it came from


def content_hash(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def _is_menu_line(line: str) -> bool:
    s = line.strip()
    return s == "-" or (s.startswith("- ") and len(s) < 120)


def _split_release(lines: list[str]) -> tuple[str, dict[str, list[str]], list[str]]:
    """Title, metadata block and body lines of a press release whose menu is already gone."""
    lines = list(lines)  # popped below; leave the caller's list alone
    while lines and not lines[0].strip():
        lines.pop(0)
    title = lines.pop(0).strip() if lines else ""
    meta: dict[str, list[str]] = {}
    key: str | None = None
    while lines and (lines[0].strip().startswith("- ") or not lines[0].strip()):
        item = lines.pop(0).strip()[2:].strip()
        if not item:
            continue
        if item.endswith(":") and len(item) < 40:
            key = item[:-1].strip().lower()
            meta.setdefault(key, [])
        elif key is not None:
            meta[key].append(item)
    return title, meta, lines


def _paragraphs(lines: list[str]) -> list[str]:
    return [" ".join(p.split()) for p in lines if p.strip()]


def parse_text(raw: str, source: str) -> Document:
    """A .txt release: drops the navigation menu, parses title, metadata and dateline."""
    lines = raw.splitlines()
    marker = next(
        (
            i
            for i, ln in enumerate(lines)
            if ln.strip().lower() in ("press release", "news release")
        ),
        None,
    )
    meta: dict[str, list[str]] = {}
    if marker is not None:
        title, meta, body_lines = _split_release(lines[marker + 1 :])
    else:
        # A leading run of bullet/menu lines is navigation, not content.
        i = 0
        while i < len(lines) and (not lines[i].strip() or _is_menu_line(lines[i])):
            i += 1
        body_lines = lines[i:] if i >= 10 else lines
        paras = _paragraphs(body_lines)
        title = ""
        if len(paras) > 1 and len(paras[0]) <= 200 and not DATELINE_RE.match(paras[0]):
            title = paras[0]
            body_lines = body_lines[
                body_lines.index(next(b for b in body_lines if b.strip())) + 1 :
            ]
    body = _paragraphs(body_lines)
    if not body:
        raise IngestError("no body text after removing the menu and metadata")
    place, country, iso = parse_dateline(body[0])
    meta_place = " ".join(meta.get("place", []))
    return Document(
        source=source,
        title=title or Path(source).stem,
        text="\n\n".join(body),
        date=iso or parse_date(" ".join(meta.get("date", []))),
        place=place or title_case_place(meta_place),
        country=country,
        publisher=", ".join(meta.get("source", [])),
        fields=tuple(f.strip() for f in ", ".join(meta.get("fields of work", [])).split(",") if f),
    )


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def parse_markdown(raw: str, source: str) -> Document:
    title = ""
    out: list[str] = []
    in_fence = False
    for line in raw.splitlines():
        s = line.strip()
        if s.startswith("```"):
            in_fence = not in_fence
            continue
        if not in_fence:
            if re.match(r"^#{1,6}\s", s):
                s = s.lstrip("#").strip()
                if not title:
                    title = s
                    continue
            s = re.sub(r"^([-*+]|\d+\.)\s+", "", s)
            s = re.sub(r"^>\s?", "", s)
            s = _MD_LINK.sub(r"\1", s)
            s = re.sub(r"(\*\*|__|\*|`)", "", s)
        out.append(s)
    text = "\n".join(out)
    doc = parse_text(text, source)
    return doc if not title else Document(**{**_fields(doc), "title": title})


class _VisibleText(HTMLParser):
    _HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "iframe"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "table",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self._hidden = 0
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN and tag != "head":
            self._hidden += 1
        self._in.append(tag)
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and tag != "head" and self._hidden:
            self._hidden -= 1
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data
            return
        if self._hidden or "head" in self._in:
            return
        if "h1" in self._in:
            self.h1 += data
        self.parts.append(data)


def parse_html(raw: str, source: str) -> Document:
    """A saved web page: its main text by trafilatura (menus, headers and footers dropped),
    or all visible text when trafilatura finds no main text (a fragment, a tiny page)."""
    from rag.ingestion.web_extract import document_from_html

    try:
        return document_from_html(raw, source)
    except IngestError:
        return parse_visible_html(raw, source)


def parse_visible_html(raw: str, source: str) -> Document:
    parser = _VisibleText()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.parts)
    doc = parse_text(text, source)
    title = " ".join((parser.title or parser.h1).split())
    return Document(**{**_fields(doc), "title": title or doc.title})


def _fields(doc: Document) -> dict:
    return {k: getattr(doc, k) for k in doc.__dataclass_fields__}


# Keys under which a record names its topics (a release's "fields of work", a news article's
# category or section); each holds one name, a comma-separated string or a list.
FIELD_KEYS = ("fields", "category", "categories", "section", "topics", "tags")


def _record_fields(record: dict) -> tuple[str, ...]:
    names: list[str] = []
    for key in FIELD_KEYS:
        value = record.get(key)
        values = value if isinstance(value, list) else str(value or "").split(",")
        names += [" ".join(str(v).split()) for v in values if str(v).strip()]
    return tuple(dict.fromkeys(names))


def document_from_record(record: dict, source: str) -> Document:
    """A document from a JSON object (jsonl line or HTTP body)."""
    if not isinstance(record, dict):
        raise IngestError("expected a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise IngestError("'text' is missing or empty")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\r?\n", text) if p.strip()]
    clean = "\n\n".join(paragraphs)
    place, country, iso = parse_dateline(paragraphs[0])
    given_date = str(record.get("date") or "")
    date_iso = parse_date(given_date) if given_date else iso
    if given_date and not date_iso:
        raise IngestError(f"'date' {given_date!r} is not a date (use YYYY-MM-DD)")
    title = str(record.get("title") or "").strip() or paragraphs[0][:80]
    return Document(
        source=source,
        title=" ".join(title.split()),
        text=clean,
        date=date_iso,
        place=str(record.get("place") or place).strip(),
        country=str(record.get("country") or country).strip(),
        publisher=str(record.get("publisher") or "").strip(),
        fields=_record_fields(record),
        url=str(record.get("url") or "").strip(),
        content_hash=content_hash(json.dumps(record, sort_keys=True, ensure_ascii=False)),
    )


def decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise IngestError("empty file")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not UTF-8 text (undecodable byte at offset {exc.start})") from None


def read_text(data: bytes, name: str) -> list[Document]:
    return [parse_text(decode(data, name), name)]


def read_markdown(data: bytes, name: str) -> list[Document]:
    return [parse_markdown(decode(data, name), name)]


def read_html(data: bytes, name: str) -> list[Document]:
    return [parse_html(decode(data, name), name)]


def read_jsonl(data: bytes, name: str) -> list[Document]:
    """One document per JSON object line; sources `name:id` (or `name:line number`)."""
    docs = []
    for lineno, line in enumerate(decode(data, name).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"line {lineno}: invalid JSON ({exc.msg})") from None
        rid = record.get("id") or record.get("_id") if isinstance(record, dict) else None
        try:
            docs.append(document_from_record(record, f"{name}:{rid or lineno}"))
        except IngestError as exc:
            raise IngestError(f"line {lineno}: {exc}") from None
    if not docs:
        raise IngestError("no records")
    return docs


def parse_bytes(data: bytes, name: str) -> list[Document]:
    """Documents in one file's bytes, read by the format registered for its suffix
    (rag.ingestion.formats); raises IngestError with a one-line reason."""
    suffix = Path(name).suffix.lower()
    read = reader_for(suffix)
    if read is None:
        raise IngestError(
            f"unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    if not data.strip():
        raise IngestError("empty file")
    digest = content_hash(data)
    return [
        d if d.content_hash else Document(**{**_fields(d), "content_hash": digest})
        for d in read(data, name)
    ]


def iter_source_dir(directory: Path) -> Iterator[Loaded | Skipped]:
    """Every document under `directory` (sorted, non-recursive), or why a file was skipped."""
    if not directory.is_dir():
        raise IngestError(f"source folder {directory} does not exist")
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        name = path.name
        if name.startswith("."):
            continue
        if name.upper().startswith("README"):
            yield Skipped(name, "folder README, not a release")
            continue
        try:
            for doc in parse_bytes(path.read_bytes(), name):
                yield Loaded(doc, origin=name)
        except IngestError as exc:
            log.warning("skipped %s: %s", name, exc)
            yield Skipped(name, str(exc))
        except (UnicodeError, ValueError) as exc:  # e.g. lone surrogates in a .jsonl string
            log.warning("skipped %s: %s", name, exc)
            yield Skipped(name, f"unreadable text ({type(exc).__name__})")
        except OSError as exc:
            yield Skipped(name, f"unreadable ({exc.strerror})")
