// Attention: while the Desk's tab is hidden, a new customer or a customer's message shows a
// browser notification (once the attendant allowed them), plays a short sound and counts in the
// tab title: "(2) Desk". Times marked <time data-waited> stay current without any request.
(function () {
  "use strict";
  var texts = document.getElementById("desk-texts");
  if (!texts) { return; }
  var t = texts.dataset;
  var baseTitle = document.title;
  var unseen = 0;

  function format(template, values) {
    return template.replace(/%\((\w+)\)[sd]|\{(\w+)\}/g, function (_m, a, b) { return values[a || b]; });
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var audio = new Context();
      [880, 1320].forEach(function (hz, i) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = hz;
        gain.gain.setValueAtTime(0.15, audio.currentTime + i * 0.15);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.15 + 0.14);
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + i * 0.15);
        tone.stop(audio.currentTime + i * 0.15 + 0.15);
      });
      setTimeout(function () { audio.close(); }, 600);
    } catch (e) { /* no sound available: the title and notification still tell */ }
  }

  function message(event) {
    if (event.type === "ticket.assigned") {
      return format(t.assigned, { name: event.contact });
    }
    if (event.type === "ticket.message" && event.direction === "in") {
      return format(t.wrote, { name: event.contact }) + "\n" + event.preview;
    }
    if (event.type === "queue.changed" && event.directed && event.waiting > 0) {
      return t.directed;
    }
    return null;
  }

  document.addEventListener("desk:event", function (e) {
    var text = message(e.detail);
    if (!text || !document.hidden) { return; }
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
    document.documentElement.dataset.deskUnseen = String(unseen);
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      var lines = text.split("\n");
      var note = new Notification(lines[0], { body: lines.slice(1).join("\n"), tag: "desk" });
      note.onclick = function () { window.focus(); note.close(); };
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
      document.documentElement.dataset.deskUnseen = "0";
    }
  });

  var ask = document.querySelector("[data-enable-notifications]");
  if (ask && "Notification" in window && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }

  // Elapsed times, kept current every 30 s with the server's own wording.
  var f = JSON.parse(t.formats || "{}");
  function waited(minutes) {
    if (minutes < 60) { return format(f.min, { n: Math.max(minutes, 1) }); }
    if (minutes < 1440) {
      var m = minutes % 60;
      return format(f.hm, { h: Math.floor(minutes / 60), m: (m < 10 ? "0" : "") + m });
    }
    return format(f.d, { n: Math.floor(minutes / 1440) });
  }
  function tick() {
    document.querySelectorAll("time[data-waited]").forEach(function (el) {
      var minutes = Math.floor((Date.now() - Date.parse(el.getAttribute("datetime"))) / 60000);
      if (!isNaN(minutes)) { el.textContent = waited(Math.max(minutes, 0)); }
    });
  }
  if (f.min) { setInterval(tick, 30000); }
})();
