"""What `rag` says to the person at the terminal: help texts, checks that fail in one line before
anything is loaded or written, a status line while models load, search snippets, and answers
asked of a running server (`rag ask --server URL`)."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.text_utils import WORD_CHARS, human_date
from rag.values import LOW_CONFIDENCE

MAX_TOP_K = 20  # the API's limit for top_k (rag.http.models)

DESCRIPTION = """Ask questions about press releases: a short answer that cites the exact
sentence of the exact release, or "not in the releases"."""

EPILOG = """examples:
  rag index                                  index seeds/ into embeddings/ (incremental)
  rag ask "Who funded the 2008 Vienna conference?"
  rag search "Vienna conference funding" -k 3
  rag serve                                  the chat page and API on http://127.0.0.1:8000
  rag ask --server http://127.0.0.1:8000 "Who funded the Astana conference?"
  rag eval                                   the fixed Q&A evaluation

Each command has its own help: rag ask --help. Settings come from RAG_* environment variables
(README: Configuration)."""

ASK_EPILOG = """examples:
  rag ask "Who funded the 2008 Vienna conference?"
  rag ask "How many experts attended the 2008 Tashkent workshop?" --json
  rag ask --server http://127.0.0.1:8000 "Who funded the Astana conference?"

Each call loads the models (a few seconds). For many questions, start `rag serve` once and use
--server, the chat page, or POST /api/ask."""

SEARCH_EPILOG = """examples:
  rag search "Vienna conference funding"
  rag search "drug trafficking" -k 10 --mode keyword
  rag search "Astana" --json"""

INDEX_EPILOG = """examples:
  rag index                                  seeds/ into embeddings/
  rag index --source ~/releases --index-dir /srv/rag-index
  rag index --json

Only new and changed files are embedded; removed files leave the index."""

SERVE_EPILOG = """examples:
  rag serve                                  http://127.0.0.1:8000 (chat page at /, docs at /docs)
  rag serve --host 0.0.0.0 --port 9000       other machines too (set RAG_API_KEY first)"""

EVAL_EPILOG = """examples:
  rag eval                                   results in eval/results/local/ (git-ignored)
  rag eval --show-failures
  rag eval --save                            update the tracked eval/results/latest.*"""

SERVE_TIP = (
    "tip: every `rag ask` loads the models again ({seconds:.1f} s this time). For more questions, "
    'start `rag serve` once and ask it: rag ask --server http://127.0.0.1:8000 "..."'
)


class Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps texts with line breaks (the examples) as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def top_k(text: str) -> int:
    """-k: passages to consider, 1..20 as in the API."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_TOP_K:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_TOP_K} (got {value})")
    return value


def check_source(path: Path) -> None:
    """A one-line error (exit 2) unless `path` is a folder; called before anything is written."""
    if not path.exists():
        raise RagError(f"--source {path}: no such folder")
    if not path.is_dir():
        raise RagError(f"--source {path}: not a folder (give the folder that holds the releases)")


def check_question(question: str, max_chars: int) -> str:
    """The question as the API would take it (stripped), or the API's 422 message as an error."""
    from rag.config import Settings
    from rag.http.deps import check_question as api_check

    return api_check(question, Settings(max_question_chars=max_chars))


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on a terminal, else one line on stderr, while something slow happens."""
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(message):
            yield
    else:
        print(message, file=sys.stderr, flush=True)
        yield


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SMALL = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
    ]
)


def _words(text: str) -> set[str]:
    return {w for w in WORD_CHARS.findall(text.lower()) if w not in _SMALL}


def snippet(text: str, query: str, limit: int = 300) -> str:
    """The sentence of `text` that shares most words with `query`, with "…" where text was left
    out before or after it, and cut at a word boundary (again with "…") beyond `limit`."""
    sentences = [" ".join(s.split()) for s in _SENTENCE_END.split(text) if s.strip()]
    if not sentences:
        return ""
    wanted = _words(query)
    words = [_words(sentence) for sentence in sentences]
    # a query word that few of the passage's sentences contain tells more (IDF within it)
    weight = {w: math.log(1 + len(words) / max(1, sum(w in ws for ws in words))) for w in wanted}
    best = max(
        range(len(sentences)),
        key=lambda i: (sum(weight[w] for w in wanted & words[i]), -i),
    )
    sentence = sentences[best]
    cut = len(sentence) > limit
    if cut:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    before = "… " if best > 0 else ""
    after = " …" if cut or best < len(sentences) - 1 else ""
    return f"{before}{sentence}{after}"


def ask_server(
    base_url: str, question: str, k: int | None, api_key: str = "", client: Any = None
) -> dict[str, Any]:
    """POST /api/ask on a running `rag serve`; its error message as a RagError."""
    import httpx

    body: dict[str, Any] = {"question": question}
    if k is not None:
        body["top_k"] = k
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url.rstrip("/") + "/api/ask"
    try:
        if client is None:
            with httpx.Client(timeout=60.0) as own:
                response = own.post(url, json=body, headers=headers)
        else:
            response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise RagError(f"cannot reach {base_url}: {exc} (is `rag serve` running?)") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code != 200 or not isinstance(data, dict):
        message = ""
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            message = str(data["error"].get("message", ""))
        raise RagError(f"{base_url} answered HTTP {response.status_code}: {message or 'no answer'}")
    return data


def refusal_line(text: str) -> str:
    """ "The releases don't say. (no release mentions Berlin.)" as a person would say it."""
    reason = re.search(r"\((.+?)\.?\)\s*$", text or "")
    return "I couldn't find this in the releases" + (f" ({reason.group(1)})." if reason else ".")


def print_answer(
    answer: dict[str, Any], question: str, page_of: Callable[[str, int], str] | None = None
) -> None:
    """The answer, its items, confidence and numbered citations as `rag ask` prints them."""
    if answer.get("abstained"):
        print(refusal_line(str(answer.get("answer", ""))))
    else:
        print(answer.get("answer", ""))
    for item in answer.get("items") or []:
        print(f"  - {item['text']} " + "".join(f"[{n}]" for n in item["citations"]))
    if not answer.get("abstained"):
        confidence = float(answer.get("confidence", 0.0))
        # A server of an earlier version sends no flag: the same bound, read off the number.
        low_confidence = answer.get("low_confidence", confidence < LOW_CONFIDENCE)
        low = "  (low: check the quote)" if low_confidence else ""
        print(f"(confidence {confidence:.2f}){low}")
    for c in answer.get("citations", []):
        page = page_of(c["source"], c["start"]) if page_of else ""
        when = ", ".join(x for x in (human_date(c.get("date", "")), c.get("place", "")) if x)
        dated = f" ({when})" if when else ""  # a release without date or place: no "()"
        print(f"[{c['n']}] {c['title']}{dated} — {c['source']}{page}")
        print(f"    “{c['quote']}”")
    related = answer.get("related") or []
    if answer.get("abstained") and related:
        print("Closest passages:")
        seen: set[str] = set()
        for r in related:
            if r["source"] in seen:
                continue
            seen.add(r["source"])
            when = human_date(r.get("date", ""))
            print(f"  - {r['title']}{f' ({when})' if when else ''} — {r['source']}")
            print(f"    {snippet(r['quote'], question, 200)}")
