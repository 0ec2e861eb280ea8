"""Milvus as the vector index (RAG_VECTOR_BACKEND=milvus), through pymilvus' MilvusClient.

RAG_MILVUS_URI is a file path ending in .db for Milvus Lite (embedded, in this process) or
http(s)://host:19530 for a Milvus server or cluster. The collection holds, per chunk, its row
id in the SQLite store (the primary key), its vector and the fields searches filter on
(source, year, dateline place); SQLite stays the store of record.

The collection's properties carry the store's build id and generation. A write marks the
generation in flight, changes the rows, then records the new generation; the store commits its
own transaction only after that. Whenever the two disagree (a crash or an outage mid-write),
the store rebuilds the collection from its stored vectors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from rag.errors import VectorBackendUnavailable
from rag.index.faiss_index import SearchFilter

log = logging.getLogger(__name__)

T = TypeVar("T")
BUILD_KEY = "rag.build_id"
GENERATION_KEY = "rag.answering.generation"
IN_FLIGHT = "-1"
SOURCE_MAX = 1024
PLACE_MAX = 256
INSERT_BATCH = 2000
# HNSW as in rag.index.faiss_index (M 32, ef 128), explicit rather than AUTOINDEX so that Milvus
# Lite, a
# Milvus server and the FAISS default search alike (AUTOINDEX takes other search parameters).
HNSW_BUILD = {"M": 32, "efConstruction": 80}
HNSW_EF = 128


def redact(uri: str) -> str:
    """The URI without credentials, for messages and the manifest."""
    parts = urlsplit(uri)
    if parts.scheme and "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts) if parts.scheme else uri


def milvus_filter(where: SearchFilter) -> str:
    """A Milvus boolean expression equivalent to `where` (strings quoted as JSON)."""

    def quoted(values: Iterable[str]) -> str:
        return json.dumps(sorted(values), ensure_ascii=False)

    parts = []
    if where.sources is not None:
        parts.append(f"source in {quoted(where.sources)}")
    if where.years:
        parts.append(f"year in {sorted(where.years)}")
    if where.places:
        parts.append(f"place in {quoted(where.places)}")
    return " and ".join(parts)


def row_fields(source: str, year: int | None, place: str) -> dict[str, Any]:
    return {"source": source, "year": int(year or 0), "place": place.lower()[:PLACE_MAX]}


class MilvusVectorIndex:
    """One Milvus collection. Shared, mutable state: copy() returns the same index, and the
    Engine's read/write lock keeps queries out while a write changes it."""

    kind = "milvus"

    def __init__(
        self, uri: str, collection: str, dimension: int, token: str = "", timeout: float = 10.0
    ) -> None:
        self.uri = uri
        self.collection = collection
        self.dimension = dimension
        self._token = token
        self._timeout = timeout
        self._client = None
        self._count = 0

    @property
    def location(self) -> str:
        return f"{redact(self.uri)} (collection {self.collection})"

    @property
    def public_uri(self) -> str:
        return redact(self.uri)

    # -- connection ----------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            if self._client is None:
                from pymilvus import MilvusClient

                self._client = MilvusClient(uri=self.uri, token=self._token, timeout=self._timeout)
            return fn(self._client, *args, **kwargs)
        except VectorBackendUnavailable:
            raise
        except Exception as exc:  # MilvusException, grpc errors, refused connections
            self._client = None  # reconnect on the next call
            raise VectorBackendUnavailable(
                f"the Milvus vector backend at {self.location} is unavailable ({what}): {exc}"
            ) from exc

    def ping(self) -> None:
        """Raise VectorBackendUnavailable unless Milvus answers."""
        self._call("ping", lambda c: c.has_collection(self.collection, timeout=self._timeout))

    # -- collection state ----------------------------------------------------------------
    def state(self) -> tuple[str, str] | None:
        """(build id, generation) recorded in the collection; None when it does not exist."""

        def read(c):
            if not c.has_collection(self.collection):
                return None
            props = c.describe_collection(self.collection).get("properties", {}) or {}
            return props.get(BUILD_KEY, ""), props.get(GENERATION_KEY, "")

        return self._call("describe", read)

    def load(self) -> None:
        """Load the collection for searching (a reopened Milvus Lite file starts released)."""
        self._call("load", lambda c: c.load_collection(self.collection))

    def refresh_count(self) -> int:
        rows = self._call(
            "count", lambda c: c.query(self.collection, filter="", output_fields=["count(*)"])
        )
        self._count = int(rows[0]["count(*)"])
        return self._count

    def _set_generation(self, generation: str, build_id: str | None = None) -> None:
        props = {GENERATION_KEY: generation}
        if build_id is not None:
            props[BUILD_KEY] = build_id
        self._call(
            "mark",
            lambda c: c.alter_collection_properties(self.collection, properties=props),
        )

    def reset(
        self, build_id: str, generation: int, batches: Iterable[tuple[np.ndarray, np.ndarray, list]]
    ) -> None:
        """Drop and recreate the collection, then load (ids, vectors, fields) batches into it."""
        from pymilvus import DataType, MilvusClient

        def create(c):
            if c.has_collection(self.collection):
                c.drop_collection(self.collection)
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dimension)
            schema.add_field("source", DataType.VARCHAR, max_length=SOURCE_MAX)
            schema.add_field("year", DataType.INT64)
            schema.add_field("place", DataType.VARCHAR, max_length=PLACE_MAX)
            params = c.prepare_index_params()
            params.add_index(
                field_name="vector", index_type="HNSW", metric_type="IP", params=HNSW_BUILD
            )
            for name in ("source", "year", "place"):
                params.add_index(field_name=name, index_type="INVERTED")
            # Session consistency: this client reads its own writes at once.
            c.create_collection(
                self.collection,
                schema=schema,
                consistency_level="Session",
                properties={BUILD_KEY: build_id, GENERATION_KEY: IN_FLIGHT},
            )
            # sync=False: an empty collection's indexes need no waiting (and Milvus Lite lacks
            # the timestamp call the wait makes).
            c.create_index(self.collection, params, sync=False)
            c.load_collection(self.collection)

        self._call("create collection", create)
        self._count = 0
        for ids, vectors, fields in batches:
            self._insert(ids, vectors, fields)
        self._set_generation(str(generation))

    # -- writes --------------------------------------------------------------------------
    def _insert(self, ids: np.ndarray, vectors: np.ndarray, fields: list[dict]) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        for lo in range(0, len(ids), INSERT_BATCH):
            rows = [
                {"id": int(i), "vector": v, **f}
                for i, v, f in zip(
                    ids[lo : lo + INSERT_BATCH],
                    vectors[lo : lo + INSERT_BATCH],
                    fields[lo : lo + INSERT_BATCH],
                    strict=True,
                )
            ]
            self._call("upsert", lambda c, rows=rows: c.upsert(self.collection, rows))
        self._count += len(ids)

    def _delete(self, ids: np.ndarray) -> None:
        if len(ids):
            id_list = [int(i) for i in ids]
            self._call("delete", lambda c: c.delete(self.collection, ids=id_list))
            self._count -= len(ids)

    def write_batch(
        self,
        generation: tuple[int, int],
        removed: tuple[np.ndarray, np.ndarray, list[dict]],
        added: tuple[np.ndarray, np.ndarray, list[dict]],
    ) -> None:
        """Replace the `removed` rows by the `added` ones, moving generation[0] -> [1].

        On failure it puts the removed rows back (best effort) and raises
        VectorBackendUnavailable; the marker stays in flight if even that fails, so the next
        load or write rebuilds the collection from the store.
        """
        old, new = generation
        count = self._count
        self._set_generation(IN_FLIGHT)
        try:
            self._insert(*added)
            self._delete(removed[0])
            self._set_generation(str(new))
        except VectorBackendUnavailable:
            try:
                self._delete(added[0])
                self._insert(*removed)
                self._set_generation(str(old))
                self._count = count
            except VectorBackendUnavailable as exc:
                log.warning("could not undo a failed Milvus write (%s); it will be rebuilt", exc)
            raise

    def mark_stale(self) -> None:
        try:
            self._set_generation(IN_FLIGHT)
        except VectorBackendUnavailable as exc:
            log.warning("could not mark the Milvus collection stale: %s", exc)

    # The VectorIndex protocol's per-call writes, for callers outside the store.
    def add(self, ids: np.ndarray, vectors: np.ndarray, fields: list[dict] | None = None) -> None:
        self._insert(np.asarray(ids), vectors, fields or [row_fields("", None, "")] * len(ids))

    def remove(self, ids: np.ndarray) -> None:
        self._delete(np.asarray(ids))

    # -- reads ---------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    def search(
        self, query: np.ndarray, k: int, where: SearchFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self._count)
        if k <= 0 or (where is not None and not where.allowed_sources):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        expr = milvus_filter(where) if where is not None else ""
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        result = self._call(
            "search",
            lambda c: c.search(
                self.collection,
                data=[vector.tolist()],
                limit=k,
                filter=expr,
                output_fields=["id"],
                anns_field="vector",
                search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}},
            ),
        )
        hits = result[0] if result else []
        scores = np.asarray([h["distance"] for h in hits], dtype=np.float32)
        ids = np.asarray([h["id"] for h in hits], dtype=np.int64)
        return scores, ids

    def copy(self) -> MilvusVectorIndex:
        return self

    def write(self, path: Path) -> None:
        """Nothing to write locally: Milvus persists its own data."""

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None
