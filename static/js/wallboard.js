// The wallboard: queues and counts in large type for a TV; nothing to press. It reads the
// same JSON as the board (deltas and 304s included) and keeps only the counts.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=wallboard]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var node = document.getElementById("board-thresholds");
  var T = node ? JSON.parse(node.textContent) : {unavailableMinutes: 15, contactMinutes: 10, acwMinutes: 3, longestWaitSeconds: 60};
  var agents = new Map(), version = null, haveData = false, age = 0, ageAt = Date.now();

  function seconds(a, now) { var t = Date.parse(a.stateSince); return isNaN(t) ? 0 : (now - t) / 1000; }
  function breached(a, now) {
    var g = P.stateGroup(a), s = seconds(a, now);
    return (g === "unavailable" && s > T.unavailableMinutes * 60) || (g === "contact" && s > T.contactMinutes * 60) || (g === "acw" && s > T.acwMinutes * 60);
  }
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
        var head = el("th", s.skillName); head.setAttribute("scope", "row"); tr.appendChild(head);
        tr.appendChild(el("td", P.number(s.queueCount)));
        var wait = s.longestWaitSeconds !== null && s.longestWaitSeconds > T.longestWaitSeconds;
        tr.appendChild(el("td", (wait ? "⚠ " : "") + (s.notFromCXone ? _("not available from CXone") : P.duration(s.longestWaitSeconds)), wait ? "breach-text" : ""));
        var met = s.serviceLevel !== null && s.serviceLevelGoal !== null && s.serviceLevel >= s.serviceLevelGoal;
        tr.appendChild(el("td", s.serviceLevel === null ? "—" : (met ? "✓ " : "⚠ ") + s.serviceLevel + "%" + (met ? "" : " " + _("below goal")), met ? "sl-met" : "sl-missed"));
        tbody.appendChild(tr);
      });
      return "ok";
    });
  }
  var seconds_ = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);
  new P.Poller(pollAgents, seconds_).now();
  new P.Poller(pollSkills, seconds_).now();
  setInterval(counts, 1000);
})();
