"""Index releases where they live: web pages by URL, and the URLs feeds and sitemaps list.

`WebIngester.sync()` fetches listings and pages politely (rag.ingestion.fetch), turns each into a
Document (HTML by trafilatura, PDF, DOCX), and indexes them in one all-or-nothing write.
Re-syncing sends the stored ETag/Last-Modified, skips bodies whose hash is unchanged, and the
engine embeds nothing for a document whose content hash is unchanged. A listing that has not
changed is not walked again (only its never-indexed entries are retried). Every URL that
fails is one item with a one-line reason; the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rag.errors import RagError
from rag.ingestion.fetch import Fetched, Fetcher, FetchError, FetchUnsupported, check_url
from rag.ingestion.ingest import IngestError
from rag.ingestion.web_extract import document_from_html, source_for_url
from rag.ingestion.web_listings import feed_entries, looks_like_feed, normalize_url, sitemap_entries
from rag.ingestion.web_state import Resource, WebState
from rag.values import Document

if TYPE_CHECKING:  # an Engine is handed in; ingestion never imports the engine
    from rag.engine import Engine

log = logging.getLogger(__name__)

_HTML = ("text/html", "application/xhtml+xml")
_PDF = ("application/pdf", "application/x-pdf")
_DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)


@dataclass
class WebItem:
    url: str
    status: str  # added | updated | unchanged | skipped (listings: changed | unchanged)
    source: str = ""
    reason: str = ""
    kind: str = ""  # html | pdf | docx | feed | sitemap
    chunks: int = 0
    title: str = ""
    listed: int = 0  # a feed's or sitemap's URLs
    error: RagError | None = field(default=None, repr=False, compare=False)  # why, as an error

    def to_dict(self) -> dict[str, Any]:
        skip = ("", None)
        out = {k: v for k, v in self.__dict__.items() if v not in skip and k != "error"}
        if self.kind in ("feed", "sitemap"):
            out.pop("chunks", None)
        else:
            out.pop("listed", None)
        return out


def _failed(url: str, exc: Exception, kind: str = "") -> WebItem:
    """A skipped item; its error is what an HTTP caller gets (4xx, one line)."""
    from rag.errors import ValidationFailed

    error = exc if isinstance(exc, RagError) else ValidationFailed(str(exc))
    return WebItem(url, "skipped", reason=error.message, kind=kind, error=error)


@dataclass
class WebReport:
    items: list[WebItem] = field(default_factory=list)
    listings: list[WebItem] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents_total: int = 0
    requests: int = 0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def skipped(self) -> list[WebItem]:
        return [i for i in self.listings + self.items if i.status == "skipped"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [i.source for i in self.items if i.status == "added"],
            "updated": [i.source for i in self.items if i.status == "updated"],
            "unchanged": self.count("unchanged"),
            "skipped": [{"url": i.url, "reason": i.reason} for i in self.skipped],
            "listings": [i.to_dict() for i in self.listings],
            "items": [i.to_dict() for i in self.items],
            "chunks_embedded": self.chunks_embedded,
            "chunks_total": self.chunks_total,
            "documents_total": self.documents_total,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
        }


def kind_of(fetched: Fetched) -> str:
    """html | pdf | docx from the media type (or, when it is missing, the bytes)."""
    ctype = fetched.content_type
    if ctype in _HTML:
        return "html"
    untyped = not ctype or ctype == "application/octet-stream"
    if ctype in _PDF or (untyped and fetched.body[:5] == b"%PDF-"):
        return "pdf"
    path = urlsplit(fetched.final_url).path.lower()
    if ctype in _DOCX or (untyped and path.endswith(".docx") and fetched.body[:2] == b"PK"):
        return "docx"
    if not ctype and fetched.body.lstrip()[:1] == b"<":
        return "html"
    raise FetchUnsupported(
        f"not a web page or document (content type {ctype or 'missing'}); "
        "HTML, PDF and DOCX are indexed"
    )


def document_from_fetched(fetched: Fetched, source: str | None = None) -> tuple[str, Document]:
    """(kind, Document) for a fetched page; IngestError/FetchUnsupported say why not."""
    from rag.ingestion.ingest import content_hash

    kind = kind_of(fetched)
    url = normalize_url(fetched.final_url)
    name = source or source_for_url(url)
    if kind == "html":
        return kind, document_from_html(fetched.body, name, url)
    if kind == "pdf":
        from rag.ingestion.formats_pdf import parse_pdf

        doc = parse_pdf(fetched.body, name)
    else:
        from rag.ingestion.formats_docx import parse_docx

        doc = parse_docx(fetched.body, name)
    publisher = urlsplit(url).hostname or ""
    fields = {**doc.__dict__, "url": url, "publisher": doc.publisher or publisher}
    return kind, Document(**{**fields, "content_hash": content_hash(fetched.body)})


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def fetch_listing(
    fetcher: Fetcher, url: str, kind: str, known: Resource | None
) -> tuple[WebItem, list[str], bool, Resource | None]:
    """(item, entries, changed, state to record) for a feed or sitemap ("auto": either).

    With the state of the last fetch (`known`), the request is conditional, and an unchanged
    listing gives back its last entries with `changed` false.
    """
    try:
        url = normalize_url(check_url(url))
        fetched = fetcher.get(
            url,
            etag=known.etag if known else "",
            last_modified=known.last_modified if known else "",
        )
        if known is not None and (
            fetched.not_modified or _body_hash(fetched.body) == known.body_hash
        ):
            item = WebItem(url, "unchanged", kind=kind)
            return item, known.entries, False, None
        if fetched.not_modified:
            fetched = fetcher.get(url)
        if kind == "auto":
            kind = "feed" if looks_like_feed(fetched.body, fetched.content_type) else "sitemap"
        if kind == "feed":
            entries = feed_entries(fetched.body, fetched.final_url)
        else:
            entries = sitemap_entries(
                fetched.body, fetched.final_url, lambda child: fetcher.get(child).body
            )
    except (FetchError, IngestError) as exc:
        return _failed(url, exc, kind), [], False, None
    resource = Resource(
        url,
        kind,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body_hash=_body_hash(fetched.body),
        entries=entries,
    )
    return WebItem(url, "changed", kind=kind), entries, True, resource


class WebIngester:
    """Fetch, extract and index web releases into an Engine; state lives beside the index."""

    def __init__(self, engine: Engine, fetcher: Fetcher, state: WebState | None = None) -> None:
        self.engine = engine
        self.fetcher = fetcher
        self.state = state or WebState(engine.settings.index_dir)

    def _indexed(self) -> dict[str, Document]:
        try:
            return self.engine.snapshot.documents
        except RagError:  # no index yet, or one the next write rebuilds
            return {}

    # -- one page ------------------------------------------------------------------------
    def _fetch_page(
        self, url: str, known: Resource | None, indexed: dict[str, Document], source: str = ""
    ) -> tuple[WebItem, Document | None, Resource | None]:
        """Fetch one URL: (item, new document or None, state to record after the write)."""
        have = known is not None and bool(known.source) and known.source in indexed
        try:
            fetched = self.fetcher.get(
                url,
                etag=known.etag if have and known else "",
                last_modified=known.last_modified if have and known else "",
            )
        except FetchError as exc:
            return _failed(url, exc), None, None
        if have and known is not None:
            unchanged = fetched.not_modified or _body_hash(fetched.body) == known.body_hash
            if unchanged and (not source or source == known.source):
                doc = indexed[known.source]
                item = WebItem(url, "unchanged", known.source, title=doc.title)
                item.chunks = len(self.engine.snapshot.ids_by_source.get(known.source, []))
                return item, None, None
        if fetched.not_modified:  # a 304 we did not ask for: fetch it whole
            fetched = self.fetcher.get(url)
        try:
            kind, doc = document_from_fetched(fetched, source or None)
        except (FetchError, IngestError, UnicodeError) as exc:
            return _failed(url, exc), None, None
        resource = Resource(
            url,
            "page",
            doc.source,
            fetched.etag,
            fetched.last_modified,
            _body_hash(fetched.body),
        )
        return WebItem(url, "pending", doc.source, kind=kind, title=doc.title), doc, resource

    def add_url(self, url: str, *, source: str = "", replace: bool = False) -> WebItem:
        """Fetch and index one URL now (POST /api/documents {"url"}); raises on failure."""
        url = normalize_url(check_url(url))
        indexed = self._indexed()
        item, doc, resource = self._fetch_page(url, self.state.get(url), indexed, source)
        if item.error is not None:
            raise item.error
        if doc is not None and resource is not None:
            [(status, chunks)] = self.engine.add_documents([doc], replace=replace)
            item.status, item.chunks = status, chunks
            self.state.put_many([resource])
        return item

    # -- a whole sync --------------------------------------------------------------------
    def sync(
        self,
        urls: list[str] = (),  # type: ignore[assignment]
        feeds: list[str] = (),  # type: ignore[assignment]
        sitemaps: list[str] = (),  # type: ignore[assignment]
        *,
        progress: bool = False,
    ) -> WebReport:
        """Fetch the listings and pages, then index every new or changed document at once."""
        started = time.perf_counter()
        requests_before = self.fetcher.requests
        report = WebReport()
        indexed = self._indexed()
        listed = [(u, "feed") for u in feeds] + [(u, "sitemap") for u in sitemaps]
        known_listings = self.state.get_many(normalize_url(u) for u, _ in listed)
        pending: list[Resource] = []
        candidates: dict[str, None] = {}
        listing_entries: list[tuple[list[str], bool]] = []
        for url, kind in listed:
            item, entries, changed, resource = fetch_listing(
                self.fetcher, url, kind, known_listings.get(normalize_url(url))
            )
            item.listed = len(entries)
            report.listings.append(item)
            listing_entries.append((entries, changed))
            if resource is not None:
                pending.append(resource)
        all_entries = [e for entries, _ in listing_entries for e in entries]
        known = self.state.get_many([*all_entries, *(normalize_url(u) for u in urls)])
        for entries, changed in listing_entries:
            for entry in entries:
                old = known.get(entry)
                if changed or old is None or old.source not in indexed:
                    candidates[entry] = None
        for url in urls:
            try:
                candidates[normalize_url(check_url(url))] = None
            except FetchError as exc:
                report.items.append(_failed(url, exc))

        docs: list[Document] = []
        by_source: dict[str, WebItem] = {}
        with _progress(progress, len(candidates)) as advance:
            for url in candidates:
                item, doc, resource = self._fetch_page(url, known.get(url), indexed)
                advance(url)
                if doc is not None and doc.source in by_source:  # two URLs, one page
                    item.status = "unchanged"
                    item.reason = f"same page as {by_source[doc.source].url}"
                    doc = None
                report.items.append(item)
                if doc is not None and resource is not None:
                    docs.append(doc)
                    by_source[doc.source] = item
                    pending.append(resource)
        if docs:
            with _status(progress, f"embedding {len(docs)} document(s)"):
                results = self.engine.add_documents(docs, replace=True)
            for doc, (status, chunks) in zip(docs, results, strict=True):
                item = by_source[doc.source]
                item.status, item.chunks = status, chunks
                if status != "unchanged":
                    report.chunks_embedded += chunks
        self.state.put_many(pending)  # only once the index holds what it describes
        for item in report.skipped:
            log.warning("skipped %s: %s", item.url, item.reason)
        snap = self.engine.snapshot if docs or indexed else None
        if snap is not None:
            report.chunks_total, report.documents_total = snap.chunk_count, len(snap.documents)
        report.requests = self.fetcher.requests - requests_before
        report.seconds = time.perf_counter() - started
        return report


def _progress(enabled: bool, total: int):
    """A rich progress bar over the URLs (stderr); a no-op when disabled."""
    if not enabled or not total:
        return nullcontext(lambda url: None)
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    @contextmanager
    def bar():
        with Progress(
            TextColumn("fetching"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
        ) as prog:
            task = prog.add_task("", total=total)
            yield lambda url: prog.update(task, advance=1, description=url[-60:])

    return bar()


def _status(enabled: bool, message: str):
    if not enabled:
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)
