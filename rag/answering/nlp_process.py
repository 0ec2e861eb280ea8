"""spaCy in a child process, so that concurrent questions do not queue for the GIL behind it.

spaCy's models hold the GIL while they run (they cannot release it), so in one process the
parses and entity tags of concurrent questions run one at a time and stall the rest of the
answer path (the reader's ONNX runs, retrieval, ranking) of every other request. `rag serve`
therefore runs spaCy in child processes (RAG_NLP_PROCESS, rag.config): each loads the same
pipeline and answers two requests over a socket: full parses, sent back as `Doc.to_bytes()` and
rebuilt here over a blank English vocabulary (the bytes carry their strings), and entity tags
as (start, end, label) tuples. A child answers one request at a time (it is one thread); a
thread waiting for its answer releases the GIL to the others. One child would make concurrent
questions queue for it, a core's worth of parsing at most, so `NlpPool` starts a second child
(up to RAG_NLP_PROCESSES) only when a call finds every child busy. Each child is a
fresh interpreter (`python -m rag.answering.nlp_process`) on one end of a socket pair: not a
fork (forking a process that runs ONNX Runtime's thread pools is unsafe) and not
multiprocessing's spawn (which re-imports the parent's main script). A child that dies is
started again on the next call.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

# What a parse sent or stored as bytes leaves out: the token vectors (large, and read by no
# caller) and user data.
PARSE_EXCLUDE = ["tensor", "user_data"]
START_TIMEOUT = 180.0  # seconds for the child to import spaCy and load the pipeline


class NlpProcessError(RuntimeError):
    """The child could not start or answer; the caller runs spaCy in-process instead."""


def _serve(conn, package: str, not_ner: tuple[str, ...]) -> None:  # pragma: no cover - child
    # Ctrl+C in a terminal reaches the whole process group: the parent shuts down and closes
    # the socket, which ends this loop; the child must not die first with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # thinc imports torch when it is installed (it is, for sentence-transformers); the CPU
    # pipeline never uses it, and it would more than double the child's memory.
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    import spacy

    try:
        nlp = spacy.load(package)
    except Exception as exc:  # the parent reports it and runs spaCy itself
        conn.send(("error", f"cannot load {package}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        try:
            if kind == "parse":
                texts, disable = payload
                out: Any = [nlp(t, disable=disable).to_bytes(exclude=PARSE_EXCLUDE) for t in texts]
            else:
                out = [
                    [(e.start_char, e.end_char, e.label_) for e in doc.ents]
                    for doc in nlp.pipe(payload, disable=list(not_ner))
                ]
            conn.send(("ok", out))
        except Exception as exc:
            conn.send(("error", repr(exc)))


class NlpProcess:
    """A spaCy pipeline (`package`) in a spawned child process, started on first use."""

    def __init__(self, package: str, not_ner: tuple[str, ...]) -> None:
        self.package = package
        self.not_ner = not_ner
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._vocab = None  # the vocabulary parses are rebuilt over (rebuild_doc)
        self._vocab_lock = threading.Lock()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", __name__, str(theirs.fileno()), self.package]
        try:  # passing a descriptor needs POSIX; elsewhere spaCy stays in-process
            proc = subprocess.Popen(
                [*command, *self.not_ner],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except (OSError, ValueError) as exc:
            ours.close()
            raise NlpProcessError(f"cannot start the spaCy process: {exc}") from exc
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        try:
            if not conn.poll(START_TIMEOUT):
                raise NlpProcessError(f"the spaCy process did not start in {START_TIMEOUT:.0f} s")
            status, detail = conn.recv()
            if status != "ready":
                raise NlpProcessError(detail)
        except (NlpProcessError, EOFError, OSError) as exc:
            conn.close()
            proc.kill()
            proc.wait(5)
            raise exc if isinstance(exc, NlpProcessError) else NlpProcessError(repr(exc)) from exc
        self._proc, self._conn = proc, conn
        log.info("spaCy runs in process %s", proc.pid)

    def _call(self, kind: str, payload: Any) -> list:
        with self._lock:
            return self._call_locked(kind, payload)

    def _call_locked(self, kind: str, payload: Any) -> list:
        for attempt in (1, 2):
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                self._start()
            try:
                self._conn.send((kind, payload))
                status, out = self._conn.recv()
            except (EOFError, OSError) as exc:
                self._stop()
                if attempt == 2:
                    raise NlpProcessError(f"the spaCy process died: {exc}") from exc
                log.warning("the spaCy process died (%s); starting it again", exc)
                continue
            if status != "ok":
                raise NlpProcessError(out)
            return out
        raise AssertionError("unreachable")

    def parse_bytes(self, text: str, disable: list[str] | tuple[str, ...] = ()) -> bytes:
        """`Doc.to_bytes()` of `text`, parsed in the child (less the `disable`d components)."""
        return self._call("parse", ([text], list(disable)))[0]

    def parse(self, text: str, disable: list[str] | tuple[str, ...] = ()):
        """spaCy's Doc of `text`, parsed in the child (less the `disable`d components)."""
        return rebuild_doc(self, self.parse_bytes(text, disable))

    def entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """(start char, end char, label) of each text's entities, tagged in the child."""
        return self._call("entities", texts) if texts else []

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the child reads EOF and ends
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = self._conn = None

    def close(self) -> None:
        with self._lock:
            self._stop()


