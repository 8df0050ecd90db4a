// Live progress panel: polls the campaign's JSON every 2 s until the campaign is final.
(function () {
  "use strict";
  function init() {
    var panel = document.getElementById("live-progress");
    if (!panel) return;
    var form = panel.querySelector("form.lp-cancel");
    if (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    }
    if (panel.dataset.final === "1") return;
    var timer = null;
    function text(testid, value) {
      var el = panel.querySelector('[data-testid="' + testid + '"]');
      if (el) el.textContent = value;
      return el;
    }
    function render(data) {
      var status = text("progress-status", data.status_label);
      if (status) status.dataset.status = data.status;
      text("progress-sent", data.sent);
      text("progress-failed", data.failed);
      text("progress-pending", data.pending);
      var bar = panel.querySelector('[data-testid="progress-bar"]');
      if (bar) { bar.max = data.total || 1; bar.value = data.sent + data.failed; }
      var table = panel.querySelector('[data-testid="progress-failures"]');
      var body = table.querySelector("tbody");
      body.textContent = "";
      data.failures.forEach(function (failure) {
        var row = document.createElement("tr");
        row.dataset.code = failure.code;
        var reason = document.createElement("td");
        reason.textContent = failure.reason;
        var count = document.createElement("td");
        count.className = "lp-n";
        count.textContent = failure.count;
        row.appendChild(reason);
        row.appendChild(count);
        body.appendChild(row);
      });
      table.hidden = data.failures.length === 0;
      if (data.is_final) {
        panel.dataset.final = "1";
        if (form) form.hidden = true;
        window.clearInterval(timer);
      }
    }
    function poll() {
      fetch(panel.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) render(data); })
        .catch(function () { /* a missed poll is retried 2 s later */ });
    }
    timer = window.setInterval(poll, 2000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
