// The Desk, live. Regions marked data-refresh-url are re-fetched when an event about them arrives
// over the Desk's WebSocket; while the socket is down they are polled instead, and the socket is
// retried with an exponential backoff. An idle open Desk makes no HTTP request while the socket
// is up. Every event is also re-dispatched as a "desk:event" DOM event for attention.js.
(function () {
  "use strict";
  var root = document.querySelector("[data-desk-socket]");
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-refresh-url]"));
  var FORBIDDEN = 4403;
  var MAX_BACKOFF = 30000;
  var PING_EVERY = 25000;
  var pollTimers = [];
  var attempt = 0;
  var welcomed = false;
  var pingTimer = null;

  function setMode(mode) { document.documentElement.dataset.deskLive = mode; }

  function stickToBottom(el) {
    if (el.dataset.scroll === "bottom") { el.scrollTop = el.scrollHeight; }
  }

  function refresh(el) {
    return fetch(el.dataset.refreshUrl, {
      credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    })
      .then(function (r) {
        // A session that ended sends the login page: reload to show it.
        if (r.redirected && /\/login\//.test(r.url)) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || html === el.dataset.lastHtml) { return; }
        var nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        el.dataset.lastHtml = html;
        el.innerHTML = html;
        if (nearBottom) { stickToBottom(el); }
        el.dispatchEvent(new CustomEvent("desk:refreshed", { bubbles: true }));
      })
      .catch(function () { /* offline for a moment: the next event or tick tries again */ });
  }

  // Several events in a burst (a queue change and a board change) cost one fetch per region.
  function refreshSoon(el) {
    if (el.refreshTimer) { return; }
    el.refreshTimer = setTimeout(function () { el.refreshTimer = null; refresh(el); }, 120);
  }

  function concerns(el, event) {
    var kinds = (el.dataset.liveOn || "").split(/\s+/);
    var family = event.type.split(".")[0];
    if (kinds.indexOf(event.type) < 0 && kinds.indexOf(family) < 0) { return false; }
    var ticket = el.dataset.liveTicket;
    return !ticket || !event.ticket || String(event.ticket) === ticket;
  }

  function startPolling() {
    if (pollTimers.length) { return; }
    setMode("polling");
    regions.forEach(function (el) {
      var every = parseInt(el.dataset.pollEvery || "5000", 10);
      pollTimers.push(setInterval(function () { refresh(el); }, every));
    });
  }

  function stopPolling() {
    pollTimers.forEach(clearInterval);
    pollTimers = [];
  }

  function onEvent(event) {
    if (event.type === "hello") {
      attempt = 0;
      stopPolling();
      setMode("socket");
      // After a reconnect, catch up on what happened while the socket was down.
      if (welcomed) { window.deskLive.reconnects += 1; regions.forEach(refreshSoon); }
      welcomed = true;
      return;
    }
    if (event.type === "pong") { return; }
    if (event.type === "session.ended") { window.location.reload(); return; }
    if (event.type === "attendant.status") {
      document.querySelectorAll("[data-live-status='" + event.attendant + "']").forEach(function (el) {
        el.value = event.value || event.status;  // "pause:<reason id>" for a pause with a reason
      });
    }
    var shown = document.querySelector("[data-live-ticket]");
    if (event.type === "ticket.closed" && shown && String(event.ticket) === shown.dataset.liveTicket) {
      // The conversation on screen ended elsewhere (transferred, closed by a supervisor).
      window.location.reload();
      return;
    }
    regions.forEach(function (el) { if (concerns(el, event)) { refreshSoon(el); } });
    document.dispatchEvent(new CustomEvent("desk:event", { detail: event }));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var base = root.dataset.deskSocketBase || scheme + window.location.host;
    var socket;
    try {
      socket = new WebSocket(base + root.dataset.deskSocket);
    } catch (e) {
      startPolling();
      return;
    }
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      onEvent(event);
    };
    window.deskLive.socket = socket;
    socket.onopen = function () {
      pingTimer = setInterval(function () {
        if (socket.readyState === 1) { socket.send('{"type":"ping"}'); }
      }, PING_EVERY);
    };
    socket.onclose = function (closed) {
      clearInterval(pingTimer);
      startPolling();
      if (closed.code === FORBIDDEN) { setMode("refused"); return; }
      attempt += 1;
      var delay = Math.min(MAX_BACKOFF, 1000 * Math.pow(2, attempt - 1));
      setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }

  regions.forEach(stickToBottom);
  window.deskLive = { reconnects: 0 };
  if (root && "WebSocket" in window) {
    setMode("connecting");
    connect();
  } else {
    startPolling();
  }
})();