def rebuild_doc(owner: NlpProcess | NlpPool, data: bytes):
    """A Doc rebuilt from bytes over `owner`'s vocabulary, made on first use: rebuilding adds
    the Doc's strings to it, so one thread at a time."""
    import spacy
    from spacy.tokens import Doc

    with owner._vocab_lock:
        if owner._vocab is None:
            owner._vocab = spacy.blank("en").vocab  # English lexical attributes, noun chunks
        return Doc(owner._vocab).from_bytes(data)


class NlpPool:
    """Up to `size` `NlpProcess` children over one vocabulary, with their interface. A call
    takes the child that answered last if it is free, starts another when every child is busy
    and fewer than `size` run, and waits otherwise: one question at a time keeps one child."""

    def __init__(self, package: str, not_ner: tuple[str, ...], size: int) -> None:
        self.package = package
        self.not_ner = not_ner
        self.size = max(1, size)
        self._children: list[NlpProcess] = []
        self._idle: list[NlpProcess] = []
        self._free = threading.Condition()
        self._vocab = None
        self._vocab_lock = threading.Lock()

    @contextmanager
    def _child(self) -> Iterator[NlpProcess]:
        with self._free:
            while not self._idle and len(self._children) >= self.size:
                self._free.wait()
            if self._idle:
                child = self._idle.pop()
            else:  # started by its first call, outside this lock
                child = NlpProcess(self.package, self.not_ner)
                self._children.append(child)
        try:
            yield child
        finally:
            with self._free:
                if child in self._children:  # not closed meanwhile
                    self._idle.append(child)
                self._free.notify()

    @property
    def pids(self) -> list[int]:
        """The running children's process ids."""
        with self._free:
            return [c._proc.pid for c in self._children if c._proc is not None]

    def parse_bytes(self, text: str, disable: list[str] | tuple[str, ...] = ()) -> bytes:
        """`Doc.to_bytes()` of `text`, parsed in a child (less the `disable`d components)."""
        with self._child() as child:
            return child.parse_bytes(text, disable)

    def parse(self, text: str, disable: list[str] | tuple[str, ...] = ()):
        """spaCy's Doc of `text`, parsed in a child (less the `disable`d components)."""
        return rebuild_doc(self, self.parse_bytes(text, disable))

    def entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """(start char, end char, label) of each text's entities, tagged in a child."""
        if not texts:
            return []
        with self._child() as child:
            return child.entities(texts)

    def close(self) -> None:
        with self._free:
            children, self._children, self._idle = self._children, [], []
            self._free.notify_all()
        for child in children:
            child.close()


if __name__ == "__main__":  # the child: FD PACKAGE [COMPONENTS NOT NEEDED FOR NER ...]
    _serve(Connection(int(sys.argv[1])), sys.argv[2], tuple(sys.argv[3:]))
