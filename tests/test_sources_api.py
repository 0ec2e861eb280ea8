"""POST /api/documents {"url"} and PDF/DOCX uploads over HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eval.newsroom import (
    Route,
    Site,
    encrypted_pdf,
    release,
    release_docx,
    release_page,
    release_pdf,
)
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.http.app import create_app
from rag.ingestion.web_extract import source_for_url
from tests.test_api import assert_error, wait_ready


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


@pytest.fixture
def make_client(tmp_path: Path, seeds_copy: Path) -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []
    base = Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        fetch_delay=0.0,
        fetch_allow_private=True,  # the newsroom is on loopback
    )

    def make(**overrides: Any) -> TestClient:
        settings = dataclasses.replace(base, **overrides)
        engine = Engine(settings, embedder=FakeEmbedder())
        engine.warm_up = lambda: None  # type: ignore[method-assign]  # no answer models here
        client = TestClient(create_app(settings, engine=engine), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        wait_ready(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_post_url_adds_the_page_then_reports_it_unchanged(
    site: Site, make_client: Callable[..., TestClient]
) -> None:
    client = make_client()
    rel = release(4)
    site.routes[f"/news/{rel.slug}"] = Route(release_page(rel))
    url = site.url(f"/news/{rel.slug}")
    r = client.post("/api/documents", json={"url": url})
    assert r.status_code == 201, r.text
    [item] = r.json()["documents"]
    assert item["source"] == source_for_url(url) and item["status"] == "added"
    assert item["title"] == rel.title and item["chunks"] >= 1 and item["url"] == url
    doc = client.get(r.headers["location"]).json()
    assert (doc["title"], doc["date"], doc["place"], doc["url"]) == (
        rel.title,
        rel.iso,
        rel.city,
        url,
    )
    assert "Arms control" not in doc["text"] and doc["pages"] == []
    again = client.post("/api/documents", json={"url": url})
    assert again.status_code == 200 and again.json()["documents"][0]["status"] == "unchanged"
    assert site.requests(f"/news/{rel.slug}")[-1]["status"] == 304
    listed = client.get("/api/documents", params={"limit": 500}).json()["documents"]
    assert item["source"] in {d["source"] for d in listed}


def test_post_url_with_a_name_and_a_pdf(site: Site, make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    site.routes["/r.pdf"] = Route(
        release_pdf(release(5), ["Second page."]), content_type="application/pdf"
    )
    r = client.post("/api/documents", json={"url": site.url("/r.pdf"), "source": "r5.pdf"})
    assert r.status_code == 201, r.text
    doc = client.get("/api/documents/r5.pdf").json()
    assert [p["page"] for p in doc["pages"]] == [1, 2]
    second = doc["pages"][1]
    assert doc["text"][second["start"] : second["end"]] == "Second page."


@pytest.mark.parametrize(
    ("path", "route", "status", "code", "message"),
    [
        ("/missing", None, 422, "fetch_failed", "HTTP 404 Not Found"),
        ("/boom", Route(b"x", status=500), 422, "fetch_failed", "HTTP 500 Internal Server Error"),
        ("/slow", Route(b"x", delay=2.0), 422, "fetch_failed", "timed out after 0.5 s"),
        ("/img", Route(b"\x89PNG", content_type="image/png"), 415, "unsupported_media_type", ""),
        ("/big", Route(b"<p>" + b"x" * 5000 + b"</p>"), 413, "payload_too_large", "larger"),
        ("/s.pdf", Route(encrypted_pdf(), content_type="application/pdf"), 422, None, "password"),
        ("/loop", Route(redirect="/loop"), 422, "fetch_failed", "too many redirects"),
    ],
)
def test_post_url_failures_are_4xx_json(
    site: Site,
    make_client: Callable[..., TestClient],
    path: str,
    route: Route | None,
    status: int,
    code: str | None,
    message: str,
) -> None:
    client = make_client(fetch_timeout=0.5, fetch_max_bytes=4000)
    if route is not None:
        site.routes[path] = route
    before = client.get("/api/documents").json()["total"]
    r = client.post("/api/documents", json={"url": site.url(path)})
    error = assert_error(r, status, code)
    assert message in error["message"] and "\n" not in error["message"]
    assert client.get("/api/documents").json()["total"] == before


def test_post_url_refuses_private_addresses_by_default(
    site: Site, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(fetch_allow_private=False)
    site.routes["/a"] = Route(release_page(release(1)))
    r = client.post("/api/documents", json={"url": site.url("/a")})
    assert "private or loopback" in assert_error(r, 422, "fetch_blocked")["message"]
    assert not site.requests()
    bad = client.post("/api/documents", json={"url": "file:///etc/passwd"})
    assert "not an http(s) URL" in assert_error(bad, 422, "fetch_failed")["message"]
    extra = client.post("/api/documents", json={"url": site.url("/a"), "title": "x"})
    assert_error(extra, 422, "validation_error")
    for name in ("..", "a/b", "x" * 201):
        named = client.post("/api/documents", json={"url": site.url("/a"), "source": name})
        assert_error(named, 422, "validation_error")


def test_upload_pdf_and_docx(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    pdf = release_pdf(release(6), ["Annex page."])
    r = client.post("/api/documents", files={"file": ("r6.pdf", pdf, "application/pdf")})
    assert r.status_code == 201, r.text
    doc = client.get("/api/documents/r6.pdf").json()
    assert doc["title"] == release(6).title and len(doc["pages"]) == 2
    r = client.post("/api/documents", files={"file": ("r7.docx", release_docx(release(7)))})
    assert r.status_code == 201 and r.json()["documents"][0]["title"] == release(7).title
    broken = client.post("/api/documents", files={"file": ("x.pdf", b"%PDF-1.4 junk")})
    assert "not a readable PDF" in assert_error(broken, 422)["message"]
    secret = client.post("/api/documents", files={"file": ("s.pdf", encrypted_pdf())})
    assert "password-protected" in assert_error(secret, 422)["message"]
