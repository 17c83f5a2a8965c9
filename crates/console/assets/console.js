// ClubOS console: the colour theme (before first paint) and live regions.
// No framework: forms post normally and work without this file.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("clubos-theme"); } catch (e) { /* private mode */ }
  if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);

  var LABELS = { "": "follows the system", dark: "dark", light: "light" };
  function setTheme(next) {
    if (next) root.setAttribute("data-theme", next); else root.removeAttribute("data-theme");
    try { if (next) localStorage.setItem("clubos-theme", next); else localStorage.removeItem("clubos-theme"); } catch (e) { /* ignore */ }
    var b = document.getElementById("theme");
    if (b) b.setAttribute("aria-label", "Colour theme: " + LABELS[next || ""]);
  }

  // A live region refreshes itself unless the operator is using it: focus
  // inside it, a form in it with changes, or the tab hidden.
  function watch(region) {
    var every = parseInt(region.getAttribute("data-live"), 10) || 5000;
    var dirty = false;
    region.addEventListener("input", function () { dirty = true; });
    region.addEventListener("submit", function () { dirty = true; });
    function busy() {
      return document.hidden || dirty || region.contains(document.activeElement) ||
        region.querySelector("details[open]") !== null;
    }
    function tick() {
      if (busy()) return;
      fetch(window.location.href, { headers: { "X-Live": "1" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && !busy() && region.innerHTML !== html) {
            region.innerHTML = html;
            region.setAttribute("data-updated", new Date().toISOString());
          }
        })
        .catch(function () { /* offline: try again next tick */ });
    }
    setInterval(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("theme");
    if (b) {
      setTheme(root.getAttribute("data-theme"));
      b.addEventListener("click", function () {
        var cur = root.getAttribute("data-theme");
        setTheme(cur === null ? "dark" : cur === "dark" ? "light" : null);
      });
    }
    var regions = document.querySelectorAll("[data-live]");
    for (var i = 0; i < regions.length; i++) watch(regions[i]);
    // Confirm device actions that say so (unlocking a door, rebooting a PC).
    document.addEventListener("submit", function (ev) {
      var q = ev.target.getAttribute("data-confirm");
      if (q && !window.confirm(q)) ev.preventDefault();
    });
  });
})();
