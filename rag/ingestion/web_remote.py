"""Keep a running service's index in sync: `rag watch --server URL`.

The watcher reads the feeds and sitemaps itself (politely, conditionally) and posts each new
entry to the service as `POST /api/documents {"url"}?replace=true`; the service fetches the page
with its own ETag/Last-Modified state and embeds only what changed, into the index it serves,
so no restart is needed. What has been posted and each listing's validators are kept in
memory: a restarted watcher posts every listed URL once more, which the service answers with
conditional requests ("unchanged", nothing embedded).
"""

from __future__ import annotations

import logging
import time

import httpx

from rag.errors import RagError
from rag.ingestion.fetch import Fetcher, FetchError, check_url
from rag.ingestion.web_listings import normalize_url
from rag.ingestion.web_sources import WebItem, WebReport, _failed, _progress, fetch_listing
from rag.ingestion.web_state import Resource

log = logging.getLogger(__name__)


class ServiceUnreachable(RagError):
    code = "service_unreachable"


class RemoteSync:
    """Posts the URLs that feeds/sitemaps list to a service's POST /api/documents."""

    def __init__(
        self,
        server: str,
        fetcher: Fetcher,
        *,
        api_key: str = "",
        timeout: float = 300.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.fetcher = fetcher
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=self.server, timeout=timeout, headers=headers)
        self.listings: dict[str, Resource] = {}
        self.posted: set[str] = set()  # URLs the service has indexed (or found unchanged)

    def _post(self, url: str) -> WebItem:
        try:
            resp = self.client.post("/api/documents", params={"replace": "true"}, json={"url": url})
        except httpx.HTTPError as exc:
            raise ServiceUnreachable(f"cannot reach the service at {self.server} ({exc})") from None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code in (200, 201) and body.get("documents"):
            doc = body["documents"][0]
            self.posted.add(url)
            return WebItem(
                url,
                doc.get("status", "added"),
                doc.get("source", ""),
                chunks=int(doc.get("chunks", 0)),
                title=doc.get("title", ""),
            )
        if resp.status_code in (401, 403):
            raise ServiceUnreachable(
                f"the service at {self.server} refused the write (HTTP {resp.status_code}); "
                "set --api-key or RAG_API_KEY"
            )
        error = body.get("error", {}) if isinstance(body, dict) else {}
        reason = error.get("message") or f"HTTP {resp.status_code} from the service"
        if resp.status_code >= 500:
            raise ServiceUnreachable(f"the service at {self.server} failed: {reason}")
        return WebItem(url, "skipped", reason=reason)

    def sync(
        self,
        urls: list[str] = (),  # type: ignore[assignment]
        feeds: list[str] = (),  # type: ignore[assignment]
        sitemaps: list[str] = (),  # type: ignore[assignment]
        *,
        progress: bool = False,
    ) -> WebReport:
        started = time.perf_counter()
        before = self.fetcher.requests
        report = WebReport()
        candidates: dict[str, None] = {}
        for url, kind in [(u, "feed") for u in feeds] + [(u, "sitemap") for u in sitemaps]:
            key = normalize_url(url)
            item, entries, changed, resource = fetch_listing(
                self.fetcher, url, kind, self.listings.get(key)
            )
            item.listed = len(entries)
            report.listings.append(item)
            if resource is not None:
                self.listings[key] = resource
            for entry in entries:
                if changed or entry not in self.posted:
                    candidates[entry] = None
        for url in urls:
            try:
                candidates[normalize_url(check_url(url))] = None
            except FetchError as exc:
                report.items.append(_failed(url, exc))
        with _progress(progress, len(candidates)) as advance:
            for url in candidates:
                item = self._post(url)
                advance(url)
                report.items.append(item)
                if item.status in ("added", "updated"):
                    report.chunks_embedded += item.chunks
        for item in report.skipped:
            log.warning("skipped %s: %s", item.url, item.reason)
        report.requests = self.fetcher.requests - before + len(candidates)
        report.seconds = time.perf_counter() - started
        return report
