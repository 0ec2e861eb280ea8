"""spaCy in a child process, so that concurrent questions do not queue for the GIL behind it.

spaCy's models hold the GIL while they run (they cannot release it), so in one process the
parses and entity tags of concurrent questions run one at a time and stall the rest of the
answer path (the reader's ONNX runs, retrieval, ranking) of every other request. `rag serve`
therefore runs spaCy in one child process (RAG_NLP_PROCESS, rag.config): it loads the same
pipeline and answers two requests over a socket: full parses, sent back as `Doc.to_bytes()` and
rebuilt here over a blank English vocabulary (the bytes carry their strings), and entity tags
as (start, end, label) tuples. Requests share the one pipe under a lock (the child is one
thread anyway); a thread waiting for its answer releases the GIL to the others. The child is a
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
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

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
                out: Any = [
                    nlp(t, disable=disable).to_bytes(exclude=["tensor", "user_data"]) for t in texts
                ]
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
        self._vocab = None

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

    def parse(self, text: str, disable: list[str] | tuple[str, ...] = ()):
        """spaCy's Doc of `text`, parsed in the child (less the `disable`d components)."""
        import spacy
        from spacy.tokens import Doc

        with self._lock:  # rebuilding adds the Doc's strings to the one shared vocabulary
            data = self._call_locked("parse", ([text], list(disable)))[0]
            if self._vocab is None:
                self._vocab = spacy.blank("en").vocab  # English lexical attributes, noun chunks
            return Doc(self._vocab).from_bytes(data)

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


if __name__ == "__main__":  # the child: FD PACKAGE [COMPONENTS NOT NEEDED FOR NER ...]
    _serve(Connection(int(sys.argv[1])), sys.argv[2], tuple(sys.argv[3:]))
