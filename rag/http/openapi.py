"""The OpenAPI document, made to say what the service does with this configuration.

FastAPI's generated schema is adjusted once per app:
- bearer security is listed only where a key is actually required (`RAG_API_KEY`, and for
  reads `RAG_API_KEY_READS`);
- the statuses the request guards answer (rag.http.guard) are documented on the operations they
  apply to: 413 and 408 for bodies, 403 for cross-site writes, 507 for a full disk;
- `question` carries the configured length limit and a non-blank pattern, dates their format;
- every error response is the `ErrorResponse` shape (FastAPI's own 422 model is never sent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from rag.config import Settings
from rag.http.guard import WRITE_PREFIXES
from rag.ingestion.names import NON_BLANK_TEXT_PATTERN, SOURCE_SCHEMA_PATTERN

ISO_DATE_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"
# One Server-Sent Event as clients parse it: an optional `event` name and its `data` line(s).
SSE_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
}
STREAM_ONLY = frozenset({"/api/ask/stream"})  # routes whose 200 is never JSON
_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}

_EXTRA_STATUSES = {
    "408": "the request body did not arrive within RAG_BODY_TIMEOUT",
    "413": "request body larger than the limit (RAG_MAX_BODY_BYTES; uploads RAG_MAX_UPLOAD_BYTES)",
    "403": "a write from a page on another origin (see RAG_ALLOWED_ORIGINS)",
    "507": "the disk holding the index is full; nothing was written",
}


_JOB_ACCEPTED = {
    "description": "a document over RAG_BACKGROUND_WRITE_CHARS: written by a background job; "
    "poll the job at `Location` (GET /api/jobs/{job_id})",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobOut"}}},
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _is_write(path: str, method: str) -> bool:
    return method.upper() not in ("GET", "HEAD", "OPTIONS") and path.startswith(WRITE_PREFIXES)


def _string_branch(prop: dict[str, Any]) -> dict[str, Any] | None:
    if prop.get("type") == "string":
        return prop
    for branch in prop.get("anyOf", []):
        if branch.get("type") == "string":
            return branch
    return None


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def adjust(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            write = _is_write(path, method)
            needs_key = bool(settings.api_key) and (write or settings.api_key_reads)
            if not needs_key:
                op.pop("security", None)
                op.get("responses", {}).pop("401", None)
            responses = op.setdefault("responses", {})
            for response in responses.values():
                content = response.get("content", {})
                if "text/event-stream" in content:
                    content["text/event-stream"]["schema"] = SSE_EVENT
                    if path in STREAM_ONLY:
                        content.pop("application/json", None)
            if (path, method) == ("/api/documents", "post") and "JobOut" in schemas:
                responses.setdefault("202", _JOB_ACCEPTED)
            extra = ["408", "413"] if "requestBody" in op else []
            if write:
                extra += ["403", "507"]
            for status in extra:
                responses.setdefault(status, _error_response(_EXTRA_STATUSES[status]))
    if not settings.api_key:
        components.pop("securitySchemes", None)

    def fix(node: dict[str, Any]) -> None:
        if node.get("$ref") == "#/components/schemas/HTTPValidationError":
            node["$ref"] = _ERROR_REF["$ref"]
        title = node.get("title")
        props = node.get("properties", {})
        if title in ("DocumentIn", "DocumentUrlIn") and "source" in props:
            branch = _string_branch(props["source"])
            if branch is not None:  # with look-ahead: not '.' or '..' (rag.ingestion.names)
                branch["pattern"] = SOURCE_SCHEMA_PATTERN
        if title == "DocumentIn" and "date" in props:  # as rag.http.models.IsoDate checks it
            props["date"] = {
                "anyOf": [
                    {"type": "string", "format": "date"},
                    {"type": "string", "maxLength": 0},
                    {"type": "null"},
                ],
                "description": props["date"].get("description", "YYYY-MM-DD"),
            }
        if title in ("CitationOut", "DocumentSummary", "DocumentOut") and "date" in props:
            props["date"]["pattern"] = ISO_DATE_OR_EMPTY
        if title == "AskRequest" and "question" in props:
            props["question"].update(
                minLength=1, maxLength=settings.max_question_chars, pattern=NON_BLANK_TEXT_PATTERN
            )

    _walk(schema, fix)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return schema


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the adjusted document at /openapi.json (and in /docs): wraps whatever builds it
    now (FastAPI's generator, or another wrapper), so install this last."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = adjust(build(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
