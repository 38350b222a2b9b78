// What the agent's day, the team board and the wallboard share: words (Django's JavaScript
// catalogue when loaded), numbers and durations in the page's language, a polite status line,
// and a poller that chains, pauses while the tab is hidden, backs off, and carries the
// identity the page was rendered for. No inline code: the CSP allows scripts from 'self' only.
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named ? fmt.replace(/%\((\w+)\)s/g, function (m, k) { return String(obj[k]); })
      : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
  var html = document.documentElement;
  var lang = html.getAttribute("lang") || undefined;
  var zone = html.getAttribute("data-time-zone") || undefined;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  var numberFormat;
  try { numberFormat = new Intl.NumberFormat(lang); } catch (e) { numberFormat = new Intl.NumberFormat(); }
  function number(n) { return n === null || n === undefined || isNaN(n) ? "—" : numberFormat.format(n); }
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) { return "—"; }
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }
  function timeOptions(extra) {
    var options = {hour: "2-digit", minute: "2-digit"};
    if (zone) { options.timeZone = zone; }
    Object.keys(extra || {}).forEach(function (k) { options[k] = extra[k]; });
    return options;
  }
  function localTime(iso, extra) {
    var d = new Date(iso);
    if (!iso || isNaN(d)) { return "—"; }
    try { return d.toLocaleString(lang, timeOptions(extra)); } catch (e) { return d.toLocaleString(); }
  }

  // Words for CXone's state names, as the page shows them.
  var STATES = {
    Available: gettext("Available"), InboundContact: gettext("On an inbound contact"),
    OutboundContact: gettext("On an outbound contact"), InboundConsult: gettext("In a consult"),
    OutboundConsult: gettext("In a consult"), Dialer: gettext("On a dialer contact"),
    Unavailable: gettext("Unavailable"), LoggedOut: gettext("Logged out"), LoggedIn: gettext("Logged in")
  };
  var GROUPS = {available: gettext("Available"), contact: gettext("On a contact"), unavailable: gettext("Unavailable"),
    acw: gettext("After-call work"), loggedout: gettext("Logged out")};
  var ICONS = {available: "✓", contact: "☎", unavailable: "⊘", acw: "✎", loggedout: "○"};
  function stateGroup(row) {
    var state = row.state;
    if (row.isACW) { return "acw"; }
    if (state === "Available") { return "available"; }
    if (/Contact|Consult|Dialer/.test(state || "")) { return "contact"; }
    if (state === "LoggedOut" || !state) { return "loggedout"; }
    return "unavailable";
  }
  function stateWords(state, reason) {
    var words = STATES[state] || state || gettext("Unknown");
    return reason ? words + " — " + reason : words;
  }

  // One status line per page, polite: announced, never stealing focus.
  function Notice(node) { this.node = node; }
  Notice.prototype.show = function (text, kind) {
    if (!this.node) { return; }
    if (this.node.textContent !== (text || "")) { this.node.textContent = text || ""; }
    this.node.hidden = !text;
    this.node.className = "notice" + (kind ? " " + kind : "");
  };
  // The cause, in words; "last data" only when there is some.
  function causeWords(body, status, haveData, ageSeconds, retrying) {
    var cause = (body && body.message) || (body && body.notice) || "";
    if (!cause) {
      if (status === 0) { cause = gettext("The portal cannot be reached. Check your connection."); }
      else if (status === 429 || status === 503) { cause = gettext("CXone asked the portal to slow down."); }
      else if (status >= 500) { cause = gettext("CXone cannot be reached right now."); }
    }
    if (haveData && cause) {
      cause += " " + interpolate(gettext("Showing data from %(age)s s ago."), {age: Math.round(ageSeconds || 0)}, true);
    } else if (retrying && !haveData && status !== 200 && status !== 304) {
      cause += " " + gettext("Nothing has been loaded yet; the page keeps trying.");
    }
    return cause.trim();
  }

  var page = document.querySelector("[data-identity]");
  var identity = page ? page.getAttribute("data-identity") : "";
  function request(url, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest", "X-Portal-Identity": identity};
    Object.keys(options.headers || {}).forEach(function (k) { headers[k] = options.headers[k]; });
    var init = {method: options.method || "GET", headers: headers, credentials: "same-origin", cache: "no-store"};
    if (options.signal) { init.signal = options.signal; }
    if (options.json !== undefined) {
      init.body = JSON.stringify(options.json);
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = page ? page.getAttribute("data-csrf") || "" : "";
    }
    return fetch(url, init).then(function (response) {
      var age = parseInt(response.headers.get("X-Data-Age") || "0", 10);
      if (response.status === 304) { return {ok: true, status: 304, body: null, age: age}; }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 401 && body.login_url) { window.location.assign(body.login_url); }
        if (response.status === 409 && body.reason === "session_changed") { sessionChanged(body); }
        return {ok: response.ok, status: response.status, body: body, age: age};
      });
    }, function (error) {
      if (error && error.name === "AbortError") { throw error; }
      return {ok: false, status: 0, body: {}, age: 0};
    });
  }

  // Another tab signed in as someone else: say who, offer to reload, stop polling.
  var changed = false;
  function sessionChanged(body) {
    if (changed) { return; }
    changed = true;
    var bar = el("div", null, "notice session-changed");
    bar.setAttribute("role", "alert");
    bar.appendChild(el("span", (body.message || "") + " " + interpolate(gettext("Signed in now: %(who)s."), {who: body.signedInAs || "?"}, true) + " "));
    var reload = el("button", gettext("Reload"), "button");
    reload.type = "button";
    reload.addEventListener("click", function () { window.location.reload(); });
    bar.appendChild(reload);
    var main = document.querySelector("main") || document.body;
    main.insertBefore(bar, main.firstChild);
  }

  // A chained poll: the next starts `interval` after the answer, pauses while hidden, backs
  // off on throttling or trouble (up to 60 s), and stops for good once the session changed.
  function Poller(run, seconds) {
    this.run = run;
    this.interval = Math.max(1, seconds || 5) * 1000;
    this.delay = this.interval;
    this.timer = null;
    this.busy = false;
    var self = this;
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { self.stop(); } else { self.now(); }
    });
  }
  Poller.prototype.stop = function () { clearTimeout(this.timer); this.timer = null; };
  Poller.prototype.schedule = function (ms) {
    var self = this;
    this.stop();
    if (changed || document.hidden) { return; }
    this.timer = setTimeout(function () { self.now(); }, ms);
  };
  Poller.prototype.now = function () {
    var self = this;
    if (this.busy || changed) { return; }
    this.stop();
    this.busy = true;
    Promise.resolve().then(this.run).then(function (outcome) {
      self.busy = false;
      if (outcome === "backoff") { self.delay = Math.min(60000, self.delay * 2); }
      else if (outcome === "soon") { self.delay = Math.min(self.interval, 1000); }  // another request is loading it now
      else { self.delay = self.interval; }
      self.schedule(self.delay);
    }, function () {
      self.busy = false;
      self.delay = Math.min(60000, self.delay * 2);
      self.schedule(self.delay);
    });
  };
  function outcomeOf(result) {
    // Another request is loading it, or this server's threads for the tenant are busy: soon.
    if (result.body && (result.body.reason === "api_not_loaded" || result.body.reason === "api_busy")) { return "soon"; }
    // The portal's own cache or database is down: it answers at once, so keep the interval and resume with it.
    if (result.body && (result.body.reason === "cache_unavailable" || result.body.reason === "database_unavailable")) { return "ok"; }
    return result.status === 429 || result.status === 503 || result.status === 0 || (result.body && result.body.stale) ? "backoff" : "ok";
  }

  window.Portal = {
    gettext: gettext, ngettext: ngettext, interpolate: interpolate, el: el, number: number, duration: duration,
    localTime: localTime, stateGroup: stateGroup, stateWords: stateWords, GROUPS: GROUPS, ICONS: ICONS, STATES: STATES,
    Notice: Notice, causeWords: causeWords, request: request, Poller: Poller, outcomeOf: outcomeOf, lang: lang, zone: zone
  };
})();
