"""Document formats by file suffix: the extension point "rag.formats" (rag.plugins).

A format is a function `(data: bytes, name: str) -> list[Document]` that raises
rag.ingestion.release_text.IngestError with a one-line reason when the bytes are not a readable
document.
It is registered under its suffix, without the dot, in pyproject.toml:

    [project.entry-points."rag.formats"]
    odt = "mypackage.odt:read_odt"

The built-in formats are registered the same way (BUILTIN is the fallback of a checkout that
was never installed).
"""

from __future__ import annotations

from collections.abc import Callable

from rag import plugins
from rag.values import Document

GROUP = "rag.formats"
BUILTIN = {
    "txt": "rag.ingestion.ingest:read_text",
    "md": "rag.ingestion.ingest:read_markdown",
    "markdown": "rag.ingestion.ingest:read_markdown",
    "html": "rag.ingestion.ingest:read_html",
    "htm": "rag.ingestion.ingest:read_html",
    "jsonl": "rag.ingestion.ingest:read_jsonl",
    "pdf": "rag.ingestion.formats_pdf:read_pdf",
    "docx": "rag.ingestion.formats_docx:read_docx",
}

Reader = Callable[[bytes, str], list[Document]]


def registered() -> dict[str, str]:
    """ ".suffix" -> "module:function", sorted by suffix."""
    found = plugins.registered(GROUP, BUILTIN)
    return {f".{name.lstrip('.')}": target for name, target in sorted(found.items())}


def supported_suffixes() -> tuple[str, ...]:
    return tuple(registered())


def reader_for(suffix: str) -> Reader | None:
    """The registered reader of a suffix (".pdf"), imported on first use; None if none."""
    target = registered().get(suffix.lower())
    return None if target is None else plugins.load(target)
