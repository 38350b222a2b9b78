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
    if (row.acw === true || row.isACW) { return "acw"; }
    if (state === "Available") { return "available"; }
    if (/Contact|Consult|Dialer/.test(state || "")) { return "contact"; }
    if (state === "LoggedOut" || !state) { return "loggedout"; }
    return "unavailable";
  }
  function stateWords(state, reason) {
    var words = STATES[state] || state || gettext("Unknown");
    return reason ? words + " — " + reason : words;
  }

  // One word per state: an agent in after-call work is that, with its code, everywhere.
  function rowStateWords(row) {
    if (stateGroup(row) === "acw") { return row.stateReason ? GROUPS.acw + " — " + row.stateReason : GROUPS.acw; }
    return stateWords(row.state, row.stateReason);
  }
  // CXone's channel names, in the page's language (an unknown one as CXone sends it).
  var CHANNELS = {
    PhoneCall: gettext("Phone call"), Voice: gettext("Phone call"), EMail: gettext("Email"), Email: gettext("Email"),
    Chat: gettext("Chat"), SMS: gettext("SMS"), WorkItem: gettext("Work item"), Voicemail: gettext("Voicemail"),
    VoiceMail: gettext("Voicemail"), Social: gettext("Social"), Digital: gettext("Digital")
  };
  function channel(mediaType) { return mediaType ? CHANNELS[mediaType] || String(mediaType) : ""; }

  // One threshold rule for the board and the wallboard: the tenant's limits (seconds, or the older
  // whole minutes), read once from the page.
  var DEFAULT_LIMITS = {unavailableMinutes: 15, contactMinutes: 10, acwMinutes: 3, longestWaitSeconds: 60};
  function thresholds() {
    var node = document.getElementById("board-thresholds"), given = {};
    try { given = node ? JSON.parse(node.textContent) || {} : {}; } catch (e) { given = {}; }
    var limits = {};
    Object.keys(DEFAULT_LIMITS).forEach(function (k) { limits[k] = given[k] === undefined ? DEFAULT_LIMITS[k] : given[k]; });
    ["unavailable", "contact", "acw"].forEach(function (k) {
      var seconds = given[k + "Seconds"];
      limits[k + "Seconds"] = seconds ? seconds : limits[k + "Minutes"] * 60;
      limits[k + "Minutes"] = limits[k + "Seconds"] / 60;
    });
    limits.teams = given.teams && typeof given.teams === "object" ? given.teams : {};  // a team's own, in seconds
    return limits;
  }
  function secondsIn(row, now) { var t = Date.parse(row.stateSince); return isNaN(t) ? null : Math.max(0, (now - t) / 1000); }
  function breachWords(row, now, limits) { return breachFor(stateGroup(row), secondsIn(row, now), limits); }
  function breachFor(group, s, limits) {
    if (s === null) { return ""; }
    var minutes = function (k) { return number(Math.round(limits[k + "Seconds"] / 6) / 10); };
    if (group === "unavailable" && s > limits.unavailableSeconds) { return interpolate(gettext("Unavailable over %(n)s min"), {n: minutes("unavailable")}, true); }
    if (group === "contact" && s > limits.contactSeconds) { return interpolate(gettext("On a contact over %(n)s min"), {n: minutes("contact")}, true); }
    if (group === "acw" && s > limits.acwSeconds) { return interpolate(gettext("After-call work over %(n)s min"), {n: minutes("acw")}, true); }
    return "";
  }
  function waitBreached(skill, limits) { return skill.longestWaitSeconds !== null && skill.longestWaitSeconds !== undefined && skill.longestWaitSeconds > limits.longestWaitSeconds; }

  // A duration as a spreadsheet reads it: h:mm:ss.
  function clock(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) { return ""; }
    seconds = Math.max(0, Math.round(seconds));
    return Math.floor(seconds / 3600) + ":" + String(Math.floor(seconds % 3600 / 60)).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
  }
  // CSV that a spreadsheet in the user's language opens in columns: ";" where the decimal mark is
  // a comma, a UTF-8 byte order mark, CRLF, and never a formula.
  var separator = numberFormat.format(1.5).indexOf(",") >= 0 ? ";" : ",";
  function csv(lines) {
    return "\ufeff" + lines.map(function (line) {
      return line.map(function (v) {
        v = String(v === null || v === undefined ? "" : v);
        if (/^[=+\-@\t\r]/.test(v)) { v = "'" + v; }
        return /[",;\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      }).join(separator);
    }).join("\r\n") + "\r\n";
  }
  function csvName(what, tenant, when) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    var stamp = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) + "-" + pad(when.getHours()) + pad(when.getMinutes()) + pad(when.getSeconds());
    return [what, (tenant || "").replace(/[^A-Za-z0-9_-]+/g, "-"), stamp].filter(Boolean).join("-") + ".csv";
  }
  // An API address the template rendered with {% url %} and the placeholder CXONEIDPLACEHOLDER
  // (letters only: it passes the URL's `cxone_id` converter).
  function urlFor(template, id) { return template.replace("CXONEIDPLACEHOLDER", encodeURIComponent(id)); }

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
      var etag = response.headers.get("ETag");
      if (response.status === 304) { return {ok: true, status: 304, body: null, age: age, etag: etag}; }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 401 && body.login_url) { window.location.assign(body.login_url); }
        if (response.status === 409 && body.reason === "session_changed") { sessionChanged(body); }
        return {ok: response.ok, status: response.status, body: body, age: age, etag: etag};
      });
    }, function (error) {
      if (error && error.name === "AbortError") { throw error; }
      return {ok: false, status: 0, body: {}, age: 0};
    });
  }

  // Another tab signed in to another organisation or as another user: say so at once (the new
  // tab tells the old ones over a BroadcastChannel; a poll's 409 says it too), stop polling, mark
  // the data as no longer fresh, offer to reload.
  var changed = false;
  function sessionChanged(body) {
    if (changed) { return; }
    changed = true;
    var bar = el("div", null, "notice session-changed");
    bar.setAttribute("role", "alert");
    bar.setAttribute("data-test", "session-changed");
    var words = body.message || gettext("This browser is now signed in to another organisation or as another user. This page shows old data.");
    bar.appendChild(el("span", words + (body.signedInAs ? " " + interpolate(gettext("Signed in now: %(who)s."), {who: body.signedInAs}, true) : "") + " "));
    var reload = el("button", gettext("Reload"), "button");
    reload.type = "button";
    reload.addEventListener("click", function () { window.location.reload(); });
    bar.appendChild(reload);
    var main = document.querySelector("main") || document.body;
    main.insertBefore(bar, main.firstChild);
    document.dispatchEvent(new CustomEvent("portal:session-changed", {detail: body}));
  }
  if (identity && "BroadcastChannel" in window) {
    var tabs = new BroadcastChannel("cxone-portal-identity");
    tabs.onmessage = function (event) {
      if (event.data && event.data.identity && event.data.identity !== identity) { sessionChanged({}); }
    };
    tabs.postMessage({identity: identity});
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
    localTime: localTime, stateGroup: stateGroup, rowStateWords: rowStateWords, channel: channel, thresholds: thresholds,
    secondsIn: secondsIn, breachWords: breachWords, breachFor: breachFor, waitBreached: waitBreached, clock: clock, csv: csv, csvName: csvName, urlFor: urlFor, stateWords: stateWords, GROUPS: GROUPS, ICONS: ICONS, STATES: STATES,
    Notice: Notice, causeWords: causeWords, request: request, Poller: Poller, outcomeOf: outcomeOf, lang: lang, zone: zone
  };
})();
