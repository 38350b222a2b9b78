// The team board: every agent CXone lists, updated in place by agentId (focus, scroll and
// selection stay), only visible time cells tick, polls chain and ask only for what changed
// (`?since=<version>`), thresholds draw the eye (colour, icon and words), and the drawer acts.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=supervisor]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var live = root.querySelector("[data-test=live]");
  var thresholdsNode = document.getElementById("board-thresholds");
  var T = thresholdsNode ? JSON.parse(thresholdsNode.textContent) : {unavailableMinutes: 15, contactMinutes: 10, acwMinutes: 3, longestWaitSeconds: 60};
  var pollSeconds = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);

  var agents = new Map();     // agentId -> row from the server
  var rows = new Map();       // agentId -> <tr>
  var version = null, ageAt = null, lastAge = 0, stale = false, haveData = false, total = 0, partial = false;
  var filter = {team: "", skill: "", group: "", search: ""};
  var sort = {key: "name", dir: 1};
  var tbody = root.querySelector("[data-test=agents] tbody");
  var visible = new Set();
  var breached = new Map();   // agentId -> breach words, as last announced

  // --- words for one agent ---------------------------------------------------------------------
  function since(a) { var t = Date.parse(a.stateSince); return isNaN(t) ? null : t; }
  function secondsIn(a, now) { var t = since(a); return t === null ? null : Math.max(0, (now - t) / 1000); }
  function breach(a, now) {
    var group = P.stateGroup(a), s = secondsIn(a, now);
    if (s === null) { return ""; }
    if (group === "unavailable" && s > T.unavailableMinutes * 60) { return fmt(_("Unavailable over %(n)s min"), {n: T.unavailableMinutes}, true); }
    if (group === "contact" && s > T.contactMinutes * 60) { return fmt(_("On a contact over %(n)s min"), {n: T.contactMinutes}, true); }
    if (group === "acw" && s > T.acwMinutes * 60) { return fmt(_("After-call work over %(n)s min"), {n: T.acwMinutes}, true); }
    return "";
  }
  function fullName(a) { return (a.firstName + " " + a.lastName).trim() || a.userName || a.agentId; }

  // --- one row, built once, patched after ------------------------------------------------------
  function buildRow(a) {
    var tr = el("tr");
    tr.setAttribute("data-agent-id", a.agentId);
    var name = el("td"), button = el("button", "", "link agent-name");
    button.type = "button";
    button.setAttribute("data-agent", a.agentId);
    name.appendChild(button);
    name.appendChild(el("span", "", "login"));
    tr.appendChild(name);
    tr.appendChild(el("td", "", "team"));
    tr.appendChild(el("td", "", "state"));
    var time = el("td", "", "num time"); tr.appendChild(time);
    tr.appendChild(el("td", "", "skill"));
    tr.appendChild(el("td", "", "attention"));
    observer && observer.observe(tr);
    return tr;
  }
  function patchRow(tr, a, now) {
    var group = P.stateGroup(a);
    var cells = tr.children;
    cells[0].firstChild.textContent = fullName(a);
    cells[0].lastChild.textContent = a.userName || "";
    cells[1].textContent = a.teamName || "—";
    cells[2].textContent = P.ICONS[group] + " " + P.stateWords(a.state, a.stateReason);
    cells[4].textContent = a.skillName ? a.skillName + " · " + (a.mediaType || "") : "—";
    tr.className = "state-" + group;
    patchTime(tr, a, now);
  }
  function patchTime(tr, a, now) {
    var s = secondsIn(a, now);
    var text = P.duration(s);
    var cells = tr.children;
    if (cells[3].textContent !== text) { cells[3].textContent = text; }
    var words = breach(a, now);
    var shown = words ? "⚠ " + words : "";
    if (cells[5].textContent !== shown) {
      cells[5].textContent = shown;
      tr.classList.toggle("breach", !!words);
    }
  }

  // --- the list as a tool: filter, search, sort ----------------------------------------------------
  function matches(a) {
    if (filter.team && a.teamName !== filter.team) { return false; }
    if (filter.skill && a.skillName !== filter.skill) { return false; }
    if (filter.group === "attention") { if (!breach(a, Date.now())) { return false; } }
    else if (filter.group && P.stateGroup(a) !== filter.group) { return false; }
    if (filter.search) {
      var q = filter.search;
      if ((fullName(a) + " " + (a.userName || "") + " " + a.agentId).toLowerCase().indexOf(q) < 0) { return false; }
    }
    return true;
  }
  var ORDER = {attention: 0, unavailable: 1, acw: 2, contact: 3, available: 4, loggedout: 5};
  function comparator(now) {
    var key = sort.key, dir = sort.dir;
    return function (x, y) {
      var a = agents.get(x), b = agents.get(y), c = 0;
      if (key === "time") { c = (secondsIn(a, now) || 0) - (secondsIn(b, now) || 0); }
      else if (key === "state") { c = ORDER[P.stateGroup(a)] - ORDER[P.stateGroup(b)]; }
      else if (key === "team") { c = (a.teamName || "").localeCompare(b.teamName || "", P.lang); }
      else if (key === "attention") { c = (breach(b, now) ? 1 : 0) - (breach(a, now) ? 1 : 0); if (!c) { c = (secondsIn(b, now) || 0) - (secondsIn(a, now) || 0); } return c; }
      if (!c) { c = (a.lastName || "").localeCompare(b.lastName || "", P.lang) || (a.firstName || "").localeCompare(b.firstName || "", P.lang) || (a.agentId < b.agentId ? -1 : 1); }
      return c * dir;
    };
  }
  // Place rows in order, moving only those out of place; hide what does not match.
  function arrange() {
    var now = Date.now();
    var ids = Array.from(agents.keys()).sort(comparator(now));
    var shown = 0;
    var at = tbody.firstElementChild;
    if (at && !at.hasAttribute("data-agent-id")) { tbody.removeChild(at); at = tbody.firstElementChild; }
    ids.forEach(function (id) {
      var tr = rows.get(id);
      if (tr !== at) { tbody.insertBefore(tr, at); } else { at = at.nextElementSibling; }
      var show = matches(agents.get(id));
      if (tr.hidden === show) { tr.hidden = !show; }
      if (show) { shown += 1; }
    });
    var count = root.querySelector("[data-test=shown]");
    var words = fmt(P.ngettext("%(shown)s of %(count)s agent", "%(shown)s of %(count)s agents", agents.size), {shown: P.number(shown), count: P.number(agents.size)}, true);
    if (partial && total > agents.size) { words += " · " + fmt(_("showing %(n)s of %(m)s: the portal's limit"), {n: P.number(agents.size), m: P.number(total)}, true); }
    count.textContent = words;
    tiles(now);
  }
  // Tiles follow the team and skill filters, and filter the list when pressed.
  function tiles(now) {
    var counts = {available: 0, contact: 0, acw: 0, unavailable: 0, loggedout: 0, attention: 0}, reasons = {};
    agents.forEach(function (a) {
      if ((filter.team && a.teamName !== filter.team) || (filter.skill && a.skillName !== filter.skill)) { return; }
      var group = P.stateGroup(a);
      counts[group] += 1;
      if (breach(a, now)) { counts.attention += 1; }
      if (group === "unavailable" && a.stateReason) { reasons[a.stateReason] = (reasons[a.stateReason] || 0) + 1; }
    });
    Object.keys(counts).forEach(function (k) {
      var node = root.querySelector("[data-count=" + k + "]");
      if (node && node.textContent !== P.number(counts[k])) { node.textContent = P.number(counts[k]); }
    });
    var r = root.querySelector("[data-test=reasons]");
    var text = Object.keys(reasons).sort().map(function (k) { return k + " " + reasons[k]; }).join(" · ");
    if (r.textContent !== text) { r.textContent = text; }
  }
  function options(select, values, current) {
    var have = Array.from(select.options).slice(1).map(function (o) { return o.value; });
    if (have.join("\n") === values.join("\n")) { return; }
    select.length = 1;
    values.forEach(function (v) { var o = el("option", v); o.value = v; select.appendChild(o); });
    select.value = current;
  }

  // --- applying an answer ----------------------------------------------------------------------------
  function apply(body) {
    var started = performance.now();
    var now = Date.now();
    if (body.full) {
      var seen = new Set();
      body.agents.forEach(function (a) { seen.add(a.agentId); });
      Array.from(agents.keys()).forEach(function (id) { if (!seen.has(id)) { remove(id); } });
    }
    (body.removed || []).forEach(remove);
    body.agents.forEach(function (a) {
      var tr = rows.get(a.agentId);
      if (!tr) { tr = buildRow(a); rows.set(a.agentId, tr); }
      agents.set(a.agentId, a);
      patchRow(tr, a, now);
    });
    version = body.version; stale = !!body.stale; haveData = true;
    total = body.total || agents.size; partial = !!body.partial;
    options(root.querySelector("[data-filter=team]"), uniq("teamName"), filter.team);
    arrange();
    if (drawer.id && agents.has(drawer.id)) { drawer.refresh(); }
    // The page measures its own updates (benchmarks and tests read it; nobody else does).
    root.setAttribute("data-update-ms", (performance.now() - started).toFixed(1));
    root.setAttribute("data-update-rows", String(body.agents.length));
  }
  function remove(id) {
    var tr = rows.get(id);
    if (tr) { observer && observer.unobserve(tr); tr.remove(); }
    rows.delete(id); agents.delete(id); visible.delete(id);
  }
  function uniq(field) {
    var set = new Set();
    agents.forEach(function (a) { if (a[field]) { set.add(a[field]); } });
    return Array.from(set).sort(function (a, b) { return a.localeCompare(b, P.lang); });
  }

  // --- polling ------------------------------------------------------------------------------------------
  function pollAgents() {
    var url = root.getAttribute("data-agents-url") + (version !== null ? "?since=" + version : "");
    var headers = version !== null ? {"If-None-Match": '"v' + version + '"'} : {};
    return P.request(url, {headers: headers}).then(function (r) {
      lastAge = r.age || 0; ageAt = Date.now();
      if (r.status === 304) { updated(); status(null, r.status); return P.outcomeOf(r); }
      if (!r.ok) { status(r.body, r.status); return P.outcomeOf(r) === "soon" ? "soon" : "backoff"; }
      apply(r.body);
      updated();
      status(r.body, r.status);
      return P.outcomeOf(r);
    });
  }
  function status(body, code) {
    if (code === 200 || code === 304) {
      notice.show(stale ? P.causeWords(body || {}, 503, true, lastAge) : "", stale ? "stale" : "");
    } else {
      notice.show(P.causeWords(body, code, haveData, lastAge, true), "stale");
    }
  }
  function updated() {
    var node = root.querySelector("[data-test=as-of]");
    if (!node || ageAt === null) { return; }
    var seconds = Math.round(lastAge + (Date.now() - ageAt) / 1000);
    var text = fmt(_("updated %(n)s s ago"), {n: P.number(seconds)}, true) + (stale ? " · " + _("stale") : "");
    if (node.textContent !== text) { node.textContent = text; }
  }

  // --- the queue picture ----------------------------------------------------------------------------------
  var skillsBody = root.querySelector("[data-test=skills] tbody");
  function pollSkills() {
    return P.request(root.getAttribute("data-skills-url")).then(function (r) {
      if (!r.ok || !r.body) { return P.outcomeOf(r); }
      skillsBody.textContent = "";
      options(root.querySelector("[data-filter=skill]"), r.body.skills.map(function (s) { return s.skillName; }).filter(Boolean).sort(), filter.skill);
      r.body.skills.forEach(function (s) {
        var tr = el("tr");
        tr.appendChild(el("th", s.skillName));
        tr.firstChild.setAttribute("scope", "row");
        tr.appendChild(el("td", s.mediaType || "—"));
        tr.appendChild(el("td", P.number(s.queueCount), "num"));
        var waitBreach = s.longestWaitSeconds !== null && s.longestWaitSeconds > T.longestWaitSeconds;
        tr.appendChild(el("td", (waitBreach ? "⚠ " : "") + (s.notFromCXone ? _("not available from CXone") : P.duration(s.longestWaitSeconds)) + (waitBreach ? " " + fmt(_("over %(n)s s"), {n: T.longestWaitSeconds}, true) : ""), "num" + (waitBreach ? " breach-text" : "")));
        tr.appendChild(el("td", P.number(s.contactsActive), "num"));
        tr.appendChild(el("td", P.number(s.agentsLoggedIn) + " / " + P.number(s.agentsWorking) + " / " + P.number(s.agentsAvailable), "num"));
        var met = s.serviceLevel !== null && s.serviceLevelGoal !== null && s.serviceLevel >= s.serviceLevelGoal;
        var known = s.serviceLevel !== null;
        tr.appendChild(el("td", (known ? (met ? "✓ " : "⚠ ") : "") + (known ? s.serviceLevel + "%" : "—") + " " +
          fmt(_("(goal %(goal)s)"), {goal: s.serviceLevelGoal === null ? "—" : s.serviceLevelGoal + "%"}, true) + (known && !met ? " " + _("below goal") : ""),
          met ? "sl-met" : "sl-missed"));
        var today = s.today || {};
        tr.appendChild(el("td", today.abandonRate === undefined || today.abandonRate === null ? "—" : P.number(today.abandonRate) + "%", "num"));
        tr.appendChild(el("td", P.duration(today.averageSpeedToAnswer), "num"));
        tr.appendChild(el("td", P.duration(today.averageHandleTime), "num"));
        skillsBody.appendChild(tr);
      });
      var node = root.querySelector("[data-test=skills-as-of]");
      if (node) { node.textContent = fmt(_("updated %(n)s s ago"), {n: P.number(r.age || 0)}, true); }
      return P.outcomeOf(r);
    });
  }

  // --- ticking: only the cells on screen, once a second ---------------------------------------------------
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      var id = e.target.getAttribute("data-agent-id");
      if (e.isIntersecting) { visible.add(id); } else { visible.delete(id); }
    });
  }) : null;
  function tick() {
    var started = performance.now();
    var now = Date.now();
    var ids = observer ? visible : agents;
    ids.forEach(function (value, id) {
      id = observer ? value : id;
      var a = agents.get(id), tr = rows.get(id);
      if (a && tr && !tr.hidden) { patchTime(tr, a, now); }
    });
    announce(now);
    updated();
    if (drawer.id) { drawer.tick(now); }
    root.setAttribute("data-tick-ms", (performance.now() - started).toFixed(1));
  }
  // New breaches, announced politely (never stealing focus); the count follows every agent.
  var lastAnnounce = 0;
  function announce(now) {
    if (now - lastAnnounce < 5000) { return; }
    lastAnnounce = now;
    var fresh = [];
    agents.forEach(function (a, id) {
      var words = breach(a, now);
      if (words && breached.get(id) !== words) { fresh.push(fullName(a) + ": " + words); }
      if (words) { breached.set(id, words); } else { breached.delete(id); }
    });
    tiles(now);
    if (fresh.length && live) {
      live.textContent = fresh.length > 3 ? fmt(P.ngettext("%(n)s agent newly needs attention.", "%(n)s agents newly need attention.", fresh.length), {n: fresh.length}, true) : fresh.join(". ");
    }
  }

  // --- controls -------------------------------------------------------------------------------------------
  root.querySelector("[data-filter=team]").addEventListener("change", function (e) { filter.team = e.target.value; arrange(); });
  root.querySelector("[data-filter=skill]").addEventListener("change", function (e) { filter.skill = e.target.value; arrange(); });
  root.querySelector("[data-filter=state]").addEventListener("change", function (e) { filter.group = e.target.value; syncTiles(); arrange(); });
  var searchTimer = null;
  root.querySelector("[data-filter=search]").addEventListener("input", function (e) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { filter.search = e.target.value.trim().toLowerCase(); arrange(); }, 120);
  });
  root.querySelectorAll("[data-tile]").forEach(function (button) {
    button.addEventListener("click", function () {
      var group = button.getAttribute("data-tile");
      filter.group = filter.group === group ? "" : group;
      root.querySelector("[data-filter=state]").value = filter.group;
      syncTiles();
      arrange();
    });
  });
  function syncTiles() {
    root.querySelectorAll("[data-tile]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-tile") === filter.group)); });
  }
  root.querySelectorAll("[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-sort");
      sort = {key: key, dir: sort.key === key ? -sort.dir : (key === "time" ? -1 : 1)};
      root.querySelectorAll("th[aria-sort]").forEach(function (th) { th.setAttribute("aria-sort", "none"); });
      var th = button.closest("th");
      if (th && key !== "attention") { th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending"); }
      arrange();
    });
  });
  root.querySelector("[data-action=csv]").addEventListener("click", function () {
    var now = Date.now();
    var lines = [[_("Agent"), _("Login"), _("Agent ID"), _("Team"), _("State"), _("Reason"), _("Seconds in state"), _("Skill"), _("Needs attention")]];
    Array.from(tbody.children).forEach(function (tr) {
      if (tr.hidden || !tr.hasAttribute("data-agent-id")) { return; }
      var a = agents.get(tr.getAttribute("data-agent-id"));
      lines.push([fullName(a), a.userName, a.agentId, a.teamName, P.STATES[a.state] || a.state, a.stateReason, Math.round(secondsIn(a, now) || 0), a.skillName, breach(a, now)]);
    });
    var csv = lines.map(function (line) {
      return line.map(function (v) {
        v = String(v === null || v === undefined ? "" : v);
        if (/^[=+\-@\t\r]/.test(v)) { v = "'" + v; }  // never a formula in a spreadsheet
        return /[",\n;]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      }).join(",");
    }).join("\r\n");
    var link = el("a");
    link.href = URL.createObjectURL(new Blob(["\ufeff" + csv], {type: "text/csv;charset=utf-8"}));
    link.download = "team-board.csv";
    document.body.appendChild(link); link.click(); link.remove();
  });

  // --- the drawer: opens beside the list, takes focus, Escape closes and gives focus back ---------------------
  var drawerNode = root.querySelector("[data-test=drawer]");
  var drawer = {
    id: null, opener: null, abort: null,
    open: function (id, opener) {
      this.id = id; this.opener = opener;
      drawerNode.hidden = false;
      this.refresh();
      this.contacts();
      if (window.BoardActions) { window.BoardActions.forAgent(agents.get(id)); }
      drawerNode.querySelector("h2").focus();
    },
    close: function () {
      if (!this.id) { return; }
      if (this.abort) { this.abort.abort(); }
      this.id = null;
      drawerNode.hidden = true;
      if (this.opener && document.contains(this.opener)) { this.opener.focus(); }
    },
    refresh: function () {
      var a = agents.get(this.id);
      if (!a) { return; }
      drawerNode.querySelector("[data-test=agent-name]").textContent = fullName(a);
      drawerNode.querySelector("[data-field=login]").textContent = (a.userName || "—") + " · " + _("ID") + " " + a.agentId;
      drawerNode.querySelector("[data-field=team]").textContent = a.teamName || "—";
      drawerNode.querySelector("[data-field=state]").textContent = P.ICONS[P.stateGroup(a)] + " " + P.stateWords(a.state, a.stateReason);
      drawerNode.querySelector("[data-field=skill]").textContent = a.skillName ? a.skillName + " · " + (a.mediaType || "") : "—";
      drawerNode.querySelector("[data-field=contact]").textContent = a.contactId || "—";
      this.tick(Date.now());
    },
    tick: function (now) {
      var a = agents.get(this.id);
      if (!a) { return; }
      var words = breach(a, now);
      drawerNode.querySelector("[data-field=time]").textContent = P.duration(secondsIn(a, now)) + (words ? " · ⚠ " + words : "");
    },
    contacts: function () {
      var self = this, id = this.id;
      if (this.abort) { this.abort.abort(); }  // a superseded drill-down is cancelled
      this.abort = "AbortController" in window ? new AbortController() : null;
      var tbodyC = drawerNode.querySelector("[data-test=agent-contacts] tbody");
      tbodyC.textContent = "";
      tbodyC.appendChild(row1(_("Loading…")));
      P.request(root.getAttribute("data-contacts-base") + encodeURIComponent(id) + "/contacts/", {signal: this.abort && this.abort.signal})
        .then(function (r) {
          if (self.id !== id) { return; }
          tbodyC.textContent = "";
          if (!r.ok) { tbodyC.appendChild(row1(P.causeWords(r.body, r.status, false, 0))); return; }
          if (!r.body.contacts.length) { tbodyC.appendChild(row1(_("No completed contacts in the last 24 hours."))); return; }
          r.body.contacts.forEach(function (c) {
            var tr = el("tr");
            tr.appendChild(el("td", c.notFromCXone ? _("not available from CXone") : P.localTime(c.startDate, {weekday: "short"})));
            tr.appendChild(el("td", c.skillName || "—"));
            tr.appendChild(el("td", c.mediaType || "—"));
            tr.appendChild(el("td", P.duration(c.handleSeconds), "num"));
            tbodyC.appendChild(tr);
          });
        }, function () { /* aborted */ });
    }
  };
  function row1(text) { var tr = el("tr"), td = el("td", text); td.colSpan = 4; tr.appendChild(td); return tr; }
  tbody.addEventListener("click", function (event) {
    var button = event.target.closest("[data-agent]");
    if (button) { drawer.open(button.getAttribute("data-agent"), button); }
  });
  drawerNode.querySelector("[data-action=close]").addEventListener("click", function () { drawer.close(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && drawer.id && !document.querySelector("dialog[open]")) { drawer.close(); }
  });
  window.Board = {drawer: drawer, agents: agents, refreshSoon: function () { agentsPoller.now(); }};

  var agentsPoller = new P.Poller(pollAgents, pollSeconds);
  var skillsPoller = new P.Poller(pollSkills, pollSeconds);
  agentsPoller.now();
  skillsPoller.now();
  setInterval(function () { if (!document.hidden) { tick(); } }, 1000);
})();
