"""The inspector's stylesheet and script, inlined in every page (no external asset, works offline).

Layout rule: nothing may widen the page. Tables use a fixed layout inside a ``.box`` that scrolls on
its own when a narrow window cannot hold it; long ids, URLs and bodies wrap (``overflow-wrap:
anywhere``) and a ``<pre>`` scrolls inside its own box.

The script reads its settings from ``<body data-*>`` and never receives interpolated values.
"""

STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; overflow-wrap: anywhere; }
header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 8px 20px; align-items: center;
         flex-wrap: wrap; }
header a.brand { color: #fff; font-weight: 600; text-decoration: none; }
header .live { user-select: none; }
main { padding: 16px 20px; max-width: 100%; }
h1 { margin: 4px 0 12px; font-size: 22px; } h2 { font-size: 17px; margin: 14px 0 8px; } h4 { margin: 8px 0 2px; }
h2 small, h1 small { color: #5b6478; font-weight: 400; }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 0 18px; align-items: start; }
@media (max-width: 1100px) { .columns { grid-template-columns: minmax(0, 1fr); } }
.box { max-width: 100%; overflow-x: auto; margin-bottom: 18px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
table.fixed { table-layout: fixed; min-width: 36em; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e6ee; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eceff6; font-weight: 600; }
col.w-id { width: 12em; } col.w-model { width: 11em; } col.w-status { width: 8.5em; } col.w-scenario { width: 9em; }
col.w-time { width: 10.5em; } col.w-rel { width: 5.5em; } col.w-source { width: 10em; } col.w-http { width: 4.5em; }
col.w-clock { width: 6.5em; } col.w-resp { width: 6.5em; } col.w-surface { width: 7.5em; } col.w-num { width: 3em; } col.w-verdict { width: 13em; }
code, pre { font: 12px ui-monospace, monospace; }
code { overflow-wrap: anywhere; }
pre { background: #f0f2f7; padding: 8px; margin: 4px 0; overflow: auto; max-height: 360px; max-width: 100%;
      white-space: pre-wrap; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: #3457b2; }
.sub { color: #5b6478; font-size: 12px; }
.prompt { color: #2b3243; }
.status { padding: 1px 8px; border-radius: 10px; background: #dfe3ec; font-weight: 600; white-space: nowrap; }
.status-completed { background: #c9f0d3; color: #0b6b2b; }
.status-failed, .status-expired { background: #fbd1d1; color: #8c1010; }
.status-in_progress { background: #d6e6ff; color: #103f8c; } .status-queued { background: #fff0c2; color: #7a5800; }
.verdict.ok, .http.ok { color: #0b6b2b; font-weight: 600; } .verdict.bad, .http.bad { color: #8c1010; font-weight: 600; }
dl.summary { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; background: #fff;
             padding: 12px; margin: 0 0 12px; }
dt { color: #5b6478; } dd { margin: 0; min-width: 0; }
#filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; background: #fff; padding: 10px 12px;
           margin-bottom: 4px; }
#filters .grow { flex: 1 1 16em; display: flex; gap: 6px; align-items: center; }
#filters input[type=search] { flex: 1; min-width: 8em; }
.create { background: #fff; padding: 8px 12px; margin-bottom: 12px; }
button { cursor: pointer; }
button.copy { font-size: 11px; padding: 1px 6px; margin-left: 4px; }
button.copy.copied { background: #c9f0d3; }
tr.collapsed td { background: #fafbff; }
tr.attempt td { border-bottom: none; }
.repeat { background: #eceff6; border-radius: 8px; padding: 0 6px; font-size: 12px; white-space: nowrap; }
.request .error { color: #8c1010; font-size: 12px; }
#clock-message { color: #ffb3b3; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var body = document.body;
  var PREFIX = body.getAttribute("data-prefix");
  var clock = document.getElementById("clock");
  var message = document.getElementById("clock-message");
  var live = document.getElementById("live");
  var rendering = null;
  var again = null;
  var OFFLINE = "server not reachable";

  // Re-render: fetch the page again and swap each [data-live] block, keeping the <details> the user opened.
  function render(url) {
    if (rendering) { again = url; return rendering; }  // one at a time; the newest URL wins
    rendering = fetch(url, {headers: {"Accept": "text/html"}, cache: "no-store"})
      .then(function (r) {
        if (!r.ok) { window.location.reload(); }  // the job is gone (a reset): show the page that says so
        return r.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var open = {};
        document.querySelectorAll("details[open][data-key]").forEach(function (d) { open[d.getAttribute("data-key")] = true; });
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var fresh = next.getElementById(el.id);
          if (fresh) { el.replaceWith(document.adoptNode(fresh)); }
        });
        document.querySelectorAll("details[data-key]").forEach(function (d) {
          if (open[d.getAttribute("data-key")]) { d.open = true; }
        });
        var nextClock = next.getElementById("clock");
        if (nextClock) { clock.textContent = nextClock.textContent; clock.setAttribute("data-now", nextClock.getAttribute("data-now")); }
        body.setAttribute("data-version", next.body.getAttribute("data-version") || "");
        document.title = next.title;
      })
      .finally(function () {
        rendering = null;
        if (again) { var next = again; again = null; render(next); }
      });
    return rendering;
  }

  // Live refresh: a small JSON poll; the page is fetched again only when the version changed.
  if (window.localStorage.getItem("vidmock-live") === "0") { live.checked = false; }
  live.addEventListener("change", function () { window.localStorage.setItem("vidmock-live", live.checked ? "1" : "0"); });
  function poll() {
    if (!live.checked || document.hidden) { window.setTimeout(poll, 1000); return; }
    fetch(PREFIX + "/ui/state", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (message.textContent === OFFLINE) { message.textContent = ""; }
        clock.textContent = s.clock;
        clock.setAttribute("data-now", String(s.now));
        if (s.version !== body.getAttribute("data-version")) { return render(window.location.href); }
      })
      .catch(function () { message.textContent = OFFLINE; })
      .finally(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);

  // The virtual clock's controls.
  function advance(seconds) {
    var buttons = document.querySelectorAll("header button");
    buttons.forEach(function (b) { b.disabled = true; });
    message.textContent = "advancing " + seconds + " s…";
    fetch(PREFIX + "/clock/advance", {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify({seconds: seconds})})
      .then(function (r) { return r.json().then(function (data) { return [r, data]; }); })
      .then(function (pair) {
        if (!pair[0].ok) { throw new Error((pair[1].error && pair[1].error.message) || ("HTTP " + pair[0].status)); }
        message.textContent = "";
        return render(window.location.href);
      })
      .catch(function (err) { message.textContent = String(err.message || err); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }
  var button = document.getElementById("advance");
  if (button) {
    button.addEventListener("click", function () { advance(Number(document.getElementById("advance-seconds").value || 0)); });
    document.querySelectorAll("button.quick").forEach(function (b) {
      b.addEventListener("click", function () { advance(Number(b.getAttribute("data-seconds"))); });
    });
  }

  // Filters: the form works without JavaScript (GET); with it, results follow as you type.
  var form = document.getElementById("filters");
  if (form) {
    var timer = null;
    var apply = function () {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (String(value).trim()) { params.append(key, String(value)); } });
      var query = params.toString();
      var url = form.getAttribute("action") + (query ? "?" + query : "");
      window.history.replaceState(null, "", url);
      render(url);
    };
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    form.addEventListener("change", apply);
    form.addEventListener("input", function (e) {
      if (e.target.type !== "search") { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(apply, 200);
    });
  }

  // Copy as curl (the command has $VARIABLES where secrets were, never a secret).
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
    return Promise.resolve();
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.copy") : null;
    if (!b) { return; }
    var label = b.getAttribute("data-label") || b.textContent;
    b.setAttribute("data-label", label);
    copy(b.getAttribute("data-copy")).then(function () {
      b.textContent = "copied";
      b.classList.add("copied");
    }, function () { b.textContent = "copy failed: select the command below"; })
      .finally(function () { window.setTimeout(function () { b.textContent = label; b.classList.remove("copied"); }, 1500); });
  });
})();
"""
