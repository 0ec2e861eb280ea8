"""Domain errors: each says what happened, in a message and a stable `code`.

They know nothing of HTTP: rag.http.errors maps each code to a status (and adds what an HTTP
client can do about it); the CLI prints the message.
"""

from __future__ import annotations


class RagError(Exception):
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(RagError):
    code = "bad_request"


class ValidationFailed(RagError):
    code = "validation_error"


class NotFound(RagError):
    code = "not_found"


class Conflict(RagError):
    """A different document of that name exists and replacing it was not asked for."""

    code = "conflict"


class UnsupportedFile(RagError):
    code = "unsupported_media_type"


class PayloadTooLarge(RagError):
    code = "payload_too_large"


class Unauthorized(RagError):
    code = "unauthorized"


class IndexMissing(RagError):
    code = "index_missing"


class IndexIncompatible(RagError):
    """The index on disk was built with other settings (model, chunker, format)."""

    code = "index_incompatible"


class VectorBackendUnavailable(RagError):
    """The external vector engine (Milvus) cannot be reached or refused a request."""

    code = "vector_backend_unavailable"


class InvalidJson(ValidationFailed):
    """A body that is not JSON at all (syntax, encoding, nesting): 422 on every route."""

    code = "invalid_json"


class Forbidden(RagError):
    code = "forbidden"


class RequestTimeout(RagError):
    code = "request_timeout"


class InsufficientStorage(RagError):
    """The disk holding the index is full: the write was undone, nothing changed."""

    code = "insufficient_storage"
