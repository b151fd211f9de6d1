// The announcements pages' script (no inline scripts: the CSP forbids them). The composer asks
// the server for its preview as the organiser types (the server checks and renders it the way
// the chat does); the progress page asks again for its counts until the announcement is done.
// Without it the pages still work: the confirmation step shows the preview.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var composer = document.querySelector("form[data-preview]");
  if (composer) {
    var target = document.getElementById("preview");
    var timer = null;
    var asked = 0;
    var refresh = function () {
      var mine = ++asked;
      fetch(composer.getAttribute("data-preview"), {
        method: "POST",
        body: new FormData(composer),
        credentials: "same-origin",
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null && mine === asked) { target.innerHTML = html; }
      }).catch(function () { /* the next keystroke asks again */ });
    };
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    };
    composer.addEventListener("input", later);
    composer.addEventListener("change", later);
    refresh();
  }

  var progress = document.querySelector("[data-poll]");
  if (progress) {
    var every = parseInt(progress.getAttribute("data-every"), 10) || 2000;
    var poll = function () {
      var counts = document.getElementById("progress-counts");
      if (counts && counts.getAttribute("data-done") === "true") { return; }
      fetch(progress.getAttribute("data-poll"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null) { progress.innerHTML = html; }
          window.setTimeout(poll, every);
        })
        .catch(function () { window.setTimeout(poll, every * 2); });
    };
    window.setTimeout(poll, every);
  }
});
