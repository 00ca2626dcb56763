/*
 * Cyberaide chat widget. One tag on any page adds the bubble:
 *   <script src="https://ASSISTANT/webhooks/webchat/static/widget.js" defer></script>
 *
 * - Plain JS, no framework, no build step. The widget lives in a shadow root so that the host page's CSS and ours
 *   never mix; its CSS is widget.css, next to this file.
 * - Transport (see channels/webchat.py): POST webhook to send, server-sent events (EventSource) to receive every
 *   message of the conversation, including those an operator writes later. Each event's id is its index in the
 *   conversation: the widget shows each id once, whatever arrives twice (replays, POST answers).
 * - The conversation id ("web:<uuid>") is kept in localStorage once the victim writes, so the conversation survives
 *   reloads; messages not yet accepted by the server wait in a localStorage outbox and are sent again, in order,
 *   when the network comes back. Nothing is dropped silently: a refused message stays shown with "Réessayer".
 * - Safety: every text is put in the page with textContent / DOM APIs, never as HTML; links are made only from
 *   http(s) URLs, and open in a new tab with rel="noopener noreferrer".
 */
(() => {
  "use strict";
  if (window.__cyberaideWebchat) return; // the tag was pasted twice
  window.__cyberaideWebchat = true;

  const script =
    document.currentScript || document.querySelector('script[src*="/webhooks/webchat/static/widget.js"]');
  if (!script) return;
  const BASE = new URL("../", script.src).href; // .../webhooks/webchat/

  const TEXT = {
    open: "Ouvrir la discussion d'aide aux victimes de cybermalveillance",
    close: "Fermer la discussion",
    unread: (n) => (n === 1 ? " (1 nouveau message)" : ` (${n} nouveaux messages)`),
    dialog: "Discussion avec l'assistant d'aide aux victimes de cybermalveillance",
    title: "Aide aux victimes de cybermalveillance",
    subtitle: "Assistant automatique. En cas de danger immédiat : 17 ou 112.",
    restart: "Commencer une nouvelle conversation",
    restartConfirm:
      "Commencer une nouvelle conversation ? La conversation actuelle ne sera plus affichée sur cet appareil.",
    log: "Messages de la conversation",
    intro:
      "Bonjour. Décrivez-moi en quelques mots ce qui vous arrive (message suspect, compte piraté, chantage, " +
      "arnaque…) et je vous indiquerai quoi faire.",
    privacy: "Ne communiquez jamais vos mots de passe, vos codes ni votre numéro de carte bancaire.",
    // Shown until the server's notice (with the retention of this deployment) arrives: GET notice.
    notice:
      "Ce que vous écrivez ici est gardé pour vous aider et améliorer le service. Il n'est lu que par notre " +
      "équipe, avec vos données sensibles masquées. Vous pouvez tout effacer avec le bouton « Effacer mes " +
      "données » en haut de cette fenêtre.",
    noticeLink: "Vos données et cette conversation",
    erase: "Effacer mes données",
    nothingToErase: "Rien n'est enregistré pour le moment : vous n'avez encore rien écrit.",
    you: "Vous",
    bot: "Assistant",
    operator: (name) => (name ? `${name}, conseiller` : "Conseiller"),
    system: "Information",
    choices: "Réponses proposées",
    newWindow: " (nouvelle fenêtre)",
    typing: "L'assistant écrit…",
    label: "Votre message",
    placeholder: "Écrivez votre message…",
    hint: "Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
    send: "Envoyer",
    sending: "Envoi…",
    waiting: "En attente du réseau : le message partira dès le retour de la connexion.",
    retrying: "Le service ne répond pas : nouvel essai dans quelques secondes…",
    failed: "Message non envoyé.",
    retry: "Réessayer",
    notSaved: "Ce message n'apparaîtra plus après un rechargement de la page.",
    offline: "Vous êtes hors connexion. Vos messages partiront dès le retour du réseau.",
    reconnecting: "Connexion au service perdue, reconnexion en cours…",
    serverError: "Le service rencontre un problème. En cas de danger immédiat, appelez le 17 ou le 112.",
    downloading: "Préparation du dossier…",
    downloaded: "Dossier téléchargé : retrouvez-le dans les téléchargements de votre appareil.",
  };

  // --- storage: localStorage when allowed, memory otherwise (private browsing, storage disabled) -------------------
  const memory = {};
  const store = {
    get(key) {
      try {
        return window.localStorage.getItem("cyberaide.webchat." + key);
      } catch (e) {
        return memory[key] ?? null;
      }
    },
    set(key, value) {
      memory[key] = value;
      try {
        if (value === null) window.localStorage.removeItem("cyberaide.webchat." + key);
        else window.localStorage.setItem("cyberaide.webchat." + key, value);
      } catch (e) {
        /* memory only */
      }
    },
  };
  const tab = {
    get(key) {
      try {
        return window.sessionStorage.getItem("cyberaide.webchat." + key);
      } catch (e) {
        return null;
      }
    },
    set(key, value) {
      try {
        window.sessionStorage.setItem("cyberaide.webchat." + key, value);
      } catch (e) {
        /* not kept */
      }
    },
  };

  // crypto.randomUUID exists only on https pages; getRandomValues everywhere.
  function uuid4() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // --- DOM helpers: no innerHTML anywhere --------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function icon(pathData) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", pathData);
    svg.append(path);
    return svg;
  }
  const ICON_CHAT =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" +
    "m3 6.5a1.5 1.5 0 1 0 0-.01zm5 0a1.5 1.5 0 1 0 0-.01zm5 0a1.5 1.5 0 1 0 0-.01z";
  const ICON_CLOSE = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
  const ICON_RESTART = "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z";
  const ICON_ERASE = "M9 3v1H4v2h16V4h-5V3H9zM5 8l1 13h12l1-13H5zm4 2h2v9H9v-9zm4 0h2v9h-2v-9z";
  // The dialogue asks for confirmation, then the server erases the conversation (channels/self_erasure.py).
  const ERASE_PAYLOAD = "/request_erasure";
  const PRIVACY_PAGE = new URL("../../confidentialite", BASE).href;

  // Links: explicit http(s) URLs, and bare official domains ("17cyber.gouv.fr") which victims are told to visit.
  const LINK = /\bhttps?:\/\/[^\s<>"'«»]+|\b(?:[a-z0-9-]+\.)+gouv\.fr\b(?:\/[^\s<>"'«»]*)?/gi;
  const TRAILING = /[.,;:!?)\]»'’]+$/;

  function safeHref(candidate) {
    try {
      const url = new URL(/^https?:\/\//i.test(candidate) ? candidate : "https://" + candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, label) {
    return el(
      "a",
      { href, target: "_blank", rel: "noopener noreferrer" },
      document.createTextNode(label),
      el("span", { className: "sr-only", text: TEXT.newWindow })
    );
  }

  function richText(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(LINK)) {
      let raw = match[0].replace(TRAILING, "");
      const start = match.index;
      const before = start > 0 ? text[start - 1] : "";
      const href = before === "@" || before === "/" ? null : safeHref(raw);
      if (!href || !raw) continue;
      fragment.append(document.createTextNode(text.slice(last, start)), link(href, raw));
      last = start + raw.length;
    }
    fragment.append(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // --- the UI ------------------------------------------------------------------------------------------------------
  const host = el("div", { id: "cyberaide-webchat", style: "display:none" });
  const root = host.attachShadow({ mode: "open" });
  const stylesheet = el("link", { rel: "stylesheet", href: BASE + "static/widget.css" });
  const reveal = () => host.style.removeProperty("display");
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const log = el("div", {
    className: "log",
    role: "log",
    "aria-live": "polite",
    "aria-label": TEXT.log,
    tabindex: "0",
  });
  const intro = el(
    "div",
    { className: "intro" },
    el("p", { text: TEXT.intro }),
    el("p", { className: "privacy", text: TEXT.privacy }),
    el("p", { className: "privacy notice" }, document.createTextNode(TEXT.notice + " "), link(PRIVACY_PAGE, TEXT.noticeLink))
  );
  // The notice as this deployment words it (how long it keeps conversations); the built-in text stays if it fails.
  let noticeAsked = false;
  async function loadNotice() {
    if (noticeAsked) return;
    noticeAsked = true;
    try {
      const response = await fetch(BASE + "notice", { credentials: "omit", cache: "no-store" });
      const data = response.ok ? await response.json() : null;
      if (data && typeof data.text === "string" && data.text) {
        intro.querySelector(".notice").replaceChildren(richText(data.text));
      }
    } catch (e) {
      // offline: the built-in notice is shown
    }
  }
  log.append(intro);
  const status = el("p", { className: "status", role: "status" });
  const typing = el(
    "div",
    { className: "typing", hidden: true },
    el("span", { className: "dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
    el("span", { className: "sr-only", text: TEXT.typing })
  );
  const typingStatus = el("div", { role: "status", className: "typing-status" }, typing);
  const input = el("textarea", {
    id: "cw-input",
    rows: "2",
    placeholder: TEXT.placeholder,
    autocomplete: "off",
    "aria-describedby": "cw-hint",
    enterkeyhint: "send",
  });
  const form = el(
    "form",
    { className: "composer" },
    el("label", { for: "cw-input", className: "sr-only", text: TEXT.label }),
    input,
    el("button", { type: "submit", className: "send", text: TEXT.send }),
    el("p", { id: "cw-hint", className: "sr-only", text: TEXT.hint })
  );
  const closeButton = el(
    "button",
    { type: "button", className: "icon-button", "aria-label": TEXT.close, title: TEXT.close },
    icon(ICON_CLOSE)
  );
  const restartButton = el(
    "button",
    { type: "button", className: "icon-button", "aria-label": TEXT.restart, title: TEXT.restart },
    icon(ICON_RESTART)
  );
  const eraseButton = el(
    "button",
    { type: "button", className: "icon-button", "aria-label": TEXT.erase, title: TEXT.erase },
    icon(ICON_ERASE)
  );
  const panel = el(
    "section",
    {
      id: "cw-panel",
      className: "panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-label": TEXT.dialog,
      hidden: true,
    },
    el(
      "header",
      {},
      el("div", { className: "heading" }, el("h2", { text: TEXT.title }), el("p", { text: TEXT.subtitle })),
      eraseButton,
      restartButton,
      closeButton
    ),
    status,
    log,
    typingStatus,
    form
  );
  const badge = el("span", { className: "badge", "aria-hidden": "true", hidden: true });
  const bubble = el(
    "button",
    {
      type: "button",
      className: "bubble",
      "aria-expanded": "false",
      "aria-controls": "cw-panel",
      "aria-label": TEXT.open,
      title: TEXT.open,
    },
    icon(ICON_CHAT),
    icon(ICON_CLOSE),
    badge
  );
  root.append(stylesheet, panel, bubble);

  // --- state -------------------------------------------------------------------------------------------------------
  let session = store.get("session");
  let seen = Number(store.get("seen") ?? -1); // highest message id the victim has had in front of them
  const shown = new Map(); // message id -> element
  const pendingElements = new Map(); // client_id -> element of a message not yet in the transcript
  let streamLastId = -1; // highest id received from the stream: reconnections resume from here
  let source = null;
  let reconnectTimer = null;
  let outbox = loadOutbox();
  let sending = false;
  let retryTimer = null;
  let retryDelay = 2000;

  function loadOutbox() {
    try {
      const items = JSON.parse(store.get("outbox") || "[]");
      return Array.isArray(items) ? items.filter((m) => m && m.session === session && m.client_id) : [];
    } catch (e) {
      return [];
    }
  }
  function saveOutbox() {
    store.set("outbox", outbox.length ? JSON.stringify(outbox) : null);
  }

  const isOpen = () => !panel.hidden;
  const maxShownId = () => Math.max(-1, ...shown.keys());

  // --- rendering ---------------------------------------------------------------------------------------------------
  function whoLabel(message) {
    if (message.who === "victim") return TEXT.you;
    if (message.who === "operator") return TEXT.operator(message.operator);
    if (message.who === "system") return TEXT.system;
    return TEXT.bot;
  }

  function renderMessage(message) {
    const kind = ["victim", "operator", "system"].includes(message.who) ? message.who : "bot";
    const node = el("div", { className: `msg msg-${kind}` });
    // The speaker is shown for operators (a person joined) and read out for everyone else.
    node.append(el("p", { className: kind === "operator" ? "who" : "who sr-only", text: whoLabel(message) }));
    node.append(el("p", { className: "text" }, richText(String(message.text || ""))));
    const buttons = Array.isArray(message.buttons) ? message.buttons : [];
    const replies = buttons.filter((b) => b && typeof b.payload === "string");
    const links = buttons.filter((b) => b && typeof b.url === "string" && safeHref(b.url) && /^https?:/i.test(b.url));
    if (replies.length) {
      const group = el("div", { className: "choices", role: "group", "aria-label": TEXT.choices });
      for (const b of replies) {
        const title = String(b.title || b.payload);
        group.append(el("button", { type: "button", text: title, onclick: () => choose(b.payload, title) }));
      }
      node.append(group);
    }
    if (message.file && message.file.kind === "dossier") {
      const label = String(message.file.label || "PDF");
      const name = String(message.file.name || "dossier.pdf");
      const button = el("button", { type: "button", className: "file", text: label });
      button.addEventListener("click", () => downloadDossier(button, label, name));
      node.append(el("div", { className: "files" }, button)); // stays while the link is valid, unlike choices
    }
    if (links.length) {
      const group = el("p", { className: "links" });
      for (const b of links) group.append(link(safeHref(b.url), String(b.title || b.url)));
      node.append(group);
    }
    return node;
  }

  // Messages are kept in conversation order (their ids), whatever order they arrive in; messages still being sent
  // stay last.
  function insertById(node, id) {
    node.dataset.id = String(id);
    let before = null;
    for (const [otherId, other] of shown) {
      if (otherId > id && (!before || Number(before.dataset.id) > otherId)) before = other;
    }
    log.insertBefore(node, before || log.querySelector(".pending"));
  }

  function receive(messages) {
    let first = null;
    let own = false;
    const following = anchor !== null || atEnd();
    for (const message of messages || []) {
      if (!message || typeof message.id !== "number" || shown.has(message.id)) continue;
      const node = renderMessage(message);
      insertById(node, message.id);
      shown.set(message.id, node);
      if (!first || first.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING) first = node;
      own = own || message.who === "victim";
      if (message.client_id && pendingElements.has(message.client_id)) {
        pendingElements.get(message.client_id).remove();
        pendingElements.delete(message.client_id);
      }
      if (message.client_id) {
        const before = outbox.length;
        outbox = outbox.filter((m) => m.client_id !== message.client_id);
        if (outbox.length !== before) saveOutbox();
      }
    }
    if (first) {
      refreshChoices();
      if (isOpen()) markSeen();
      else updateBadge();
      if (!replaying && (following || own)) follow(first);
    }
  }

  // New messages: the view follows them when the victim was at the end of the conversation (not when they scrolled
  // back to read), and stops at the start of a long answer rather than at its end: advice is read from the top.
  let anchor = null;
  let replaying = false;
  function atEnd() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }
  function follow(node) {
    if (anchor && !(anchor.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING)) return;
    const scheduled = anchor !== null;
    anchor = node;
    if (scheduled) return;
    setTimeout(() => {
      const top = anchor.isConnected ? anchor.offsetTop - 8 : log.scrollHeight;
      anchor = null;
      if (log.scrollHeight - top > log.clientHeight) scrollTo(top, true);
      else scrollToEnd(true);
    }, 60); // messages of one answer arrive one by one from the stream: one movement for all of them
  }

  function showLocal(text) {
    const node = renderMessage({ who: "system", text });
    node.classList.add("local");
    log.append(node);
    scrollToEnd(true);
  }

  function showNotices(notices) {
    for (const notice of notices || []) {
      const node = renderMessage(notice);
      node.classList.add("local");
      node.append(el("p", { className: "note", text: TEXT.notSaved }));
      log.append(node);
    }
    if (notices && notices.length) {
      refreshChoices();
      scrollToEnd(true);
    }
  }

  // Quick replies answer the latest question only: once the victim has written after them, they go.
  function refreshChoices() {
    let victimAfter = false;
    const nodes = Array.from(log.querySelectorAll(".msg"));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (node.classList.contains("msg-victim")) victimAfter = true;
      const group = node.querySelector(".choices");
      if (group) group.hidden = victimAfter;
    }
  }

  function scrollTo(top, smooth) {
    const reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    log.scrollTo({ top, behavior: smooth && !reduce ? "smooth" : "auto" });
  }
  function scrollToEnd(smooth) {
    scrollTo(log.scrollHeight, smooth);
  }

  function unreadCount() {
    let count = 0;
    for (const [id, node] of shown) if (id > seen && !node.classList.contains("msg-victim")) count++;
    return count;
  }

  function updateBadge() {
    const count = isOpen() ? 0 : unreadCount();
    badge.hidden = count === 0;
    badge.textContent = count > 9 ? "9+" : String(count);
    const label = isOpen() ? TEXT.close : TEXT.open + (count ? TEXT.unread(count) : "");
    bubble.setAttribute("aria-label", label);
    bubble.title = label;
  }

  function markSeen() {
    const max = maxShownId();
    if (max > seen) {
      seen = max;
      if (session) store.set("seen", String(seen));
    }
    updateBadge();
  }

  function setStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function updateTyping() {
    typing.hidden = !sending;
  }

  // --- pending messages (the outbox) -------------------------------------------------------------------------------
  function renderPending(item) {
    let node = pendingElements.get(item.client_id);
    if (!node) {
      node = renderMessage({ who: "victim", text: item.title || item.message });
      node.classList.add("pending");
      node.append(el("p", { className: "note" }));
      pendingElements.set(item.client_id, node);
      log.append(node);
      refreshChoices();
    }
    const note = node.querySelector(".note");
    note.textContent = "";
    node.classList.toggle("failed", item.state === "failed");
    if (item.state === "sending") note.textContent = TEXT.sending;
    else if (item.state === "waiting") note.textContent = TEXT.waiting;
    else if (item.state === "retrying") note.textContent = TEXT.retrying;
    else if (item.state === "failed") {
      note.append(
        document.createTextNode(`${TEXT.failed} ${item.error || ""} `),
        el("button", { type: "button", className: "retry", text: TEXT.retry, onclick: () => retry(item.client_id) })
      );
    }
    scrollToEnd(true);
  }

  // Accepted by the server but not in the transcript (database down): shown, without pretending it was saved.
  function settle(item) {
    const node = pendingElements.get(item.client_id);
    if (!node) return;
    pendingElements.delete(item.client_id);
    node.classList.remove("pending");
    node.classList.add("local");
    node.querySelector(".note").textContent = TEXT.notSaved;
  }

  function retry(clientId) {
    const item = outbox.find((m) => m.client_id === clientId);
    if (!item) return;
    item.state = "sending";
    item.attempts = 0;
    delete item.error;
    saveOutbox();
    renderPending(item);
    input.focus();
    flush();
  }

  function choose(payload, title) {
    send(payload, title);
    input.focus();
  }

  function startSession() {
    if (session) return;
    session = "web:" + uuid4();
    store.set("session", session);
    seen = -1;
    store.set("seen", null);
    connect();
  }

  function send(message, title) {
    startSession();
    const item = { session, client_id: uuid4().replace(/-/g, ""), message, title: title || message, state: "sending" };
    outbox.push(item);
    saveOutbox();
    renderPending(item);
    flush();
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  // Sends the outbox in order, one message at a time; stops at the first message that cannot leave yet.
  async function flush() {
    if (sending) return;
    clearTimeout(retryTimer);
    while (true) {
      const item = outbox.find((m) => m.state !== "failed");
      if (!item) break;
      if (!navigator.onLine) {
        item.state = "waiting";
        renderPending(item);
        break; // the "online" event flushes again
      }
      sending = true;
      item.state = "sending";
      renderPending(item);
      updateTyping();
      let outcome;
      try {
        outcome = await post(item);
      } finally {
        sending = false;
        updateTyping();
      }
      if (outcome === "wait" && item.state !== "failed") {
        scheduleRetry();
        break;
      }
      retryDelay = 2000;
    }
  }

  // The dossier is built by the server for this session when asked (POST dossier), then saved as a file: nothing of
  // it stays in the page.
  async function downloadDossier(button, label, name) {
    button.disabled = true;
    button.textContent = TEXT.downloading;
    try {
      const response = await fetch(BASE + "dossier", {
        method: "POST",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify({ session }),
        credentials: "omit",
        cache: "no-store",
      });
      if (!response.ok) {
        let data = null;
        try {
          data = await response.json();
        } catch (e) {
          data = null;
        }
        showLocal((data && data.error) || TEXT.serverError);
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const anchor = el("a", { href: url, download: name, style: "display:none" });
      root.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      showLocal(TEXT.downloaded);
    } catch (e) {
      showLocal(TEXT.serverError);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function post(item) {
    let response;
    try {
      response = await fetch(BASE + "webhook", {
        method: "POST",
        // text/plain keeps the request "simple": no CORS preflight from other sites.
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify({ session: item.session, message: item.message, client_id: item.client_id }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      item.state = "waiting"; // network down: sent again as soon as possible, never dropped
      saveOutbox();
      renderPending(item);
      return "wait";
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (response.ok && data) {
      outbox = outbox.filter((m) => m.client_id !== item.client_id);
      saveOutbox();
      if (data.erased) {
        // Nothing on the server matches this session any more: this device forgets it too.
        forgetSession();
        showNotices(data.notices);
        return "done";
      }
      replaying = false;
      log.setAttribute("aria-live", "polite");
      receive(data.messages);
      if (!data.duplicate && pendingElements.has(item.client_id)) settle(item);
      showNotices(data.notices);
      return "done";
    }
    if (response.status >= 400 && response.status < 500 && data && typeof data.error === "string") {
      item.state = "failed"; // refused (too long, too many messages...): the victim decides when to send again
      item.error = String(data.error);
      saveOutbox();
      renderPending(item);
      return "next";
    }
    // A server error or a proxy's page: try again later, and let the victim decide after a few attempts.
    item.attempts = (item.attempts || 0) + 1;
    item.state = item.attempts >= 5 ? "failed" : "retrying";
    item.error = TEXT.serverError;
    saveOutbox();
    renderPending(item);
    return "wait";
  }

  // --- the stream --------------------------------------------------------------------------------------------------
  function connect() {
    if (!session || source) return;
    clearTimeout(reconnectTimer);
    const url = `${BASE}stream?session=${encodeURIComponent(session)}&after=${streamLastId}`;
    const replay = streamLastId < 0;
    if (replay) {
      replaying = true;
      log.setAttribute("aria-live", "off"); // do not read the whole history aloud after a reload
    }
    source = new EventSource(url);
    source.onopen = () => {
      setStatus(navigator.onLine ? "" : TEXT.offline);
    };
    source.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      const id = Number(event.lastEventId);
      if (Number.isInteger(id)) streamLastId = Math.max(streamLastId, id);
      receive([message]);
    };
    source.addEventListener("synced", () => {
      replaying = false;
      log.setAttribute("aria-live", "polite");
      scrollToEnd(false);
    });
    source.addEventListener("reset", () => {
      // The conversation was erased on the server (retention, request): show what the server has, nothing more.
      for (const node of shown.values()) node.remove();
      shown.clear();
      streamLastId = -1;
      seen = -1;
      store.set("seen", null);
      updateBadge();
    });
    source.onerror = () => {
      if (!source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an error page from a proxy, a refused request): start again, from where we were.
        source.close();
        source = null;
        reconnectTimer = setTimeout(connect, 5000);
      }
      setStatus(navigator.onLine ? TEXT.reconnecting : TEXT.offline);
    };
  }

  function reconnect() {
    if (source) {
      source.close();
      source = null;
    }
    connect();
  }

  window.addEventListener("online", () => {
    setStatus("");
    reconnect(); // at once, without waiting for EventSource's retry delay
    for (const item of outbox) if (item.state === "waiting") item.state = "sending";
    retryDelay = 2000;
    flush();
  });
  window.addEventListener("offline", () => setStatus(TEXT.offline));

  // --- opening and closing -----------------------------------------------------------------------------------------
  function open(moveFocus) {
    loadNotice();
    panel.hidden = false;
    host.classList.add("open");
    bubble.classList.add("is-open");
    bubble.setAttribute("aria-expanded", "true");
    tab.set("open", "1");
    markSeen();
    scrollToEnd(false);
    if (moveFocus) input.focus();
  }

  function close() {
    panel.hidden = true;
    host.classList.remove("open");
    bubble.classList.remove("is-open");
    bubble.setAttribute("aria-expanded", "false");
    tab.set("open", "0");
    updateBadge();
    bubble.focus();
  }

  bubble.addEventListener("click", () => (isOpen() ? close() : open(true)));
  bubble.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      close();
    }
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  // This device stops showing the conversation and forgets its id (the server keeps it, unless it was erased).
  function forgetSession() {
    if (source) source.close();
    source = null;
    session = null;
    store.set("session", null);
    store.set("seen", null);
    outbox = [];
    saveOutbox();
    for (const node of [...shown.values(), ...pendingElements.values()]) node.remove();
    log.querySelectorAll(".local").forEach((node) => node.remove());
    shown.clear();
    pendingElements.clear();
    streamLastId = -1;
    seen = -1;
    setStatus("");
    updateBadge();
  }
  restartButton.addEventListener("click", () => {
    if (!window.confirm(TEXT.restartConfirm)) return;
    forgetSession();
    input.focus();
  });
  eraseButton.addEventListener("click", () => {
    if (!session) {
      showLocal(TEXT.nothingToErase);
      return;
    }
    send(ERASE_PAYLOAD, TEXT.erase);
    input.focus();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // --- start -------------------------------------------------------------------------------------------------------
  function start() {
    document.body.append(host);
    setStatus(navigator.onLine ? "" : TEXT.offline);
    updateBadge();
    for (const item of outbox) {
      if (item.state !== "failed") item.state = "sending";
      renderPending(item);
    }
    if (session) connect();
    if (tab.get("open") === "1") open(false); // reloaded while open: stay open, without stealing the focus
    flush();
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
