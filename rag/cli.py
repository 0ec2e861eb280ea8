"""`rag index | watch | search | ask | serve | eval`: thin commands over the Engine."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        index_dir=getattr(args, "index_dir", None), source_dir=getattr(args, "source", None)
    )


def _engine(args: argparse.Namespace):
    from rag.engine import Engine

    return Engine(_settings(args))


def _web_options(args: argparse.Namespace) -> bool:
    return bool(args.url or args.feed or args.sitemap)


def parse_every(text: str) -> float:
    """Seconds in '90s', '30m', '1h', '1d' or a plain number of seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not m or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use 90s, 30m, 1h or 1d)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def cmd_index(args: argparse.Namespace) -> int:
    web = _web_options(args)
    if args.every and not web:
        raise RagError("--every needs --url, --feed or --sitemap")
    if args.server:
        if not web or args.source is not None:
            raise RagError("--server posts web sources (--url, --feed, --sitemap) only")
        return _web_rounds(args, args.every)
    engine = _engine(args)
    if web and args.source is None:  # only the web sources; the folder stays as it is
        return _web_rounds(args, args.every, engine)
    _index_folder(engine, args)
    return _web_rounds(args, args.every, engine) if web else 0


def cmd_watch(args: argparse.Namespace) -> int:
    if not _web_options(args):
        raise RagError("rag watch needs at least one --feed, --sitemap or --url")
    every = None if args.once else args.every
    return _web_rounds(args, every, None if args.server else _engine(args))


def _web_rounds(args: argparse.Namespace, every: float | None, engine=None) -> int:
    """One sync of the web sources, or one every `every` seconds until interrupted; into the
    local index (`engine`), or posted to a running service (`--server`)."""
    from rag.fetch import Fetcher, FetchPolicy
    from rag.web_remote import RemoteSync
    from rag.web_sources import WebIngester

    settings = engine.settings if engine is not None else _settings(args)
    policy = FetchPolicy.from_settings(settings)
    if args.delay is not None:
        policy = FetchPolicy(**{**policy.__dict__, "delay": args.delay})
    log = logging.getLogger("rag.cli")
    with Fetcher(policy) as fetcher:
        if engine is None:
            key = args.api_key or settings.api_key
            ingester = RemoteSync(args.server, fetcher, api_key=key)
            target = args.server
        else:
            ingester = WebIngester(engine, fetcher)
            target = str(settings.index_dir)
        while True:
            started = time.monotonic()
            try:
                report = ingester.sync(
                    args.url or [], args.feed or [], args.sitemap or [], progress=_tty()
                )
                _print_web_report(target, report, args.json, remote=engine is None)
            except RagError as exc:
                if every is None:
                    raise
                print(f"error: {exc.message}", file=sys.stderr)
            if every is None:
                return 0
            wait = max(0.0, every - (time.monotonic() - started))
            log.info("next sync in %.0f s", wait)
            sys.stdout.flush()
            time.sleep(wait)


def _tty() -> bool:
    return sys.stderr.isatty()


def _print_web_report(target: str, report, as_json: bool, *, remote: bool = False) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    kinds = [i.kind for i in report.listings]
    print(
        f"Synced {kinds.count('feed')} feed(s), {kinds.count('sitemap')} sitemap(s) and "
        f"{len(report.items)} URL(s) into {target} in {report.seconds:.2f} s "
        f"({report.requests} requests)"
    )
    for item in report.listings:
        if item.status != "skipped":
            print(f"  {item.kind} {item.url}: {item.status}, {item.listed} URLs listed")
    print(
        f"  documents: {report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {len(report.skipped)} skipped"
    )
    totals = f", {report.chunks_total} in the index ({report.documents_total} documents)"
    print(f"  chunks: {report.chunks_embedded} embedded{'' if remote else totals}")
    for item in report.skipped:
        print(f"  skipped {item.url}: {item.reason}")


def _index_folder(engine, args: argparse.Namespace) -> None:
    report = engine.index_directory(args.source, progress=_tty())
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    print(
        f"Indexed {engine.settings.source_dir if args.source is None else args.source} "
        f"into {engine.settings.index_dir} in {report.seconds:.2f} s"
    )
    print(
        f"  documents: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
        f"{len(report.skipped)} skipped"
    )
    print(
        f"  chunks: {report.chunks_embedded} embedded, {report.chunks_total} in the index "
        f"({report.documents_total} documents)"
    )
    for s in report.skipped:
        print(f"  skipped {s.path}: {s.reason}")


