"""The OpenAPI document against the service (issue 15, item 10): schemathesis generates requests
from /openapi.json and checks every response against it (documented status, content type,
response schema, no 5xx) on the in-process app over a fake-embedder index. Fixed seed
(derandomized), a bounded number of examples per operation."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

import rag.http.app  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedders.base import FakeEmbedder  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.http.app import create_app  # noqa: E402
from tests.conftest import SEEDS  # noqa: E402

EXAMPLES = 20  # per operation; `derandomize` makes the same requests every run
# Every check runs on every operation, except "schema-valid data is accepted" on two whose rules
# JSON Schema cannot state; their refusals are documented statuses (the other checks still apply):
# an upload's type comes from its file name (415), and the question is the *last* user message,
# which must hold text (422 "no usable user message").
SEMANTIC_REJECTIONS = {("POST", "/api/documents"), ("POST", "/v1/chat/completions")}

# The document does not depend on the index, so the app is made at import (collection needs the
# operations); the fixture below builds its index and readies it before the first request.
INDEX_DIR = Path(tempfile.mkdtemp(prefix="rag-schema-"))
CONFIG = Settings(index_dir=INDEX_DIR / "index", source_dir=SEEDS, embed_model="fake")
APP = create_app(CONFIG, engine=Engine(CONFIG, embedder=FakeEmbedder()))
# A refusal of invalid data may also be 413 (body over RAG_MAX_BODY_BYTES) or 408 (too slow).
CHECKS = {
    "negative_data_rejection": {
        "expected-statuses": [400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 422, 428, 429]
    }
}
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", APP, config=SchemathesisConfig.from_dict({"checks": CHECKS})
)


@pytest.fixture(scope="module", autouse=True)
def ready_app() -> Iterator[None]:
    rag.http.app.load(APP.state.service)  # what the lifespan does
    assert APP.state.service.ready, APP.state.service.error
    yield
    shutil.rmtree(INDEX_DIR, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_responses_match_the_openapi_document(case) -> None:
    excluded = []
    if (case.method, case.path) in SEMANTIC_REJECTIONS:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
