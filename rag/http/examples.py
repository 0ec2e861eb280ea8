"""Response examples for /docs and /redoc: what the service actually answers.

The request models carry request examples (rag.http.models); these are the responses, copied
from a server over the shipped seeds/ (quotes and offsets are the releases' own), added to the
OpenAPI document once, next to whatever schema the routes declare.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

VIENNA = {
    "n": 1,
    "source": "002_b58f2e4459b73bca.txt",
    "title": "International co-operation to fight drug trafficking focus of OSCE experts meeting",
    "date": "2008-07-17",
    "place": "Vienna",
    "chunk_id": "002_b58f2e4459b73bca.txt#2",
    "start": 2031,
    "end": 2100,
    "quote": "It was financed by Belgium, Norway, the Russian Federation and Japan.",
    "score": 0.7815,
}

ANSWER = {
    "answer": "Belgium, Norway, the Russian Federation and Japan",
    "abstained": False,
    "confidence": 0.899,
    "low_confidence": False,
    "citations": [VIENNA],
    "related": [],
    "timings_ms": {"retrieve": 22.95, "answer": 9.03, "total": 31.99},
    "kind": "fact",
    "mode": "extractive",
    "warning": None,
    "sentences": [],
}

REFUSAL = {
    "answer": "The releases don't say. (no release is about or mentions Berlin.)",
    "abstained": True,
    "confidence": 0.0,
    "low_confidence": False,
    "citations": [],
    "related": [],
    "timings_ms": {"retrieve": 3.1, "answer": 0.0, "total": 3.1},
    "kind": "fact",
    "mode": "extractive",
    "warning": None,
    "sentences": [],
}

SUMMARY = {
    "source": VIENNA["source"],
    "title": VIENNA["title"],
    "date": "2008-07-17",
    "place": "Vienna",
    "country": "Austria",
    "publisher": "OSCE Secretariat",
    "fields": ["Policing"],
    "url": "",
    "chunks": 4,
    "chars": 2770,
}

STREAM = (
    'event: citations\ndata: {"citations": [{"n": 1, "source": "002_b58f2e4459b73bca.txt", '
    '"title": "...", "quote": "It was financed by Belgium, Norway, the Russian Federation and '
    'Japan.", "...": "..."}]}\n\n'
    'event: token\ndata: {"text": "Belgium, "}\n\n'
    'event: token\ndata: {"text": "Norway, the Russian Federation and Japan"}\n\n'
    'event: done\ndata: {"answer": "Belgium, Norway, the Russian Federation and Japan", '
    '"abstained": false, "confidence": 0.899, "citations": [...], "...": "..."}\n\n'
)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"value": {"error": {"code": code, "message": message}}}


BLANK = _error("validation_error", "question: must not be empty or whitespace")
TOO_LONG = _error(
    "validation_error", "question: too long (1204 characters); the limit is 1000 characters"
)
NOT_READY = _error("not_ready", "the index and model are still loading")
UNKNOWN = _error("not_found", "no document named 'nope.txt'")

# (path, method, status) -> {example name: {"summary"?, "value"}}, for application/json unless
# the status's content names another media type.
EXAMPLES: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("/api/ask", "post", "200"): {
        "answer": {"summary": "An answer with its citation", "value": ANSWER},
        "refusal": {"summary": "Not in the releases", "value": REFUSAL},
    },
    ("/api/ask", "post", "422"): {"blank": BLANK, "too_long": TOO_LONG},
    ("/api/ask", "post", "503"): {"loading": NOT_READY},
    ("/api/ask/stream", "post", "422"): {"blank": BLANK},
    ("/api/documents", "get", "200"): {
        "page": {"value": {"total": 12, "offset": 0, "limit": 1, "documents": [SUMMARY]}}
    },
    ("/api/documents/{source}", "get", "200"): {
        "release": {
            "value": {
                **SUMMARY,
                "text": "International co-operation to fight drug trafficking focus of OSCE "
                "experts meeting\nVIENNA, 17 July 2008 - ... It was financed by Belgium, Norway, "
                "the Russian Federation and Japan. ...",
                "pages": [],
            }
        }
    },
    ("/api/documents/{source}", "get", "404"): {"unknown": UNKNOWN},
    ("/api/documents", "post", "201"): {
        "added": {
            "value": {
                "documents": [
                    {
                        "source": "2024-vienna-workshop.txt",
                        "status": "added",
                        "chunks": 1,
                        "title": "OSCE workshop on cyber security in Vienna",
                    }
                ]
            }
        }
    },
    ("/api/documents/{source}", "delete", "200"): {
        "deleted": {"value": {"deleted": "2024-vienna-workshop.txt"}}
    },
    ("/api/documents/{source}", "delete", "404"): {"unknown": UNKNOWN},
    ("/healthz", "get", "200"): {"ok": {"value": {"status": "ok"}}},
    ("/readyz", "get", "200"): {
        "ready": {
            "value": {
                "status": "ready",
                "documents": 12,
                "chunks": 47,
                "model": "all-MiniLM-L6-v2",
                "dimension": 384,
                "generation": 1,
            }
        }
    },
    ("/readyz", "get", "503"): {"loading": NOT_READY},
}
STREAM_EXAMPLE = ("/api/ask/stream", "post", "200")


def _path_item(paths: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The path item for `path`, matching `{source}` to `{source:path}` too."""
    if path in paths:
        return paths[path]
    for name, item in paths.items():
        if name.replace(":path}", "}") == path:
            return item
    return None


def apply(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the examples to the OpenAPI document `schema` (in place) and return it."""
    paths = schema.get("paths", {})
    for (path, method, status), examples in EXAMPLES.items():
        operation = (_path_item(paths, path) or {}).get(method)
        response = (operation or {}).get("responses", {}).get(status)
        if response is None:
            continue
        media = response.setdefault("content", {}).setdefault("application/json", {})
        media["examples"] = copy.deepcopy(examples)
    path, method, status = STREAM_EXAMPLE
    operation = (_path_item(paths, path) or {}).get(method) or {}
    response = operation.get("responses", {}).get(status)
    if response is not None:
        response.setdefault("content", {})["text/event-stream"] = {
            "schema": {"type": "string"},
            "example": STREAM,
        }
    return schema


def add_examples(app: FastAPI) -> None:
    """Wrap `app.openapi` so that the document it builds carries the response examples."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = apply(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
