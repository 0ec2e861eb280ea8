"""`rag watch --server`: listings read by the watcher, pages indexed by the running service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eval.newsroom import Route, Site, newsroom, release, release_page
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine
from rag.errors import RagError
from rag.http.app import create_app
from rag.ingestion.fetch import Fetcher, FetchPolicy
from rag.ingestion.web_remote import RemoteSync
from tests.test_api import wait_ready


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


@pytest.fixture
def service(tmp_path: Path, seeds_copy: Path) -> Iterator[tuple[TestClient, Engine]]:
    settings = Settings(
        index_dir=tmp_path / "index",
        source_dir=seeds_copy,
        embed_model="fake",
        fetch_delay=0.0,
        fetch_allow_private=True,
        api_key="s3cret",
    )
    engine = Engine(settings, embedder=FakeEmbedder())
    engine.warm_up = lambda: None  # type: ignore[method-assign]  # no answer models here
    with TestClient(create_app(settings, engine=engine)) as client:
        wait_ready(client)
        yield client, engine


def test_watch_posts_new_entries_to_the_service(
    site: Site, service: tuple[TestClient, Engine]
) -> None:
    client, engine = service
    newsroom(site, 3)
    client.headers["Authorization"] = "Bearer s3cret"
    remote = RemoteSync("http://testserver", Fetcher(FetchPolicy(delay=0.0)), client=client)
    feed = site.url("/feed.xml")
    first = remote.sync([site.url("/gone")], [feed])
    assert first.count("added") == 3 and first.chunks_embedded == 3
    assert [(i.url, i.reason) for i in first.skipped] == [(site.url("/gone"), "HTTP 404 Not Found")]
    served = engine.snapshot.documents  # the service's own index: no restart needed
    assert {d.url for d in served.values() if d.url} == {
        site.url(f"/news/release-00{i}") for i in range(3)
    }
    # unchanged feed: nothing posted
    assert remote.sync(feeds=[feed]).items == []
    # a new entry: only it is posted; the service embeds only it
    site.routes["/news/new"] = Route(release_page(release(9)))
    site.routes["/feed.xml"].body = site.routes["/feed.xml"].body.replace(
        b"</channel>", f"<item><link>{site.url('/news/new')}</link></item></channel>".encode()
    )
    encoded = engine.embedder.texts_encoded
    third = remote.sync(feeds=[feed])
    assert [i.status for i in third.items] == ["unchanged"] * 3 + ["added"]
    assert engine.embedder.texts_encoded - encoded == third.chunks_embedded == 1


def test_watch_without_the_key_is_refused(site: Site, service) -> None:
    client, _ = service
    newsroom(site, 1)
    remote = RemoteSync("http://testserver", Fetcher(FetchPolicy(delay=0.0)), client=client)
    with pytest.raises(RagError, match="refused the write \\(HTTP 401\\)"):
        remote.sync(feeds=[site.url("/feed.xml")])


def test_unreachable_service_fails_the_round(site: Site) -> None:
    newsroom(site, 1)
    remote = RemoteSync("http://127.0.0.1:9", Fetcher(FetchPolicy(delay=0.0)), timeout=2)
    with pytest.raises(RagError, match=r"cannot reach the service at http://127\.0\.0\.1:9"):
        remote.sync(feeds=[site.url("/feed.xml")])
