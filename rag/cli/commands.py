"""`rag`: ask questions about press releases; answers cite the exact sentence of the release.

Commands: index, watch, search, ask, serve, eval (`rag COMMAND --help`). Texts the person reads
(help, checks, status lines, answer layout) live in rag.cli.support."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

from rag import __version__
from rag.cli import support as ui
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
    if not (web and args.source is None):  # a folder is indexed: it must be one
        ui.check_source(_settings(args).source_dir)  # before anything is created or written
    with ui.status("Loading the embedding model…"):
        engine = _engine(args)
        _warm_embedder(engine)
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
    from rag.ingestion.fetch import Fetcher, FetchPolicy
    from rag.ingestion.web_remote import RemoteSync
    from rag.ingestion.web_sources import WebIngester

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


def _warm_embedder(engine) -> None:
    warm = getattr(engine.embedder, "warm_up", None)
    if warm is not None:
        warm()


def _warm_up(engine) -> None:
    """Load the model before timing anything, so timings_ms measure the query itself."""
    engine.warm_up()


def cmd_search(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise RagError("the query is empty")
    with ui.status("Loading the index and the embedding model…"):
        engine = _engine(args).open()
        _warm_embedder(engine)
    hits = engine.search(args.query, args.k, mode=args.mode)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("No passages found.")
    for i, h in enumerate(hits, 1):
        when = ", ".join(x for x in (ui.human_date(h.document.date), h.document.place) if x)
        print(f"[{i}] {h.document.title or '(untitled)'}" + (f" ({when})" if when else ""))
        print(
            f"    {h.chunk.source}, characters {h.chunk.start}–{h.chunk.end}, score {h.score:.4f}"
        )
        print(f"    {ui.snippet(h.chunk.text, args.query)}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    question = ui.check_question(args.question, settings.max_question_chars)  # as the API does
    if args.server:
        key = args.api_key or settings.api_key
        result = ui.ask_server(args.server, question, args.k, key)
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            ui.print_answer(result, question)
        return 0
    with ui.timed() as elapsed, ui.status("Loading the index and models…"):
        engine = _engine(args).open()
        _warm_up(engine)
    loading = elapsed()
    answer = engine.ask(question, top_k=args.k)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    ui.print_answer(answer.to_dict(), question, lambda s, at: _page_of(engine, s, at))
    print(ui.SERVE_TIP.format(seconds=loading), file=sys.stderr)
    return 0


def _page_of(engine, source: str, offset: int) -> str:
    """', p. N' for a citation in a paged document (a PDF), else ''."""
    from rag.ingestion.formats_pdf import page_at

    text = engine.get_document(source)[0].text
    return f", p. {page_at(text, offset)}" if "\f" in text else ""


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.http.server import serve

    return serve(_settings(args), args.host, args.port)


def cmd_eval(args: argparse.Namespace) -> int:
    try:  # eval/ ships with the package (pyproject.toml), its Q&A sets and seeds included
        from eval.__main__ import main as eval_main
    except ImportError as exc:
        raise RagError(f"the evaluation is not installed with this package ({exc})") from exc

    forwarded = []
    if args.index_dir:
        forwarded += ["--index-dir", str(args.index_dir)]
    if args.qa:
        forwarded += ["--qa", str(args.qa), "--no-kinds"]  # the person's own set alone
    if args.no_bbc or args.qa:
        forwarded.append("--no-bbc")
    if args.report_only:
        forwarded.append("--report-only")
    if args.show_failures:
        forwarded.append("--show-failures")
    if args.no_llm:
        forwarded.append("--no-llm")
    if args.save:
        forwarded.append("--save")
    print("Running the fixed Q&A evaluation (loads the models first)…", file=sys.stderr)
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
    parser = argparse.ArgumentParser(
        prog="rag", description=ui.DESCRIPTION, epilog=ui.EPILOG, formatter_class=ui.Formatter
    )
    parser.add_argument("--version", action="version", version=f"rag {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every step (debug level) on stderr"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    index_dir = "index folder (default embeddings/, or RAG_INDEX_DIR)"

    p = sub.add_parser(
        "index",
        help="index a folder of releases, or web pages (incremental)",
        description="Index a folder of releases (.txt, .md, .html, .jsonl, .pdf, .docx), or "
        "web pages, feeds and sitemaps, into the index folder.",
        epilog=ui.INDEX_EPILOG,
        formatter_class=ui.Formatter,
    )
    p.add_argument(
        "--source",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of releases (default seeds/, or RAG_SOURCE_DIR)",
    )
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _web_arguments(p)
    p.add_argument(
        "--every",
        type=parse_every,
        default=None,
        metavar="DURATION",
        help="with web sources: sync again every DURATION (90s, 30m, 1h, 1d) until stopped",
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "watch",
        help="poll feeds/sitemaps and index new releases",
        description="Poll feeds, sitemaps and pages, and index what is new or changed.",
        formatter_class=ui.Formatter,
    )
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument("--json", action="store_true", help="print each round's summary as JSON")
    _web_arguments(p)
    p.add_argument(
        "--every",
        type=parse_every,
        default=3600.0,
        metavar="DURATION",
        help="time between rounds (90s, 30m, 1h, 1d; default 1h)",
    )
    p.add_argument("--once", action="store_true", help="one round, then exit (cron, timers)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser(
        "search",
        help="the passages that best match a query, without answering",
        description="The passages that best match a query (dense vectors and BM25 keywords, "
        "fused), each with its release, place in the text, score and best-matching sentence.",
        epilog=ui.SEARCH_EPILOG,
        formatter_class=ui.Formatter,
    )
    p.add_argument("query", help="words or a question to look for")
    p.add_argument(
        "-k", type=ui.top_k, default=5, metavar="N", help="how many passages (1-20, default 5)"
    )
    p.add_argument(
        "--mode",
        choices=["hybrid", "dense", "keyword"],
        default="hybrid",
        help="hybrid (default): both fused; dense: embeddings only; keyword: BM25 only",
    )
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument("--json", action="store_true", help="print the hits as JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "ask",
        help="answer a question, citing the sentence it comes from",
        description="Answer a question from the releases: a short answer, the confidence, and "
        "numbered citations quoting the exact sentence; or 'not in the releases'.",
        epilog=ui.ASK_EPILOG,
        formatter_class=ui.Formatter,
    )
    p.add_argument("question", help="the question, in quotes (at most RAG_MAX_QUESTION_CHARS)")
    p.add_argument(
        "-k",
        type=ui.top_k,
        default=None,
        metavar="N",
        help="passages to consider (1-20, default RAG_TOP_K)",
    )
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument("--json", action="store_true", help="print the POST /api/ask response object")
    p.add_argument(
        "--server",
        metavar="URL",
        help="ask a running `rag serve` (e.g. http://127.0.0.1:8000): no model loading here",
    )
    p.add_argument(
        "--api-key",
        default="",
        metavar="KEY",
        help="the server's key, with --server (default RAG_API_KEY)",
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "serve",
        help="run the chat page and HTTP API (builds the index first if missing)",
        description="Serve the chat page (/), the HTTP API (/api/...) and its docs (/docs), "
        "with the models loaded once.",
        epilog=ui.SERVE_EPILOG,
        formatter_class=ui.Formatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument(
        "--source",
        type=Path,
        default=None,
        metavar="DIR",
        help="releases to index when there is no index yet (default seeds/)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "eval",
        help="run the fixed Q&A evaluation (same as python -m eval)",
        description="Answer the fixed question set (eval/qa.jsonl) and report accuracy, "
        "citation and abstention metrics; exits 1 below the thresholds.",
        epilog=ui.EVAL_EPILOG,
        formatter_class=ui.Formatter,
    )
    p.add_argument("--index-dir", type=Path, default=None, metavar="DIR", help=index_dir)
    p.add_argument("--report-only", action="store_true", help="exit 0 below the thresholds")
    p.add_argument("--show-failures", action="store_true", help="list the failed questions")
    p.add_argument(
        "--no-llm", action="store_true", help="no generated-answer run (RAG_LLM_BASE_URL)"
    )
    p.add_argument(
        "--save",
        action="store_true",
        help="write eval/results/latest.* (tracked); default eval/results/local/ (git-ignored)",
    )
    p.add_argument(
        "--qa",
        type=Path,
        default=None,
        metavar="FILE",
        help="your own questions (JSONL, the fields of eval/qa.jsonl) instead of the seed set; "
        "with --index-dir, over your index",
    )
    p.add_argument("--no-bbc", action="store_true", help="skip the BBC news set")
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
