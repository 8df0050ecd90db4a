// Desk pages: refresh the marked regions without reloading, and confirm destructive forms.
(function () {
  "use strict";
  function stickToBottom(el) {
    if (el.dataset.scroll === "bottom") { el.scrollTop = el.scrollHeight; }
  }
  document.querySelectorAll("[data-poll-url]").forEach(function (el) {
    var every = parseInt(el.dataset.pollEvery || "3000", 10);
    var last = null;
    stickToBottom(el);
    function tick() {
      fetch(el.dataset.pollUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || html === last) { return; }
          last = html;
          el.innerHTML = html;
          stickToBottom(el);
        })
        .catch(function () { /* offline for a moment: try again at the next tick */ });
    }
    setInterval(tick, every);
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
