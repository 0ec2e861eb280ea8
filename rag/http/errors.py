"""Every error leaves the service as {"error": {"code", "message"}}, never as a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import RagError
from rag.http.guard import allowed_methods
from rag.logsafe import escape

log = logging.getLogger(__name__)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _status_code_name(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def describe_validation(errors: Sequence[Any]) -> tuple[str, str]:
    """(code, message) for pydantic/FastAPI validation errors, one clause per problem."""
    parts: list[str] = []
    for err in errors:
        if not isinstance(err, dict):
            parts.append(str(err))
            continue
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            return "invalid_json", f"malformed JSON body{': ' + str(detail) if detail else ''}"
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "missing" and not loc:
            msg = "a JSON request body is required"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    if not parts:
        return "validation_error", "invalid request"
    more = f" (and {len(parts) - 5} more)" if len(parts) > 5 else ""
    return "validation_error", "; ".join(parts[:5]) + more


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code, message = describe_validation(exc.errors())
    return error_response(422, code, message)


# FastAPI's answer when a JSON body cannot be decoded at all (bad UTF-8, nesting too deep)
_BODY_PARSE_ERROR = "There was an error parsing the body"


def malformed_body_message(cause: BaseException | None) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "malformed JSON body: it is not valid UTF-8 text"
    if isinstance(cause, RecursionError):
        return "malformed JSON body: it is nested too deeply"
    return "malformed JSON body"


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.detail == _BODY_PARSE_ERROR:  # one status and code everywhere
        return error_response(422, "invalid_json", malformed_body_message(exc.__cause__))
    message = exc.detail if isinstance(exc.detail, str) else _status_code_name(status)
    headers = exc.headers
    if status == 405:  # every method of the path, not only those of the first route matched
        allow = allowed_methods(request.app, request.url.path)
        headers = {**(headers or {}), "Allow": ", ".join(allow)} if allow else headers
    return error_response(status, _status_code_name(status), message, headers)


# The HTTP status of each domain error code (rag.errors and the errors of fetch, api_deps);
# a code not listed is a server error.
STATUS_OF_CODE = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "request_timeout": 408,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "invalid_json": 422,
    "fetch_failed": 422,
    "fetch_blocked": 422,
    "index_missing": 503,
    "index_incompatible": 503,
    "vector_backend_unavailable": 503,
    "not_ready": 503,
    "insufficient_storage": 507,
}
# What an HTTP client can do about an error, added to the domain's message.
HTTP_ADVICE = {"conflict": "add ?replace=true to replace it"}


def http_status(exc: RagError) -> int:
    return STATUS_OF_CODE.get(exc.code, 500)


def http_message(code: str, message: str) -> str:
    """The domain's message with what an HTTP client can do about it."""
    return f"{message} ({HTTP_ADVICE[code]})" if code in HTTP_ADVICE else message


async def _rag(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status = http_status(exc)
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif status == 503:
        headers = {"Retry-After": "5"}
    if status >= 500 and status != 503:
        log.error("%s %s: %s", request.method, escape(request.url.path), escape(exc.message))
    return error_response(status, exc.code, http_message(exc.code, exc.message), headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "unhandled error on %s %s", request.method, escape(request.url.path), exc_info=exc
    )
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RagError, _rag)
    app.add_exception_handler(Exception, _unexpected)
