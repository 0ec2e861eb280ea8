// The chat page. No build step, no dependencies, no inline script or style (the page runs under
// a Content-Security-Policy). Every piece of answer or release text goes into the page through
// textContent / createTextNode, never as HTML.
"use strict";

(() => {
  const MAX_HISTORY = 50; // the server accepts at most 50 earlier messages
  const MAX_TURNS = 100; // turns kept in sessionStorage
  const STORE_KEY = "rag.conversation.v1";
  const LOW_CONFIDENCE = 0.5; // below this an answer is labelled "Low confidence"
  const COUNTER_FROM = 0.8; // the character counter shows from this share of the limit on
  const $ = (id) => document.getElementById(id);
  const els = {
    chat: $("chat"),
    empty: $("empty-state"),
    messages: $("messages"),
    form: $("composer"),
    question: $("question"),
    send: $("send"),
    stop: $("stop"),
    status: $("composer-status"),
    count: $("composer-count"),
    newConversation: $("new-conversation"),
    panel: $("doc-panel"),
    docTitle: $("doc-title"),
    docMeta: $("doc-meta"),
    docStatus: $("doc-status"),
    docText: $("doc-text"),
    docClose: $("doc-close"),
    announcer: $("announcer"),
  };
  // The same limit as the API (settings.max_question_chars), written into the page by the server.
  const MAX_QUESTION = Number(document.body.dataset.maxQuestionChars) || 1000;
  const state = {
    turns: [], // settled turns: [{question, status: "done"|"stopped"|"error", result?, error?}]
    controller: null, // AbortController of the answer being streamed
    docs: new Map(), // source -> Promise of GET /api/documents/{source}
    docRequest: 0,
    opener: null, // the element that opened the release panel
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

  const MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
  ];

  // "2008-07-17" -> "17 July 2008" (the same in every locale); anything else as it is.
  function humanDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return String(iso || "");
    return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
  }

  function metaLine(item) {
    return [humanDate(item.date), item.place].filter(Boolean).join(" · ");
  }

  function titleOf(item) {
    return item.title || "Untitled release";
  }

  function charCount(text) {
    return [...text.trim()].length; // code points, as the server counts them
  }

  const NUMBER = new Intl.NumberFormat("en");

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

  // ---- the quote preview: hover or tap a numbered marker ------------------------------------

  const preview = el("div", "quote-preview");
  preview.id = "quote-preview";
  preview.setAttribute("role", "dialog");
  preview.hidden = true;
  document.body.append(preview);
  const previewState = { marker: null, pinned: false, timer: 0 };

  function placePreview(marker) {
    const box = marker.getBoundingClientRect();
    const width = Math.min(380, window.innerWidth - 16);
    preview.style.width = `${width}px`;
    preview.style.left = `${Math.max(8, Math.min(box.left - 12, window.innerWidth - width - 8))}px`;
    const height = preview.offsetHeight;
    let top = box.bottom + 6;
    if (top + height > window.innerHeight - 8 && box.top - height - 6 > 8) {
      top = box.top - height - 6;
    }
    preview.style.top = `${Math.max(8, top)}px`;
  }

  function showPreview(marker, citation, pinned) {
    window.clearTimeout(previewState.timer);
    if (previewState.marker !== marker) {
      if (previewState.marker) previewState.marker.setAttribute("aria-expanded", "false");
      const open = el("button", "button small preview-open", "Open the release");
      open.type = "button";
      open.setAttribute("aria-controls", "doc-panel");
      open.addEventListener("click", () => {
        hidePreview(false);
        openDocument(citation, marker);
      });
      const meta = [titleOf(citation), metaLine(citation)].filter(Boolean).join(" · ");
      preview.replaceChildren(
        el("p", "preview-kicker", `Source ${citation.n}`),
        el("p", "preview-quote", citation.quote ? `“${citation.quote}”` : titleOf(citation)),
        el("p", "preview-meta", meta),
        open,
      );
      preview.setAttribute("aria-label", `Source ${citation.n}: the quoted sentence`);
      previewState.marker = marker;
    }
    previewState.pinned = previewState.pinned || pinned;
    marker.setAttribute("aria-expanded", "true");
    preview.hidden = false;
    placePreview(marker);
  }

  function hidePreview(refocus) {
    window.clearTimeout(previewState.timer);
    const marker = previewState.marker;
    if (!marker) return;
    marker.setAttribute("aria-expanded", "false");
    preview.hidden = true;
    previewState.marker = null;
    previewState.pinned = false;
    if (refocus && marker.isConnected) marker.focus();
  }

  function hideSoon() {
    window.clearTimeout(previewState.timer);
    if (previewState.pinned) return;
    previewState.timer = window.setTimeout(() => hidePreview(false), 250);
  }

  preview.addEventListener("mouseenter", () => window.clearTimeout(previewState.timer));
  preview.addEventListener("mouseleave", hideSoon);

  // A numbered marker: hovering shows the quoted sentence, a click or tap pins it (and unpins).
  function marker(citation) {
    const button = el("button", "cite-marker", citation.n);
    button.type = "button";
    button.dataset.source = citation.source;
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "quote-preview");
    button.setAttribute(
      "aria-label",
      `Source ${citation.n}: ${titleOf(citation)}. Show the quoted sentence.`,
    );
    button.addEventListener("mouseenter", () => showPreview(button, citation, false));
    button.addEventListener("mouseleave", hideSoon);
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      if (previewState.marker === button && previewState.pinned) hidePreview(false);
      else showPreview(button, citation, true);
    });
    return button;
  }

  // ---- messages -----------------------------------------------------------------------------

  function addUserMessage(question) {
    const item = el("li", "message user");
    item.append(el("p", "role visually-hidden", "You asked"), el("div", "bubble", question));
    els.messages.append(item);
    return item;
  }

  function sourceCard(citation) {
    const card = el("button", "source-card");
    card.type = "button";
    card.setAttribute("aria-controls", "doc-panel");
    card.setAttribute("aria-pressed", "false");
    const meta = metaLine(citation);
    card.setAttribute(
      "aria-label",
      `Source ${citation.n}: ${titleOf(citation)}${meta ? `, ${meta}` : ""}. Open the release text.`,
    );
    card.dataset.source = citation.source;
    const body = el("span", "source-body");
    body.append(el("span", "source-title", titleOf(citation)));
    if (meta) body.append(el("span", "source-meta", meta));
    card.append(el("span", "source-n", citation.n), body);
    card.addEventListener("click", () => openDocument(citation, card));
    return card;
  }

  // Closest passages of a refusal: one per release, and only those that share a content word
  // with the question (a passage about something else is no help).
  const STOP_WORDS = new Set(
    (
      "about after again also been before being between both could does during each from have " +
      "here into just more most once only other over same should some such than that their " +
      "them then there these they this those through under until very what when where which " +
      "while whom whose will with would your"
    ).split(" "),
  );

  function stems(text) {
    const out = new Set();
    for (const word of String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) || []) {
      if (word.length >= 4 && !STOP_WORDS.has(word)) out.add(word.slice(0, 5));
    }
    return out;
  }

  function shared(a, b) {
    let n = 0;
    for (const x of a) if (b.has(x)) n++;
    return n;
  }

  function relatedPassages(question, related) {
    const asked = stems(question);
    const seen = new Set();
    const out = [];
    for (const passage of Array.isArray(related) ? related : []) {
      if (!passage || typeof passage.source !== "string" || seen.has(passage.source)) continue;
      if (!shared(asked, stems(`${passage.title || ""} ${passage.quote || ""}`))) continue;
      seen.add(passage.source);
      out.push(passage);
    }
    return out;
  }

  // The passage's sentence that shares most with the question, with "…" where text was left out.
  function bestSentence(question, text) {
    const asked = stems(question);
    const sentences = String(text || "")
      .split(/(?<=[.!?])\s+/)
      .filter((s) => s.trim());
    if (!sentences.length) return "";
    let best = 0;
    let bestScore = -1;
    sentences.forEach((sentence, i) => {
      const score = shared(asked, stems(sentence));
      if (score > bestScore) [best, bestScore] = [i, score];
    });
    const before = best > 0 ? "… " : "";
    const after = best < sentences.length - 1 ? " …" : "";
    return `${before}${sentences[best].trim()}${after}`;
  }

  function relatedItem(passage, question) {
    const button = el("button", "related-item");
    button.type = "button";
    button.setAttribute("aria-controls", "doc-panel");
    button.setAttribute("aria-pressed", "false");
    button.dataset.source = passage.source;
    button.append(
      el("span", "related-title-line", titleOf(passage)),
      el("span", "related-meta", metaLine(passage)),
      el("span", "related-quote", bestSentence(question, passage.quote)),
    );
    button.addEventListener("click", () => openDocument(passage, button));
    return button;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise((resolve, reject) => {
      const area = el("textarea", "copy-buffer");
      area.value = text;
      area.setAttribute("readonly", "");
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

  function isLowConfidence(result) {
    if (typeof result.low_confidence === "boolean") return result.low_confidence;
    return typeof result.confidence === "number" && result.confidence < LOW_CONFIDENCE;
  }

  function retryButton(onRetry, label = "Retry") {
    const button = el("button", "button small retry", label);
    button.type = "button";
    button.addEventListener("click", onRetry);
    return button;
  }

  function answerView(question, onRetry) {
    const item = el("li", "message assistant streaming");
    const role = el("p", "role", "Answer");
    const bubble = el("div", "bubble");
    const text = el("p", "answer-text");
    text.setAttribute("aria-live", "polite");
    text.setAttribute("aria-busy", "true");
    const thinking = el("span", "thinking", "Searching the releases…");
    text.append(thinking);
    const sources = el("div", "sources-block");
    sources.hidden = true;
    const cards = el("ol", "sources");
    cards.setAttribute("aria-label", "Sources");
    sources.append(el("p", "sources-label", "Sources"), cards);
    bubble.append(text, sources);
    item.append(role, bubble);
    els.messages.append(item);
    let streamed = "";
    let citations = [];

    function clearThinking() {
      if (thinking.isConnected) thinking.remove();
    }

    function renderCitations(list) {
      citations = Array.isArray(list) ? list.filter((c) => c && typeof c === "object") : [];
      cards.replaceChildren();
      for (const citation of citations) {
        const li = el("li");
        li.append(sourceCard(citation));
        cards.append(li);
      }
      sources.hidden = !citations.length;
    }

    function settle() {
      item.classList.remove("streaming");
      text.setAttribute("aria-busy", "false");
    }

    function supportingSentence(citation) {
      const figure = el("figure", "support");
      figure.append(
        el("figcaption", "support-caption", `The supporting sentence, source ${citation.n}`),
      );
      const quote = el("blockquote", "support-quote");
      quote.append(document.createTextNode(`“${citation.quote}”`));
      figure.append(quote);
      return figure;
    }

    function listItems(result) {
      // Lists and collections: one line per item, each with markers for its own sources.
      const list = el("ul", "answer-items");
      for (const entry of Array.isArray(result.items) ? result.items : []) {
        const li = el("li", "answer-item");
        li.append(el("span", "answer-item-text", String(entry?.text ?? "")));
        for (const n of Array.isArray(entry?.citations) ? entry.citations : []) {
          const citation = citations.find((c) => c.n === n);
          if (citation) li.append(" ", marker(citation));
        }
        list.append(li);
      }
      return list.childElementCount ? list : null;
    }

    // Adds the Copy button to `actions`; returns its status line, for the end of the row.
    function copyButton(answer, actions) {
      const copy = el("button", "button small", "Copy answer");
      copy.type = "button";
      const status = el("span", "copy-status");
      status.setAttribute("role", "status");
      copy.addEventListener("click", () => {
        const lines = citations.map(
          (c) => `[${c.n}] ${titleOf(c)}${metaLine(c) ? `, ${metaLine(c)}` : ""}: "${c.quote}"`,
        );
        const full = lines.length ? `${answer}\n\nSources:\n${lines.join("\n")}` : answer;
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
      return status;
    }

    function refusal(result) {
      item.classList.add("abstained");
      role.textContent = "No answer";
      const label = el("p", "abstain-label");
      const icon = el("span", "", "⚠");
      icon.setAttribute("aria-hidden", "true");
      label.append(icon, el("span", "", "Not in the releases"));
      bubble.prepend(label);
      text.replaceChildren(document.createTextNode("I couldn't find this in the releases."));
      const related = relatedPassages(question, result.related);
      if (related.length) {
        const details = el("details", "related-block");
        const n = related.length;
        details.append(el("summary", "related-summary", `Closest passage${n > 1 ? "s" : ""} (${n})`));
        const list = el("ul", "related");
        for (const passage of related) {
          const li = el("li");
          li.append(relatedItem(passage, question));
          list.append(li);
        }
        details.append(list);
        bubble.append(details);
      }
    }

    return {
      item,
      citations: renderCitations,
      token(piece) {
        clearThinking();
        streamed += piece;
        text.append(document.createTextNode(piece));
      },
      finish(result, restored = false) {
        clearThinking();
        settle();
        const answer = typeof result.answer === "string" ? result.answer : streamed;
        renderCitations(result.citations);
        const actions = el("div", "actions");
        let copyStatus = null;
        if (result.abstained) {
          sources.hidden = true;
          refusal(result);
        } else {
          text.replaceChildren(document.createTextNode(answer));
          const first = citations[0];
          if (first) text.append(" ", marker(first));
          const items = listItems(result);
          if (items) text.after(items);
          if (first && first.quote) sources.before(supportingSentence(first));
          if (isLowConfidence(result)) {
            item.classList.add("low-confidence");
            const label = el("p", "confidence-label");
            label.append(
              el("strong", "", "Low confidence"),
              document.createTextNode(" — check the quoted sentence before relying on this."),
            );
            bubble.prepend(label);
          }
          copyStatus = copyButton(answer, actions);
        }
        const note = generationNote(result);
        if (note) bubble.append(note);
        actions.append(retryButton(onRetry));
        if (typeof result.confidence === "number" && !result.abstained) {
          actions.append(
            el("span", "confidence", `Confidence ${Math.round(result.confidence * 100)}%`),
          );
        }
        if (copyStatus) actions.append(copyStatus);
        bubble.append(actions);
        if (!restored) {
          announce(result.abstained ? "The releases don't answer that." : "Answer ready.");
        }
        return answer;
      },
      stopped() {
        clearThinking();
        settle();
        item.classList.add("stopped");
        role.textContent = "Stopped";
        if (!streamed) text.remove();
        const note = el("p", "stopped-note");
        note.append(el("span", "", "Stopped — "), retryButton(onRetry));
        bubble.append(note);
      },
      fail(message) {
        clearThinking();
        settle();
        item.classList.add("failed");
        role.textContent = "Error";
        if (!streamed) text.remove();
        const box = el("div", "error");
        box.setAttribute("role", "alert");
        box.append(el("p", "", message), retryButton(onRetry));
        bubble.append(box);
      },
    };
  }

  // ---- the conversation: asked, answered, kept in sessionStorage ----------------------------

  function historyFor() {
    const history = [];
    for (const turn of state.turns) {
      if (turn.status !== "done" || !turn.result) continue;
      const answer = typeof turn.result.answer === "string" ? turn.result.answer : "";
      history.push({ role: "user", content: turn.question }, { role: "assistant", content: answer });
    }
    return history.slice(-MAX_HISTORY);
  }

  function save() {
    try {
      if (state.turns.length) {
        const turns = state.turns.slice(-MAX_TURNS);
        window.sessionStorage.setItem(STORE_KEY, JSON.stringify({ turns }));
      } else {
        window.sessionStorage.removeItem(STORE_KEY);
      }
    } catch {
      // storage full or switched off: the conversation just won't survive a reload
    }
  }

  function setStatus(message, kind) {
    els.status.textContent = message;
    els.status.className = `composer-status${kind ? ` is-${kind}` : ""}`;
  }

  // A turn on the page; its Retry asks again (in place when it is the latest turn).
  function renderTurn(turn) {
    const user = addUserMessage(turn.question);
    const view = answerView(turn.question, () => {
      if (state.controller) {
        setStatus("Still answering the last question: wait for it, or press Stop.", "busy");
        return;
      }
      const at = state.turns.indexOf(turn);
      if (at >= 0 && at === state.turns.length - 1) {
        state.turns.pop();
        user.remove();
        view.item.remove();
        save();
      }
      ask(turn.question);
    });
    return view;
  }

  function restore() {
    let saved = [];
    try {
      const data = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (data && Array.isArray(data.turns)) saved = data.turns;
    } catch {
      saved = [];
    }
    for (const entry of saved) {
      if (!entry || typeof entry.question !== "string" || !entry.question.trim()) continue;
      const turn = { question: entry.question, status: entry.status };
      const view = renderTurn(turn);
      if (turn.status === "done" && entry.result && typeof entry.result === "object") {
        turn.result = entry.result;
        view.finish(entry.result, true);
      } else if (turn.status === "error") {
        turn.error = String(entry.error || "The answer failed.");
        view.fail(turn.error);
      } else {
        turn.status = "stopped";
        view.stopped();
      }
      state.turns.push(turn);
    }
    if (state.turns.length) {
      els.empty.hidden = true;
      scrollToEnd();
    }
  }

  function setBusy(busy) {
    const hadFocus = document.activeElement === els.send || document.activeElement === els.stop;
    els.send.hidden = busy;
    els.stop.hidden = !busy;
    if (busy && hadFocus) els.stop.focus();
    if (!busy && hadFocus) els.question.focus();
    if (!busy && els.status.classList.contains("is-busy")) setStatus("");
  }

  async function ask(rawQuestion) {
    const question = rawQuestion.trim();
    if (!question || state.controller) return;
    hidePreview(false);
    els.empty.hidden = true;
    const turn = { question };
    const view = renderTurn(turn);
    scrollToEnd();
    const controller = new AbortController();
    state.controller = controller;
    setBusy(true);
    const history = historyFor();
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
      if (!result || typeof result !== "object") {
        throw new AppError("The answer was cut off before it finished. Please try again.");
      }
      view.finish(result);
      Object.assign(turn, { status: "done", result });
    } catch (err) {
      if (err && err.name === "AbortError") {
        view.stopped();
        turn.status = "stopped";
      } else {
        const message = humanMessage(err);
        view.fail(message);
        Object.assign(turn, { status: "error", error: message });
      }
    } finally {
      if (state.controller === controller) {
        state.controller = null;
        setBusy(false);
      }
      if (view.item.isConnected) {
        state.turns.push(turn);
        save();
      }
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
    els.docTitle.textContent = titleOf(item);
    els.docMeta.textContent = metaLine(item);
    els.docStatus.classList.remove("is-error");
    els.docStatus.textContent = "Loading the release…";
    els.docText.replaceChildren();
    els.docTitle.focus({ preventScroll: true });
    try {
      const doc = await fetchDocument(item.source);
      if (request !== state.docRequest) return;
      const text = typeof doc.text === "string" ? doc.text : "";
      els.docTitle.textContent = doc.title || titleOf(item);
      els.docMeta.textContent = metaLine(doc);
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

  // The counter shows near the limit; over it, the question box is marked invalid.
  function updateCount() {
    const n = charCount(els.question.value);
    const over = n > MAX_QUESTION;
    const limit = NUMBER.format(MAX_QUESTION);
    els.count.hidden = n < MAX_QUESTION * COUNTER_FROM;
    els.count.textContent = over
      ? `${NUMBER.format(n)} / ${limit} characters — ${NUMBER.format(n - MAX_QUESTION)} too many`
      : `${NUMBER.format(n)} / ${limit} characters`;
    els.count.classList.toggle("over", over);
    if (over) els.question.setAttribute("aria-invalid", "true");
    else els.question.removeAttribute("aria-invalid");
    if (!over && els.status.classList.contains("is-too-long")) setStatus("");
  }

  function submit() {
    const question = els.question.value;
    if (!question.trim()) return;
    if (state.controller) {
      setStatus("Still answering the last question: wait for it, or press Stop.", "busy");
      return;
    }
    const n = charCount(question);
    if (n > MAX_QUESTION) {
      setStatus(
        `Your question is ${NUMBER.format(n)} characters long; the limit is ` +
          `${NUMBER.format(MAX_QUESTION)}. Please shorten it.`,
        "too-long",
      );
      els.question.focus();
      return;
    }
    setStatus("");
    els.question.value = "";
    resizeInput();
    updateCount();
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
  els.question.addEventListener("input", () => {
    resizeInput();
    updateCount();
  });

  els.stop.addEventListener("click", () => {
    if (state.controller) state.controller.abort();
  });

  els.newConversation.addEventListener("click", () => {
    const controller = state.controller;
    state.turns = [];
    save();
    els.messages.replaceChildren(); // an aborted answer below is then no longer kept
    if (controller) controller.abort();
    state.docs.clear();
    hidePreview(false);
    closeDocument();
    els.empty.hidden = false;
    els.question.value = "";
    setStatus("");
    resizeInput();
    updateCount();
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
    if (event.key !== "Escape") return;
    if (!preview.hidden) {
      event.preventDefault();
      hidePreview(true);
    } else if (!els.panel.hidden) {
      event.preventDefault();
      closeDocument();
    }
  });
  document.addEventListener("click", (event) => {
    if (!preview.hidden && !preview.contains(event.target)) hidePreview(false);
  });
  els.chat.addEventListener("scroll", () => {
    if (!preview.hidden) hidePreview(false);
  });
  window.addEventListener("resize", () => hidePreview(false));

  restore();
  updateCount();
  els.question.focus();
})();
