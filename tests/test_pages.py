"""The pages a browser loads (rag.http.pages): the chat page's question limit, the icon, and the
offline API docs with response examples. No index is loaded: these routes do not need one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.http.app import create_app
from rag.http.examples import ANSWER, EXAMPLES


def client_for(tmp_path: Path, **overrides) -> TestClient:
    settings = Settings(index_dir=tmp_path / "index", embed_model="fake", **overrides)
    return TestClient(create_app(settings, engine=Engine(settings, embedder=FakeEmbedder())))


@pytest.mark.parametrize("limit", [1000, 250])
def test_the_chat_page_carries_the_api_question_limit(tmp_path: Path, limit: int) -> None:
    page = client_for(tmp_path, max_question_chars=limit).get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.findall(r'data-max-question-chars="(\d+)"', page.text) == [str(limit)]
    assert "maxlength" not in page.text  # a long question is refused with a message, never cut


def test_favicon_is_a_small_svg(tmp_path: Path) -> None:
    icon = client_for(tmp_path).get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg") and len(icon.content) < 2048


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_everything_from_the_app(tmp_path: Path, path: str) -> None:
    client = client_for(tmp_path)
    page = client.get(path)
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links and all(link.startswith("/") for link in links), links  # no CDN
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    for link in links:
        asset = client.get(link)
        assert asset.status_code == 200, link
        assert len(asset.content) > 100, link


def test_openapi_has_response_examples(tmp_path: Path) -> None:
    spec = TestClient(create_app(Settings(index_dir=tmp_path / "i", embed_model="fake"))).get(
        "/openapi.json"
    )
    paths = spec.json()["paths"]
    ask = paths["/api/ask"]["post"]["responses"]
    examples = ask["200"]["content"]["application/json"]["examples"]
    assert examples["answer"]["value"] == ANSWER
    assert examples["refusal"]["value"]["abstained"] is True
    errors = ask["422"]["content"]["application/json"]["examples"]
    assert errors["blank"]["value"]["error"]["code"] == "validation_error"
    stream = paths["/api/ask/stream"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    assert stream["example"].startswith("event: citations")
    # every example was placed on an operation the service has
    placed = 0
    for path, operations in paths.items():
        for method, op in operations.items():
            for status, response in op.get("responses", {}).items():
                key = (path.replace(":path}", "}"), method, status)
                if key in EXAMPLES:
                    assert response["content"]["application/json"]["examples"], key
                    placed += 1
    assert placed == len(EXAMPLES)
