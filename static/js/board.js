// The team board: every agent CXone lists, as data. Sorting, filtering and searching re-arrange
// an array of ids; only the rows in view (plus a margin) exist in the page, so a team of 20,000
// lays out like a team of 40. Rows are keyed by agentId (the focused agent keeps its element
// and its focus through polls, sorts and scrolling), polls chain and ask only for what changed
// (`?since=<version>`), thresholds draw the eye (colour, icon and words), and the drawer acts.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=supervisor]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var live = root.querySelector("[data-test=live]");
  var T = P.thresholds();
  var pollSeconds = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);
  var collator = new Intl.Collator(P.lang);

  var agents = new Map();     // agentId -> row from the server
  var facts = new Map();      // agentId -> {since (ms), group, hay: what the search looks in}, once per row
  var nameRank = new Map();   // agentId -> place in name order (re-ranked when names change)
  var namesDirty = true;
  var sortedBy = {};          // sort key -> ids in ascending order, until the data changes
  var tilesDirty = true;
  var version = null, ageAt = null, lastAge = 0, stale = false, haveData = false, total = 0, partial = false, ended = false;
  var filter = {team: "", skill: "", group: "", search: ""};
  var sort = {key: "name", dir: 1};
  var order = [];             // the ids the list shows, in order: the view
  var hiddenLoggedOut = 0, loggedOutInView = 0;  // logged-out agents folded into their group (phone), or shown
  var breached = new Map();   // agentId -> breach words, as last announced

  // --- words for one agent ---------------------------------------------------------------------
  function secondsIn(a, now) { var f = facts.get(a.agentId), t = f ? f.since : Date.parse(a.stateSince); return isNaN(t) ? null : Math.max(0, (now - t) / 1000); }
  function groupOf(a) { var f = facts.get(a.agentId); return f ? f.group : P.stateGroup(a); }
  var teamLimits = {};        // teamId -> the tenant's thresholds with the team's own laid over them
  function limitsFor(a) {
    var own = T.teams && T.teams[a.teamId];
    if (!own) { return T; }
    return teamLimits[a.teamId] || (teamLimits[a.teamId] = Object.assign({}, T, own));
  }
  function breach(a, now) { return P.breachFor(groupOf(a), secondsIn(a, now), limitsFor(a)); }
  function fullName(a) { return (a.firstName + " " + a.lastName).trim() || a.userName || a.agentId; }
  // CXone's skill assignments (/api/supervisor/skill-agents/): skill name -> the agents who have it.
  var assigned = null;
  function hasSkill(a, skill) {
    if (Array.isArray(a.skills)) {  // the agent's assigned skills, when the row carries them
      return a.skills.some(function (s) { return (s && typeof s === "object" ? s.skillName : s) === skill; });
    }
    if (assigned && assigned.has(skill)) { return assigned.get(skill).has(a.agentId); }
    return a.skillName === skill;  // assignments not read (yet): the skill of the contact in hand
  }
  function skillWords(a) { return a.skillName ? a.skillName + " · " + P.channel(a.mediaType) : "—"; }

  // --- the columns: each one entry (its header, its cell, its order, its CSV fields) -----------------
  function textCell(value) { return function (td, a) { var v = value(a); if (td.textContent !== v) { td.textContent = v; } }; }
  var COLUMNS = [
    {key: "name", label: _("Agent"), sortable: true,
      cell: function (td, a) {
        var button = td.firstChild;
        if (!button) {
          button = el("button", "", "link agent-name"); button.type = "button";
          td.appendChild(button); td.appendChild(el("bdi", "", "login"));
          button.setAttribute("dir", "auto");
        }
        button.setAttribute("data-agent", a.agentId);
        if (button.textContent !== fullName(a)) { button.textContent = fullName(a); }
        if (td.lastChild.textContent !== (a.userName || "")) { td.lastChild.textContent = a.userName || ""; }
      },
      order: function (a) { return 0; },
      csv: [[_("Agent"), fullName], [_("Login"), function (a) { return a.userName; }], [_("Agent ID"), function (a) { return a.agentId; }]]},
    {key: "team", label: _("Team"), sortable: true, cell: textCell(function (a) { return a.teamName || "—"; }),
      order: function (a, ctx) { return ctx.teamRank.get(a.teamName || "") || 0; },
      csv: [[_("Team"), function (a) { return a.teamName; }]]},
    {key: "state", label: _("State"), sortable: true, cell: textCell(function (a) { return P.ICONS[P.stateGroup(a)] + " " + P.rowStateWords(a); }),
      order: function (a) { return ORDER[groupOf(a)]; },
      csv: [[_("State"), function (a) { return P.rowStateWords(a); }]]},
    {key: "time", label: _("Time in state"), sortable: true, numeric: true, ticks: true, firstDir: -1,
      cell: textCell(function (a, now) { return P.duration(secondsIn(a, now || Date.now())); }),
      order: function (a, ctx) { return secondsIn(a, ctx.now) || 0; },
      csv: [[_("Time in state"), function (a, now) { return P.clock(secondsIn(a, now)); }],
        [_("Seconds in state"), function (a, now) { var s = secondsIn(a, now); return s === null ? "" : Math.round(s); }]]},
    {key: "skill", label: _("Skill · channel"), cell: textCell(skillWords),
      csv: [[_("Skill"), function (a) { return a.skillName; }], [_("Channel"), function (a) { return a.mediaType ? P.channel(a.mediaType) : ""; }]]},
    {key: "attention", label: _("Attention"), ticks: true,
      cell: function (td, a, now) { var words = breach(a, now || Date.now()), shown = words ? "⚠ " + words : ""; if (td.textContent !== shown) { td.textContent = shown; } },
      csv: [[_("Needs attention"), function (a, now) { return breach(a, now); }]]}
  ];
  var ORDER = {attention: 0, unavailable: 1, acw: 2, contact: 3, available: 4, loggedout: 5};
  var byKey = {};
  COLUMNS.forEach(function (c) { byKey[c.key] = c; });
  // "Needs attention first": breaches first, longest in state first among them.
  byKey.attention.order = function (a, ctx) { return (breach(a, ctx.now) ? 0 : 1e9) - (secondsIn(a, ctx.now) || 0); };

  // --- the table: header from the columns, rows only for the ids in view ------------------------------
  var table = root.querySelector("[data-test=agents]");
  var scroller = root.querySelector("[data-test=agent-scroller]");
  var tbody = table.querySelector("tbody");
  (function header() {
    var tr = table.querySelector("thead tr");
    tr.textContent = "";
    COLUMNS.forEach(function (c) {
      var th = el("th", null, "col-" + c.key + (c.numeric ? " num" : ""));
      th.scope = "col";
      if (c.sortable) {
        th.setAttribute("aria-sort", c.key === sort.key ? "ascending" : "none");
        var button = el("button", c.label, "sort"); button.type = "button"; button.setAttribute("data-sort", c.key);
        th.appendChild(button);
      } else { th.textContent = c.label; }
      tr.appendChild(th);
    });
  })();
  var rendered = new Map();   // agentId -> <tr> in the page now
  var spare = [];             // <tr>s to reuse
  var rowHeight = 0, MARGIN = 12;
  var focusedId = null, listFocused = false;

  function buildRow() {
    var tr = el("tr");
    COLUMNS.forEach(function (c) { tr.appendChild(el("td", null, "col-" + c.key + (c.numeric ? " num" : "") + " " + c.key)); });
    return tr;
  }
  function patchRow(tr, a, now) {
    for (var i = 0; i < COLUMNS.length; i += 1) { COLUMNS[i].cell(tr.children[i], a, now); }
    var group = P.stateGroup(a), words = breach(a, now);
    var cls = "state-" + group + (words ? " breach" : "");
    if (tr.className !== cls) { tr.className = cls; }
  }
  function patchTicking(tr, a, now) {
    var words = breach(a, now);
    for (var i = 0; i < COLUMNS.length; i += 1) { if (COLUMNS[i].ticks) { COLUMNS[i].cell(tr.children[i], a, now); } }
    tr.classList.toggle("breach", !!words);
  }
  function spacer(rows) {
    var tr = el("tr", null, "spacer"), td = el("td");
    tr.setAttribute("aria-hidden", "true");
    td.colSpan = COLUMNS.length;
    td.style.blockSize = (rows * rowHeight) + "px";
    tr.appendChild(td);
    return tr;
  }
  // Which indexes of `order` should be rows: those in view plus a margin, and the focused agent.
  function wantedIndexes() {
    var h = rowHeight || 40, head = table.tHead ? table.tHead.offsetHeight : 0;
    var top = Math.max(0, scroller.scrollTop - head);
    var first = Math.max(0, Math.floor(top / h) - MARGIN);
    var last = Math.min(order.length, Math.ceil((top + scroller.clientHeight) / h) + MARGIN);
    var wanted = [];
    var focusAt = listFocused && focusedId ? order.indexOf(focusedId) : -1;
    if (focusAt >= 0 && focusAt < first) { wanted.push(focusAt); }
    for (var i = first; i < last; i += 1) { wanted.push(i); }
    if (focusAt >= last) { wanted.push(focusAt); }
    return wanted;
  }
  function render() {
    var now = Date.now();
    if (!haveData) { return; }
    var wanted = wantedIndexes(), keep = new Set(), nodes = [], next = 0;
    wanted.forEach(function (i) { keep.add(order[i]); });
    rendered.forEach(function (tr, id) { if (!keep.has(id)) { rendered.delete(id); spare.push(tr); } });
    var tabbable = listFocused && keep.has(focusedId) ? focusedId : (keep.has(focusedId) ? focusedId : order[wanted[0]]);
    wanted.forEach(function (i) {
      if (i > next) { nodes.push(spacer(i - next)); }
      var id = order[i], tr = rendered.get(id);
      if (!tr) { tr = spare.pop() || buildRow(); rendered.set(id, tr); tr.setAttribute("data-agent-id", id); }
      patchRow(tr, agents.get(id), now);
      tr.setAttribute("aria-rowindex", String(i + 2));
      var button = tr.firstChild.firstChild;
      button.tabIndex = id === tabbable ? 0 : -1;
      nodes.push(tr);
      next = i + 1;
    });
    if (order.length > next) { nodes.push(spacer(order.length - next)); }
    if (!order.length) { nodes.push(emptyRow()); }
    var hadFocus = listFocused && tbody.contains(document.activeElement);
    var at = tbody.firstChild;
    nodes.forEach(function (node) {
      if (node !== at) { tbody.insertBefore(node, at); } else { at = at.nextSibling; }
    });
    while (at) { var following = at.nextSibling; tbody.removeChild(at); at = following; }
    spare.length = Math.min(spare.length, 60);
    table.setAttribute("aria-rowcount", String(order.length + 1));
    if (hadFocus && focusedId && rendered.has(focusedId)) {
      var target = rendered.get(focusedId).firstChild.firstChild;
      if (document.activeElement !== target) { target.focus({preventScroll: true}); }
    }
    var first = tbody.querySelector("tr[data-agent-id]");
    if (first) {
      var h = first.getBoundingClientRect().height;
      if (h > 0 && Math.abs(h - rowHeight) > 0.5) { rowHeight = h; render(); }
    }
  }
  function emptyRow() {
    var tr = el("tr", null, "spacer"), td = el("td", haveData ? _("No agent matches.") : _("Loading…"));
    td.colSpan = COLUMNS.length; tr.appendChild(td);
    return tr;
  }
  var renderQueued = false;
  scroller.addEventListener("scroll", function () {
    if (renderQueued) { return; }
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; render(); });
  }, {passive: true});
  window.addEventListener("resize", function () { rowHeight = 0; render(); });

  // --- the list as data: filter, search, sort ------------------------------------------------------
  function matches(a, now) {
    if (filter.team && a.teamName !== filter.team) { return false; }
    if (filter.skill && !hasSkill(a, filter.skill)) { return false; }
    if (filter.group === "attention") { if (!breach(a, now)) { return false; } }
    else if (filter.group && groupOf(a) !== filter.group) { return false; }
    if (filter.search && facts.get(a.agentId).hay.indexOf(filter.search) < 0) { return false; }
    return true;
  }
  function foldLoggedOut() { return loggedOutFolded && !filter.group && !filter.search; }
  function rank() {
    if (!namesDirty) { return; }
    var ids = Array.from(agents.keys());
    ids.sort(function (x, y) {
      var a = agents.get(x), b = agents.get(y);
      return collator.compare(a.lastName || "", b.lastName || "") || collator.compare(a.firstName || "", b.firstName || "") || (x < y ? -1 : x > y ? 1 : 0);
    });
    ids.forEach(function (id, i) { nameRank.set(id, i); });
    namesDirty = false;
  }
  function teamRanks() {
    var teams = uniq("teamName"), ranks = new Map();
    teams.forEach(function (t, i) { ranks.set(t, i + 1); });
    return ranks;
  }
  // Ids in a column's ascending order, sorted once per change of the data (time in state orders
  // as the time entered, so it holds until the data changes); "needs attention" moves with the clock.
  function ascending(column, now) {
    if (sortedBy[column.key] && column.key !== "attention") { return sortedBy[column.key]; }
    rank();
    var ctx = {now: now, teamRank: column.key === "team" ? teamRanks() : null}, items = [];
    agents.forEach(function (a, id) { items.push({id: id, k: column.order(a, ctx), r: nameRank.get(id)}); });
    items.sort(function (x, y) { return (x.k - y.k) || (x.r - y.r); });
    sortedBy[column.key] = items.map(function (item) { return item.id; });
    return sortedBy[column.key];
  }
  // The view: the ids that pass the filters, in order; a pass over an array, nothing laid out.
  function arrange() {
    var now = Date.now();
    var ids = ascending(byKey[sort.key], now), n = ids.length, fold = foldLoggedOut(), view = [];
    hiddenLoggedOut = 0; loggedOutInView = 0;
    for (var i = 0; i < n; i += 1) {
      var id = ids[sort.dir > 0 ? i : n - 1 - i], a = agents.get(id);
      if (!matches(a, now)) { continue; }
      if (groupOf(a) === "loggedout") { if (fold) { hiddenLoggedOut += 1; continue; } loggedOutInView += 1; }
      view.push(id);
    }
    order = view;
    var shown = order.length + hiddenLoggedOut;
    var count = root.querySelector("[data-test=shown]");
    var words = fmt(P.ngettext("%(shown)s of %(count)s agent", "%(shown)s of %(count)s agents", agents.size), {shown: P.number(shown), count: P.number(agents.size)}, true);
    if (partial && total > agents.size) { words += " · " + fmt(_("showing %(n)s of %(m)s: the portal's limit"), {n: P.number(agents.size), m: P.number(total)}, true); }
    if (count.textContent !== words) { count.textContent = words; }
    folded();
    render();
    if (tilesDirty) { tiles(now); }
  }
  // Logged-out agents as one group that opens (by default on a phone).
  var loggedOutFolded = window.matchMedia ? window.matchMedia("(max-width: 767px)").matches : false;
  var foldButton = root.querySelector("[data-action=logged-out-group]");
  function folded() {
    var fold = foldLoggedOut();
    foldButton.hidden = fold ? !hiddenLoggedOut : !(loggedOutInView && !filter.group && !filter.search);
    foldButton.setAttribute("aria-expanded", String(!fold));
    var text = fold ? fmt(P.ngettext("Logged out: %(n)s agent · show", "Logged out: %(n)s agents · show", hiddenLoggedOut), {n: P.number(hiddenLoggedOut)}, true)
      : _("Fold logged-out agents into one group");
    if (foldButton.textContent !== text) { foldButton.textContent = text; }
  }
  foldButton.addEventListener("click", function () { loggedOutFolded = !loggedOutFolded; arrange(); });

  // Tiles follow the team and skill filters, and filter the list when pressed; they add up to the rows.
  function tiles(now) {
    tilesDirty = false;
    var counts = {available: 0, contact: 0, acw: 0, unavailable: 0, loggedout: 0, attention: 0}, reasons = {};
    agents.forEach(function (a) {
      if ((filter.team && a.teamName !== filter.team) || (filter.skill && !hasSkill(a, filter.skill))) { return; }
      var group = groupOf(a);
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
    values.forEach(function (v) { var o = el("option", v); o.value = v; o.dir = "auto"; select.appendChild(o); });
    select.value = current;
  }

  // --- applying an answer ----------------------------------------------------------------------------
  function apply(body) {
    var started = performance.now();
    if (body.full) {
      var seen = new Set();
      body.agents.forEach(function (a) { seen.add(a.agentId); });
      Array.from(agents.keys()).forEach(function (id) { if (!seen.has(id)) { remove(id); } });
    }
    (body.removed || []).forEach(remove);
    body.agents.forEach(function (a) {
      var before = agents.get(a.agentId);
      if (!before || before.firstName !== a.firstName || before.lastName !== a.lastName) { namesDirty = true; }
      agents.set(a.agentId, a);
      facts.set(a.agentId, {since: Date.parse(a.stateSince), group: P.stateGroup(a), hay: (fullName(a) + " " + (a.userName || "") + " " + a.agentId).toLowerCase()});
    });
    sortedBy = {}; tilesDirty = true;
    version = body.version; stale = !!body.stale; haveData = true;
    total = body.total || agents.size; partial = !!body.partial;
    options(root.querySelector("[data-filter=team]"), uniq("teamName"), filter.team);
    skillOptions();
    arrange();
    if (drawer.id && agents.has(drawer.id)) { drawer.refresh(); }
    // The page measures its own updates (benchmarks and tests read it; nobody else does).
    root.setAttribute("data-update-ms", (performance.now() - started).toFixed(1));
    root.setAttribute("data-update-rows", String(body.agents.length));
    root.setAttribute("data-version", String(version));
  }
  function remove(id) {
    agents.delete(id); facts.delete(id); nameRank.delete(id); breached.delete(id);
    namesDirty = true;
  }
  function uniq(field) {
    var set = new Set();
    agents.forEach(function (a) { if (a[field]) { set.add(a[field]); } });
    return Array.from(set).sort(collator.compare);
  }

  // --- polling ------------------------------------------------------------------------------------------
  function pollAgents() {
    var url = root.getAttribute("data-agents-url") + (version !== null ? "?since=" + version : "");
    var headers = version !== null ? {"If-None-Match": '"v' + version + '"'} : {};
    return P.request(url, {headers: headers}).then(function (r) {
      if (ended) { return "ok"; }
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
    var text = ended ? _("not updated: this browser is signed in elsewhere now")
      : fmt(_("updated %(n)s s ago"), {n: P.number(seconds)}, true) + (stale ? " · " + _("stale") : "");
    if (node.textContent !== text) { node.textContent = text; }
  }
  // Another tab signed in to another organisation or as another user: old data is no longer fresh.
  document.addEventListener("portal:session-changed", function () {
    ended = true;
    root.classList.add("session-ended");
    updated();
  });

  // --- the queue picture ----------------------------------------------------------------------------------
  var skillsBody = root.querySelector("[data-test=skills] tbody");
  var queueSkills = [];
  // The skill filter offers the queues' skills and any skill an agent is assigned.
  function skillOptions() {
    var set = new Set(queueSkills);
    agents.forEach(function (a) { (Array.isArray(a.skills) ? a.skills : []).forEach(function (s) { var name = s && typeof s === "object" ? s.skillName : s; if (name) { set.add(name); } }); });
    if (assigned) { assigned.forEach(function (ids, name) { set.add(name); }); }
    options(root.querySelector("[data-filter=skill]"), Array.from(set).sort(collator.compare), filter.skill);
  }
  var skillsTag = null;  // the ETag of the skills shown: an unchanged answer is a 304 (no body, no rebuild)
  function skillsUpdated(age) {
    var node = root.querySelector("[data-test=skills-as-of]");
    if (node) { node.textContent = fmt(_("updated %(n)s s ago"), {n: P.number(age || 0)}, true); }
  }
  function pollSkills() {
    return P.request(root.getAttribute("data-skills-url"), {headers: skillsTag ? {"If-None-Match": skillsTag} : {}}).then(function (r) {
      if (r.status === 304 && !ended) { skillsUpdated(r.age); return "ok"; }
      if (!r.ok || !r.body || ended) { return P.outcomeOf(r); }
      skillsTag = r.etag || null;
      skillsBody.textContent = "";
      queueSkills = r.body.skills.map(function (s) { return s.skillName; }).filter(Boolean);
      skillOptions();
      r.body.skills.forEach(function (s) {
        var tr = el("tr");
        tr.appendChild(el("th", s.skillName));
        tr.firstChild.setAttribute("scope", "row");
        tr.firstChild.dir = "auto";
        tr.appendChild(el("td", s.mediaType ? P.channel(s.mediaType) : "—"));
        tr.appendChild(el("td", P.number(s.queueCount), "num"));
        var waitBreach = P.waitBreached(s, T);
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
      skillsUpdated(r.age);
      return P.outcomeOf(r);
    });
  }

  var assignedTag = null;
  function pollAssignments() {
    var url = root.getAttribute("data-skill-agents-url");
    if (!url) { return Promise.resolve(null); }
    return P.request(url, {headers: assignedTag ? {"If-None-Match": assignedTag} : {}}).then(function (r) {
      if (r.status === 304) { return "ok"; }
      if (!r.ok || !r.body || ended) { return P.outcomeOf(r); }
      assignedTag = r.etag || null;
      var next = new Map();
      Object.keys(r.body.skills || {}).forEach(function (id) {
        var skill = r.body.skills[id];
        if (skill && skill.name) { next.set(skill.name, new Set(skill.agentIds || [])); }
      });
      assigned = next;
      skillOptions();
      if (filter.skill) { tilesDirty = true; arrange(); }
      return P.outcomeOf(r);
    });
  }

  // --- ticking: only the rows in the page (a few dozen), once a second ---------------------------------------
  var lastTiles = 0;
  function tick() {
    var started = performance.now();
    var now = Date.now();
    rendered.forEach(function (tr, id) { var a = agents.get(id); if (a) { patchTicking(tr, a, now); } });
    if (now - lastTiles >= 5000) { lastTiles = now; tiles(now); }
    announce(now);
    updated();
    if (drawer.id) { drawer.tick(now); }
    root.setAttribute("data-tick-ms", (performance.now() - started).toFixed(1));
  }
  // New breaches within the current filter, summarised, at most once every 30 s (never stealing
  // focus). The breaches present when the page opens are the tiles' to say, not news.
  var lastAnnounce = 0, lastLook = 0, seeded = false, ANNOUNCE_MS = 30000, LOOK_MS = 5000;
  function announce(now) {
    if (!live || !haveData || now - lastAnnounce < ANNOUNCE_MS || now - lastLook < LOOK_MS) { return; }
    lastLook = now;
    var fresh = [];
    agents.forEach(function (a, id) {
      var words = breach(a, now);
      if (words && breached.get(id) !== words && matches(a, now)) { fresh.push(fullName(a) + ": " + words); }
      if (words) { breached.set(id, words); } else { breached.delete(id); }
    });
    if (!seeded) { seeded = true; return; }
    if (!fresh.length) { return; }
    lastAnnounce = now;
    live.textContent = fresh.length === 1 ? fresh[0]
      : fmt(P.ngettext("%(n)s agent in this view newly needs attention.", "%(n)s agents in this view newly need attention.", fresh.length), {n: P.number(fresh.length)}, true);
  }

  // --- controls -------------------------------------------------------------------------------------------
  root.querySelector("[data-filter=team]").addEventListener("change", function (e) { filter.team = e.target.value; tilesDirty = true; arrange(); });
  root.querySelector("[data-filter=skill]").addEventListener("change", function (e) { filter.skill = e.target.value; tilesDirty = true; arrange(); });
  root.querySelector("[data-filter=state]").addEventListener("change", function (e) { filter.group = e.target.value; syncTiles(); arrange(); });
  root.querySelector("[data-filter=search]").addEventListener("input", function (e) {
    filter.search = e.target.value.trim().toLowerCase();
    arrange();
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
      var key = button.getAttribute("data-sort"), column = byKey[key];
      sort = {key: key, dir: sort.key === key ? -sort.dir : (column.firstDir || 1)};
      root.querySelectorAll("th[aria-sort]").forEach(function (th) { th.setAttribute("aria-sort", "none"); });
      var th = button.closest("th");
      if (th && key !== "attention") { th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending"); }
      arrange();
    });
  });

  // --- keyboard: one tab stop in the list; arrows, Page Up/Down, Home/End move between agents ---------------
  tbody.addEventListener("focusin", function (event) {
    var tr = event.target.closest("tr[data-agent-id]");
    if (tr) { focusedId = tr.getAttribute("data-agent-id"); listFocused = true; }
  });
  tbody.addEventListener("focusout", function (event) {
    if (!event.relatedTarget || !tbody.contains(event.relatedTarget)) {
      // Focus leaves the list, unless the row holding it is only being moved or recycled.
      setTimeout(function () { if (!tbody.contains(document.activeElement)) { listFocused = false; } }, 0);
    }
  });
  function pageRows() { return Math.max(1, Math.floor(scroller.clientHeight / (rowHeight || 40)) - 1); }
  function focusAt(index) {
    if (!order.length) { return; }
    index = Math.max(0, Math.min(order.length - 1, index));
    focusedId = order[index]; listFocused = true;
    var head = table.tHead.offsetHeight, top = index * rowHeight, bottom = top + rowHeight;
    if (top < scroller.scrollTop) { scroller.scrollTop = top; }
    else if (head + bottom > scroller.scrollTop + scroller.clientHeight) { scroller.scrollTop = head + bottom - scroller.clientHeight; }
    render();
    var tr = rendered.get(focusedId);
    if (tr) { tr.firstChild.firstChild.focus({preventScroll: true}); }
  }
  tbody.addEventListener("keydown", function (event) {
    var tr = event.target.closest("tr[data-agent-id]");
    if (!tr) { return; }
    var at = order.indexOf(tr.getAttribute("data-agent-id"));
    var to = {ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + pageRows(), PageUp: at - pageRows(), Home: 0, End: order.length - 1}[event.key];
    if (to === undefined) { return; }
    event.preventDefault();
    focusAt(to);
  });
  function focusAgent(id) {
    var index = order.indexOf(id);
    if (index >= 0) { focusAt(index); }
  }

  // --- CSV: every row of the current filter, as a spreadsheet in the user's language opens it ------------------
  root.querySelector("[data-action=csv]").addEventListener("click", function () {
    var now = Date.now(), fields = [];
    COLUMNS.forEach(function (c) { (c.csv || []).forEach(function (f) { fields.push(f); }); });
    var lines = [fields.map(function (f) { return f[0]; })];
    function line(id) { var a = agents.get(id); lines.push(fields.map(function (f) { return f[1](a, now); })); }
    order.forEach(line);  // the view's order, then any logged-out agents folded out of it
    if (foldLoggedOut()) { agents.forEach(function (a, id) { if (P.stateGroup(a) === "loggedout" && matches(a, now)) { line(id); } }); }
    var link = el("a");
    link.href = URL.createObjectURL(new Blob([P.csv(lines)], {type: "text/csv;charset=utf-8"}));
    link.download = P.csvName("team-board", root.getAttribute("data-tenant"), new Date(now));
    document.body.appendChild(link); link.click(); link.remove();
  });

  // --- the drawer: beside the list (a sheet over it on a phone), takes focus, Escape gives focus back ---------
  var drawerNode = root.querySelector("[data-test=drawer]");
  var drawer = {
    id: null, opener: null, abort: null,
    open: function (id) {
      this.id = id; this.opener = id;
      drawerNode.hidden = false;
      root.classList.add("drawer-open");
      this.refresh();
      this.contacts();
      if (window.BoardActions) { window.BoardActions.forAgent(agents.get(id)); }
      drawerNode.querySelector("h2").focus({preventScroll: true});
    },
    close: function () {
      if (!this.id) { return; }
      if (this.abort) { this.abort.abort(); }
      this.id = null;
      drawerNode.hidden = true;
      root.classList.remove("drawer-open");
      if (this.opener) { focusAgent(this.opener); }
    },
    refresh: function () {
      var a = agents.get(this.id);
      if (!a) { return; }
      var group = P.stateGroup(a);
      drawerNode.querySelector("[data-test=agent-name]").textContent = fullName(a);
      drawerNode.querySelector("[data-field=login]").textContent = (a.userName || "—") + "\n" + _("ID") + " " + a.agentId;
      drawerNode.querySelector("[data-field=team]").textContent = a.teamName || "—";
      drawerNode.querySelector("[data-field=state]").textContent = P.ICONS[group] + " " + P.rowStateWords(a);
      drawerNode.querySelector("[data-field=skill]").textContent = skillWords(a);
      drawerNode.querySelector("[data-field=contact]").textContent = a.contactId || "—";
      if (window.BoardActions) { window.BoardActions.offer(a); }
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
      P.request(P.urlFor(root.getAttribute("data-contacts-url"), id), {signal: this.abort && this.abort.signal})
        .then(function (r) {
          if (self.id !== id) { return; }
          tbodyC.textContent = "";
          if (!r.ok && P.outcomeOf(r) === "soon" && (self.tries = (self.tries || 0) + 1) <= 10) { tbodyC.appendChild(row1(_("Loading…"))); setTimeout(function () { if (self.id === id) { self.contacts(); } }, 1000); return; }
          self.tries = 0;
          if (!r.ok) { tbodyC.appendChild(row1(P.causeWords(r.body, r.status, false, 0))); return; }
          if (!r.body.contacts.length) { tbodyC.appendChild(row1(_("No completed contacts in the last 24 hours."))); return; }
          r.body.contacts.forEach(function (c) {
            var tr = el("tr");
            tr.appendChild(el("td", c.notFromCXone ? _("not available from CXone") : P.localTime(c.startDate, {weekday: "short"})));
            var skill = el("td", c.skillName || "—"); skill.dir = "auto"; tr.appendChild(skill);
            tr.appendChild(el("td", c.mediaType ? P.channel(c.mediaType) : "—"));
            tr.appendChild(el("td", P.duration(c.handleSeconds), "num"));
            tbodyC.appendChild(tr);
          });
        }, function () { /* aborted */ });
    }
  };
  function row1(text) { var tr = el("tr"), td = el("td", text); td.colSpan = 4; tr.appendChild(td); return tr; }
  tbody.addEventListener("click", function (event) {
    var button = event.target.closest("[data-agent]");
    if (button) { drawer.open(button.getAttribute("data-agent")); }
  });
  drawerNode.querySelector("[data-action=close]").addEventListener("click", function () { drawer.close(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && drawer.id && !document.querySelector("dialog[open]")) { drawer.close(); }
  });
  window.Board = {drawer: drawer, agents: agents, refreshSoon: function () { agentsPoller.now(); }};

  var agentsPoller = new P.Poller(pollAgents, pollSeconds);
  var skillsPoller = new P.Poller(pollSkills, pollSeconds);
  var assignmentsPoller = new P.Poller(pollAssignments, 60);  // CXone's assignments change rarely; a 304 costs little
  agentsPoller.now();
  skillsPoller.now();
  assignmentsPoller.now();
  setInterval(function () { if (!document.hidden) { tick(); } }, 1000);
})();
