// Pulse client: makes a server-rendered page live. The page works without this script.
//
// Reads <script id="pulse-state" type="application/json">{"paths":[...],"routeInfo":{...},"live":true}</script>.
// A page whose state says `live: false` (no view has callbacks) opens no WebSocket, unless a
// page script uses `pulse.channel(...)` / `pulse.send(...)`, which opens one on first use.
//
// Views: each <div data-pulse-view="{pattern}"> is attached over /_pulse/ws with a `viewId`
// drawn once per page load, so the server can give a view its state back after a reconnect.
// `attach_ack` / `view_update` morph the view's DOM in place (elements are kept, so focus,
// caret and selection stay where the user was; a field's value is replaced only when the
// server changes its `value` attribute and the field is not focused). Their `title`, when
// present, becomes document.title (the same title a fresh load of the page would have).
//
// Callbacks: a click on an element marked data-pulse-callback="name" (a form: its submit)
// sends a `callback` with the JSON array in data-pulse-args (a form: its fields as one
// object). Messages made while the socket is not open (before it first opens, while
// reconnecting) are queued and sent, in order, once it opens; a message already sent on a
// socket that then drops may or may not have run (it is not sent twice).
//
// Connection: reconnects without giving up, with exponential backoff and jitter (0.5 s doubling
// up to 30 s, each wait drawn between half and all of it), at once when the browser comes back
// online or the tab becomes visible. Close codes: 1012 (server restart) and every other code
// reconnect with backoff; 4001 (session ended) reconnects at once so the server's `connect`
// hook runs again; 4400-4499 are explicit refusals: no reconnect. A socket refused when the
// server is reachable (its `connect` hook denied: the user signed out elsewhere, the cookie
// is no longer valid) reloads the page once, so the page's own guards decide where to go.
// After every reconnect the views are attached again and re-rendered from the server and
// channels are subscribed again.
//
// Heartbeat: a connection can die without a close (the server's machine went away, a proxy
// dropped it, the server hangs), and the browser would wait on it for minutes. When the socket
// opens, and then every `intervalMs` the server's `heartbeat_ack` names (Live::ping_interval,
// 25 s by default), the client sends {"type":"heartbeat"}; when the previous one is still
// unanswered at the next beat, the connection is taken for dead: closed, and connected again
// with the backoff above. A socket that has not opened within one interval is given up the same
// way.
//
// Status: an element with role="status" and data-pulse-status="connecting|online|reconnecting|
// offline|refused" tells users (and assistive technology) when the page is not live. An
// element of the page carrying data-pulse-status is used; otherwise one is added at the end
// of <body>. Style it with [data-pulse-status="reconnecting"] etc.; the defaults use :where()
// so any rule of the app wins.
//
// After a view is attached or updated, its element dispatches a bubbling `pulse:update` event
// (detail: {path, type}).
//
// pulse.morph(element, html) applies HTML to an element the same way (for page scripts).
//
// Channels: pulse.channel("room").subscribe((event, payload) => ...), .publish(event, payload),
// .request(event, payload) -> Promise (rejected on an error reply or when the socket closes).
(() => {
  "use strict";
  const stateElement = document.getElementById("pulse-state");
  if (!stateElement || !("WebSocket" in window)) return;
  let state;
  try {
    state = JSON.parse(stateElement.textContent);
  } catch (_) {
    return;
  }

  const BASE_DELAY = 500;
  const MAX_DELAY = 30000;
  const MAX_QUEUE = 1000;
  const RELOAD_KEY = "pulse:refused-reload";
  const RELOAD_GUARD = 10 * 60 * 1000;
  const HEARTBEAT = JSON.stringify({ type: "heartbeat" });

  const viewId = randomId();
  const views = new Map();
  for (const element of document.querySelectorAll("[data-pulse-view]")) {
    views.set(element.getAttribute("data-pulse-view"), element);
  }
  const pending = new Map();
  const listeners = new Map();
  let socket = null;
  let wanted = false;
  // The page is being left (a navigation the server asked for, or `pagehide`): no socket.
  let leaving = false;
  let everOpen = false;
  let queue = [];
  let attempts = 0;
  let refusals = 0;
  let timer = null;
  let nextRequest = 0;
  let statusElement = null;
  // A session change made over the socket is stored by this request; navigations wait for it.
  let storing = Promise.resolve();
  // Time between heartbeats (learned from the server's `heartbeat_ack`; 0: none), the pending
  // beat or connect timeout, and whether the last heartbeat is still unanswered.
  let heartbeatMs = 25000;
  let beatTimer = null;
  let beatPending = false;

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ------------------------------------------------------------------ status

  const STATUS_TEXT = {
    connecting: "",
    online: "",
    reconnecting: "Connection lost. Reconnecting\u2026",
    offline: "You are offline. Waiting for the network\u2026",
    refused: "This page is no longer live. Reload to continue.",
  };

  function setStatus(status) {
    if (!statusElement) {
      statusElement = document.querySelector("[data-pulse-status]");
      if (!statusElement) {
        const style = document.createElement("style");
        style.textContent =
          ":where([data-pulse-status]){position:fixed;bottom:1rem;left:1rem;padding:.5rem .75rem;" +
          "border-radius:.25rem;background:#222;color:#fff;font:14px/1.4 system-ui,sans-serif;z-index:2147483647}" +
          ":where([data-pulse-status][hidden]){display:none}";
        document.head.appendChild(style);
        statusElement = document.createElement("div");
        document.body.appendChild(statusElement);
      }
      statusElement.setAttribute("role", "status");
      statusElement.setAttribute("aria-live", "polite");
    }
    if (statusElement.getAttribute("data-pulse-status") === status) return;
    statusElement.setAttribute("data-pulse-status", status);
    const text = STATUS_TEXT[status] || "";
    statusElement.textContent = text;
    statusElement.hidden = text === "";
    document.dispatchEvent(new CustomEvent("pulse:status", { detail: { status } }));
  }

  // ------------------------------------------------------------------ socket

  function open() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function send(message) {
    const text = JSON.stringify(message);
    if (open()) {
      socket.send(text);
      return;
    }
    if (queue.length >= MAX_QUEUE) {
      const dropped = JSON.parse(queue.shift());
      console.warn("pulse: too many messages waiting for the connection; dropped", dropped);
      document.dispatchEvent(new CustomEvent("pulse:dropped", { detail: dropped }));
    }
    queue.push(text);
    start();
  }

  /// Opens the socket the first time something needs it.
  function start() {
    if (wanted || leaving) return;
    wanted = true;
    connect();
  }

  function connect() {
    timer = null;
    if (socket || leaving) return;
    setStatus(everOpen ? (navigator.onLine === false ? "offline" : "reconnecting") : "connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(scheme + "//" + location.host + "/_pulse/ws");
    } catch (_) {
      schedule(0);
      return;
    }
    socket = ws;
    let opened = false;
    // An upgrade that never completes (the server accepted the TCP connection but hangs).
    if (heartbeatMs > 0) beatTimer = setTimeout(() => dead(ws, false), heartbeatMs);
    ws.onopen = () => {
      opened = true;
      everOpen = true;
      attempts = 0;
      refusals = 0;
      setStatus("online");
      stopBeat();
      beat(ws);
      for (const path of attachable()) {
        ws.send(JSON.stringify({ type: "attach", path, routeInfo: state.routeInfo, viewId }));
      }
      for (const channel of listeners.keys()) {
        ws.send(JSON.stringify({ type: "channel_subscribe", channel }));
      }
      const waiting = queue;
      queue = [];
      for (const text of waiting) ws.send(text);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      receive(message);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      lost();
      if (event.code >= 4400 && event.code < 4500) {
        setStatus("refused");
        return;
      }
      if (!opened) {
        refusedOrUnreachable();
        return;
      }
      // 4001: the session ended or changed; connect again now so `connect` decides.
      schedule(event.code === 4001 ? 0 : null);
    };
  }

  /// The socket is gone: forget it and fail what waited on it.
  function lost() {
    socket = null;
    stopBeat();
    for (const [, request] of pending) request.reject(new Error("connection closed"));
    pending.clear();
  }

  function stopBeat() {
    if (beatTimer !== null) clearTimeout(beatTimer);
    beatTimer = null;
    beatPending = false;
  }

  /// Sends a heartbeat, unless the last one is still unanswered: then the connection is dead.
  function beat(ws) {
    beatTimer = null;
    if (socket !== ws) return;
    if (beatPending) {
      dead(ws, true);
      return;
    }
    beatPending = true;
    ws.send(HEARTBEAT);
    if (heartbeatMs > 0) beatTimer = setTimeout(() => beat(ws), heartbeatMs);
  }

  /// The server answered a heartbeat; `intervalMs` is when to send the next one.
  function beatAnswered(intervalMs) {
    beatPending = false;
    const interval = Number(intervalMs);
    if (!Number.isFinite(interval) || interval < 0 || interval === heartbeatMs) return;
    heartbeatMs = interval;
    if (beatTimer !== null) clearTimeout(beatTimer);
    beatTimer = null;
    const ws = socket;
    if (ws && heartbeatMs > 0) beatTimer = setTimeout(() => beat(ws), heartbeatMs);
  }

  /// A heartbeat went unanswered (or the socket never opened) within an interval: the
  /// connection is dead or the server hangs. Lets it go without waiting for a close handshake
  /// that may never finish, and connects again with backoff.
  function dead(ws, wasOpen) {
    if (socket !== ws) return;
    console.warn(wasOpen ? "pulse: no heartbeat answer; reconnecting" : "pulse: the socket did not open in time; retrying");
    lost();
    try {
      ws.close(4000, "heartbeat timeout");
    } catch (_) {}
    schedule(null);
  }

  /// The socket closed before opening: the server is down, or it refused the socket (a denied
  /// `connect`, which the browser reports like a network error). Asks the server which: twice
  /// refused while the server answers means the page is no longer allowed a socket.
  function refusedOrUnreachable() {
    // Refused on the first try: reloading would render the same page; keep trying.
    if (!everOpen) {
      schedule(null);
      return;
    }
    fetch("/_pulse/client.js", { method: "HEAD", cache: "no-store", credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error("unreachable");
        refusals += 1;
        // The server may just have come up: try the socket once more before deciding.
        if (refusals < 2) {
          schedule(0);
          return;
        }
        let last = 0;
        try {
          last = Number(sessionStorage.getItem(RELOAD_KEY)) || 0;
        } catch (_) {}
        if (Date.now() - last > RELOAD_GUARD) {
          try {
            sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
          } catch (_) {}
          leaving = true;
          location.reload();
          return;
        }
        schedule(null);
      })
      .catch(() => {
        refusals = 0;
        schedule(null);
      });
  }

  /// Waits, then connects again: 0.5 s doubling up to 30 s, each wait drawn between half and
  /// all of it so that clients of a restarted server spread out.
  function schedule(delay) {
    if (timer !== null || !wanted || leaving) return;
    setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    if (delay === null) {
      const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(attempts, 16));
      delay = ceiling / 2 + Math.random() * (ceiling / 2);
    }
    attempts += 1;
    timer = setTimeout(connect, delay);
  }

  /// Connects at once (the network is back, the tab is visible again).
  function hurry() {
    if (!wanted || socket || leaving) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    attempts = 0;
    connect();
  }

  window.addEventListener("online", hurry);
  window.addEventListener("offline", () => {
    if (wanted && !socket) setStatus("offline");
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") hurry();
  });
  // Leaving the page: no reconnect. Kept in the back/forward cache: the socket is closed and
  // opened again (views re-attached) when the page is shown.
  window.addEventListener("pagehide", () => {
    leaving = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    stopBeat();
    const ws = socket;
    socket = null;
    if (ws) ws.close(1000);
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    leaving = false;
    hurry();
  });

  function attachable() {
    return (state.paths || []).filter((path) => views.has(path));
  }

  function receive(message) {
    switch (message.type) {
      case "heartbeat_ack":
        beatAnswered(message.intervalMs);
        break;
      case "attach_ack":
      case "view_update": {
        const element = views.get(message.path);
        if (!element) break;
        morph(element, message.html);
        // The document title the render asks for (the server applied the app's template);
        // text, never HTML. Absent: the page keeps its title.
        if (typeof message.title === "string" && document.title !== message.title) {
          document.title = message.title;
        }
        const detail = { path: message.path, type: message.type };
        element.dispatchEvent(new CustomEvent("pulse:update", { bubbles: true, detail }));
        break;
      }
      case "navigate_to":
        leaving = true;
        storing.finally(() => {
          if (message.replace) location.replace(message.path);
          else location.assign(message.path);
        });
        break;
      case "reload":
        leaving = true;
        location.reload();
        break;
      case "refresh_cookies":
        storing = fetch(message.url, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
        }).catch(() => {});
        break;
      case "server_error":
        console.warn("pulse:", message.path, message.error);
        document.dispatchEvent(new CustomEvent("pulse:error", { detail: message }));
        break;
      case "channel_message": {
        if (message.responseTo !== undefined) {
          const request = pending.get(message.responseTo);
          pending.delete(message.responseTo);
          if (!request) break;
          if (message.error) request.reject(Object.assign(new Error(message.error.message), message.error));
          else request.resolve(message.payload);
          break;
        }
        for (const listener of listeners.get(message.channel) || []) {
          listener(message.event, message.payload, message.error);
        }
        break;
      }
    }
  }

  // ------------------------------------------------------------------ morph

  /// Makes the children of `target` match `html`, keeping the elements that stay.
  function morph(target, html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    morphChildren(target, template.content);
  }

  function key(node) {
    return node.nodeType === Node.ELEMENT_NODE ? node.getAttribute("id") || "" : "";
  }

  function sameKind(a, b) {
    if (a.nodeType !== b.nodeType) return false;
    if (a.nodeType !== Node.ELEMENT_NODE) return true;
    return a.tagName === b.tagName && key(a) === key(b) && a.getAttribute("type") === b.getAttribute("type");
  }

  function morphChildren(parent, source) {
    let current = parent.firstChild;
    let next = source.firstChild;
    while (next) {
      const following = next.nextSibling;
      let match = null;
      const id = key(next);
      if (id) {
        for (let node = current; node; node = node.nextSibling) {
          if (key(node) === id && sameKind(node, next)) {
            match = node;
            break;
          }
        }
      } else if (current && sameKind(current, next)) {
        match = current;
      }
      if (match === null) {
        parent.insertBefore(next, current);
      } else {
        if (match === current) current = current.nextSibling;
        else parent.insertBefore(match, current);
        morphNode(match, next);
      }
      next = following;
    }
    while (current) {
      const after = current.nextSibling;
      parent.removeChild(current);
      current = after;
    }
  }

  function morphNode(node, source) {
    if (node.nodeType !== Node.ELEMENT_NODE) {
      if (node.nodeValue !== source.nodeValue) node.nodeValue = source.nodeValue;
      return;
    }
    const focused = node === document.activeElement;
    const oldValue = node.getAttribute("value");
    const oldChecked = node.hasAttribute("checked");
    for (const attribute of Array.from(node.attributes)) {
      if (!source.hasAttribute(attribute.name)) node.removeAttribute(attribute.name);
    }
    for (const attribute of Array.from(source.attributes)) {
      if (node.getAttribute(attribute.name) !== attribute.value) {
        node.setAttribute(attribute.name, attribute.value);
      }
    }
    if (node instanceof HTMLInputElement) {
      // What the user typed stays unless the server changed the field (and it is not focused).
      const value = source.getAttribute("value");
      if (!focused && value !== oldValue) node.value = value === null ? "" : value;
      const checked = source.hasAttribute("checked");
      if (checked !== oldChecked) node.checked = checked;
      return;
    }
    if (node instanceof HTMLTextAreaElement) {
      const value = source.textContent;
      if (node.defaultValue !== value) {
        node.defaultValue = value;
        if (!focused) node.value = value;
      }
      return;
    }
    morphChildren(node, source);
  }

  // ------------------------------------------------------------------ callbacks

  function callbackOf(element, event) {
    const view = element.closest("[data-pulse-view]");
    if (!view) return;
    let args = [];
    if (element instanceof HTMLFormElement) {
      args = [Object.fromEntries(new FormData(element))];
    } else if (element.hasAttribute("data-pulse-args")) {
      try {
        args = JSON.parse(element.getAttribute("data-pulse-args"));
      } catch (_) {
        console.warn("pulse: data-pulse-args is not JSON", element);
        return;
      }
    }
    event.preventDefault();
    send({
      type: "callback",
      path: view.getAttribute("data-pulse-view"),
      callback: element.getAttribute("data-pulse-callback"),
      args: Array.isArray(args) ? args : [args],
    });
  }

  document.addEventListener("click", (event) => {
    const element = event.target.closest("[data-pulse-callback]");
    if (element && !(element instanceof HTMLFormElement)) callbackOf(element, event);
  });
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[data-pulse-callback]")) callbackOf(event.target, event);
  });

  // ------------------------------------------------------------------ channels

  function channel(name) {
    return {
      subscribe(listener) {
        if (!listeners.has(name)) {
          listeners.set(name, []);
          // Not open yet: subscribed (like every channel listened to) once the socket opens.
          if (open()) send({ type: "channel_subscribe", channel: name });
          else start();
        }
        listeners.get(name).push(listener);
      },
      unsubscribe() {
        listeners.delete(name);
        if (open()) send({ type: "channel_unsubscribe", channel: name });
      },
      publish(event, payload) {
        send({ type: "channel_message", channel: name, event, payload });
      },
      request(event, payload) {
        const requestId = String(++nextRequest);
        return new Promise((resolve, reject) => {
          pending.set(requestId, { resolve, reject });
          send({ type: "channel_message", channel: name, event, payload, requestId });
        });
      },
    };
  }

  window.pulse = {
    channel,
    send,
    /// Makes the children of `element` match `html` the way view updates do (for HTML a page
    /// script receives, e.g. on a channel).
    morph,
    /// "connecting", "online", "reconnecting", "offline", "refused", or "idle" (no socket).
    get status() {
      return wanted ? (statusElement ? statusElement.getAttribute("data-pulse-status") : "connecting") : "idle";
    },
  };
  if (state.live) start();
})();
