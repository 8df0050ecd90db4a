/* The campaign wizard's small behaviours: show what applies, filter by (sub-)bot, live preview. */
(function () {
  "use strict";
  var form = document.getElementById("wizard-form");
  if (!form) return;
  var step = form.dataset.step;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var show = function (el, on) { if (el) el.hidden = !on; };

  function audience() {
    var radios = $$('input[name="audience-kind"]');
    function sync() {
      var kind = (radios.filter(function (r) { return r.checked; })[0] || {}).value || "individual";
      show($("#individual-fields"), kind === "individual");
      show($("#bulk-fields"), kind === "bulk");
    }
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function content() {
    var data = JSON.parse($("#templates-data").textContent);
    var select = $("#id_content-template");
    var bulk = $("#content-fields").dataset.kind === "bulk";
    var preview = $("#template-preview");
    function value(n) {
      var input = $("#id_content-var_" + n);
      if (!input || !input.value) return null;
      return bulk ? "[" + input.value + "]" : input.value;
    }
    function render() {
      var t = data[select.value];
      $$(".var-field").forEach(function (el) { show(el, !!t && Number(el.dataset.var) <= t.variables); });
      show($('.part-field[data-part="header"]'), !!t && t.media_header);
      show($('.part-field[data-part="button"]'), !!t && t.url_button);
      var urlHelp = $("[data-button-url]");
      var urlButton = t && t.buttons.filter(function (b) { return b.type === "url"; })[0];
      if (urlHelp) urlHelp.textContent = urlButton ? urlButton.url : "";
      if (!t) { preview.innerHTML = '<p class="muted">' + escapeHtml(preview.dataset.empty || "") + "</p>"; return; }
      var body = escapeHtml(t.body).replace(/\{\{\s*(\d+)\s*\}\}/g, function (m, n) {
        var v = value(n);
        return v ? '<mark class="filled">' + escapeHtml(v) + "</mark>" : '<mark class="missing">{{' + n + "}}</mark>";
      });
      var html = "";
      if (t.header_type === "text") html += '<p class="wa-header">' + escapeHtml(t.header_text) + "</p>";
      else if (t.media_header) html += '<div class="wa-media">' + escapeHtml(t.header_type.toUpperCase()) + "</div>";
      html += '<p class="wa-body">' + body.replace(/\n/g, "<br>") + "</p>";
      if (t.footer) html += '<p class="wa-footer">' + escapeHtml(t.footer) + "</p>";
      if (t.buttons.length) {
        html += '<div class="wa-buttons">' + t.buttons.map(function (b) {
          var icon = b.type === "url" ? "↗ " : b.type === "phone" ? "✆ " : "";
          return '<span class="wa-button" data-type="' + escapeHtml(b.type) + '">' + icon + escapeHtml(b.text) + "</span>";
        }).join("") + "</div>";
      }
      preview.innerHTML = html;
    }
    var empty = $("[data-empty]", preview);
    preview.dataset.empty = empty ? empty.textContent : "";
    form.addEventListener("input", render);
    form.addEventListener("change", render);
    render();
  }

  function routing() {
    var radios = $$('input[name="routing-routing"]');
    var botSelect = $("#id_routing-routing_bot");
    var email = $("#id_routing-attendant_email");
    var warning = $("#r14-warning");
    function currentBot() { return botSelect ? botSelect.value : ""; }
    function filterByBot() {
      var bot = currentBot();
      $$("select.by-bot").forEach(function (sel) {
        $$("option[data-bot]", sel).forEach(function (opt) {
          var ok = !bot || opt.dataset.bot === bot;
          opt.hidden = !ok; opt.disabled = !ok;
          if (!ok && opt.selected) sel.value = "";
        });
      });
      $$("#attendant-list option, #attendant-status li[data-bot]").forEach(function (el) {
        var ok = !bot || el.dataset.bot === bot;
        if (el.tagName === "OPTION") el.disabled = !ok; else show(el, ok);
      });
      checkAttendant();
    }
    function checkAttendant() {
      if (!email || !warning) return;
      var typed = email.value.trim().toLowerCase();
      var match = $$("#attendant-list option").filter(function (o) {
        return !o.disabled && o.value.toLowerCase() === typed;
      })[0];
      var off = !!match && match.dataset.status !== "online";
      show(warning, off);
      if (off) $("[data-status-text]", warning).textContent = "(" + match.dataset.statusLabel + ")";
    }
    function syncRoute() {
      var route = (radios.filter(function (r) { return r.checked; })[0] || {}).value;
      $$(".route-part").forEach(function (el) { show(el, el.dataset.route === route); });
    }
    radios.forEach(function (r) { r.addEventListener("change", syncRoute); });
    if (botSelect) botSelect.addEventListener("change", filterByBot);
    if (email) email.addEventListener("input", checkAttendant);
    syncRoute();
    filterByBot();
  }

  function send() {
    var radios = $$('input[name="send-when"]');
    function sync() {
      var when = (radios.filter(function (r) { return r.checked; })[0] || {}).value;
      show($("#schedule-fields"), when === "schedule");
      // The button says what it will do: send now, or schedule.
      var button = $("#send-campaign");
      if (button) { button.textContent = button.dataset[when === "schedule" ? "labelSchedule" : "labelNow"]; }
    }
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  ({ audience: audience, content: content, routing: routing, send: send }[step] || function () {})();
})();
