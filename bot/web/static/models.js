// The models page's script (no inline scripts: the CSP forbids them): while a model trains,
// ask the server for its progress every two seconds; when it is done, show the page again
// with the new version's scores. Without it the page shows the progress when reloaded.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var section = document.querySelector("#training[data-poll]");
  if (!section) { return; }
  var every = parseInt(section.getAttribute("data-every"), 10) || 2000;
  var poll = function () {
    fetch(section.getAttribute("data-poll"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) { section.innerHTML = html; }
        var line = document.getElementById("training-progress");
        if (line && line.getAttribute("data-done") === "true") {
          window.location.assign("/models");
          return;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  };
  window.setTimeout(poll, every);
});
