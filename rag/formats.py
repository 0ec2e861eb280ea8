"""Document formats by file suffix, registered as entry points (group "rag.formats").

A format is a function `(data: bytes, name: str) -> list[Document]` that raises
rag.release_text.IngestError with a one-line reason when the bytes are not a readable document.
Each is registered under its suffix, without the dot, in pyproject.toml:

    [project.entry-points."rag.formats"]
    odt = "mypackage.odt:read_odt"

so a new format is one module plus one line. The built-in formats are registered the same way;
BUILTIN is what a checkout that was never installed (no package metadata) falls back to.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points

from rag.types import Document

log = logging.getLogger(__name__)

GROUP = "rag.formats"
BUILTIN = {
    "txt": "rag.ingest:read_text",
    "md": "rag.ingest:read_markdown",
    "markdown": "rag.ingest:read_markdown",
    "html": "rag.ingest:read_html",
    "htm": "rag.ingest:read_html",
    "jsonl": "rag.ingest:read_jsonl",
    "pdf": "rag.formats_pdf:read_pdf",
    "docx": "rag.formats_docx:read_docx",
}

Reader = Callable[[bytes, str], list[Document]]


@lru_cache(maxsize=1)
def registered() -> dict[str, str]:
    """ ".suffix" -> "module:function", from the installed entry points."""
    found = {ep.name.lower(): ep.value for ep in entry_points(group=GROUP)}
    if not found:
        log.debug("no %r entry points (package not installed): built-in formats only", GROUP)
        found = dict(BUILTIN)
    return {f".{name.lstrip('.')}": target for name, target in sorted(found.items())}


def supported_suffixes() -> tuple[str, ...]:
    return tuple(registered())


@lru_cache(maxsize=64)
def reader_for(suffix: str) -> Reader | None:
    """The registered reader of a suffix (".pdf"), imported on first use; None if none."""
    target = registered().get(suffix.lower())
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
