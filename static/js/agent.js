// The agent's day: one read (/api/agent/day/) fills the tiles, the list, unavailable time by
// reason, the timeline of states and the comparison with the team, all over the same window
// the server chose; the current state ticks; the supervisor's messages. Polls chain and pause
// while the tab is hidden. Every word goes through gettext; times through Portal.localTime.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=agent]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var seconds = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);
  var since = null;
  var percentFormat;
  try { percentFormat = new Intl.NumberFormat(P.lang, {style: "percent", maximumFractionDigits: 1}); }
  catch (e) { percentFormat = new Intl.NumberFormat(undefined, {style: "percent", maximumFractionDigits: 1}); }

  function $(selector) { return root.querySelector(selector); }
  function percent(n) { return n === null || n === undefined || isNaN(n) ? "—" : percentFormat.format(n / 100); }
  function when(iso) { return P.localTime(iso, {weekday: "short"}); }
  function emptyRow(tbody, columns, words) {
    var row = el("tr"), cell = el("td", words);
    cell.colSpan = columns;
    row.appendChild(cell);
    tbody.appendChild(row);
  }
  function note(name, words) {
    var node = $("[data-test=" + name + "-note]");
    node.textContent = words || "";
    node.hidden = !words;
  }
  function reasonWords(entry) {
    return entry.reason || _("No reason given");
  }

  function contacts(body) {
    var tbody = $("[data-test=contacts] tbody");
    tbody.textContent = "";
    if (!body.contacts.length) { emptyRow(tbody, 4, _("No completed contacts in the last 24 hours.")); }
    body.contacts.forEach(function (c) {
      var row = el("tr");
      row.appendChild(el("td", c.notFromCXone ? _("not available from CXone") : when(c.startDate)));
      var skill = el("td", c.skillName || "—"); skill.dir = "auto"; row.appendChild(skill);
      row.appendChild(el("td", c.mediaType ? P.channel(c.mediaType) : "—"));
      row.appendChild(el("td", P.duration(c.handleSeconds), "num"));
      tbody.appendChild(row);
    });
    var s = body.summary;
    $("[data-test=today-count]").textContent = P.number(s.count);
    $("[data-test=aht]").textContent = P.duration(s.handleSecondsAverage);
    $("[data-test=total-handle]").textContent = P.duration(s.handleSecondsTotal);
  }

  function reasons(body) {
    var tbody = $("[data-test=reasons] tbody");
    tbody.textContent = "";
    if (body.unavailableByReason === null) {
      note("reasons", (body.historyReason && body.historyReason.message) || _("CXone did not give your state history."));
      $("[data-test=reasons-total]").textContent = "—";
      return;
    }
    note("reasons", "");
    // After-call work is shown once, apart: it is handle time, not time away.
    var total = 0, acw = 0;
    var away = body.unavailableByReason.filter(function (entry) { if (entry.acw) { acw += entry.seconds; } return !entry.acw; });
    if (!away.length) { emptyRow(tbody, 2, _("No unavailable time in the last 24 hours.")); }
    away.forEach(function (entry) {
      total += entry.seconds;
      var row = el("tr"), name = el("th", reasonWords(entry));
      name.scope = "row"; name.dir = "auto";
      row.appendChild(name);
      row.appendChild(el("td", P.duration(entry.seconds), "num"));
      tbody.appendChild(row);
    });
    $("[data-test=reasons-total]").textContent = P.duration(total);
    $("[data-test=acw-time]").textContent = P.duration(acw);
  }

  function timeline(body) {
    var bar = $("[data-test=timeline-bar]"), tbody = $("[data-test=timeline] tbody");
    var start = Date.parse(body.window.start), end = Date.parse(body.window.end), span = Math.max(1, end - start);
    bar.textContent = "";
    tbody.textContent = "";
    $("[data-test=timeline-from]").textContent = when(body.window.start);
    $("[data-test=timeline-to]").textContent = when(body.window.end);
    if (body.timeline === null) {
      note("timeline", (body.historyReason && body.historyReason.message) || _("CXone did not give your state history."));
      emptyRow(tbody, 3, _("No states to show."));
      return;
    }
    note("timeline", body.historyPartial ? _("CXone sent more states than the page shows: the oldest are left out.") : "");
    if (!body.timeline.length) { emptyRow(tbody, 3, _("No state changes in the last 24 hours.")); }
    var fragment = document.createDocumentFragment();
    body.timeline.forEach(function (row) {
      if (!row.seconds) { return; }
      var group = P.stateGroup({state: row.state, isACW: row.acw});
      var seg = el("div", null, "seg group-" + group);
      seg.style.insetInlineStart = ((Date.parse(row.start) - start) / span * 100) + "%";
      seg.style.inlineSize = (row.seconds * 1000 / span * 100) + "%";
      fragment.appendChild(seg);
    });
    bar.appendChild(fragment);
    // Newest first, under a heading row per hour.
    var rows = document.createDocumentFragment(), hour = null;
    body.timeline.slice().reverse().forEach(function (row) {
      var group = P.stateGroup({state: row.state, isACW: row.acw});
      var at = new Date(row.start), thisHour = isNaN(at) ? "" : P.localTime(new Date(at.getTime() - at.getTime() % 3600000).toISOString(), {weekday: "short"});
      if (thisHour !== hour) {
        hour = thisHour;
        var head = el("tr", null, "hour"), cell = el("th", thisHour || "—");
        cell.colSpan = 3; cell.scope = "colgroup"; head.appendChild(cell);
        rows.appendChild(head);
      }
      var tr = el("tr");
      tr.appendChild(el("td", when(row.start)));
      var words = row.acw ? P.GROUPS.acw + (row.reason ? " — " + row.reason : "") : P.stateWords(row.state, row.reason);
      var cell = el("td", words, "group-cell");
      cell.setAttribute("data-icon", P.ICONS[group] || "");
      tr.appendChild(cell);
      tr.appendChild(el("td", P.duration(row.seconds), "num"));
      rows.appendChild(tr);
    });
    tbody.appendChild(rows);
  }

  function performance(body) {
    var p = body.performance;
    function put(name, text) { $("[data-figure=" + name + "]").textContent = text; }
    $("[data-test=performance]").hidden = p === null;
    if (p === null) {
      note("performance", _("CXone does not let your role read performance figures, so this comparison is not shown.") +
        (body.performanceReason && body.performanceReason.message ? " (" + body.performanceReason.message + ")" : ""));
      return;
    }
    note("performance", p.team === null ? _("CXone does not give your team's figures to your role: only yours are shown.") : "");
    $("[data-test=team-heading]").textContent = p.teamName ? fmt(_("Your team (%(team)s)"), {team: p.teamName}, true) : _("Your team");
    ["agent", "team"].forEach(function (side) {
      var f = p[side] || {};
      put(side + "-handled", P.number(f.handled));
      put(side + "-aht", P.duration(f.averageHandleSeconds));
      put(side + "-occupancy", percent(f.occupancy));
    });
  }

  // A first read that finds the portal busy with CXone (or the data not there yet) tries again
  // in a moment rather than backing off for a minute.
  var FIRST_LOAD_RETRY = {api_busy: true, api_not_loaded: true};
  function retrySoon(r, loaded, poller) {
    if (loaded || !r.body || !FIRST_LOAD_RETRY[r.body.reason]) { return false; }
    setTimeout(function () { poller().now(); }, 2000);
    return true;
  }
  var dayLoaded = false, messagesLoaded = false, stateLoaded = false, dayPoller, messagesPoller, statePoller;

  function day() {
    return P.request(root.getAttribute("data-day-url")).then(function (r) {
      if (!r.ok) {
        notice.show(P.causeWords(r.body, r.status, dayLoaded, r.age), "stale");
        return retrySoon(r, dayLoaded, function () { return dayPoller; }) ? "ok" : "backoff";
      }
      dayLoaded = true;
      var body = r.body;
      notice.show(body.stale ? P.causeWords(body, 503, true, r.age) : "", body.stale ? "stale" : "");
      $("[data-test=window-times]").textContent = fmt(_("From %(start)s to %(end)s."),
        {start: when(body.window.start), end: when(body.window.end)}, true);
      contacts(body);
      reasons(body);
      timeline(body);
      performance(body);
      $("[data-test=as-of]").textContent = fmt(_("updated %(n)s s ago"), {n: P.number(r.age || 0)}, true);
      return P.outcomeOf(r);
    });
  }
  function state() {
    return P.request(root.getAttribute("data-state-url")).then(function (r) {
      if (!r.ok) { return retrySoon(r, stateLoaded, function () { return statePoller; }) ? "ok" : "backoff"; }
      stateLoaded = true;
      var s = r.body.state || {};
      $("[data-test=my-state]").textContent = P.stateWords(s.state, s.stateReason);
      since = Date.parse(s.stateSince);
      tick();
      return P.outcomeOf(r);
    });
  }
  function messages() {
    var list = $("[data-test=messages]");
    if (!list) { return Promise.resolve("ok"); }
    return P.request(root.getAttribute("data-messages-url")).then(function (r) {
      if (!r.ok) {
        if (!messagesLoaded) {
          list.textContent = "";
          list.appendChild(el("li", P.causeWords(r.body, r.status, false, 0) || _("Your messages cannot be read right now.")));
        }
        return retrySoon(r, messagesLoaded, function () { return messagesPoller; }) ? "ok" : "backoff";
      }
      if (!messagesLoaded) { list.textContent = ""; }
      messagesLoaded = true;
      patchMessages(list, r.body.messages);
      return "ok";
    });
  }
  // The list is patched, not rebuilt: an unchanged poll touches nothing a screen reader would re-read.
  var shownMessages = new Map();  // key -> <li>
  function messageKey(m) { return String(m.messageId || m.id || "") + "|" + m.startDate + "|" + m.subject + "|" + m.message; }
  function patchMessages(list, items) {
    var wanted = items.map(messageKey), keep = new Set(wanted);
    var empty = list.querySelector("[data-empty]");
    shownMessages.forEach(function (li, key) { if (!keep.has(key)) { li.remove(); shownMessages.delete(key); } });
    if (!items.length) {
      if (!empty) { empty = el("li", _("No messages from your supervisor.")); empty.setAttribute("data-empty", ""); list.textContent = ""; list.appendChild(empty); }
      return;
    }
    if (empty) { empty.remove(); }
    Array.from(list.children).forEach(function (li) { if (!li.hasAttribute("data-message")) { li.remove(); } });
    var at = list.firstChild;
    items.forEach(function (m, i) {
      var key = wanted[i], item = shownMessages.get(key);
      if (!item) {
        item = el("li"); item.setAttribute("data-message", "");
        var subject = el("strong", m.subject); subject.dir = "auto"; item.appendChild(subject);
        item.appendChild(el("span", " · " + when(m.startDate), "muted"));
        if (m.sentBy || m.sender || m.senderName) { var from = el("bdi", m.sentBy || m.senderName || m.sender); item.appendChild(el("span", " · ", "muted")).appendChild(from); }
        var text = el("p", m.message); text.dir = "auto"; item.appendChild(text);
        shownMessages.set(key, item);
      }
      if (item !== at) { list.insertBefore(item, at); } else { at = at.nextSibling; }
    });
  }
  function tick() {
    var node = $("[data-test=my-state-since]");
    node.textContent = since && !isNaN(since) ? fmt(_("for %(time)s"), {time: P.duration((Date.now() - since) / 1000)}, true) : "";
  }
  dayPoller = new P.Poller(day, Math.max(seconds, 30));
  messagesPoller = new P.Poller(messages, 8);  // a message to Everyone shows within 10 s: 8 s between polls, plus the read
  statePoller = new P.Poller(state, seconds);
  // The two quick reads first, then the day's (the longest): the server lets only a few
  // requests per organization wait on CXone at once, and the first screen needs all three.
  Promise.all([state(), messages()]).catch(function () { return null; }).then(function () {
    dayPoller.now();
    statePoller.schedule(statePoller.interval);
    messagesPoller.schedule(messagesPoller.interval);
  });
  setInterval(function () { if (!document.hidden) { tick(); } }, 1000);
})();
