"""Bad web input: each URL fails alone with a one-line reason; the rest of the batch is indexed."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.newsroom import (
    Route,
    Site,
    encrypted_pdf,
    release,
    release_page,
    release_pdf,
    scanned_pdf,
)
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.http.errors import http_status
from rag.ingestion.fetch import Fetcher, FetchError, FetchPolicy
from rag.ingestion.web_sources import WebIngester
from rag.ingestion.web_state import WebState


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(
        Settings(index_dir=tmp_path / "index", embed_model="fake"), embedder=FakeEmbedder()
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_bad_url_is_skipped_with_one_line_and_the_rest_indexed(
    site: Site, engine: Engine
) -> None:
    good = release(1)
    site.routes["/good"] = Route(release_page(good))
    site.routes["/good.pdf"] = Route(release_pdf(release(2)), content_type="application/pdf")
    site.routes["/boom"] = Route(b"<h1>oops</h1>", status=500)
    site.routes["/slow"] = Route(release_page(release(3)), delay=3.0)
    site.routes["/logo.png"] = Route(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    site.routes["/huge"] = Route(b"<html><body>" + b"<p>word</p>" * 20_000 + b"</body></html>")
    site.routes["/broken.pdf"] = Route(b"%PDF-1.7\n1 0 obj <<", content_type="application/pdf")
    site.routes["/secret.pdf"] = Route(encrypted_pdf(), content_type="application/pdf")
    site.routes["/scan.pdf"] = Route(scanned_pdf(3), content_type="application/pdf")
    menu_only = re.sub(rb"<article>.*</article>", b"", release_page(good), flags=re.S)
    site.routes["/menu"] = Route(menu_only)
    dead = f"http://127.0.0.1:{closed_port()}/news"
    paths = [
        *("/good", "/missing", "/boom", "/slow", "/logo.png", "/huge"),
        *("/broken.pdf", "/secret.pdf", "/scan.pdf", "/good.pdf", "/menu"),
    ]
    urls = [site.url(p) for p in paths] + [dead, "ftp://example.org/x"]
    web = WebIngester(engine, Fetcher(FetchPolicy(delay=0.0, timeout=0.5, max_bytes=100_000)))
    report = web.sync(urls)
    reasons = {i.url.removeprefix(site.base): i.reason for i in report.items if i.reason}
    assert reasons == {
        "/missing": "HTTP 404 Not Found",
        "/boom": "HTTP 500 Internal Server Error",
        "/slow": "timed out after 0.5 s (127.0.0.1)",
        "/logo.png": "not a web page or document (content type image/png); "
        "HTML, PDF and DOCX are indexed",
        "/huge": f"larger than the limit of 100000 bytes ({len(site.routes['/huge'].body)})",
        "/broken.pdf": reasons["/broken.pdf"],
        "/secret.pdf": "password-protected PDF (no text can be read without the password)",
        "/scan.pdf": "no text layer in 3 page(s) (a scanned PDF?); OCR it first to index it",
        "/menu": "no main text found on the page (only short lines: a menu or index?)",
        dead: reasons[dead],
        "ftp://example.org/x": "not an http(s) URL: 'ftp://example.org/x'",
    }
    assert reasons["/broken.pdf"].startswith("not a readable PDF (")
    assert reasons[dead].startswith("unreachable host 127.0.0.1 (")
    assert all("\n" not in r and len(r) < 200 for r in reasons.values())
    # the good ones are indexed; nothing of the bad ones is
    assert sorted(i.url.removeprefix(site.base) for i in report.items if i.status == "added") == [
        "/good",
        "/good.pdf",
    ]
    snap = engine.snapshot
    assert len(snap.documents) == 2
    assert {d.url.removeprefix(site.base) for d in snap.documents.values()} == {
        "/good",
        "/good.pdf",
    }
    # a failed URL leaves no state behind: the next sync tries it again
    state = WebState(engine.settings.index_dir)
    assert state.get(site.url("/missing")) is None
    site.routes["/missing"] = Route(release_page(release(4)))
    again = web.sync([site.url("/missing"), site.url("/good")])
    assert [i.status for i in again.items] == ["added", "unchanged"]


def test_a_failed_write_records_no_fetch_state(site: Site, engine: Engine, monkeypatch) -> None:
    site.routes["/a"] = Route(release_page(release(1)))
    web = WebIngester(engine, Fetcher(FetchPolicy(delay=0.0)))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(engine, "add_documents", broken)
    with pytest.raises(OSError):
        web.sync([site.url("/a")])
    assert WebState(engine.settings.index_dir).get(site.url("/a")) is None
    monkeypatch.undo()
    assert web.sync([site.url("/a")]).items[0].status == "added"


def test_private_addresses_are_refused_when_not_allowed(site: Site) -> None:
    site.routes["/a"] = Route(release_page(release(1)))
    fetcher = Fetcher(FetchPolicy(delay=0.0, allow_private=False))
    with fetcher, pytest.raises(FetchError, match="private or loopback address") as info:
        fetcher.get(site.url("/a"))
    assert http_status(info.value) == 422 and info.value.code == "fetch_blocked"
    assert not site.requests()


def test_robots_txt_server_error_blocks_the_host(site: Site) -> None:
    site.routes["/robots.txt"] = Route(b"down", status=503)
    site.routes["/a"] = Route(release_page(release(1)))
    fetcher = Fetcher(FetchPolicy(delay=0.0))
    with fetcher, pytest.raises(FetchError, match=r"robots.txt unavailable \(HTTP 503"):
        fetcher.get(site.url("/a"))
    assert not site.requests("/a")


@pytest.mark.parametrize(
    ("ctype", "path", "body", "kind"),
    [
        ("text/html", "/a", b"<html>", "html"),
        ("application/xhtml+xml", "/a", b"<html>", "html"),
        ("", "/a", b"  <!doctype html>", "html"),
        ("application/pdf", "/a", b"%PDF-1.7", "pdf"),
        ("application/octet-stream", "/a.bin", b"%PDF-1.7", "pdf"),
        ("application/octet-stream", "/r.docx", b"PK\x03\x04", "docx"),
        ("", "/r.docx", b"PK\x03\x04", "docx"),
        ("application/zip", "/r.zip", b"PK\x03\x04", None),
        ("application/json", "/api", b"{}", None),
    ],
)
def test_kind_of_by_media_type_then_bytes(ctype: str, path: str, body: bytes, kind) -> None:
    from rag.ingestion.fetch import Fetched, FetchUnsupported
    from rag.ingestion.web_sources import kind_of

    fetched = Fetched("http://h" + path, "http://h" + path, 200, ctype, body)
    if kind is None:
        with pytest.raises(FetchUnsupported, match="not a web page or document"):
            kind_of(fetched)
    else:
        assert kind_of(fetched) == kind
