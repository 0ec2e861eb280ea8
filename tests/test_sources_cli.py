"""`rag index --url/--feed/--sitemap`, `rag watch`: summaries, one line per failure, re-sync."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.newsroom import Route, Site, newsroom
from rag.cli.commands import main, parse_every
from rag.config import Settings
from rag.embedders.base import FakeEmbedder
from rag.engine import Engine


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBED_MODEL", "fake")
    monkeypatch.setenv("RAG_FETCH_DELAY", "0")


def test_index_feed_and_urls_then_resync(site: Site, tmp_path: Path, capsys) -> None:
    newsroom(site, 3)
    index = str(tmp_path / "index")
    args = ["index", "--index-dir", index, "--feed", site.url("/feed.xml")]
    args += ["--url", site.url("/gone"), "--url", site.url("/news/release-000")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Synced 1 feed(s), 0 sitemap(s) and 4 URL(s)" in out
    assert f"  feed {site.url('/feed.xml')}: changed, 3 URLs listed" in out
    assert "  documents: 3 added, 0 updated, 0 unchanged, 1 skipped" in out
    assert f"  skipped {site.url('/gone')}: HTTP 404 Not Found\n" in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # the feed is unchanged (304), so only the URLs named on the command line are asked for
    assert report["chunks_embedded"] == 0 and report["unchanged"] == 1
    assert [i["url"] for i in report["items"]] == [site.url("/gone"), site.url("/news/release-000")]
    assert report["skipped"] == [{"url": site.url("/gone"), "reason": "HTTP 404 Not Found"}]
    assert report["listings"][0]["status"] == "unchanged"
    engine = Engine(Settings(index_dir=Path(index), embed_model="fake"), FakeEmbedder()).open()
    assert len(engine.snapshot.documents) == 3


def test_folder_index_keeps_web_documents(site: Site, tmp_path: Path, capsys) -> None:
    newsroom(site, 2)
    index = str(tmp_path / "index")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nGENEVA, 3 May 2011 - A plain release.\n")
    assert main(["index", "--index-dir", index, "--sitemap", site.url("/sitemap.xml")]) == 0
    assert main(["index", "--index-dir", index, "--source", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "documents: 1 added, 0 updated, 0 unchanged, 0 removed" in out
    assert "chunks: 1 embedded, 3 in the index (3 documents)" in out


def test_watch_once_and_every(site: Site, tmp_path: Path, capsys, monkeypatch) -> None:
    newsroom(site, 2)
    index = str(tmp_path / "index")
    watch = ["watch", "--index-dir", index, "--feed", site.url("/feed.xml")]
    assert main([*watch, "--once"]) == 0
    assert "documents: 2 added" in capsys.readouterr().out
    # --every: rounds until interrupted; a new release appears between two rounds
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 1:
            site.routes["/news/extra"] = Route(site.routes["/news/release-000"].body + b" ")
            site.routes["/feed.xml"].body = site.routes["/feed.xml"].body.replace(
                b"</channel>",
                f"<item><link>{site.url('/news/extra')}</link></item></channel>".encode(),
            )
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr("rag.cli.commands.time.sleep", sleep)
    assert main([*watch, "--every", "30m"]) == 130
    out = capsys.readouterr().out
    assert out.count("Synced 1 feed(s)") == 2
    assert "documents: 0 added, 0 updated, 0 unchanged, 0 skipped" in out  # feed unchanged
    assert "documents: 1 added" in out
    assert len(rounds) == 2 and 1790 < rounds[0] <= 1800


def test_every_needs_web_sources_and_durations_parse(capsys) -> None:
    assert main(["index", "--every", "1h"]) == 2
    assert "--every needs --url, --feed or --sitemap" in capsys.readouterr().err
    assert main(["watch"]) == 2
    assert [parse_every(x) for x in ("90s", "30m", "1h", "1d", "45")] == [90, 1800, 3600, 86400, 45]
    with pytest.raises(argparse.ArgumentTypeError):
        parse_every("soon")


def test_server_mode_takes_web_sources_only(capsys) -> None:
    assert main(["index", "--server", "http://127.0.0.1:8000"]) == 2
    assert main(["index", "--server", "http://x", "--source", "seeds", "--url", "http://x/a"]) == 2
    assert "--server posts web sources (--url, --feed, --sitemap) only" in capsys.readouterr().err
