"""The chat page under its Content-Security-Policy (issue 15, item 7), in Debian's chromium:
asking a question works and the browser reports no CSP violation. The service runs in-process
(uvicorn in a thread) over a fake-embedder index."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.http.app import create_app  # noqa: E402
from rag.http.guard import PAGE_CSP  # noqa: E402
from rag.http.server import uvicorn_config  # noqa: E402

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def vector_backend() -> str:
    return "faiss"


@pytest.fixture
def base_url(fake_settings: Settings, fake_engine: Engine) -> Iterator[str]:
    fake_engine.index_directory()
    settings = dataclasses.replace(fake_settings)
    app = create_app(settings, engine=fake_engine)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, settings, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def test_the_chat_page_works_under_its_csp(base_url: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.add_init_script(RECORD_VIOLATIONS)
            response = page.goto(base_url + "/")
            assert response is not None and response.headers["content-security-policy"] == PAGE_CSP
            page.fill("#question", "Who funded the 2008 Vienna conference?")
            page.click("#send")
            answer = page.locator("li.message.assistant").last
            answer.wait_for(timeout=WAIT_MS)
            page.wait_for_function(
                "() => { const m = document.querySelectorAll('li.message.assistant');"
                " return m.length && !m[m.length - 1].classList.contains('streaming'); }",
                timeout=WAIT_MS,
            )
            text = answer.inner_text()
            violations = page.evaluate("window.__csp")
        finally:
            browser.close()
    assert violations == [], violations
    assert not [line for line in console if "Content Security Policy" in line], console
    assert "Searching the releases" not in text and len(text.strip()) > 10, text
