"""The chat page in a real browser (Debian's chromium through Playwright) against `rag serve`.

One server for the module, over a temp copy of seeds/ plus a release whose text carries markup.
Screenshots at 1280 and 375 px, light and dark, go to test-artifacts/. Where a test needs an
answer of a given shape (low confidence, unrelated closest passages) or a reply that never
comes, the page's request is answered by the test (`canned`); everything else is the real
service. The last test stops the server.
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
VIENNA_QUOTE = "It was financed by Belgium, Norway, the Russian Federation and Japan."
VIENNA_TITLE = "International co-operation to fight drug trafficking focus of OSCE experts meeting"
# The question the real server answers in these tests (confidence 0.83 with the trained reader).
TASHKENT_Q = "How many experts attended the 2008 Tashkent workshop?"
TASHKENT_ANSWER = "90"
TASHKENT_QUOTE = (
    "The two-day event brought together more than 90 experts from OSCE participating States, "
    "the Organization's Partners for Co-operation, including Afghanistan, and international "
    "organizations."
)
TASHKENT_TITLE = (
    "OSCE holds regional workshop on combating illicit drugs trafficking in Central Asia"
)
FOLLOW_UP = "What about the Astana meeting?"  # -> "seven", the Astana release
ASTANA_Q = "How many Deputy Interior Ministers attended the Astana meeting?"  # -> "seven"
BERLIN_Q = "Who funded the 2012 Berlin conference?"
STREAM = "**/api/ask/stream"
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
    height = 740 if width < 600 else 800
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
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


def canned(result: dict) -> str:
    """The Server-Sent Events body /api/ask/stream sends for `result`."""
    events = [
        ("citations", {"citations": result.get("citations", [])}),
        ("token", {"text": result["answer"]}),
        ("done", result),
    ]
    return "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events)


def answer_with(route, result: dict) -> None:
    route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=canned(result))


def citation(n: int = 1, **overrides) -> dict:
    base = {
        "n": n,
        "source": VIENNA,
        "title": VIENNA_TITLE,
        "date": "2008-07-17",
        "place": "Vienna",
        "chunk_id": f"{VIENNA}#2",
        "start": 2031,
        "end": 2100,
        "quote": VIENNA_QUOTE,
        "score": 0.8,
    }
    return {**base, **overrides}


def test_answer_evidence_sources_and_followup(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server)
    shot(page, "1280-light-empty.png")
    with page.expect_response(STREAM) as streamed:
        ask(page, TASHKENT_Q)
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    answer = last_answer(page)
    text = answer.locator(".answer-text")
    expect(text).to_contain_text(TASHKENT_ANSWER)
    expect(text).to_have_attribute("aria-live", "polite")
    # The supporting sentence under the answer, and an inline numbered marker in the answer.
    expect(answer.locator(".support-quote")).to_have_text(f"“{TASHKENT_QUOTE}”")
    marker = text.locator(".cite-marker")
    expect(marker).to_have_text("1")
    # Source cards lead with the full title, then the date and place; no file names shown.
    card = answer.locator(".source-card").first
    expect(card.locator(".source-title")).to_have_text(TASHKENT_TITLE)
    expect(card.locator(".source-meta")).to_have_text("20 November 2008 · Tashkent")
    clipped = card.locator(".source-title").evaluate("e => e.scrollWidth > e.clientWidth")
    assert not clipped, "the source title is cut"
    expect(answer).not_to_contain_text(".txt")
    expect(answer.locator(".confidence-label")).to_have_count(0)
    expect(answer.get_by_role("button", name="Copy answer")).to_be_visible()
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()

    # Hovering the marker previews the quote; a click pins it; Escape closes it.
    preview = page.locator("#quote-preview")
    expect(preview).to_be_hidden()
    marker.hover()
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(TASHKENT_QUOTE)
    expect(preview).to_contain_text(TASHKENT_TITLE)
    expect(marker).to_have_attribute("aria-expanded", "true")
    shot(page, "1280-light-answer-preview.png")
    page.mouse.move(5, 5)
    expect(preview).to_be_hidden()
    marker.click()
    page.mouse.move(5, 5)
    expect(preview).to_be_visible()  # pinned by the click
    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()
    expect(marker).to_be_focused()

    card.click()
    panel = page.locator("#doc-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#doc-title")).to_have_text(TASHKENT_TITLE)
    expect(page.locator("#doc-meta")).to_have_text("20 November 2008 · Tashkent")
    mark = panel.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("The two-day event brought together")
    expect(mark).to_be_in_viewport()
    expect(panel.locator("#doc-text")).to_contain_text("TASHKENT, 20 November 2008")
    shot(page, "1280-light-document.png")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(card).to_be_focused()

    with page.expect_request(STREAM) as sent:
        ask(page, FOLLOW_UP)
    history = json.loads(sent.value.post_data or "{}")["history"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == TASHKENT_Q and TASHKENT_ANSWER in history[1]["content"]
    followup = last_answer(page)
    expect(followup.locator(".answer-text")).to_contain_text("seven")
    expect(followup.locator(f'.source-card[data-source="{ASTANA}"]')).to_have_count(1)
    shot(page, "1280-light-conversation.png")

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".message")).to_have_count(0)
    expect(page.get_by_role("heading", name="Ask about the press releases")).to_be_visible()
    assert dialogs == []


def test_conversation_survives_a_reload(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server)
    ask(page, TASHKENT_Q)
    page.reload()
    answer = last_answer(page)
    expect(page.locator(".message.user .bubble")).to_have_text([TASHKENT_Q])
    expect(answer.locator(".answer-text")).to_contain_text(TASHKENT_ANSWER)
    expect(answer.locator(".support-quote")).to_contain_text(TASHKENT_QUOTE)
    expect(page.locator("#empty-state")).to_be_hidden()
    # The restored turns are the history of the next question.
    with page.expect_request(STREAM) as sent:
        ask(page, FOLLOW_UP)
    history = json.loads(sent.value.post_data or "{}")["history"]
    assert history[0] == {"role": "user", "content": TASHKENT_Q}
    expect(last_answer(page).locator(".answer-text")).to_contain_text("seven")
    page.reload()
    expect(page.locator(".message.assistant")).to_have_count(2)

    page.get_by_role("button", name="New conversation").click()
    page.reload()
    expect(page.get_by_role("heading", name="Ask about the press releases")).to_be_visible()
    expect(page.locator(".message")).to_have_count(0)


def test_phone_width_touch_and_example_question(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server, width=375, has_touch=True, is_mobile=True)
    shot(page, "375-light-empty.png")
    box = page.get_by_label("Your question")
    # The placeholder fits the one-row box; no Shift+Enter hint on a touch screen.
    room = box.evaluate(
        """e => {
          const s = getComputedStyle(e);
          const c = document.createElement("canvas").getContext("2d");
          c.font = `${s.fontSize} ${s.fontFamily}`;
          const inner = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
          return inner - c.measureText(e.placeholder).width;
        }"""
    )
    assert room > 0, f"the placeholder is {-room:.0f} px wider than the box"
    expect(page.locator("#composer-hint")).to_be_visible()
    expect(page.locator("#composer-hint .keys-hint")).to_be_hidden()
    page.get_by_role("button", name=TASHKENT_Q).click()
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text(TASHKENT_ANSWER)
    expect(answer).not_to_have_class(STREAMING)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page scrolls sideways at 375 px ({scroll_width} px wide)"
    card_box = answer.locator(".source-card").first.bounding_box()
    assert card_box and card_box["x"] + card_box["width"] <= 375, card_box
    # A tap on the marker shows the quote (no hover on touch).
    answer.locator(".answer-text .cite-marker").tap()
    preview = page.locator("#quote-preview")
    expect(preview).to_contain_text(TASHKENT_QUOTE)
    preview_box = preview.bounding_box()
    assert preview_box and preview_box["x"] >= 0 and preview_box["x"] + preview_box["width"] <= 375
    shot(page, "375-light-answer-preview.png")
    preview.get_by_role("button", name="Open the release").tap()
    mark = page.locator("#doc-panel mark")
    expect(mark).to_contain_text("The two-day event brought together")
    expect(mark).to_be_in_viewport()
    shot(page, "375-light-document.png")
    page.get_by_role("button", name="Close the release text").click()
    expect(page.locator("#doc-panel")).to_be_hidden()
    assert dialogs == []


def test_refusal_reads_as_a_person_would(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server, color_scheme="dark")
    ask(page, BERLIN_Q)
    answer = last_answer(page)
    expect(answer).to_have_class(re.compile(r"\babstained\b"))
    expect(answer.locator(".abstain-label")).to_contain_text("Not in the releases")
    expect(answer.locator(".answer-text")).to_have_text("I couldn't find this in the releases.")
    expect(answer).not_to_contain_text("releases don't say")  # not the internal wording
    expect(answer.locator(".source-card")).to_have_count(0)
    expect(answer.get_by_role("button", name="Copy answer")).to_have_count(0)
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    # The closest passages: collapsed, at most one per release.
    details = answer.locator("details.related-block")
    expect(details).not_to_have_attribute("open", "")
    expect(answer.locator(".related-item")).to_be_hidden()
    shot(page, "1280-dark-refusal.png")
    details.locator("summary").click()
    items = answer.locator(".related-item")
    expect(items.first).to_be_visible()
    sources = items.evaluate_all("els => els.map(e => e.dataset.source)")
    assert sources and len(sources) == len(set(sources)), sources
    expect(details.locator("summary")).to_contain_text(f"({len(sources)})")
    shot(page, "1280-dark-refusal-open.png")

    # Closest passages that share nothing with the question are not offered at all.
    unrelated = {
        "answer": "The releases don't say. (no passage answers it well enough.)",
        "abstained": True,
        "confidence": 0.1,
        "citations": [],
        "related": [citation(quote="The Strategic Police Matters Unit assists the States.")],
    }
    page.route(STREAM, lambda route: answer_with(route, unrelated))
    ask(page, "What is the airspeed of an unladen swallow?")
    expect(last_answer(page).locator(".answer-text")).to_have_text(
        "I couldn't find this in the releases."
    )
    expect(last_answer(page).locator("details")).to_have_count(0)
    page.unroute(STREAM)


def test_low_confidence_answers_are_labelled(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server, width=375, color_scheme="dark")
    unsure = {
        "answer": "Belgium",
        "abstained": False,
        "confidence": 0.31,
        "citations": [citation()],
        "related": [],
        "kind": "fact",
    }
    page.route(STREAM, lambda route: answer_with(route, unsure))
    ask(page, VIENNA_Q)
    answer = last_answer(page)
    expect(answer).to_have_class(re.compile(r"\blow-confidence\b"))
    expect(answer.locator(".confidence-label")).to_contain_text("Low confidence")
    expect(answer.locator(".confidence")).to_have_text("Confidence 31%")
    shot(page, "375-dark-low-confidence.png")
    page.unroute(STREAM)
    ask(page, TASHKENT_Q)  # the real answer is confident: no label
    expect(last_answer(page).locator(".confidence-label")).to_have_count(0)
    shot(page, "375-dark-answer.png")


def test_question_limit_counter_and_refusal(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server)
    limit = int(page.locator("body").get_attribute("data-max-question-chars") or 0)
    assert limit == 1000  # the service's default RAG_MAX_QUESTION_CHARS
    box = page.get_by_label("Your question")
    counter = page.locator("#composer-count")
    box.fill("Who funded it? ")
    expect(counter).to_be_hidden()
    box.fill("x" * (limit - 100))
    expect(counter).to_have_text("900 / 1,000 characters")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/ask" in r.url else None)
    long_question = "Who funded the 2008 Vienna conference? " + "y" * limit
    box.fill(long_question)
    over = len(long_question) - limit
    expect(counter).to_have_text(f"{len(long_question):,} / 1,000 characters — {over} too many")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    status = page.locator("#composer-status")
    expect(status).to_contain_text(f"Your question is {len(long_question):,} characters long")
    expect(status).to_contain_text("the limit is 1,000")
    expect(box).to_have_value(long_question)  # nothing cut, nothing lost
    expect(page.locator(".message")).to_have_count(0)
    shot(page, "1280-light-too-long.png")
    assert sent == []
    box.fill(VIENNA_Q)
    expect(status).to_be_hidden()
    expect(counter).to_be_hidden()


def test_stop_retry_and_enter_while_answering(browser: Browser, server: Server) -> None:
    page, _ = open_page(browser, server)
    requests: list[str] = []
    page.route(STREAM, lambda route: requests.append(route.request.post_data or ""))  # no reply
    box = page.get_by_label("Your question")
    box.fill(TASHKENT_Q)
    box.press("Enter")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    # Enter while an answer loads is refused visibly, and the question stays in the box.
    box.fill("How many releases mention Afghanistan?")
    box.press("Enter")
    expect(page.locator("#composer-status")).to_contain_text("Still answering")
    expect(box).to_have_value("How many releases mention Afghanistan?")
    expect(page.locator(".message.user")).to_have_count(1)
    assert len(requests) == 1
    page.get_by_role("button", name="Stop").click()
    stopped = last_answer(page)
    expect(stopped).to_contain_text("Stopped — Retry")
    expect(stopped.locator(".role")).to_have_text("Stopped")
    expect(page.locator("#composer-status")).to_be_hidden()
    shot(page, "1280-light-stopped.png")
    page.unroute(STREAM)
    stopped.get_by_role("button", name="Retry").click()  # asks again, in place
    expect(page.locator(".message.assistant")).to_have_count(1)
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text(TASHKENT_ANSWER)
    expect(answer).not_to_have_class(STREAMING)

    # After an error, Retry asks again and replaces the error.
    body = {"error": {"code": "internal", "message": "the index is being rebuilt"}}
    page.route(STREAM, lambda route: route.fulfill(status=500, json=body))
    ask(page, ASTANA_Q)
    alert = last_answer(page).get_by_role("alert")
    expect(alert).to_contain_text("the index is being rebuilt")
    page.unroute(STREAM)
    alert.get_by_role("button", name="Retry").click()
    expect(page.locator(".message.assistant")).to_have_count(2)
    expect(last_answer(page).locator(".answer-text")).to_contain_text("seven")
    # Retry on an answer asks the same question again.
    with page.expect_request(STREAM) as again:
        last_answer(page).get_by_role("button", name="Retry").click()
    assert json.loads(again.value.post_data or "{}")["question"] == ASTANA_Q
    expect(page.locator(".message.assistant")).to_have_count(2)
    expect(last_answer(page)).not_to_have_class(STREAMING)


def test_markup_in_a_release_renders_as_text(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server)
    ask(page, "Who funded the 2011 Zanzibar workshop?")
    answer = last_answer(page)
    expect(answer.locator(".answer-text")).to_contain_text("Denmark and Iceland")
    card = answer.locator(f'.source-card[data-source="{XSS_SOURCE}"]').first
    expect(card).to_contain_text(IMG)
    answer.locator(".answer-text .cite-marker").hover()
    expect(page.locator("#quote-preview")).to_contain_text("Denmark and Iceland")
    expect(page.locator("#quote-preview")).to_contain_text(IMG)  # as text
    page.mouse.move(5, 5)
    expect(page.locator("#quote-preview")).to_be_hidden()
    card.click()
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


def test_favicon_and_no_console_errors(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(server.base + "/")
    expect(page.get_by_role("heading", name="Ask about the press releases")).to_be_visible()
    icon = page.request.get(server.base + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text().startswith("<svg")
    page.wait_for_timeout(300)
    assert errors == [] and failed == []
    context.close()


def test_api_docs_render_offline(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    outside: list[tuple[str, str]] = []

    def offline(route) -> None:  # anything not served by the app itself fails, as offline
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", offline)
    page.goto(server.base + "/docs")
    ask_op = page.locator("#operations-ask-ask_api_ask_post")
    expect(ask_op).to_be_visible()
    expect(page.locator(".opblock")).not_to_have_count(0)
    expect(page.locator(".opblock-summary-path", has_text="/api/documents").first).to_be_visible()
    ask_op.locator(".opblock-summary").click()
    responses = ask_op.locator(".responses-wrapper")
    expect(responses).to_contain_text(VIENNA_FUNDERS)  # the response example
    shot(page, "1280-docs.png")

    page.goto(server.base + "/redoc")
    expect(
        page.get_by_role("heading", name=re.compile("Press-release question answering"))
    ).to_be_visible()
    expect(page.get_by_text("Answer a question with numbered citations").first).to_be_visible()
    shot(page, "1280-redoc.png")
    # Scripts, styles and the schema all come from the app; only ReDoc's "by Redocly" logo
    # image points elsewhere, and the page does without it.
    assert [url for kind, url in outside if kind != "image"] == []
    context.close()


def test_server_down_shows_an_error(browser: Browser, server: Server) -> None:
    page, dialogs = open_page(browser, server, width=375)
    stop(server.proc)
    ask(page, VIENNA_Q)
    alert = last_answer(page).get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Can't reach the answering service")
    expect(alert.get_by_role("button", name="Retry")).to_be_visible()
    shot(page, "375-light-server-down.png")
    assert dialogs == []
