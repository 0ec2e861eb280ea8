"""The chat page in a real browser (Debian's chromium through Playwright) against `rag serve`.

One server for the module, over a temp copy of seeds/ plus a release whose text carries markup.
Screenshots at 1280 and 375 px go to test-artifacts/. The last test stops the server.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT
from tests.conftest import ASTANA, SEEDS, VIENNA

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests.live_server import running_server, stop  # noqa: E402

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WAIT_MS = 20_000
STREAMING = re.compile(r"\bstreaming\b")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

VIENNA_Q = "Who funded the 2008 Vienna conference?"
VIENNA_FUNDERS = "Belgium, Norway, the Russian Federation and Japan"
XSS_SOURCE = "900_zanzibar_markup.txt"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
XSS_RELEASE = f"""Press release
Zanzibar workshop on safe web publishing {IMG}
- Date:
- Place:
- ZANZIBAR
- Source:
- OSCE Secretariat
ZANZIBAR, 3 March 2011 - A two-day OSCE workshop on safe web publishing opened today in Zanzibar.
The Zanzibar workshop was funded by Denmark and Iceland.
Trainers showed how a page that pastes {SCRIPT} or {IMG} into its HTML runs the attacker's code.
"""


@dataclass
class Server:
    base: str
    proc: subprocess.Popen


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("browser")
    source = tmp / "seeds"
    shutil.copytree(SEEDS, source)
    (source / XSS_SOURCE).write_text(XSS_RELEASE, encoding="utf-8")
    log_path = tmp / "server.log"  # written by running_server
    with running_server(tmp, source) as (base, proc):
        yield Server(base, proc)
    assert "Traceback" not in log_path.read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Browser, server: Server, width: int = 1280, **kw) -> tuple[Page, list]:
    context = browser.new_context(viewport={"width": width, "height": 900}, **kw)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(server.base + "/")
    expect(page.get_by_role("heading", name="Ask about the press releases")).to_be_visible()
    return page, dialogs


def ask(page: Page, question: str) -> None:
    """Type the question, press Enter, and wait for the answer to finish streaming."""
    box = page.get_by_label("Your question")
    box.fill(question)
    count = page.locator(".message.assistant").count()
    box.press("Enter")
    answer = page.locator(".message.assistant").nth(count)
    expect(answer).to_be_visible()
    expect(answer).not_to_have_class(STREAMING)
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def last_answer(page: Page):
    return page.locator(".message.assistant").last


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def test_answer_citation_and_followup(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server)
    shot(page, "1280-empty.png")
    with page.expect_response("**/api/ask/stream") as streamed:
        ask(page, VIENNA_Q)
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text(VIENNA_FUNDERS)
    expect(answer.locator(".answer-text")).to_have_attribute("aria-live", "polite")
    chip = answer.locator(".chip").first
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("1")
    expect(chip).to_contain_text("2008-07-17")
    expect(chip).to_contain_text("Vienna")
    expect(answer.get_by_role("button", name="Copy answer")).to_be_visible()

    chip.click()
    panel = page.locator("#doc-panel")
    expect(panel).to_be_visible()
    mark = panel.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("It was financed by Belgium")
    expect(mark).to_be_in_viewport()
    expect(panel.locator("#doc-text")).to_contain_text("VIENNA, 17 July 2008")
    shot(page, "1280-document.png")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chip).to_be_focused()

    with page.expect_request("**/api/ask/stream") as sent:
        ask(page, "And who funded the one in Astana?")
    history = json.loads(sent.value.post_data or "{}")["history"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == VIENNA_Q and VIENNA_FUNDERS in history[1]["content"]
    followup = last_answer(page)
    expect(followup.locator(".answer-text")).to_contain_text("Norway and Belgium")
    expect(followup.locator(f'.chip[data-source="{ASTANA}"]')).to_have_count(1)
    shot(page, "1280-conversation.png")

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".message")).to_have_count(0)
    expect(page.get_by_role("heading", name="Ask about the press releases")).to_be_visible()
    assert dialogs == []


def test_phone_width_and_example_question(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server, width=375)
    shot(page, "375-empty.png")
    box = page.get_by_label("Your question")
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    expect(page.locator(".message")).to_have_count(0)
    box.fill("")
    page.get_by_role("button", name=VIENNA_Q).click()
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text(VIENNA_FUNDERS)
    expect(answer).not_to_have_class(STREAMING)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page scrolls sideways at 375 px ({scroll_width} px wide)"
    chip_box = answer.locator(".chip").first.bounding_box()
    assert chip_box and chip_box["x"] + chip_box["width"] <= 375, chip_box
    shot(page, "375-answer.png")
    answer.locator(f'.chip[data-source="{VIENNA}"]').first.click()
    mark = page.locator("#doc-panel mark")
    expect(mark).to_contain_text("It was financed by Belgium")
    expect(mark).to_be_in_viewport()
    shot(page, "375-document.png")
    page.get_by_role("button", name="Close the release text").click()
    expect(page.locator("#doc-panel")).to_be_hidden()
    assert dialogs == []


def test_abstention_stop_and_error_json(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server, color_scheme="dark")
    ask(page, "Who funded the 2012 Berlin conference?")
    answer = last_answer(page)
    expect(answer).to_have_class(re.compile(r"\babstained\b"))
    expect(answer.locator(".abstain-label")).to_contain_text("Not in the releases")
    expect(answer.locator(".answer-text")).to_contain_text("The releases don't say")
    expect(answer.locator(".chip")).to_have_count(0)
    shot(page, "1280-abstention-dark.png")

    # A reply that never comes: Stop aborts the stream.
    page.route("**/api/ask/stream", lambda route: None)
    page.get_by_label("Your question").fill(VIENNA_Q)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("button", name="Stop").click()
    expect(last_answer(page)).to_contain_text("Stopped.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    page.unroute("**/api/ask/stream")

    body = {"error": {"code": "internal", "message": "the index is being rebuilt"}}
    page.route(
        "**/api/ask/stream",
        lambda route: route.fulfill(status=500, json=body),
    )
    ask(page, VIENNA_Q)
    alert = last_answer(page).get_by_role("alert")
    expect(alert).to_contain_text("the index is being rebuilt")
    page.unroute("**/api/ask/stream")


def test_markup_in_a_release_renders_as_text(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server)
    ask(page, "Who funded the 2011 Zanzibar workshop?")
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text("Denmark and Iceland")
    chip = answer.locator(f'.chip[data-source="{XSS_SOURCE}"]').first
    expect(chip).to_contain_text(IMG)
    chip.click()
    text = page.locator("#doc-text")
    expect(text).to_contain_text(SCRIPT)
    expect(text).to_contain_text(IMG)
    expect(page.get_by_text(SCRIPT, exact=False).first).to_be_visible()
    expect(page.locator("#doc-title")).to_contain_text(IMG)
    expect(page.locator("#doc-panel img")).to_have_count(0)
    expect(page.locator("#doc-panel script")).to_have_count(0)
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)  # give an injected handler the chance to fire
    assert dialogs == []
    shot(page, "1280-markup.png")


def test_server_down_shows_an_error(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server, width=375)
    stop(server.proc)
    ask(page, VIENNA_Q)
    alert = last_answer(page).get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Can't reach the answering service")
    expect(alert.get_by_role("button", name="Try again")).to_be_visible()
    shot(page, "375-server-down.png")
    assert dialogs == []
