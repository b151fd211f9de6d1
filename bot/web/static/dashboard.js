// The dashboard's only script (no inline scripts: the CSP forbids them). Everything works
// without it except the Mini App sign-in, which needs to read what Telegram passed.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  // A language chosen is applied at once.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Forms that change something hard to undo ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // Mini App: Telegram opens the page with its signed initData in the address's fragment
  // (#tgWebAppData=...), which never reaches a server by itself: post it to sign in.
  var form = document.querySelector("form[data-telegram-init]");
  if (form) {
    var fragment = new URLSearchParams(window.location.hash.slice(1));
    var initData = fragment.get("tgWebAppData") ||
      (window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData) || "";
    if (initData) {
      document.getElementById("init-data").value = initData;
      form.submit();
    } else {
      document.getElementById("webapp-wait").hidden = true;
      document.getElementById("webapp-outside").classList.remove("js-hidden");
    }
  }
});
