"""The documents API: list, read, add (JSON, a URL to fetch, or a file upload) and delete."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from rag.engine import Engine
from rag.errors import InvalidJson, PayloadTooLarge, UnsupportedFile, ValidationFailed
from rag.http.deps import get_state, ready_engine, require_read, require_write
from rag.http.errors import describe_validation, malformed_body_message
from rag.http.models import (
    DOCUMENT_EXAMPLE,
    DeleteResponse,
    DocumentIn,
    DocumentList,
    DocumentOut,
    WriteResponse,
    error_docs,
)
from rag.ingestion.formats import supported_suffixes
from rag.ingestion.ingest import IngestError, document_from_record, parse_bytes
from rag.ingestion.names import MAX_SOURCE_CHARS, SOURCE_PATTERN, source_problem
from rag.ingestion.web_sources import WebItem
from rag.values import Document

router = APIRouter(tags=["documents"])
ReadyEngine = Annotated[Engine, Depends(ready_engine)]

_MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around an uploaded file


def summary(doc: Document, chunks: int) -> dict[str, Any]:
    return {**doc.metadata(), "chunks": chunks, "chars": len(doc.text)}


@router.get(
    "/api/documents",
    response_model=DocumentList,
    dependencies=[Depends(require_read)],
    responses=error_docs(),
)
def list_documents(
    engine: ReadyEngine,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The indexed releases sorted by name, with metadata and chunk counts (one snapshot)."""
    snap = engine.snapshot
    names = sorted(snap.documents)
    page = [
        summary(snap.documents[s], len(snap.ids_by_source.get(s, [])))
        for s in names[offset : offset + limit]
    ]
    return {"total": len(names), "offset": offset, "limit": limit, "documents": page}


@router.get(
    "/api/documents/{source:path}",
    response_model=DocumentOut,
    dependencies=[Depends(require_read)],
    responses=error_docs(_404="unknown source"),
)
def get_document(source: str, engine: ReadyEngine) -> dict[str, Any]:
    """A release's cleaned text (the text citation offsets index) and metadata."""
    from rag.ingestion.formats_pdf import page_spans

    doc, chunks = engine.get_document(source)
    return {**summary(doc, chunks), "text": doc.text, "pages": page_spans(doc.text)}


@router.delete(
    "/api/documents/{source:path}",
    response_model=DeleteResponse,
    dependencies=[Depends(require_write)],
    responses=error_docs(_404="unknown source"),
)
def delete_document(source: str, engine: ReadyEngine) -> dict[str, str]:
    """Remove a release; questions stop citing it as soon as this returns."""
    engine.delete_document(source)
    return {"deleted": source}


class DocumentUrlIn(BaseModel):
    """A release the service fetches itself: a web page (main text by trafilatura), PDF or DOCX."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL of a release page, PDF or DOCX (robots.txt is honoured)",
    )
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SOURCE_CHARS,
        pattern=SOURCE_PATTERN,
        description="the document's name; derived from the URL when left out",
    )


URL_EXAMPLE = {"url": "https://www.osce.org/secretariat/press-release-oslo-2011"}

_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [DocumentIn.model_json_schema(), DocumentUrlIn.model_json_schema()]
                },
                "examples": {
                    "release": {"value": DOCUMENT_EXAMPLE},
                    "url": {"summary": "fetch a web page, PDF or DOCX", "value": URL_EXAMPLE},
                },
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"a release file: {', '.join(supported_suffixes())}",
                        }
                    },
                }
            },
        },
    }
}


@router.post(
    "/api/documents",
    status_code=201,
    response_model=WriteResponse,
    dependencies=[Depends(require_write)],
    openapi_extra=_UPLOAD_SCHEMA,
    responses={
        200: {"model": WriteResponse, "description": "unchanged, or replaced (?replace=true)"},
        **error_docs(
            _409="same source, different content",
            _413="upload larger than RAG_MAX_UPLOAD_BYTES (a URL's: RAG_FETCH_MAX_BYTES)",
            _415="unsupported content or file type",
            _422="invalid document; a URL that could not be fetched (fetch_failed, fetch_blocked)",
        ),
    },
)
async def add_documents(
    request: Request,
    engine: ReadyEngine,
    replace: Annotated[
        bool, Query(description="replace a different document of that name")
    ] = False,
) -> JSONResponse:
    """Add a release as JSON, as a URL to fetch (`{"url"}`) or as an uploaded file; answerable
    as soon as this returns.

    201 when a document was added; 200 when it was unchanged or replaced; 409 when a
    different document of that name exists and `replace` is not set. A URL that cannot be
    fetched or read is a 4xx with the reason (422 fetch_failed/fetch_blocked, 413, 415).
    """
    limit = get_state(request).settings.max_upload_bytes
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        body = await _read_body(request, limit)
        url_in = _url_request(body)
        if url_in is not None:
            return await _add_url(request, engine, url_in, replace)
        docs = [_from_json(body, limit)]
    elif ctype == "multipart/form-data":
        docs = await _from_upload(
            request, await _read_body(request, limit + _MULTIPART_SLACK), limit
        )
    else:
        raise UnsupportedFile(
            f"unsupported content type {ctype or '(none)'}: send application/json "
            "or a multipart/form-data file upload"
        )
    names = [d.source for d in docs]
    if len(set(names)) != len(names):
        raise ValidationFailed("the upload names the same document more than once")
    background = get_state(request).settings.background_write_chars
    if background and sum(len(d.text) for d in docs) > background:
        job = request.app.state.jobs.submit(docs, replace).to_dict()
        return JSONResponse(job, status_code=202, headers={"Location": job["url"]})
    results = await run_in_threadpool(engine.add_documents, docs, replace=replace)
    out = [
        {"source": d.source, "status": status, "chunks": chunks, "title": d.title}
        for d, (status, chunks) in zip(docs, results, strict=True)
    ]
    added = any(status == "added" for status, _ in results)
    location = f"/api/documents/{quote(docs[0].source, safe=':')}"
    headers = {"Location": location} if len(docs) == 1 else None
    return JSONResponse({"documents": out}, status_code=201 if added else 200, headers=headers)


def _url_request(body: bytes) -> DocumentUrlIn | None:
    """The `{"url", "source"?}` form of the body, or None for a document given as text."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None  # _from_json says what is wrong with it
    if not isinstance(data, dict) or "url" not in data or "text" in data:
        return None
    try:
        return DocumentUrlIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(describe_validation(exc.errors())[1]) from None


