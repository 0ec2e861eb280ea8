"""A generated newsroom served on loopback: release pages with a site menu, a feed, a sitemap,
PDF and DOCX releases. Used by the source tests (tests/test_sources_*.py) and
`python -m eval.bench_sources`; nothing here reaches beyond 127.0.0.1.

`Site` is a tiny threaded HTTP server over a dict of routes that answers conditional requests
(ETag / Last-Modified -> 304), redirects, slow routes (for timeouts) and logs every request.
"""

from __future__ import annotations

import hashlib
import html
import io
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

MENU = (
    *("Our work", "Fields of work", "Arms control", "Border management", "Countering terrorism"),
    *("Cyber/ICT Security", "Democratization", "Participating States", "Albania", "Andorra"),
    *("Armenia", "Secretariat", "Conflict Prevention Centre", "Field operations"),
    *("Court of Conciliation and Arbitration", "Parliamentary Assembly", "About us"),
)
FOOTER = ("Contact us", "Careers", "Procurement", "Terms of use", "Privacy policy")
CITIES = (
    *("Vienna", "Geneva", "Oslo", "Astana", "Tashkent", "Bishkek", "Dushanbe", "Skopje"),
    *("Belgrade", "Tirana", "Warsaw", "Prague", "Helsinki", "Riga", "Vilnius", "Tallinn"),
)
FUNDERS = (
    *("Belgium", "Norway", "Japan", "Sweden", "Finland", "Germany", "Canada", "Ireland"),
    *("Switzerland", "Denmark", "Austria", "Italy", "Spain", "Poland", "Estonia", "Latvia"),
)
TOPICS = (
    *("border security", "drug trafficking", "cyber security", "election observation"),
    *("media freedom", "police reform", "anti-corruption", "water management"),
)
MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)


@dataclass(frozen=True)
class Release:
    n: int
    title: str
    city: str
    day: date
    funder: str
    experts: int
    paragraphs: tuple[str, ...]
    slug: str

    @property
    def dateline(self) -> str:
        return f"{self.city.upper()}, {self.day.day} {MONTHS[self.day.month - 1]} {self.day.year}"

    @property
    def iso(self) -> str:
        return self.day.isoformat()


def release(n: int) -> Release:
    """The n-th generated release: its facts (funder, experts, city, date) are unique to it."""
    city = CITIES[n % len(CITIES)]
    topic = TOPICS[(n // len(CITIES)) % len(TOPICS)]
    funder = FUNDERS[(n * 7) % len(FUNDERS)]
    day = date(2009, 1, 5) + timedelta(days=11 * n)
    experts = 20 + (n * 13) % 180
    code = f"Workshop{n:03d}"
    title = f"OSCE {code} on {topic} opens in {city}"
    dateline = f"{city.upper()}, {day.day} {MONTHS[day.month - 1]} {day.year}"
    paragraphs = (
        f"{dateline} - The OSCE {code} on {topic} opened today in {city}, bringing together "
        f"{experts} experts from participating States and partner organizations.",
        f"The {code} in {city} was funded by {funder}. Its sessions cover regional "
        "co-operation, the exchange of good practices and the training needs of national "
        "agencies.",
        f'"Co-operation across borders is the only way forward," said the head of the {code} '
        "organizing team at the opening session.",
        f"The {code} continues until the end of the week and will adopt a set of "
        "recommendations for the participating States.",
    )
    return Release(n, title, city, day, funder, experts, paragraphs, f"release-{n:03d}")


def release_page(rel: Release, site_name: str = "OSCE Newsroom") -> bytes:
    """A release page as a CMS renders it: menu, breadcrumbs, metadata, article, footer."""
    menu = "".join(
        f'<li><a href="/topics/{i}">{html.escape(m)}</a></li>' for i, m in enumerate(MENU)
    )
    foot = "".join(
        f'<li><a href="/about/{i}">{html.escape(m)}</a></li>' for i, m in enumerate(FOOTER)
    )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in rel.paragraphs)
    title = html.escape(rel.title)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | {html.escape(site_name)}</title>
<meta property="og:site_name" content="{html.escape(site_name)}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{rel.iso}">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
</head><body>
<header><a href="/">{html.escape(site_name)}</a><nav><ul>{menu}</ul></nav>
<form action="/search"><input name="q" placeholder="Search"></form></header>
<main><ol class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ol>
<article><p class="kicker">Press release</p><h1>{title}</h1>
<p class="meta">Published <time datetime="{rel.iso}">{rel.day.day} {MONTHS[rel.day.month - 1]} \
{rel.day.year}</time></p>
{body}
</article>
<aside><h2>Related</h2><ul><li><a href="/news">More news</a></li></ul></aside></main>
<footer><ul>{foot}</ul><p>© OSCE. All rights reserved.</p></footer>
</body></html>""".encode()


def rss_feed(base: str, releases: list[Release], paths: list[str] | None = None) -> bytes:
    paths = paths or [f"/news/{r.slug}" for r in releases]
    items = "".join(
        f"<item><title>{escape(r.title)}</title><link>{base}{p}</link>"
        f"<guid>{base}{p}</guid><pubDate>{_rfc822(r.day)}</pubDate></item>"
        for r, p in zip(releases, paths, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Newsroom</title><link>{base}/</link><description>Press releases</description>"
        f"{items}</channel></rss>"
    ).encode()


def sitemap(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{escape(base + p)}</loc></url>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def _rfc822(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def release_pdf(rel: Release, extra_pages: list[str] = ()) -> bytes:  # type: ignore[assignment]
    """A text PDF of the release (fpdf2): title, dateline paragraphs, then any extra pages."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(rel.title)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, rel.title)
    pdf.ln(4)
    pdf.set_font("helvetica", size=11)
    for para in rel.paragraphs:
        pdf.multi_cell(0, 6, para.replace("\u2019", "'"))
        pdf.ln(3)
    for page in extra_pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, page)
    return bytes(pdf.output())


