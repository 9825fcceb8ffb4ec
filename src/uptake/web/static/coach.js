/* uptake coach widget: shows the next guidance card in a corner of a host web app.
   Include: <script src="https://UPTAKE/coach.js" data-token="…" data-surface="excel"
   data-workflow="fin.variance_analysis" async></script>, or call
   window.uptakeCoach.init({token, surface, workflow, person, base}).
   No dependencies, no inline script or eval, card text set with textContent only. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = "";
  try { origin = new URL(script.src).origin; } catch (e) { origin = location.origin; }
  var shown = null;

  function warn(msg) {
    try { console.warn("uptake coach: " + msg); } catch (e) { /* no console */ }
  }

  function css(el, styles) {
    // CSSOM assignments are allowed under a strict style-src; style attributes are not.
    Object.keys(styles).forEach(function (k) { el.style[k] = styles[k]; });
    return el;
  }

  function el(tag, text, styles) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (styles) css(node, styles);
    return node;
  }

  function words(s) { return String(s).replace(/_/g, " "); }

  function why(reason) {
    // Said to the person about their own data: the signal and its evidence, in plain words.
    var r = reason || {};
    var ev = r.evidence || {};
    var parts = [];
    if (r.signal === "repeated_struggle") parts.push((ev.flags || "a few") + " snags in the last 4 weeks");
    else if (r.signal === "ladder") parts.push("you reached " + (ev.level || "an advanced level"));
    else if (r.signal) parts.push(words(r.signal) + (ev.since ? " since " + ev.since : ""));
    if (ev.peers && typeof ev.peers === "object") {
      parts.push("what works for people in your role" +
        (ev.peers.people ? " (" + ev.peers.people + " of them)" : ""));
    } else if (typeof ev.minutes_saved === "number") {
      parts.push("saves about " + ev.minutes_saved + " minutes");
    }
    Object.keys(ev).forEach(function (k) {
      var v = ev[k];
      if (["since", "peers", "minutes_saved", "flags", "level", "signals"].indexOf(k) < 0 &&
          (typeof v === "number" || typeof v === "string")) parts.push(words(k) + ": " + v);
    });
    return "Why this: " + (parts.length ? parts.join("; ") : "suggested for your role") + ".";
  }

  async function call(cfg, method, path, body) {
    var headers = { Authorization: "Bearer " + cfg.token };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(cfg.base + path, {
      method: method, headers: headers, credentials: "omit", mode: "cors",
      body: body ? JSON.stringify(body) : undefined
    });
  }

  async function report(cfg, card, action, extra) {
    try {
      var body = { card_id: card.card_id, action: action };
      if (extra) Object.keys(extra).forEach(function (k) { body[k] = extra[k]; });
      var r = await call(cfg, "POST", "/v1/coach/interactions", body);
      if (!r.ok) warn("could not record '" + action + "' (HTTP " + r.status + ")");
    } catch (e) {
      warn("could not record '" + action + "': " + e);
    }
  }

  function hide() {
    if (shown && shown.parentNode) shown.parentNode.removeChild(shown);
    shown = null;
  }

  function button(text, primary) {
    var b = el("button", text, {
      font: "inherit", cursor: "pointer", borderRadius: "4px", padding: "0.35em 0.8em",
      border: "1px solid #2171b5", background: primary ? "#2171b5" : "#fff",
      color: primary ? "#fff" : "#2171b5", marginRight: "0.5em"
    });
    b.type = "button";
    return b;
  }

  function render(cfg, card) {
    hide();
    var host = el("div");
    host.id = "uptake-coach";
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var panel = el("div", null, {
      position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
      width: "min(360px, calc(100vw - 32px))", maxHeight: "calc(100vh - 32px)", overflow: "auto",
      boxSizing: "border-box", background: "#fff", color: "#1a1a1a", padding: "14px 16px",
      border: "1px solid #c6d4e3", borderRadius: "8px", boxShadow: "0 6px 24px rgba(0,0,0,.18)",
      font: "14px/1.4 system-ui, sans-serif", textAlign: "left"
    });
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Coaching tip: " + (card.title || ""));
    var close = button("\u00d7", false);
    close.setAttribute("aria-label", "Dismiss");
    css(close, { position: "absolute", top: "8px", right: "8px", border: "0", margin: "0",
      fontSize: "18px", lineHeight: "1", padding: "2px 6px" });
    var top = el("div", "Tip from uptake", { fontSize: "12px", color: "#555", marginRight: "2em" });
    var title = el("div", card.title, { fontWeight: "600", fontSize: "16px", margin: "4px 2em 6px 0" });
    title.className = "uptake-coach-title";
    panel.appendChild(close);
    panel.appendChild(top);
    panel.appendChild(title);
    if (card.body) panel.appendChild(el("p", card.body, { margin: "0 0 8px" }));
    if (card.steps && card.steps.length) {
      var ol = el("ol", null, { margin: "0 0 8px", paddingLeft: "1.4em" });
      card.steps.forEach(function (s) { ol.appendChild(el("li", s)); });
      panel.appendChild(ol);
    }
    if (card.prompt) {
      var pre = el("pre", card.prompt, { whiteSpace: "pre-wrap", background: "#f3f6fa",
        padding: "8px", margin: "0 0 6px", font: "13px/1.35 ui-monospace, monospace",
        borderRadius: "4px" });
      var copy = button("Copy prompt", false);
      css(copy, { fontSize: "12px", marginBottom: "8px" });
      copy.addEventListener("click", function () {
        var done = function () { copy.textContent = "Copied"; };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(card.prompt).then(done, function () { warn("copy failed"); });
        } else {
          warn("copy needs a secure (https) page");
        }
      });
      panel.appendChild(pre);
      panel.appendChild(copy);
    }
    var act = button(card.kind === "champion_invite" ? "I'm interested" :
      card.kind === "champion_intro" ? "Introduce me" : "Try it", true);
    var snooze = button("Snooze " + cfg.snoozeDays + " days", false);
    var row = el("div", null, { marginTop: "6px" });
    row.appendChild(act);
    row.appendChild(snooze);
    panel.appendChild(row);
    panel.appendChild(el("p", why(card.reason), { fontSize: "11px", color: "#555", margin: "8px 0 0" }));

    function finish(action, extra) { hide(); report(cfg, card, action, extra); }
    act.addEventListener("click", function () { finish("acted"); });
    snooze.addEventListener("click", function () { finish("snoozed", { snooze_days: cfg.snoozeDays }); });
    close.addEventListener("click", function () { finish("dismissed"); });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); finish("dismissed"); }
    });
    root.appendChild(panel);
    document.body.appendChild(host);
    shown = host;
    report(cfg, card, "opened");
  }

  async function init(options) {
    try {
      var o = options || {};
      var cfg = {
        token: o.token, surface: o.surface, workflow: o.workflow, person: o.person,
        base: String(o.base || origin).replace(/\/+$/, ""),
        snoozeDays: Math.max(1, Math.min(90, parseInt(o.snoozeDays, 10) || 7))
      };
      if (!cfg.token) { warn("no token: nothing to show"); return; }
      var q = [];
      ["person", "surface", "workflow"].forEach(function (k) {
        if (cfg[k]) q.push(k + "=" + encodeURIComponent(cfg[k]));
      });
      var r = await call(cfg, "GET", "/v1/coach/next" + (q.length ? "?" + q.join("&") : ""));
      if (r.status === 204) return;
      if (!r.ok) { warn("no card (HTTP " + r.status + ")"); return; }
      var card = await r.json();
      if (!card || !card.card_id) { warn("unexpected reply"); return; }
      if (document.body) render(cfg, card);
      else document.addEventListener("DOMContentLoaded", function () { render(cfg, card); });
    } catch (e) {
      warn("no card: " + e);
    }
  }

  function fromScript() {
    if (!script) return null;
    var d = script.dataset;
    var token = d.token;
    var person = d.person;
    if (d.tokenFrom === "hash") {
      // The fragment never reaches a server or its logs; drop it from the address bar.
      var h = new URLSearchParams(location.hash.replace(/^#/, ""));
      token = h.get("token") || token;
      person = h.get("person") || person;
      if (h.get("token") && history.replaceState) {
        history.replaceState(null, "", location.pathname + location.search);
      }
    }
    if (!token) return null;
    return { token: token, surface: d.surface, workflow: d.workflow, person: person,
      base: d.base, snoozeDays: d.snoozeDays };
  }

  var preset = window.uptakeCoach;
  window.uptakeCoach = { init: init, hide: hide };
  try {
    var cfg = fromScript() || (preset && preset.token ? preset : null);
    if (cfg) init(cfg);
    else if (script && script.dataset.tokenFrom === "hash") warn("no #token=… in the address");
  } catch (e) {
    warn("not started: " + e);
  }
})();
