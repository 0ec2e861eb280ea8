"""Web sources against a loopback newsroom: extraction, feeds, sitemaps, re-sync, politeness."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.newsroom import MENU, Route, Site, newsroom, release, release_page, release_pdf
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.ingestion.fetch import USER_AGENT, Fetcher, FetchPolicy
from rag.ingestion.ingest import parse_bytes
from rag.ingestion.web_extract import source_for_url
from rag.ingestion.web_sources import WebIngester
from tests.conftest import SEEDS
from tests.test_ingest import MENU_WORDS


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    settings = Settings(index_dir=tmp_path / "index", embed_model="fake")
    return Engine(settings, embedder=FakeEmbedder())


def ingester(engine: Engine, **policy) -> WebIngester:
    return WebIngester(engine, Fetcher(FetchPolicy(**{"delay": 0.0, **policy})))


def seed_page(raw: str) -> bytes:
    """A seed release as the site served it: its navigation menu, then the release."""
    lines = raw.splitlines()
    marker = lines.index("Press release")
    menu = [ln.strip("- ").strip() for ln in lines[:marker] if ln.strip("- ").strip()]
    title = lines[marker + 1]
    rest = lines[marker + 2 :]
    meta = [ln.strip("- ").strip() for ln in rest if ln.startswith("- ")]
    body = [ln for ln in rest if ln.strip() and not ln.startswith("- ")]
    items = "".join(f'<li><a href="/m/{i}">{html.escape(m)}</a></li>' for i, m in enumerate(menu))
    return (
        f"<!doctype html><html><head><title>{html.escape(title)} | OSCE</title>"
        '<meta property="og:site_name" content="OSCE"></head><body>'
        f'<header><nav class="main-menu"><ul>{items}</ul></nav></header><main><article>'
        f"<p>Press release</p><h1>{html.escape(title)}</h1>"
        f"<ul class='meta'>{''.join(f'<li>{html.escape(m)}</li>' for m in meta)}</ul>"
        f"{''.join(f'<p>{html.escape(p)}</p>' for p in body)}</article></main>"
        "<footer><p>Terms of use</p></footer></body></html>"
    ).encode()


def test_seed_pages_lose_their_menus_and_keep_title_date_place(site: Site, engine: Engine) -> None:
    seeds = sorted(p for p in SEEDS.glob("*.txt"))
    for path in seeds:
        site.routes[f"/press/{path.stem}"] = Route(seed_page(path.read_text()))
    urls = [site.url(f"/press/{p.stem}") for p in seeds]
    report = ingester(engine).sync(urls)
    assert report.count("added") == len(seeds) and not report.skipped
    snap = engine.snapshot
    for path, url in zip(seeds, urls, strict=True):
        expected = parse_bytes(path.read_bytes(), path.name)[0]
        doc = snap.documents[source_for_url(url)]
        assert (doc.title, doc.date, doc.place, doc.country) == (
            expected.title,
            expected.date,
            expected.place,
            expected.country,
        )
        assert doc.text == expected.text  # the same cleaned body as the .txt ingester's
        assert doc.url == url and doc.publisher == "OSCE"
    for chunk in snap.chunks.values():
        for word in (*MENU_WORDS, "Terms of use", "Press release"):
            assert word not in chunk.text, (chunk.chunk_id, word)


def test_feed_then_unchanged_resync_embeds_and_downloads_nothing(
    site: Site, engine: Engine
) -> None:
    releases = newsroom(site, 6)
    feed = site.url("/feed.xml")
    first = ingester(engine).sync(feeds=[feed])
    assert first.count("added") == 6 and first.chunks_embedded >= 6
    for rel in releases:
        doc = engine.snapshot.documents[source_for_url(site.url(f"/news/{rel.slug}"))]
        assert (doc.title, doc.date, doc.place) == (rel.title, rel.iso, rel.city)
        assert doc.publisher == "OSCE Newsroom"
        assert not any(m in doc.text for m in MENU), doc.text
    encoded = engine.embedder.texts_encoded
    site.log.clear()
    again = ingester(engine).sync(feeds=[feed])  # a new process: robots.txt asked again
    assert engine.embedder.texts_encoded == encoded
    assert again.chunks_embedded == 0 and again.listings[0].status == "unchanged"
    assert [(r["path"], r["status"]) for r in site.requests() if r["path"] != "/robots.txt"] == [
        ("/feed.xml", 304)
    ]


def test_changed_feed_refetches_conditionally_and_embeds_only_the_changed_page(
    site: Site, engine: Engine
) -> None:
    releases = newsroom(site, 4)
    web = ingester(engine)
    web.sync(feeds=[site.url("/feed.xml")])
    changed = releases[1]
    edited = release_page(changed).replace(b"was funded by", b"was generously funded by")
    site.routes[f"/news/{changed.slug}"] = Route(edited)
    site.routes["/feed.xml"].body += b"<!-- touched -->"
    site.log.clear()
    encoded = engine.embedder.texts_encoded
    report = web.sync(feeds=[site.url("/feed.xml")])
    statuses = {i.url.rsplit("/", 1)[-1]: i.status for i in report.items}
    assert statuses == {
        "release-000": "unchanged",
        "release-001": "updated",
        "release-002": "unchanged",
        "release-003": "unchanged",
    }
    pages = [r for r in site.requests() if r["path"].startswith("/news/")]
    assert all(r["conditional"] for r in pages)
    assert sorted(r["status"] for r in pages) == [200, 304, 304, 304]
    assert engine.embedder.texts_encoded - encoded == report.chunks_embedded > 0
    doc = engine.snapshot.documents[source_for_url(site.url(f"/news/{changed.slug}"))]
    assert "generously funded" in doc.text


def test_markup_change_around_the_same_release_embeds_nothing(site: Site, engine: Engine) -> None:
    rel = release(0)
    site.routes["/a"] = Route(release_page(rel))
    web = ingester(engine)
    web.sync([site.url("/a")])
    encoded = engine.embedder.texts_encoded
    site.routes["/a"] = Route(release_page(rel).replace(b"Careers", b"Jobs at the OSCE"))
    report = web.sync([site.url("/a")])
    assert report.items[0].status == "unchanged" and engine.embedder.texts_encoded == encoded


def test_sitemap_filters_navigation_and_other_sites_and_reads_pdfs(
    site: Site, engine: Engine
) -> None:
    releases = newsroom(site, 3, pdfs=1)
    site.routes["/tag/drugs"] = Route(b"<html><body><p>tag page</p></body></html>")
    extra = "".join(
        f"<url><loc>{u}</loc></url>"
        for u in (site.url("/tag/drugs"), "http://other.example/news/x", site.url("/logo.png"))
    )
    site.routes["/sitemap.xml"].body = site.routes["/sitemap.xml"].body.replace(
        b"</urlset>", extra.encode() + b"</urlset>"
    )
    report = ingester(engine).sync(sitemaps=[site.url("/sitemap.xml")])
    assert report.listings[0].listed == 4
    assert sorted(i.kind for i in report.items) == ["html", "html", "html", "pdf"]
    assert not site.requests("/tag/drugs") and not site.requests("/logo.png")
    pdf = releases[3]
    doc = engine.snapshot.documents[source_for_url(site.url(f"/files/{pdf.slug}.pdf"))]
    assert (doc.title, doc.date, doc.place) == (pdf.title, pdf.iso, pdf.city)


def test_redirects_are_followed_and_bounded(site: Site, engine: Engine) -> None:
    site.routes["/news/final"] = Route(release_page(release(2)))
    site.routes["/old"] = Route(redirect="/news/final")
    site.routes["/loop-a"] = Route(redirect="/loop-b")
    site.routes["/loop-b"] = Route(redirect="/loop-a")
    report = ingester(engine, max_redirects=3).sync([site.url("/old"), site.url("/loop-a")])
    ok, loop = report.items
    assert ok.status == "added" and ok.source == source_for_url(site.url("/news/final"))
    assert engine.snapshot.documents[ok.source].url == site.url("/news/final")
    assert loop.status == "skipped" and loop.reason == "too many redirects (more than 3)"


def test_user_agent_robots_txt_and_polite_pace(
    site: Site, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    newsroom(site, 3)
    site.routes["/robots.txt"] = Route(
        b"User-agent: *\nCrawl-delay: 2\nDisallow: /private/\n", content_type="text/plain"
    )
    site.routes["/private/memo"] = Route(release_page(release(5)))
    clock, slept = [1000.0], []  # a fake clock: sleeping advances it, nothing waits

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock[0] += seconds

    monkeypatch.setattr("rag.ingestion.fetch.time.sleep", sleep)
    monkeypatch.setattr("rag.ingestion.fetch.time.monotonic", lambda: clock[0])
    urls = [site.url(f"/news/release-00{i}") for i in range(3)] + [site.url("/private/memo")]
    report = ingester(engine, delay=0.5).sync(urls)
    assert report.count("added") == 3
    assert report.items[-1].reason == f"disallowed by robots.txt: {site.url('/private/memo')}"
    assert not site.requests("/private/memo")
    assert {r["ua"] for r in site.requests()} == {USER_AGENT}
    # the first page waits the 0.5 s default after robots.txt; then robots.txt's Crawl-delay
    # (2 s) wins over it; the disallowed page is refused without waiting
    assert slept == [0.5, 2.0, 2.0]


APPENDIX = (
    "Annex. The Quokka Foundation donated 3,150 microscopes to the forensic laboratory "
    "in Bishkek during the workshop."
)


def _pdf_with_annex(site: Site, engine: Engine):
    rel = release(7)
    site.routes["/files/annex.pdf"] = Route(
        release_pdf(rel, [APPENDIX]), content_type="application/pdf"
    )
    newsroom_pages = [release(n) for n in range(3)]
    for other in newsroom_pages:
        site.routes[f"/news/{other.slug}"] = Route(release_page(other))
    urls = [site.url("/files/annex.pdf")] + [site.url(f"/news/{r.slug}") for r in newsroom_pages]
    report = ingester(engine).sync(urls)
    assert [i.status for i in report.items] == ["added"] * 4
    return rel, engine.snapshot.documents[report.items[0].source]


def test_pdf_release_by_url_passages_name_their_page(site: Site, engine: Engine) -> None:
    from rag.ingestion.chunking import split_sentences
    from rag.ingestion.formats_pdf import page_at

    rel, doc = _pdf_with_annex(site, engine)
    hit = engine.search("How many microscopes did the Quokka Foundation donate?", 1)[0]
    assert hit.chunk.source == doc.source
    assert doc.text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
    # a quotable sentence never crosses a page, so its offset names one page
    sentences = [doc.text[s.start : s.end] for s in split_sentences(doc.text)]
    assert not any("\f" in s for s in sentences)
    annex = hit.chunk.start + hit.chunk.text.index("The Quokka Foundation donated 3,150")
    assert page_at(doc.text, annex) == 2
    assert page_at(doc.text, doc.text.index(rel.funder)) == 1


@pytest.mark.model  # the answerer's span reader loads MiniLM
def test_pdf_release_by_url_answers_cite_the_right_page(site: Site, engine: Engine) -> None:
    from rag.ingestion.formats_pdf import page_at

    rel, doc = _pdf_with_annex(site, engine)
    answer = engine.ask("How many microscopes did the Quokka Foundation donate?")
    assert not answer.abstained and "3,150" in answer.answer
    cite = answer.citations[0]
    assert cite.source == doc.source and doc.text[cite.start : cite.end] == cite.quote
    assert page_at(doc.text, cite.start) == 2
    assert page_at(doc.text, doc.text.index(rel.funder)) == 1
