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
    var importing = panel.querySelector('[data-testid="progress-import"]');
    var wasImporting = importing && !importing.hidden;
    function renderImport(data) {
      if (!importing) return;
      importing.dataset.importStatus = data.import_status;
      if (wasImporting && !data.importing) {
        // The audience is stored: reload so the summary and recipients show, and the
        // sending progress takes over.
        window.clearInterval(timer);
        window.location.reload();
        return;
      }
      importing.hidden = !data.importing;
      text("progress-import-label", data.import_label);
      var bar = panel.querySelector('[data-testid="progress-import-bar"]');
      if (bar) { bar.max = data.import_rows_total || 1; bar.value = data.import_rows_done; }
      ["progress-counts", "progress-bar"].forEach(function (testid) {
        var el = panel.querySelector('[data-testid="' + testid + '"]');
        if (el) el.hidden = data.importing;
      });
    }
    function render(data) {
      renderImport(data);
      var status = text("progress-status", data.status_label);
      if (status) status.dataset.status = data.status;
      text("progress-sent", data.sent);
      text("progress-failed", data.failed);
      text("progress-pending", data.pending);
      var deferred = text("progress-deferred", data.deferred_label);
      if (deferred) deferred.hidden = !data.deferred;
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
