"""Web-source ingestion benchmark on a generated loopback newsroom.

    python -m eval.bench_sources [--pages 200] [--pdfs 50] [--docx 10] [--fake] [--delay 0]

Serves (127.0.0.1 only) `--pages` release pages with a site menu, an RSS feed of them, a sitemap
of them, and sitemaps of `--pdfs` PDF and `--docx` Word releases; then, through
`WebIngester.sync` (the code path of `rag index --feed/--sitemap`), into a temporary index:

1. pages: the feed (fetch, robots.txt, trafilatura, dateline, chunk, embed, write);
2. files: a sitemap of the PDFs (fetch, pypdf, chunk, embed, write), then one of the DOCX;
3. first sitemap sync: a listing not seen before whose pages are all indexed (a conditional
   GET per page, all 304);
4. unchanged re-sync: the feed and the three sitemaps again from a new fetcher (as a new `rag index`
   process would: robots.txt again, then 304s).

Checks that every title, date and place is right, that no chunk holds menu text, and that
questions about PDF and DOCX releases are answered citing that file with an exact quote. The
embedder is the configured one (MiniLM, RAG_EMBED_BACKEND) unless --fake. Writes
eval/results/sources.json. The per-host delay defaults to 0 here: it is our own server
(`rag index` waits 1 s per host).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from eval.newsroom import (
    MENU,
    Route,
    Site,
    release,
    release_docx,
    release_page,
    release_pdf,
    rss_feed,
    sitemap,
)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

RESULTS = Path(__file__).parent / "results" / "sources.json"


class _TimedEncode:
    def __init__(self, encode) -> None:
        self._encode = encode
        self.seconds = 0.0

    def __call__(self, texts, **kwargs):
        started = time.perf_counter()
        try:
            return self._encode(texts, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def _publish(site: Site, pages: int, pdfs: int, docx: int) -> tuple[list, list]:
    """Publish the newsroom; (HTML releases, file releases with their paths)."""
    html_releases = [release(n) for n in range(pages)]
    files = []
    for n in range(pages, pages + pdfs + docx):
        rel = release(n)
        if n < pages + pdfs:
            path, route = f"/files/{rel.slug}.pdf", Route(release_pdf(rel), "application/pdf")
        else:
            path, route = f"/files/{rel.slug}.docx", Route(release_docx(rel), DOCX_TYPE)
        site.routes[path] = route
        files.append((rel, path))
    for rel in html_releases:
        site.routes[f"/news/{rel.slug}"] = Route(release_page(rel))
    site.routes["/feed.xml"] = Route(rss_feed(site.base, html_releases), "application/rss+xml")
    site.routes["/sitemap.xml"] = Route(
        sitemap(site.base, [f"/news/{r.slug}" for r in html_releases]), "application/xml"
    )
    for suffix in ("pdf", "docx"):
        paths = [path for _, path in files if path.endswith(f".{suffix}")]
        site.routes[f"/sitemap-{suffix}.xml"] = Route(sitemap(site.base, paths), "application/xml")
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    return html_releases, files


def _phase(name: str, run, timer: _TimedEncode, docs: int = 0) -> dict:
    embed_before = timer.seconds
    started = time.perf_counter()
    report = run()
    seconds = time.perf_counter() - started
    embed = timer.seconds - embed_before
    row = {
        "phase": name,
        "seconds": round(seconds, 3),
        "documents": docs,
        "added": report.count("added"),
        "unchanged": report.count("unchanged"),
        "skipped": len(report.skipped),
        "chunks_embedded": report.chunks_embedded,
        "requests": report.requests,
        "embed_seconds": round(embed, 3),
    }
    if docs:
        row["docs_per_s"] = round(docs / seconds, 1)
        row["docs_per_s_without_embedding"] = round(docs / max(seconds - embed, 1e-9), 1)
    print(
        f"  {name:<28} {seconds:7.2f} s  {row['added']:>4} added {row['unchanged']:>4} unchanged"
        f"  {report.chunks_embedded:>4} chunks embedded  {report.requests:>4} requests"
        + (f"  {row['docs_per_s']:.1f} docs/s" if docs else ""),
        flush=True,
    )
    if report.skipped:
        for item in report.skipped[:5]:
            print(f"    skipped {item.url}: {item.reason}")
    return row


def _check(engine, site: Site, html_releases: list, files: list, asks: int) -> dict:
    from rag.ingestion.formats_pdf import page_at
    from rag.ingestion.web_extract import source_for_url

    snap = engine.snapshot
    wrong = []
    for rel, path in [(r, f"/news/{r.slug}") for r in html_releases] + files:
        doc = snap.documents.get(source_for_url(site.url(path)))
        got = (doc.title, doc.date, doc.place) if doc else None
        if got != (rel.title, rel.iso, rel.city):
            wrong.append({"url": path, "got": got})
    menu_chunks = sum(1 for c in snap.chunks.values() if any(m in c.text for m in MENU))
    answered = exact = 0
    failures = []
    asked = files[: asks // 2] + files[-(asks - asks // 2) :] if asks else []
    for rel, path in asked:
        question = f"Who funded the Workshop{rel.n:03d} in {rel.city}?"
        try:
            answer = engine.ask(question)
        except Exception as exc:  # the answerer is not this benchmark's subject
            failures.append(f"{question}: {type(exc).__name__}: {exc}"[:200])
            continue
        source = source_for_url(site.url(path))
        cite = answer.citations[0] if answer.citations else None
        if not answer.abstained and rel.funder in answer.answer and cite and cite.source == source:
            answered += 1
            text = snap.documents[source].text
            exact += text[cite.start : cite.end] == cite.quote and page_at(text, cite.start) == 1
        else:
            failures.append(f"{question}: {answer.answer[:120]}")
    return {
        "documents": len(snap.documents),
        "chunks": snap.chunk_count,
        "wrong_metadata": wrong[:10],
        "wrong_metadata_count": len(wrong),
        "chunks_with_menu_text": menu_chunks,
        "file_questions": len(asked),
        "file_answered_citing_the_file": answered,
        "file_citations_exact": int(exact),
        "file_failures": failures[:5],
    }


def run(args: argparse.Namespace) -> dict:
    from rag.config import Settings
    from rag.embedders.base import FakeEmbedder, make_embedder
    from rag.engine import Engine
    from rag.ingestion.fetch import Fetcher, FetchPolicy
    from rag.ingestion.web_sources import WebIngester

    with Site() as site, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        html_releases, files = _publish(site, args.pages, args.pdfs, args.docx)
        print(
            f"newsroom: {args.pages} pages, {args.pdfs} PDFs, {args.docx} DOCX on {site.base} "
            "(generated in "
            f"{time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        settings = Settings.from_env(index_dir=Path(tmp) / "index")
        if args.fake:
            embedder = FakeEmbedder()
        else:
            embedder = make_embedder(
                settings.embed_model, settings.embed_batch_size, settings.embed_backend
            )
            embedder.encode(["warm up"])  # model load is not ingest throughput
        timer = _TimedEncode(embedder.encode)
        embedder.encode = timer  # type: ignore[method-assign]
        engine = Engine(settings, embedder=embedder)
        policy = FetchPolicy(delay=args.delay)
        feed, pages_map, pdf_map, docx_map = (
            site.url(p)
            for p in ("/feed.xml", "/sitemap.xml", "/sitemap-pdf.xml", "/sitemap-docx.xml")
        )
        with Fetcher(policy) as fetcher:
            web = WebIngester(engine, fetcher)
            rows = [
                _phase("pages (feed)", lambda: web.sync(feeds=[feed]), timer, args.pages),
                _phase("PDFs (sitemap)", lambda: web.sync(sitemaps=[pdf_map]), timer, args.pdfs),
                _phase("DOCX (sitemap)", lambda: web.sync(sitemaps=[docx_map]), timer, args.docx),
                _phase(
                    "new sitemap, pages unchanged",
                    lambda: web.sync(sitemaps=[pages_map]),
                    timer,
                ),
            ]
        with Fetcher(policy) as fetcher:  # a new process: robots.txt asked again
            web = WebIngester(engine, fetcher)
            rows.append(
                _phase(
                    "unchanged re-sync (all)",
                    lambda: web.sync(feeds=[feed], sitemaps=[pages_map, pdf_map, docx_map]),
                    timer,
                )
            )
        checks = _check(engine, site, html_releases, files, args.asks)
    result = {
        "pages": args.pages,
        "pdfs": args.pdfs,
        "docx": args.docx,
        "embedder": embedder.name,
        "delay": args.delay,
        "phases": rows,
        "checks": checks,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(checks, indent=2))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_sources", description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--pdfs", type=int, default=50)
    parser.add_argument("--docx", type=int, default=10)
    parser.add_argument("--asks", type=int, default=10, help="PDF/DOCX questions to answer")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between requests")
    parser.add_argument("--fake", action="store_true", help="the fake embedder (no model)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    checks = result["checks"]
    ok = not checks["wrong_metadata_count"] and not checks["chunks_with_menu_text"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
