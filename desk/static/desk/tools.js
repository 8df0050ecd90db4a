// The attendant's small tools: the status timer, the Desk heartbeat, quick replies.
(function () {
  "use strict";
  var HEARTBEAT_EVERY = 60000;

  // "12:34" / "1:02:03" since the status changed, ticking every second (Blip's pause timer).
  function elapsed(since) {
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + two(m) : m) + ":" + two(sec);
  }
  function tickTimers() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      var out = el.querySelector("time") || el;
      if (!isNaN(since)) { out.textContent = elapsed(since); }
    });
  }
  tickTimers();
  setInterval(tickTimers, 1000);

  // The open Desk page tells the server it is still there; closed too long, the attendant goes
  // Offline (the bot's setting). While the live socket is up its pings are the heartbeat, so the
  // page makes no request of its own.
  var beat = document.querySelector("[data-heartbeat-url]");
  var csrf = beat && beat.querySelector("[name=csrfmiddlewaretoken]");
  function socketUp() {
    var live = window.deskLive;
    return Boolean(live && live.socket && live.socket.readyState === 1);
  }
  function heartbeat() {
    if (!beat || !csrf || socketUp()) { return; }
    fetch(beat.dataset.heartbeatUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf.value, "X-Requested-With": "fetch" }
    }).catch(function () { /* offline for a moment: the next beat tries again */ });
  }
  if (beat) { heartbeat(); setInterval(heartbeat, HEARTBEAT_EVERY); }

  // A quick reply fills the reply box (already personalised); the attendant edits, then sends.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches("[data-quick-reply-for]")) { return; }
    var option = select.options[select.selectedIndex];
    var box = document.getElementById(select.dataset.quickReplyFor);
    if (!box || !option || !option.dataset.text) { return; }
    box.value = option.dataset.text;
    box.focus();
    select.selectedIndex = 0;
  });
})();
