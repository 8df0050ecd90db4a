// Desk pages: confirm destructive forms. (Live refreshing is live.js.)
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
// The reply box: Enter sends, Shift+Enter breaks the line (as in every chat the attendants use).
document.addEventListener("keydown", function (event) {
  "use strict";
  var box = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || !box.matches("[data-enter-sends]")) {
    return;
  }
  event.preventDefault();
  if (box.value.trim() && box.form) { box.form.requestSubmit(); }
});
