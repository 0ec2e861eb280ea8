"""`rag index | search | ask | serve | eval`: thin commands over the Engine."""

from __future__ import annotations

import argparse
import json
import logging
import sys
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


def cmd_index(args: argparse.Namespace) -> int:
    engine = _engine(args)
    report = engine.index_directory(args.source, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
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
    return 0


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
    print(f"(confidence {answer.confidence:.2f})")
    for c in answer.citations:
        print(f"[{c.n}] {c.source} — {c.title} ({c.date}, {c.place})")
        print(f"    “{c.quote}”")
    if answer.abstained and answer.related:
        print("Closest passages:")
        for r in answer.related:
            print(f"  - {r['source']} ({r['date']}): {' '.join(r['quote'].split())[:200]}")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index a folder of releases (incremental)")
    p.add_argument("--source", type=Path, default=None, help="folder of releases (seeds/)")
    p.add_argument("--index-dir", type=Path, default=None, help="index folder (embeddings/)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_index)

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
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
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
