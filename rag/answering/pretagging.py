"""Entity tags and parses of every sentence of the index, computed in the background after it
changes.

The answer path tags the sentences of the spans the reader likes best (spaCy NER), and a yes/no
or list question parses the sentences it weighs; both are kept in the index's
`annotations.sqlite` (rag.answering.annotation_cache), and a question about sentences nobody
asked about before pays for them (about a quarter of a cold fact question on BBC News, and
more than half of a yes/no one). Under `rag serve` (RAG_PRETAG, on there by default) a
low-priority child process tags and parses every sentence of the index that lacks either, once
after the index opens and again after writes (a second after the last of a burst): writes
return as soon as they are answerable and cost no more, and once the pass is done cold
questions find their sentences tagged and parsed. Tags and parses are the ones the answer path
would compute (the same sentences, the same pipeline, the same key), so answers never depend
on it.

    python -m rag.answering.pretagging INDEX_DIR    # one pass, in the foreground
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rag.answering.annotation_cache import ANNOTATIONS_FILE, EntityCache
from rag.index.store import DB_NAME, documents_with_chunk_ranges
from rag.ingestion.chunking import split_sentences

log = logging.getLogger(__name__)

BATCH = 256  # sentences looked up, tagged and stored together
START_DELAY = 1.0  # seconds a pass waits for more writes before it starts


def index_sentences(index_dir: Path) -> Iterator[str]:
    """Each sentence of the index's chunks once, as the answer path cuts them
    (rag.answering.evidence.chunk_sentences: a chunk's range of its document, split)."""
    for _, text, ranges in documents_with_chunk_ranges(index_dir):
        seen: set[str] = set()
        for start, end in ranges:
            for s in split_sentences(text, start, end):
                sentence = text[s.start : s.end]
                if sentence not in seen:
                    seen.add(sentence)
                    yield sentence


def pretag(index_dir: Path, batch: int = BATCH) -> dict[str, float]:
    """Tag and parse the index's sentences that the cache lacks; returns what was done."""
    from rag.answering.nlp_process import PARSE_EXCLUDE
    from rag.answering.question_analysis import load_spacy, pipeline_id

    cache = EntityCache(index_dir / ANNOTATIONS_FILE, pipeline_id())
    started = time.perf_counter()
    sentences = tagged = 0
    pending: list[str] = []

    def flush() -> None:
        nonlocal tagged
        stored, parsed = cache.get_many(pending), cache.parsed(pending)
        todo = [t for t in dict.fromkeys(pending) if t not in stored or t not in parsed]
        if todo:
            # One full parse gives both: its entities are NER's alone (NER has its own token
            # vectors), and a full parse serves the answer path's syntax-only parses too.
            docs = dict(zip(todo, load_spacy().pipe(todo), strict=True))
            cache.put_parses(
                {t: d.to_bytes(exclude=PARSE_EXCLUDE) for t, d in docs.items() if t not in parsed},
                entities=True,
            )
            cache.put_many(
                {
                    t: [(e.start_char, e.end_char, e.label_) for e in d.ents]
                    for t, d in docs.items()
                    if t not in stored
                }
            )
            tagged += len(todo)
        pending.clear()

    for sentence in index_sentences(index_dir):
        sentences += 1
        pending.append(sentence)
        if len(pending) >= batch:
            flush()
            if not cache.enabled:  # nowhere to keep the tags (a read-only index folder)
                break
    if pending:
        flush()
    seconds = time.perf_counter() - started
    log.info("tagged and parsed %d of %d sentences in %.1f s", tagged, sentences, seconds)
    return {"sentences": sentences, "tagged": tagged, "seconds": round(seconds, 1)}


class Pretagger:
    """Runs `pretag` in a child process at the lowest CPU priority, `delay` seconds after the
    last `start()` (a burst of writes starts one pass, not one each): a pass still running
    then is ended and another starts over the new snapshot (the tags stored so far stay)."""

    def __init__(self, index_dir: Path, delay: float = START_DELAY) -> None:
        self.index_dir = index_dir
        self.delay = delay
        self._proc: subprocess.Popen | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._spawn)
            self._timer.daemon = True
            self._timer.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._timer is None or threading.current_thread() is not self._timer:
                return  # cancelled, or another start() came after this one was due
            self._timer = None
            self._stop()
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(self.index_dir)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=None,  # its warnings reach the server's log
                )
            except OSError as exc:  # a cache only: answers are the same without it
                log.warning("could not start tagging the index in the background: %s", exc)
                self._proc = None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code of the pass started last, once it ends (None: none started, or still
        running at the timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        timer = self._timer
        if timer is not None:
            timer.join(timeout)
        proc = self._proc
        if proc is None:
            return None
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return proc.wait(left)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._stop()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m rag.answering.pretagging INDEX_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    index_dir = Path(sys.argv[1])
    if not (index_dir / DB_NAME).is_file():
        print(f"error: no index in {index_dir}", file=sys.stderr)
        return 2
    os.nice(19)  # idle cores only: questions come first
    try:
        result = pretag(index_dir)
    except sqlite3.Error as exc:  # the index changed under it: the next start tags the rest
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{result['tagged']} of {result['sentences']} sentences tagged in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
