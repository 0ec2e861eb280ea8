// The chat page. No build step, no dependencies. Every piece of answer or release text goes
// into the page through textContent / createTextNode, never as HTML.
"use strict";

(() => {
  const MAX_HISTORY = 50; // the server accepts at most 50 earlier messages
  const $ = (id) => document.getElementById(id);
  const els = {
    chat: $("chat"),
    empty: $("empty-state"),
    messages: $("messages"),
    form: $("composer"),
    question: $("question"),
    send: $("send"),
    stop: $("stop"),
    newConversation: $("new-conversation"),
    panel: $("doc-panel"),
    docTitle: $("doc-title"),
    docMeta: $("doc-meta"),
    docStatus: $("doc-status"),
    docText: $("doc-text"),
    docClose: $("doc-close"),
    announcer: $("announcer"),
  };
  const state = {
    history: [], // completed turns: [{role, content}]
    controller: null, // AbortController of the answer being streamed
    docs: new Map(), // source -> Promise of GET /api/documents/{source}
    docRequest: 0,
    opener: null, // the chip that opened the release panel
  };

  class AppError extends Error {}

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function announce(text) {
    els.announcer.textContent = "";
    window.setTimeout(() => {
      els.announcer.textContent = text;
    }, 50);
  }

  function scrollToEnd() {
    els.chat.scrollTop = els.chat.scrollHeight;
  }

  function metaLine(item) {
    return [item.date, item.place].filter(Boolean).join(" · ");
  }

  // ---- errors -------------------------------------------------------------------------------

  async function httpError(response) {
    let message = "";
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") {
        message = body.error.message;
      }
    } catch {
      // not JSON: fall back to the status below
    }
    if (response.status === 503) {
      return new AppError(
        `The service isn't ready yet${message ? ` (${message})` : ""}. Please try again shortly.`,
      );
    }
    if (message) return new AppError(`The server couldn't answer: ${message}`);
    return new AppError(
      `The server returned an error (HTTP ${response.status}). Please try again in a moment.`,
    );
  }

  function humanMessage(err) {
    if (err instanceof AppError) return err.message;
    if (err instanceof TypeError) {
      return (
        "Can't reach the answering service. It may be stopped or restarting; " +
        "check that the server is running, then try again."
      );
    }
    return "Something went wrong while getting the answer. Please try again.";
  }

  // ---- Server-Sent Events over fetch --------------------------------------------------------

  function parseEvent(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return null;
    try {
      return { event, data: JSON.parse(data.join("\n")) };
    } catch {
      return null;
    }
  }

  async function* readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const event = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (event) yield event;
          cut = buffer.indexOf("\n\n");
        }
      }
      buffer += decoder.decode();
      const last = buffer.trim() ? parseEvent(buffer) : null;
      if (last) yield last;
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // ---- messages -----------------------------------------------------------------------------

  function addUserMessage(question) {
    const item = el("li", "message user");
    item.append(el("p", "role visually-hidden", "You asked"), el("div", "bubble", question));
    els.messages.append(item);
    return item;
  }

  function citationChip(citation) {
    const chip = el("button", "chip");
    chip.type = "button";
    chip.setAttribute("aria-controls", "doc-panel");
    chip.setAttribute("aria-pressed", "false");
    chip.setAttribute(
      "aria-label",
      `Source ${citation.n}: ${citation.title}${metaLine(citation) ? `, ${metaLine(citation)}` : ""}. ` +
        "Open the release text.",
    );
    if (citation.quote) chip.title = citation.quote;
    chip.dataset.source = citation.source;
    chip.append(el("span", "chip-n", citation.n), el("span", "chip-title", citation.title));
    const meta = metaLine(citation);
    if (meta) chip.append(el("span", "chip-meta", meta));
    chip.addEventListener("click", () => openDocument(citation, chip));
    return chip;
  }

  function relatedItem(passage) {
    const button = el("button", "related-item");
    button.type = "button";
    button.setAttribute("aria-controls", "doc-panel");
    button.setAttribute("aria-pressed", "false");
    button.dataset.source = passage.source;
    const meta = [passage.title, passage.date, passage.place].filter(Boolean).join(" · ");
    button.append(el("span", "related-meta", meta), el("span", "related-quote", passage.quote));
    button.addEventListener("click", () => openDocument(passage, button));
    return button;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise((resolve, reject) => {
      const area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      if (ok) resolve();
      else reject(new Error("copy failed"));
    });
  }

  // How an answer was made when an LLM is configured: generated (claim-checked) or fallback.
  function generationNote(result) {
    const sentences = Array.isArray(result.sentences) ? result.sentences : [];
    const removed = sentences.filter((s) => s && s.supported === false).length;
    if (result.mode === "generated") {
      const text =
        "Written by the language model; every sentence checked against the release it cites." +
        (removed ? ` ${removed} unsupported sentence${removed > 1 ? "s" : ""} removed.` : "");
      return el("p", "generation-note", text);
    }
    if (result.mode === "fallback") {
      const box = el("p", "generation-note fallback");
      box.setAttribute("role", "status");
      box.textContent =
        "Showing the answer taken directly from the releases" +
        (result.warning ? ` (${result.warning}).` : ".");
      return box;
    }
    return null;
  }

  function answerView(question) {
    const item = el("li", "message assistant streaming");
    const role = el("p", "role", "Answer");
    const bubble = el("div", "bubble");
    const text = el("p", "answer-text");
    text.setAttribute("aria-live", "polite");
    text.setAttribute("aria-busy", "true");
    const thinking = el("span", "thinking", "Searching the releases…");
    text.append(thinking);
    const chips = el("ul", "citations");
    chips.setAttribute("aria-label", "Sources");
    bubble.append(text, chips);
    item.append(role, bubble);
    els.messages.append(item);
    let streamed = "";
    let citations = [];

    function clearThinking() {
      if (thinking.isConnected) thinking.remove();
    }

    function renderCitations(list) {
      citations = Array.isArray(list) ? list : [];
      chips.replaceChildren();
      for (const citation of citations) {
        const li = el("li");
        li.append(citationChip(citation));
        chips.append(li);
      }
    }

    function settle() {
      item.classList.remove("streaming");
      text.setAttribute("aria-busy", "false");
    }

    return {
      item,
      citations: renderCitations,
      token(piece) {
        clearThinking();
        streamed += piece;
        text.append(document.createTextNode(piece));
      },
      finish(result) {
        clearThinking();
        settle();
        const answer = typeof result.answer === "string" ? result.answer : streamed;
        if (answer !== streamed) text.replaceChildren(document.createTextNode(answer));
        renderCitations(result.citations);
        const note = generationNote(result);
        if (note) bubble.append(note);
        if (result.abstained) {
          item.classList.add("abstained");
          role.textContent = "No answer";
          const label = el("p", "abstain-label");
          label.append(el("span", "", "⚠"), el("span", "", "Not in the releases"));
          label.firstChild.setAttribute("aria-hidden", "true");
          bubble.prepend(label);
          const related = Array.isArray(result.related) ? result.related : [];
          if (related.length) {
            const heading = el("p", "related-title", "Closest passages in the releases:");
            const list = el("ul", "related");
            for (const passage of related) {
              const li = el("li");
              li.append(relatedItem(passage));
              list.append(li);
            }
            bubble.append(heading, list);
          }
        }
        const actions = el("div", "actions");
        const copy = el("button", "button small", "Copy answer");
        copy.type = "button";
        const status = el("span", "copy-status");
        status.setAttribute("role", "status");
        copy.addEventListener("click", () => {
          const sources = citations.map(
            (c) => `[${c.n}] ${c.title}${metaLine(c) ? `, ${metaLine(c)}` : ""}: "${c.quote}"`,
          );
          const full = sources.length ? `${answer}\n\nSources:\n${sources.join("\n")}` : answer;
          copyText(full).then(
            () => {
              status.textContent = "Copied";
            },
            () => {
              status.textContent = "Couldn't copy; select the text instead";
            },
          );
          window.setTimeout(() => {
            status.textContent = "";
          }, 2500);
        });
        actions.append(copy);
        if (typeof result.confidence === "number" && !result.abstained) {
          actions.append(
            el("span", "confidence", `Confidence ${Math.round(result.confidence * 100)}%`),
          );
        }
        actions.append(status);
        bubble.append(actions);
        announce(result.abstained ? "The releases don't answer that." : "Answer ready.");
        return answer;
      },
      stopped() {
        clearThinking();
        settle();
        item.classList.add("stopped");
        bubble.append(el("p", "hint", "Stopped."));
      },
      fail(message) {
        clearThinking();
        settle();
        item.classList.add("failed");
        role.textContent = "Error";
        if (!streamed) text.remove();
        const box = el("div", "error");
        box.setAttribute("role", "alert");
        box.append(el("p", "", message));
        const retry = el("button", "button small", "Try again");
        retry.type = "button";
        retry.addEventListener("click", () => {
          item.previousElementSibling?.remove();
          item.remove();
          ask(question);
        });
        box.append(retry);
        bubble.append(box);
      },
    };
  }

  function setBusy(busy) {
    const hadFocus = document.activeElement === els.send || document.activeElement === els.stop;
    els.send.hidden = busy;
    els.stop.hidden = !busy;
    if (busy && hadFocus) els.stop.focus();
    if (!busy && hadFocus) els.question.focus();
  }

  async function ask(rawQuestion) {
    const question = rawQuestion.trim();
    if (!question || state.controller) return;
    els.empty.hidden = true;
    addUserMessage(question);
    const view = answerView(question);
    scrollToEnd();
    const controller = new AbortController();
    state.controller = controller;
    setBusy(true);
    const history = state.history.slice(-MAX_HISTORY);
    const body = { question };
    if (history.length) body.history = history;
    try {
      const response = await fetch("/api/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok) throw await httpError(response);
      if (!response.body) throw new AppError("The server sent an empty reply. Please try again.");
      let result = null;
      for await (const { event, data } of readEvents(response.body)) {
        if (event === "citations") view.citations(data.citations);
        else if (event === "token" && typeof data.text === "string") view.token(data.text);
        else if (event === "done") result = data;
        else if (event === "error") {
          throw new AppError(
            `The server couldn't answer: ${data.error?.message || "unknown error"}`,
          );
        }
        scrollToEnd();
      }
      if (!result) {
        throw new AppError("The answer was cut off before it finished. Please try again.");
      }
      const answer = view.finish(result);
      state.history.push({ role: "user", content: question }, { role: "assistant", content: answer });
    } catch (err) {
      if (err && err.name === "AbortError") view.stopped();
      else view.fail(humanMessage(err));
    } finally {
      if (state.controller === controller) state.controller = null;
      setBusy(false);
      scrollToEnd();
    }
  }

  // ---- the release panel --------------------------------------------------------------------

  function fetchDocument(source) {
    if (!state.docs.has(source)) {
      const request = fetch(`/api/documents/${encodeURIComponent(source)}`).then(
        async (response) => {
          if (!response.ok) throw await httpError(response);
          return response.json();
        },
      );
      request.catch(() => state.docs.delete(source));
      state.docs.set(source, request);
    }
    return state.docs.get(source);
  }

  function quoteRange(text, item) {
    const start = Number(item.start);
    const end = Number(item.end);
    const valid =
      Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= text.length;
    if (valid && start < end && (!item.quote || text.slice(start, end) === item.quote)) {
      return [start, end];
    }
    if (item.quote) {
      const at = text.indexOf(item.quote);
      if (at >= 0) return [at, at + item.quote.length];
    }
    return valid && start < end ? [start, end] : null;
  }

  function markPressed(opener) {
    for (const node of document.querySelectorAll('[aria-controls="doc-panel"]')) {
      node.setAttribute("aria-pressed", node === opener ? "true" : "false");
    }
  }

  async function openDocument(item, opener) {
    const request = ++state.docRequest;
    state.opener = opener;
    markPressed(opener);
    els.panel.hidden = false;
    els.docTitle.textContent = item.title || item.source;
    els.docMeta.textContent = metaLine(item);
    els.docStatus.classList.remove("is-error");
    els.docStatus.textContent = "Loading the release…";
    els.docText.replaceChildren();
    els.docTitle.focus({ preventScroll: true });
    try {
      const doc = await fetchDocument(item.source);
      if (request !== state.docRequest) return;
      const text = typeof doc.text === "string" ? doc.text : "";
      els.docTitle.textContent = doc.title || item.title || item.source;
      els.docMeta.textContent = [metaLine(doc), doc.source].filter(Boolean).join(" · ");
      els.docStatus.textContent = "";
      const range = quoteRange(text, item);
      if (!range) {
        els.docText.append(document.createTextNode(text));
        els.docStatus.textContent = "The quoted passage could not be located in this release.";
        return;
      }
      const mark = el("mark", "", text.slice(range[0], range[1]));
      els.docText.append(
        document.createTextNode(text.slice(0, range[0])),
        mark,
        document.createTextNode(text.slice(range[1])),
      );
      mark.scrollIntoView({ block: "center" });
    } catch (err) {
      if (request !== state.docRequest) return;
      els.docStatus.classList.add("is-error");
      els.docStatus.textContent =
        err instanceof AppError
          ? err.message
          : "Couldn't load the release: the server can't be reached. Please try again.";
    }
  }

  function closeDocument() {
    if (els.panel.hidden) return;
    els.panel.hidden = true;
    state.docRequest++;
    markPressed(null);
    const opener = state.opener;
    state.opener = null;
    if (opener && opener.isConnected) opener.focus();
    else els.question.focus();
  }

  // ---- wiring -------------------------------------------------------------------------------

  function resizeInput() {
    els.question.style.height = "auto";
    els.question.style.height = `${els.question.scrollHeight + 2}px`;
  }

  function submit() {
    const question = els.question.value;
    if (!question.trim() || state.controller) return;
    els.question.value = "";
    resizeInput();
    ask(question);
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  els.question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  els.question.addEventListener("input", resizeInput);

  els.stop.addEventListener("click", () => {
    if (state.controller) state.controller.abort();
  });

  els.newConversation.addEventListener("click", () => {
    if (state.controller) state.controller.abort();
    state.history = [];
    state.docs.clear();
    els.messages.replaceChildren();
    closeDocument();
    els.empty.hidden = false;
    els.question.value = "";
    resizeInput();
    els.question.focus();
    announce("New conversation started.");
  });

  for (const example of document.querySelectorAll(".example")) {
    example.addEventListener("click", () => {
      els.question.value = example.textContent;
      submit();
      els.question.focus();
    });
  }

  els.docClose.addEventListener("click", closeDocument);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !els.panel.hidden) {
      event.preventDefault();
      closeDocument();
    }
  });

  els.question.focus();
})();
