// Pulse client: makes a server-rendered page live. The page works without this script.
//
// Reads <script id="pulse-state" type="application/json">{"paths":[...],"routeInfo":{...}}</script>,
// opens /_pulse/ws, attaches each <div data-pulse-view="{pattern}">, replaces a view's HTML on
// `attach_ack` / `view_update`, and sends a `callback` when an element marked
// data-pulse-callback="name" is clicked (a form: submitted), with the JSON array in
// data-pulse-args (a form: its fields as one object) as arguments.
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
  const views = new Map();
  for (const element of document.querySelectorAll("[data-pulse-view]")) {
    views.set(element.getAttribute("data-pulse-view"), element);
  }
  const pending = new Map();
  const listeners = new Map();
  let socket = null;
  let queue = [];
  let attempts = 0;
  let nextRequest = 0;
  // A session change made over the socket is stored by this fetch; navigations wait for it.
  let storing = Promise.resolve();

  function send(message) {
    const text = JSON.stringify(message);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
    else queue.push(text);
  }

  function live() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/_pulse/ws");
    socket.onopen = () => {
      attempts = 0;
      for (const path of state.paths || []) {
        if (views.has(path)) {
          socket.send(JSON.stringify({ type: "attach", path, routeInfo: state.routeInfo }));
        }
      }
      for (const channel of listeners.keys()) {
        socket.send(JSON.stringify({ type: "channel_subscribe", channel }));
      }
      const waiting = queue;
      queue = [];
      for (const text of waiting) socket.send(text);
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      receive(message);
    };
    socket.onclose = (event) => {
      for (const [, request] of pending) request.reject(new Error("connection closed"));
      pending.clear();
      // 1008: too slow, 1009: message too big; a refused upgrade shows as 1006.
      if (attempts < 5 && event.code !== 1009) {
        attempts += 1;
        setTimeout(connect, 250 * 2 ** attempts);
      }
    };
  }

  function receive(message) {
    switch (message.type) {
      case "attach_ack":
      case "view_update": {
        const element = views.get(message.path);
        if (element) element.innerHTML = message.html;
        break;
      }
      case "navigate_to":
        storing.finally(() => {
          if (message.replace) location.replace(message.path);
          else location.assign(message.path);
        });
        break;
      case "reload":
        location.reload();
        break;
      case "refresh_cookies":
        storing = fetch(message.url, { method: "POST", credentials: "same-origin", cache: "no-store" }).catch(() => {});
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

  function callbackOf(element, event) {
    const view = element.closest("[data-pulse-view]");
    if (!view || !live()) return;
    let args = [];
    if (element instanceof HTMLFormElement) {
      args = [Object.fromEntries(new FormData(element))];
    } else if (element.hasAttribute("data-pulse-args")) {
      try {
        args = JSON.parse(element.getAttribute("data-pulse-args"));
      } catch (_) {
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

  function channel(name) {
    return {
      subscribe(listener) {
        if (!listeners.has(name)) {
          listeners.set(name, []);
          send({ type: "channel_subscribe", channel: name });
        }
        listeners.get(name).push(listener);
      },
      unsubscribe() {
        listeners.delete(name);
        send({ type: "channel_unsubscribe", channel: name });
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

  window.pulse = { channel, send };
  connect();
})();
