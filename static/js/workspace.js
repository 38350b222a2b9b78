// The agent's day and the team board: poll the portal's JSON, render, tick. No inline code
// (the CSP allows scripts from 'self' only); times are shown in the browser's time zone.
(function () {
  "use strict";
  var root = document.querySelector("[data-workspace]");
  if (!root) { return; }
  var POLL_MS = 5000;
  var notice = root.querySelector("[data-test=notice]");

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) { return "—"; }
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }
  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "—" : d.toLocaleString([], {weekday: "short", hour: "2-digit", minute: "2-digit"});
  }
  function showNotice(body, fallback) {
    var text = (body && (body.notice || body.message)) || fallback || "";
    if (body && body.stale && !text) { text = "Showing data from " + (body.ageSeconds || "?") + " s ago."; }
    notice.textContent = text;
    notice.hidden = !text;
    notice.className = "notice" + (body && body.stale ? " stale" : "");
  }
  function asOf(node, body) {
    if (node) { node.textContent = "as of " + localTime(body.asOf) + (body.stale ? " (stale)" : ""); }
  }
  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}, credentials: "same-origin"})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 401 && body.login_url) { window.location.assign(body.login_url); }
          return {ok: response.ok, status: response.status, body: body};
        });
      });
  }
  function fillContacts(tbody, contacts) {
    tbody.textContent = "";
    if (!contacts.length) {
      var row = el("tr"); var cell = el("td", "No completed contacts in the last 24 hours."); cell.colSpan = 4;
      row.appendChild(cell); tbody.appendChild(row); return;
    }
    contacts.forEach(function (c) {
      var row = el("tr");
      row.appendChild(el("td", localTime(c.startDate)));
      row.appendChild(el("td", c.skillName || "—"));
      row.appendChild(el("td", c.mediaType || "—"));
      row.appendChild(el("td", duration(c.durationSeconds), "num"));
      tbody.appendChild(row);
    });
  }
  function stateGroup(state) {
    if (state === "Available") { return "available"; }
    if (/Contact|Consult|Dialer/.test(state)) { return "contact"; }
    if (state === "LoggedOut" || !state) { return "loggedout"; }
    return "unavailable";
  }
  var WORDS = {Available: "Available", InboundContact: "On an inbound contact", OutboundContact: "On an outbound contact",
    InboundConsult: "In a consult", OutboundConsult: "In a consult", Dialer: "On a dialer contact",
    Unavailable: "Unavailable", LoggedOut: "Logged out", LoggedIn: "Logged in"};
  var ICONS = {available: "✓", contact: "☎", unavailable: "⊘", loggedout: "○"};
  function stateWords(state, reason) {
    var words = WORDS[state] || state || "Unknown";
    return reason ? words + " — " + reason : words;
  }
  // Times in state tick every second between polls.
  function tick() {
    var now = Date.now();
    root.querySelectorAll("[data-since]").forEach(function (node) {
      var since = Date.parse(node.getAttribute("data-since"));
      node.textContent = isNaN(since) ? "—" : duration((now - since) / 1000);
    });
  }
  setInterval(tick, 1000);

  // --- the agent's day -----------------------------------------------------------------------
  function agent() {
    var tbody = root.querySelector("[data-test=contacts] tbody");
    function contacts() {
      return getJSON(root.getAttribute("data-contacts-url")).then(function (r) {
        if (!r.ok) { showNotice(r.body, "Your contacts cannot be shown right now."); return; }
        showNotice(r.body);
        fillContacts(tbody, r.body.contacts);
        var midnight = new Date(); midnight.setHours(0, 0, 0, 0);
        var today = r.body.contacts.filter(function (c) { return Date.parse(c.startDate) >= midnight.getTime(); });
        var total = today.reduce(function (sum, c) { return sum + (c.durationSeconds || 0); }, 0);
        root.querySelector("[data-test=today-count]").textContent = today.length;
        root.querySelector("[data-test=aht]").textContent = today.length ? duration(total / today.length) : "—";
        root.querySelector("[data-test=total-handle]").textContent = duration(total);
        asOf(root.querySelector("[data-test=as-of]"), r.body);
      });
    }
    function state() {
      return getJSON(root.getAttribute("data-state-url")).then(function (r) {
        if (!r.ok) { return; }
        var s = r.body.state || {};
        root.querySelector("[data-test=my-state]").textContent = stateWords(s.state, s.stateReason);
        var since = root.querySelector("[data-test=my-state-since]");
        since.setAttribute("data-since", s.stateSince || "");
        tick();
      });
    }
    function poll() { contacts(); state(); }
    poll();
    setInterval(poll, POLL_MS);
  }

  // --- the team board --------------------------------------------------------------------------
  function supervisor() {
    var agents = [], selectedTeam = "", selectedState = "";
    var body = root.querySelector("[data-test=agents] tbody");
    var teamFilter = root.querySelector("[data-filter=team]");
    var stateFilter = root.querySelector("[data-filter=state]");
    teamFilter.addEventListener("change", function () { selectedTeam = teamFilter.value; render(); });
    stateFilter.addEventListener("change", function () { selectedState = stateFilter.value; render(); });

    function render() {
      var counts = {available: 0, contact: 0, unavailable: 0, loggedout: 0}, reasons = {};
      agents.forEach(function (a) {
        var group = stateGroup(a.state); counts[group] += 1;
        if (group === "unavailable" && a.stateReason) { reasons[a.stateReason] = (reasons[a.stateReason] || 0) + 1; }
      });
      Object.keys(counts).forEach(function (k) { root.querySelector("[data-count=" + k + "]").textContent = counts[k]; });
      root.querySelector("[data-test=reasons]").textContent = Object.keys(reasons).sort().map(function (r) { return r + " " + reasons[r]; }).join(" · ");
      var shown = agents.filter(function (a) {
        return (!selectedTeam || a.teamName === selectedTeam) && (!selectedState || stateGroup(a.state) === selectedState);
      });
      var fragment = document.createDocumentFragment();
      shown.forEach(function (a) {
        var group = stateGroup(a.state);
        var row = el("tr", null, "state-" + group);
        var name = el("td"); var button = el("button", a.firstName + " " + a.lastName, "link");
        button.type = "button"; button.setAttribute("data-agent", a.agentId);
        name.appendChild(button); row.appendChild(name);
        row.appendChild(el("td", a.teamName || "—"));
        row.appendChild(el("td", ICONS[group] + " " + stateWords(a.state, a.stateReason), "state"));
        var since = el("td", "", "num"); since.setAttribute("data-since", a.stateSince || ""); row.appendChild(since);
        row.appendChild(el("td", a.skillName ? a.skillName + " · " + (a.mediaType || "") : "—"));
        fragment.appendChild(row);
      });
      body.textContent = ""; body.appendChild(fragment);
      root.querySelector("[data-test=shown]").textContent = shown.length + " of " + agents.length + " agents";
      tick();
    }
    body.addEventListener("click", function (event) {
      var button = event.target.closest("[data-agent]");
      if (!button) { return; }
      var panel = root.querySelector("[data-test=agent-contacts]");
      panel.hidden = false;
      panel.querySelector("[data-test=agent-name]").textContent = button.textContent;
      var tbody = panel.querySelector("tbody"); tbody.textContent = "";
      getJSON(root.getAttribute("data-contacts-base") + encodeURIComponent(button.getAttribute("data-agent")) + "/contacts/")
        .then(function (r) { if (r.ok) { fillContacts(tbody, r.body.contacts); } else { showNotice(r.body); } });
    });
    function pollAgents() {
      return getJSON(root.getAttribute("data-agents-url")).then(function (r) {
        if (!r.ok) { showNotice(r.body, "The team cannot be shown right now."); return; }
        showNotice(r.body);
        agents = r.body.agents;
        var teams = Array.from(new Set(agents.map(function (a) { return a.teamName; }).filter(Boolean))).sort();
        if (teamFilter.options.length !== teams.length + 1) {
          teamFilter.length = 1;
          teams.forEach(function (t) { var option = el("option", t); option.value = t; teamFilter.appendChild(option); });
          teamFilter.value = selectedTeam;
        }
        asOf(root.querySelector("[data-test=as-of]"), r.body);
        render();
      });
    }
    function pollSkills() {
      return getJSON(root.getAttribute("data-skills-url")).then(function (r) {
        if (!r.ok) { return; }
        var tbody = root.querySelector("[data-test=skills] tbody"); tbody.textContent = "";
        r.body.skills.forEach(function (s) {
          var row = el("tr");
          row.appendChild(el("td", s.skillName));
          row.appendChild(el("td", s.mediaType || "—"));
          row.appendChild(el("td", s.queueCount === null ? "—" : s.queueCount, "num"));
          row.appendChild(el("td", s.agentsAvailable === null ? "—" : s.agentsAvailable, "num"));
          var met = s.serviceLevel !== null && s.serviceLevelGoal !== null && s.serviceLevel >= s.serviceLevelGoal;
          var sl = el("td", (met ? "✓ " : "⚠ ") + (s.serviceLevel === null ? "—" : s.serviceLevel + "%") +
            " (goal " + (s.serviceLevelGoal === null ? "—" : s.serviceLevelGoal + "%") + ")" + (met ? "" : " below goal"),
            met ? "sl-met" : "sl-missed");
          row.appendChild(sl);
          tbody.appendChild(row);
        });
        asOf(root.querySelector("[data-test=skills-as-of]"), r.body);
      });
    }
    function poll() { pollAgents(); pollSkills(); }
    poll();
    setInterval(poll, POLL_MS);
  }

  if (root.getAttribute("data-workspace") === "agent") { agent(); } else { supervisor(); }
})();
