"""A web page's main text and metadata (trafilatura), as a Document.

trafilatura drops the site's menus, headers, footers and link lists, and reads the title, the
site name and the publication date (htmldate). The dateline parser then runs on the extracted
text: the dateline's place and date ("VIENNA, 17 July 2008 -") are the release's own and win
over the page's publication date, which is used when the text has no dateline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from urllib.parse import unquote, urlsplit

from rag.ingestion.release_text import IngestError, find_dateline, parse_date, strip_heading
from rag.values import Document

log = logging.getLogger(__name__)

_SLUG = re.compile(r"[^a-z0-9]+")
_MIN_SENTENCE_WORDS = 8  # a page none of whose lines is this long holds no release


def source_for_url(url: str) -> str:
    """A stable, readable document name for a URL: host, path slug and a hash of the URL.

    `https://www.osce.org/press/oslo-2011?x=1` -> `www.osce.org_press-oslo-2011-x-1_99963551ac`;
    the same URL always gives the same name, and two URLs never share one.
    """
    parts = urlsplit(url)
    host = re.sub(r"[^a-z0-9.]+", "-", (parts.hostname or "web").lower()).strip("-.")[:100]
    if parts.port:
        host += f"-{parts.port}"
    path = unquote(parts.path + (f"?{parts.query}" if parts.query else ""))
    slug = _SLUG.sub("-", path.lower()).strip("-")[:80].strip("-")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return f"{host}_{slug}_{digest}" if slug else f"{host}_{digest}"


def _iso(value: str | None) -> str:
    if not value:
        return ""
    return parse_date(str(value)[:10]) or parse_date(str(value))


def document_hash(doc: Document) -> str:
    """A hash of what is indexed (text and metadata), not of the page's bytes: a page whose
    markup changes around the same release (a new menu entry, a timestamp) embeds nothing."""
    fields = [doc.title, doc.text, doc.date, doc.place, doc.country, doc.publisher, doc.url]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def extract(html: bytes | str, url: str = "") -> dict:
    """trafilatura's main text and metadata ({} when it finds no main text)."""
    import trafilatura

    result = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    if result is None:
        return {}
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    return data if (data.get("text") or "").strip() else {}


def document_from_html(html: bytes | str, source: str, url: str = "") -> Document:
    """The page's main text as a Document; IngestError when it has none."""
    try:
        data = extract(html, url)
    except (ValueError, TypeError) as exc:
        raise IngestError(f"unparseable HTML ({type(exc).__name__})") from None
    paragraphs = [" ".join(line.split()) for line in (data.get("text") or "").splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise IngestError("no main text found on the page")
    if not any(len(p.split()) >= _MIN_SENTENCE_WORDS for p in paragraphs):
        raise IngestError("no main text found on the page (only short lines: a menu or index?)")
    title = " ".join((data.get("title") or "").split())
    body = strip_heading(paragraphs, title) or paragraphs
    _, place, country, dateline_date = find_dateline(body)
    doc = Document(
        source=source,
        title=title or body[0][:80],
        text="\n\n".join(body),
        date=dateline_date or _iso(data.get("date")),
        place=place,
        country=country,
        publisher=" ".join((data.get("sitename") or "").split()),
        url=url,
    )
    return Document(**{**doc.__dict__, "content_hash": document_hash(doc)})
