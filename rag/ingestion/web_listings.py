"""What a newsroom lists: the release URLs of an RSS/Atom feed (feedparser) or an XML sitemap.

URLs are normalised with courlan (tracking parameters dropped, host lower-cased) and filtered:
the listing's own site only, no navigation pages (tag, category, page 2...), nothing that is
not a document (images, scripts, archives). Sitemap indexes are followed one level down.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

from rag.errors import RagError
from rag.ingestion.ingest import IngestError

log = logging.getLogger(__name__)

MAX_ENTRIES = 50_000  # a sitemap's own limit
MAX_CHILD_SITEMAPS = 50
_DOCUMENT_SUFFIXES = (".pdf", ".docx")
_MAX_XML_BYTES = 50_000_000


def normalize_url(url: str) -> str:
    """courlan's normal form, without the fragment."""
    import courlan

    try:
        url = courlan.normalize_url(url.strip())
    except (ValueError, AttributeError):
        return url.strip()
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def keep_url(url: str, listing_url: str) -> bool:
    """Whether a listed URL is one of the site's documents worth fetching."""
    import courlan
    from courlan.filters import extension_filter

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname != urlsplit(listing_url).hostname:
        return False
    if courlan.is_navigation_page(url) or courlan.is_not_crawlable(url):
        return False
    return parts.path.lower().endswith(_DOCUMENT_SUFFIXES) or extension_filter(url)


def _dedupe(urls: list[str], listing_url: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in urls:
        url = normalize_url(urljoin(listing_url, raw))
        if url in seen or not keep_url(url, listing_url):
            continue
        seen.add(url)
        out.append(url)
        if len(out) >= MAX_ENTRIES:
            log.warning("%s lists over %d URLs; the rest are ignored", listing_url, MAX_ENTRIES)
            break
    return out


def feed_entries(body: bytes, feed_url: str) -> list[str]:
    """The entry links of an RSS or Atom feed, in feed order."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({str(reason).splitlines()[0][:120]})" if reason else ""
        raise IngestError(f"not an RSS or Atom feed{detail}")
    links = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link:
            link = next((x.get("href", "") for x in entry.get("links", []) if x.get("href")), "")
        if link:
            links.append(link)
    return _dedupe(links, feed_url)


def _xml_root(body: bytes):
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                body = fh.read(_MAX_XML_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise IngestError(f"broken gzip sitemap ({exc})") from None
        if len(body) > _MAX_XML_BYTES:
            raise IngestError(f"sitemap larger than {_MAX_XML_BYTES} bytes unpacked")
    try:
        return ElementTree.fromstring(body)
    except DefusedXmlException as exc:
        raise IngestError(f"unsafe XML refused ({type(exc).__name__})") from None
    except ElementTree.ParseError as exc:
        raise IngestError(f"not an XML sitemap ({exc})") from None


def _local(tag: str) -> str:
    return re.sub(r"^\{.*\}", "", tag)


def sitemap_entries(
    body: bytes, sitemap_url: str, fetch_child: Callable[[str], bytes] | None = None
) -> list[str]:
    """The page URLs of a sitemap (<urlset>), or of the sitemaps a <sitemapindex> names."""
    root = _xml_root(body)
    kind = _local(root.tag)
    locs = [
        (el.text or "").strip()
        for el in root.iter()
        if _local(el.tag) == "loc" and (el.text or "").strip()
    ]
    if kind == "urlset":
        return _dedupe(locs, sitemap_url)
    if kind != "sitemapindex":
        raise IngestError(f"not a sitemap (root element <{kind}>)")
    if fetch_child is None:
        raise IngestError("a sitemap index needs its child sitemaps fetched")
    urls: list[str] = []
    for child in locs[:MAX_CHILD_SITEMAPS]:
        child_url = urljoin(sitemap_url, child)
        try:
            child_root = _xml_root(fetch_child(child_url))
        except (IngestError, RagError) as exc:
            log.warning("skipped sitemap %s: %s", child_url, getattr(exc, "message", exc))
            continue
        if _local(child_root.tag) != "urlset":
            log.warning("skipped sitemap %s: nested sitemap indexes are not followed", child_url)
            continue
        urls += [
            (el.text or "").strip()
            for el in child_root.iter()
            if _local(el.tag) == "loc" and (el.text or "").strip()
        ]
    return _dedupe(urls, sitemap_url)


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """A feed (RSS/Atom) rather than a sitemap, from its media type or first element."""
    if any(t in content_type for t in ("rss", "atom")):
        return True
    head = body[:2048].lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head