def _fetcher(request: Request):
    """The app's one Fetcher (a connection pool and each host's pace), made on first use."""
    from rag.ingestion.fetch import Fetcher, FetchPolicy

    app_state = request.app.state
    fetcher = getattr(app_state, "web_fetcher", None)
    if fetcher is None:
        settings = get_state(request).settings
        policy = FetchPolicy.from_settings(settings, allow_private=settings.fetch_allow_private)
        fetcher = app_state.web_fetcher = Fetcher(policy)
    return fetcher


async def _add_url(
    request: Request, engine: Engine, url_in: DocumentUrlIn, replace: bool
) -> JSONResponse:
    from rag.ingestion.web_sources import WebIngester

    problem = source_problem(url_in.source) if url_in.source is not None else None
    if problem is not None:
        raise ValidationFailed(f"source: {problem}")
    ingester = WebIngester(engine, _fetcher(request))
    item: WebItem = await run_in_threadpool(
        ingester.add_url, url_in.url, source=(url_in.source or "").strip(), replace=replace
    )
    out = {"source": item.source, "status": item.status, "chunks": item.chunks}
    out |= {"title": item.title, "url": item.url}
    headers = {"Location": f"/api/documents/{quote(item.source, safe=':')}"}
    status = 201 if item.status == "added" else 200
    return JSONResponse({"documents": [out]}, status_code=status, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _derived_source(doc_in: DocumentIn, record: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", (doc_in.title or "").lower()).strip("-")[:60]
    return f"{slug or 'document'}-{digest}"


def _from_json(body: bytes, limit: int) -> Document:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"malformed JSON body: {exc}") from None
    except (UnicodeDecodeError, RecursionError) as exc:  # as /api/ask says it (422 invalid_json)
        raise InvalidJson(malformed_body_message(exc)) from None
    try:
        doc_in = DocumentIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(describe_validation(exc.errors())[1]) from None
    record = doc_in.model_dump(exclude_none=True, exclude={"source"})
    source = (doc_in.source or "").strip() or _derived_source(doc_in, record)
    try:
        return document_from_record(record, source)
    except IngestError as exc:
        raise ValidationFailed(str(exc)) from None


async def _from_upload(request: Request, body: bytes, limit: int) -> list[Document]:
    async def replay() -> Message:
        nonlocal body
        chunk, body = body, b""
        return {"type": "http.request", "body": chunk, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    except StarletteHTTPException as exc:
        raise ValidationFailed(f"invalid multipart body: {exc.detail}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("the multipart body needs a 'file' part holding the release")
    name = PureWindowsPath(PurePosixPath(upload.filename or "").name).name.strip()
    if not name or name.startswith("."):
        raise ValidationFailed("the uploaded file needs a name (it becomes the document's source)")
    problem = source_problem(name)  # the rules a JSON `source` follows
    if problem is not None:
        raise ValidationFailed(f"the uploaded file's name {name[:60]!r} {problem}")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in supported_suffixes():
        raise UnsupportedFile(
            f"unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    data = await upload.read()
    await form.close()
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is larger than the limit of {limit} bytes")
    try:
        return parse_bytes(data, name)
    except (IngestError, UnicodeError) as exc:
        raise ValidationFailed(f"{name}: {exc}") from None
