// mtqc dashboard: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Changing a drop-down filter applies it at once.
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // Pressing Enter in a reason field dismisses (the reason only makes sense there).
  for (const input of document.querySelectorAll("form.review input[name=reason]")) {
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        input.form.requestSubmit(input.form.querySelector("button.dismiss"));
      }
    });
  }
});