def scanned_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages carry only drawings (no text layer), as a scanner makes them."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 170, 250, style="F")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "GENEVA, 1 March 2012 - A confidential release.")
    return bytes(pdf.output())


def release_docx(rel: Release) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(rel.title, level=1)
    for para in rel.paragraphs:
        document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- the server ----------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    redirect: str = ""  # a Location: answered with 301
    delay: float = 0.0  # seconds before answering (a slow page)
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class Site:
    """`with Site() as site: site.routes["/x"] = Route(b"...")`; `site.url("/x")`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[dict[str, Any]] = []
        self.last_modified = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every response ~40 ms (a real server would not)
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                site._serve(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that gave up (the timeout tests) is no error here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.log if path is None or r["path"] == path]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        route = self.routes.get(path)
        entry = {"path": path, "ua": h.headers.get("User-Agent", ""), "t": time.monotonic()}
        entry["conditional"] = bool(
            h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since")
        )
        if route is None:
            status, body, headers = 404, b"<h1>Not found</h1>", {"Content-Type": "text/html"}
        elif route.delay:
            time.sleep(route.delay)
            status, body, headers = route.status, route.body, {"Content-Type": route.content_type}
        elif route.redirect:
            status, body, headers = 301, b"", {"Location": route.redirect}
        else:
            status, body = route.status, route.body
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.validators and status == 200:
                headers |= {"ETag": route.etag, "Last-Modified": self.last_modified}
                if h.headers.get("If-None-Match") == route.etag:
                    status, body = 304, b""
        entry["status"] = status
        with self._lock:
            self.log.append(entry)
        try:
            h.send_response(status)
            for key, value in headers.items():
                h.send_header(key, value)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if body:
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass


def newsroom(site: Site, count: int, *, pdfs: int = 0) -> list[Release]:
    """Publish `count` release pages, `pdfs` PDF releases, a feed and a sitemap on `site`."""
    releases = [release(n) for n in range(count + pdfs)]
    pages = releases[:count]
    for rel in pages:
        site.routes[f"/news/{rel.slug}"] = Route(release_page(rel))
    pdf_paths = []
    for rel in releases[count:]:
        path = f"/files/{rel.slug}.pdf"
        site.routes[path] = Route(release_pdf(rel), content_type="application/pdf")
        pdf_paths.append(path)
    page_paths = [f"/news/{r.slug}" for r in pages]
    site.routes["/feed.xml"] = Route(rss_feed(site.base, pages), content_type="application/rss+xml")
    site.routes["/sitemap.xml"] = Route(
        sitemap(site.base, page_paths + pdf_paths), content_type="application/xml"
    )
    site.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    return releases
