"""Polite HTTP fetching for web ingestion.

One `Fetcher` per process: timeouts (per request, the whole body included), a size limit,
bounded redirects (each hop checked again), robots.txt honoured (its Crawl-delay too), a clear
User-Agent, a minimum delay between two requests to the same host, and conditional requests
(If-None-Match / If-Modified-Since) so an unchanged page costs a 304. Every failure is a
`FetchError` whose message is one line saying why; its status is what the HTTP API answers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from rag import __version__
from rag.config import Settings
from rag.errors import RagError

log = logging.getLogger(__name__)

USER_AGENT = f"rag-press-indexer/{__version__} (press-release question answering; obeys robots.txt)"
_REDIRECTS = (301, 302, 303, 307, 308)
_ROBOTS_MAX_BYTES = 512_000
_MAX_CRAWL_DELAY = 60.0


class FetchError(RagError):
    """A URL that could not be fetched; the message is a one-line reason."""

    code = "fetch_failed"


class FetchTooLarge(FetchError):
    code = "payload_too_large"


class FetchUnsupported(FetchError):
    code = "unsupported_media_type"


class FetchBlocked(FetchError):
    """robots.txt disallows the URL, or (over HTTP) it points at a private address."""

    code = "fetch_blocked"


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 10.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    delay: float = 1.0
    user_agent: str = USER_AGENT
    allow_private: bool = True  # the CLI's operator may index an intranet; the API may not

    @classmethod
    def from_settings(cls, settings: Settings, *, allow_private: bool = True) -> FetchPolicy:
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            delay=settings.fetch_delay,
            user_agent=settings.fetch_user_agent or USER_AGENT,
            allow_private=allow_private,
        )


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int  # 200, or 304 (not modified: body empty)
    content_type: str  # media type only, lower case ("text/html")
    body: bytes
    etag: str = ""
    last_modified: str = ""
    charset: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str) -> str:
    """The URL stripped, or FetchError when it is not an absolute http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]!r}")
    return url


def _media_type(header: str) -> tuple[str, str]:
    msg = Message()
    msg["content-type"] = header or ""
    return msg.get_content_type().lower() if header else "", msg.get_param("charset") or ""


class Fetcher:
    """Thread-safe; keeps one connection pool, the robots.txt rules and each host's next slot."""

    def __init__(self, policy: FetchPolicy | None = None, transport=None) -> None:
        self.policy = policy or FetchPolicy()
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            headers={"User-Agent": self.policy.user_agent},
            transport=transport,
        )
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, tuple[RobotFileParser | None, str]] = {}
        self.requests = 0  # sent so far, robots.txt included

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- politeness ------------------------------------------------------------------------
    def _wait_turn(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + delay
        if slot > now:
            time.sleep(slot - now)

    def _check_address(self, url: str) -> None:
        if self.policy.allow_private:
            return
        parts = urlsplit(url)
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchError(f"unreachable host {parts.hostname} ({exc.strerror or exc})") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if not address.is_global:
                raise FetchBlocked(
                    f"{parts.hostname} is a private or loopback address; "
                    "RAG_FETCH_ALLOW_PRIVATE=1 allows it"
                )

    def _rules(self, url: str) -> tuple[RobotFileParser | None, str]:
        """The host's robots.txt (None: allow all) and why it blocks everything, if it does."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._robots.get(origin)
        if cached is not None:
            return cached
        robots_url = origin + "/robots.txt"
        rules: RobotFileParser | None = None
        blocked = ""
        try:
            got = self._get(robots_url, {}, _ROBOTS_MAX_BYTES, robots=False)
        except FetchError as exc:
            if "HTTP 4" in exc.message:  # RFC 9309: no robots.txt (4xx) means no rules
                got = None
            elif exc.message.startswith("HTTP 5"):
                blocked = f"robots.txt unavailable ({exc.message}); not crawling {parts.netloc}"
                got = None
            else:
                raise  # unreachable host, timeout: the page itself would fail the same way
        if got is not None and got.status == 200:
            rules = RobotFileParser(robots_url)
            rules.parse(got.body.decode("utf-8", "replace").splitlines())
        with self._lock:
            self._robots[origin] = (rules, blocked)
        return rules, blocked

    def _delay_for(self, url: str) -> float:
        rules, _ = self._rules(url)
        delay = self.policy.delay
        if rules is not None:
            crawl = rules.crawl_delay(self.policy.user_agent)
            if crawl:
                delay = max(delay, min(float(crawl), _MAX_CRAWL_DELAY))
        return delay

    def _allowed(self, url: str) -> None:
        rules, blocked = self._rules(url)
        if blocked:
            raise FetchBlocked(blocked)
        if rules is not None and not rules.can_fetch(self.policy.user_agent, url):
            raise FetchBlocked(f"disallowed by robots.txt: {url}")

    # -- requests --------------------------------------------------------------------------
    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        """GET `url` politely; a 304 comes back as `not_modified`, any failure as FetchError."""
        url = check_url(url)
        headers = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers, self.policy.max_bytes, robots=True)

    def _get(self, url: str, headers: dict[str, str], limit: int, *, robots: bool) -> Fetched:
        asked = url
        for _hop in range(self.policy.max_redirects + 1):
            check_url(url)
            self._check_address(url)
            if robots:
                self._allowed(url)
            host = urlsplit(url).netloc.lower()
            self._wait_turn(host, self._delay_for(url) if robots else self.policy.delay)
            location, fetched = self._once(asked, url, headers, limit)
            if fetched is not None:
                return fetched
            url = location
        raise FetchError(f"too many redirects (more than {self.policy.max_redirects})")

    def _once(
        self, asked: str, url: str, headers: dict[str, str], limit: int
    ) -> tuple[str, Fetched | None]:
        """One request: (redirect target, None) or ("", the response)."""
        host = urlsplit(url).hostname or url
        timeout = self.policy.timeout
        deadline = time.monotonic() + timeout
        self.requests += 1
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in _REDIRECTS and resp.headers.get("location"):
                    return urljoin(url, resp.headers["location"]), None
                if resp.status_code == 304:
                    return "", Fetched(
                        asked,
                        url,
                        304,
                        "",
                        b"",
                        resp.headers.get("etag", ""),
                        resp.headers.get("last-modified", ""),
                    )
                if resp.status_code >= 400 or resp.status_code != 200:
                    raise FetchError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchTooLarge(f"larger than the limit of {limit} bytes ({declared})")
                parts, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchTooLarge(f"larger than the limit of {limit} bytes")
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("deadline")
                    parts.append(chunk)
                ctype, charset = _media_type(resp.headers.get("content-type", ""))
                return "", Fetched(
                    asked,
                    url,
                    200,
                    ctype,
                    b"".join(parts),
                    resp.headers.get("etag", ""),
                    resp.headers.get("last-modified", ""),
                    charset,
                )
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {timeout:g} s ({host})") from None
        except httpx.ConnectError as exc:
            reason = str(exc).split("]")[-1].strip() or "connection failed"
            raise FetchError(f"unreachable host {host} ({reason})") from None
        except httpx.HTTPError as exc:
            reason = f"fetch failed ({type(exc).__name__}: {exc})".splitlines()[0]
            raise FetchError(reason) from None
