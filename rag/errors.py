"""Errors carry an HTTP status and a stable code; the API and CLI turn them into messages."""

from __future__ import annotations


class RagError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(RagError):
    status = 400
    code = "bad_request"


class ValidationFailed(RagError):
    status = 422
    code = "validation_error"


class NotFound(RagError):
    status = 404
    code = "not_found"


class Conflict(RagError):
    status = 409
    code = "conflict"


class UnsupportedFile(RagError):
    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(RagError):
    status = 413
    code = "payload_too_large"


class Unauthorized(RagError):
    status = 401
    code = "unauthorized"


class IndexMissing(RagError):
    status = 503
    code = "index_missing"


class IndexIncompatible(RagError):
    """The index on disk was built with other settings (model, chunker, format)."""

    status = 503
    code = "index_incompatible"


class VectorBackendUnavailable(RagError):
    """The external vector engine (Milvus) cannot be reached or refused a request."""

    status = 503
    code = "vector_backend_unavailable"


class InvalidJson(ValidationFailed):
    """A body that is not JSON at all (syntax, encoding, nesting): 422 on every route."""

    code = "invalid_json"


class Forbidden(RagError):
    status = 403
    code = "forbidden"


class RequestTimeout(RagError):
    status = 408
    code = "request_timeout"


class InsufficientStorage(RagError):
    """The disk holding the index is full: the write was undone, nothing changed."""

    status = 507
    code = "insufficient_storage"
