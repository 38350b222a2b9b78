// The wallboard: queues and counts in large type for a TV; nothing to press. It reads the
// same JSON as the board (deltas and 304s included), keeps only the counts, applies the board's
// one threshold rule, and pages through the queues (every 10 s) when they do not all fit.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=wallboard]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var T = P.thresholds();
  var agents = new Map(), version = null, haveData = false, age = 0, ageAt = Date.now();

  function breached(a, now) { return !!P.breachWords(a, now, T); }
  function counts() {
    var now = Date.now(), c = {available: 0, contact: 0, acw: 0, unavailable: 0, loggedout: 0, attention: 0};
    agents.forEach(function (a) { c[P.stateGroup(a)] += 1; if (breached(a, now)) { c.attention += 1; } });
    Object.keys(c).forEach(function (k) { var n = root.querySelector("[data-count=" + k + "]"); if (n) { n.textContent = P.number(c[k]); } });
    root.querySelector("[data-test=clock]").textContent = P.localTime(new Date().toISOString());
    root.querySelector("[data-test=as-of]").textContent = fmt(_("updated %(n)s s ago"), {n: Math.round(age + (Date.now() - ageAt) / 1000)}, true);
  }
  function pollAgents() {
    var url = root.getAttribute("data-agents-url") + (version !== null ? "?since=" + version : "");
    return P.request(url, {headers: version !== null ? {"If-None-Match": '"v' + version + '"'} : {}}).then(function (r) {
      age = r.age || 0; ageAt = Date.now();
      if (r.status === 304) { notice.show(""); return "ok"; }
      if (!r.ok) { notice.show(P.causeWords(r.body, r.status, haveData, age, true), "stale"); return "backoff"; }
      var body = r.body;
      if (body.full) { agents.clear(); }
      (body.removed || []).forEach(function (id) { agents.delete(id); });
      body.agents.forEach(function (a) { agents.set(a.agentId, a); });
      version = body.version; haveData = true;
      notice.show(body.stale ? P.causeWords(body, 503, true, age) : "", body.stale ? "stale" : "");
      counts();
      return P.outcomeOf(r);
    });
  }
  function pollSkills() {
    return P.request(root.getAttribute("data-skills-url")).then(function (r) {
      if (!r.ok) { return "backoff"; }
      var tbody = root.querySelector("[data-test=wall-queues] tbody");
      tbody.textContent = "";
      r.body.skills.forEach(function (s) {
        var tr = el("tr");
        var head = el("th", s.skillName); head.setAttribute("scope", "row"); head.dir = "auto"; tr.appendChild(head);
        tr.appendChild(el("td", P.number(s.queueCount)));
        var wait = P.waitBreached(s, T);
        tr.appendChild(el("td", (wait ? "⚠ " : "") + (s.notFromCXone ? _("not available from CXone") : P.duration(s.longestWaitSeconds)), wait ? "breach-text" : ""));
        var met = s.serviceLevel !== null && s.serviceLevelGoal !== null && s.serviceLevel >= s.serviceLevelGoal;
        tr.appendChild(el("td", s.serviceLevel === null ? "—" : (met ? "✓ " : "⚠ ") + s.serviceLevel + "%" + (met ? "" : " " + _("below goal")), met ? "sl-met" : "sl-missed"));
        tbody.appendChild(tr);
      });
      paging.layout();
      return "ok";
    });
  }
  // Pages of the queues that fit the screen; every queue is seen within a few pages' turns.
  var paging = {
    page: 0, size: 0,
    layout: function () {
      var box = root.querySelector("[data-test=wall-queues-box]"), table = root.querySelector("[data-test=wall-queues]");
      var rows = Array.from(table.querySelectorAll("tbody tr"));
      rows.forEach(function (tr) { tr.hidden = false; });
      // A few queues fill the screen in larger type (up to twice); many page at the base size.
      table.style.fontSize = "";
      var room = box.clientHeight / Math.max(1, table.offsetHeight);
      if (room > 1.05) { table.style.fontSize = (1.25 * Math.min(2, room * 0.95)) + "em"; }
      var limit = box.getBoundingClientRect().bottom, fit = rows.filter(function (tr) { return tr.getBoundingClientRect().bottom <= limit + 1; }).length;
      this.size = Math.max(1, fit);
      this.rows = rows;
      if (this.page * this.size >= rows.length) { this.page = 0; }
      this.show();
    },
    show: function () {
      var rows = this.rows || [], size = this.size, pages = Math.ceil(rows.length / size) || 1, page = this.page;
      rows.forEach(function (tr, i) { tr.hidden = Math.floor(i / size) !== page; });
      var label = root.querySelector("[data-test=wall-page]");
      label.textContent = pages > 1 ? fmt(_("Queues %(from)s–%(to)s of %(count)s"), {from: page * size + 1, to: Math.min(rows.length, (page + 1) * size), count: rows.length}, true) : "";
    },
    turn: function () {
      if (!this.rows || this.rows.length <= this.size) { return; }
      this.page = (this.page + 1) % Math.ceil(this.rows.length / this.size);
      this.show();
    }
  };
  window.addEventListener("resize", function () { paging.layout(); });
  setInterval(function () { paging.turn(); }, 10000);
  var seconds_ = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);
  new P.Poller(pollAgents, seconds_).now();
  new P.Poller(pollSkills, seconds_).now();
  setInterval(counts, 1000);
})();
