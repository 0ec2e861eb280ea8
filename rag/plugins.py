"""Extension points by name: plugins register through `importlib.metadata` entry points.

Each extension point is an entry-point group; pyproject.toml registers the built-ins there too:

    [project.entry-points."rag.formats"]       # document formats, by file suffix
    [project.entry-points."rag.embedders"]     # embedding backends (RAG_EMBED_BACKEND)
    [project.entry-points."rag.vector_backends"]  # vector indexes (RAG_VECTOR_BACKEND)

so adding one is a module plus a line. A checkout that was never installed has no package
metadata; it falls back to the built-ins each extension point names in code.
"""

from __future__ import annotations

import importlib
import logging
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _named(group: str) -> dict[str, str]:
    return {ep.name.lower(): ep.value for ep in entry_points(group=group)}


def registered(group: str, builtin: dict[str, str]) -> dict[str, str]:
    """name -> "module:attribute" of a group's installed entry points (else `builtin`)."""
    found = _named(group)
    if not found:
        log.debug("no %r entry points (package not installed): the built-ins only", group)
        return dict(builtin)
    return dict(found)


def load(target: str) -> Any:
    """The object a "module:attribute" names, imported on first use."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def refresh() -> None:
    """Forget what was read from the package metadata (after installing a plugin, in tests)."""
    _named.cache_clear()