def _warm_up(engine) -> None:
    """Load the model before timing anything, so timings_ms measure the query itself."""
    engine.warm_up()


def cmd_search(args: argparse.Namespace) -> int:
    engine = _engine(args).open()
    hits = engine.search(args.query, args.k, mode=args.mode)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("No passages found.")
    for i, h in enumerate(hits, 1):
        print(
            f"[{i}] {h.chunk.source}  {h.document.date}  {h.document.place}  "
            f"score={h.score:.4f}  {h.chunk.chunk_id} [{h.chunk.start}:{h.chunk.end}]"
        )
        print(f"    {h.document.title}")
        print("    " + " ".join(h.chunk.text.split())[:400])
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args).open()
    _warm_up(engine)
    answer = engine.ask(args.question, top_k=args.k)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(answer.answer)
    for item in answer.items or []:
        print(f"  - {item['text']} " + "".join(f"[{n}]" for n in item["citations"]))
    print(f"(confidence {answer.confidence:.2f})")
    for c in answer.citations:
        page = _page_of(engine, c.source, c.start)
        print(f"[{c.n}] {c.source}{page} — {c.title} ({c.date}, {c.place})")
        print(f"    “{c.quote}”")
    if answer.abstained and answer.related:
        print("Closest passages:")
        for r in answer.related:
            print(f"  - {r['source']} ({r['date']}): {' '.join(r['quote'].split())[:200]}")
    return 0


def _page_of(engine, source: str, offset: int) -> str:
    """', p. N' for a citation in a paged document (a PDF), else ''."""
    from rag.formats_pdf import page_at

    text = engine.get_document(source)[0].text
    return f", p. {page_at(text, offset)}" if "\f" in text else ""


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.server import serve

    return serve(_settings(args), args.host, args.port)


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.config import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:  # eval/ lives beside the package, not inside it
        sys.path.insert(0, str(PROJECT_ROOT))
    from eval.__main__ import main as eval_main

    forwarded = []
    if args.index_dir:
        forwarded += ["--index-dir", str(args.index_dir)]
    if args.report_only:
        forwarded.append("--report-only")
    if args.show_failures:
        forwarded.append("--show-failures")
    if args.no_llm:
        forwarded.append("--no-llm")
    return eval_main(forwarded)


def _web_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", action="append", metavar="URL", help="a page, PDF or DOCX (repeat)")
    p.add_argument("--feed", action="append", metavar="URL", help="an RSS/Atom feed (repeat)")
    p.add_argument("--sitemap", action="append", metavar="URL", help="an XML sitemap (repeat)")
    p.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between requests to one host (RAG_FETCH_DELAY, default 1)",
    )
    p.add_argument(
        "--server",
        metavar="URL",
        help="post the URLs to a running service (POST /api/documents) instead of the index",
    )
    p.add_argument("--api-key", default="", help="the service's key (default RAG_API_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index a folder of releases, or web pages (incremental)")
    p.add_argument("--source", type=Path, default=None, help="folder of releases (seeds/)")
    p.add_argument("--index-dir", type=Path, default=None, help="index folder (embeddings/)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _web_arguments(p)
    p.add_argument(
        "--every", type=parse_every, default=None, help="sync the web sources again every 1h"
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("watch", help="poll feeds/sitemaps and index new releases")
    p.add_argument("--index-dir", type=Path, default=None, help="index folder (embeddings/)")
    p.add_argument("--json", action="store_true", help="print each round's summary as JSON")
    _web_arguments(p)
    p.add_argument("--every", type=parse_every, default=3600.0, help="interval (default 1h)")
    p.add_argument("--once", action="store_true", help="one round, then exit (cron, timers)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("search", help="top passages for a query (hybrid dense + BM25)")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="passages to consider")
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="print the /api/ask response object")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="run the HTTP service (builds the index first if missing)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--source", type=Path, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="run the fixed Q&A evaluation (python -m eval)")
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--report-only", action="store_true", help="exit 0 below the thresholds")
    p.add_argument("--show-failures", action="store_true", help="list the failed questions")
    p.add_argument(
        "--no-llm", action="store_true", help="no generated-answer run (RAG_LLM_BASE_URL)"
    )
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from rag.logsafe import install as escape_logged_values

    escape_logged_values()  # control characters in logged values cannot forge lines
    noisy_loggers = ("sentence_transformers", "transformers", "httpx", "faiss")
    for noisy in (*noisy_loggers, "trafilatura", "htmldate", "courlan", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except RagError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
