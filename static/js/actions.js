// What a supervisor does from the agent's drawer: make available, make unavailable with a
// reason from the team's codes, log out (after a confirmation that says it ends any active
// call), message an agent, a team or everyone. The outcome is said in words; the board shows
// the effect at its next poll, asked for at once.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=supervisor]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate;
  var drawer = root.querySelector("[data-test=drawer]");
  var outcome = drawer.querySelector("[data-test=outcome]");
  var reasonSelect = drawer.querySelector("[data-field=reason]");
  var confirmDialog = root.querySelector("[data-test=confirm]");
  var messageDialog = root.querySelector("[data-test=message-dialog]");
  var stateUrl = root.getAttribute("data-state-url"), logoutUrl = root.getAttribute("data-logout-url");
  var messagesUrl = root.getAttribute("data-messages-url"), codesUrl = root.getAttribute("data-codes-url");
  var agent = null, codesFor = null;

  function name(a) { return (a.firstName + " " + a.lastName).trim() || a.agentId; }
  function say(text, ok) { outcome.textContent = text; outcome.className = "outcome " + (ok ? "ok" : "refused"); }

  function loadCodes(a, tries) {
    tries = tries || 0;
    if (codesFor === a.teamId) { return; }
    codesFor = a.teamId;
    reasonSelect.length = 0;
    reasonSelect.appendChild(P.el("option", _("Loading reasons…")));
    P.request(P.urlFor(codesUrl, a.teamId)).then(function (r) {
      if (codesFor !== a.teamId) { return; }
      reasonSelect.length = 0;
      // The portal answers one on-demand read per user at a time (the drawer's contacts may be
      // that read): busy means "again in a moment", not a failure.
      if (!r.ok && P.outcomeOf(r) === "soon" && tries < 10) { reasonSelect.appendChild(P.el("option", _("Loading reasons…"))); codesFor = null; setTimeout(function () { if (agent && agent.teamId === a.teamId) { loadCodes(a, tries + 1); } }, 1000); return; }
      if (!r.ok) { reasonSelect.appendChild(P.el("option", P.causeWords(r.body, r.status, false, 0))); codesFor = null; return; }
      if (r.body.notFromCXone) { reasonSelect.appendChild(P.el("option", _("not available from CXone"))); codesFor = null; return; }
      r.body.codes.forEach(function (c) {
        var option = P.el("option", c.name + (c.isAcw ? " " + _("(needs an active contact)") : ""));
        option.value = String(c.id);
        reasonSelect.appendChild(option);
      });
    });
  }

  function confirm(title, text, okWords) {
    return new Promise(function (resolve) {
      confirmDialog.querySelector("[data-field=confirm-title]").textContent = title;
      confirmDialog.querySelector("[data-field=confirm-text]").textContent = text;
      confirmDialog.querySelector("[data-field=confirm-ok]").textContent = okWords;
      confirmDialog.returnValue = "";
      confirmDialog.addEventListener("close", function done() {
        confirmDialog.removeEventListener("close", done);
        resolve(confirmDialog.returnValue === "ok");
      });
      confirmDialog.showModal();
    });
  }

  // The outcome in words; a refusal says what was refused (a log-out, a state change, a message).
  function post(url, json, doneWords, refusedWords) {
    say(_("Asking CXone…"), true);
    return P.request(url, {method: "POST", json: json}).then(function (r) {
      if (r.ok) { say(doneWords, true); if (window.Board) { window.Board.refreshSoon(); } }
      else { say((refusedWords + " " + P.causeWords(r.body, r.status, false, 0)).trim(), false); }
      return r;
    });
  }
  // Only what can work is offered: nothing to change or log out for an agent who is logged out.
  function offer(a) {
    var loggedOut = P.stateGroup(a) === "loggedout";
    drawer.querySelectorAll("[data-act=available], [data-act=unavailable], [data-act=logout], [data-field=reason-choice]").forEach(function (node) { node.hidden = loggedOut; });
    drawer.querySelector("[data-test=logged-out-note]").hidden = !loggedOut;
  }

  drawer.querySelector("[data-act=available]").addEventListener("click", function () {
    var a = agent;
    confirm(_("Make available"), fmt(_("%(name)s will be Available and may be offered contacts at once."), {name: name(a)}, true), _("Make available"))
      .then(function (yes) {
        if (yes) { post(P.urlFor(stateUrl, a.agentId), {state: "Available"}, fmt(_("CXone accepted: %(name)s becomes Available, at once or when their current contact ends."), {name: name(a)}, true),
          fmt(_("CXone refused to change the state of %(name)s."), {name: name(a)}, true)); }
      });
  });
  drawer.querySelector("[data-act=unavailable]").addEventListener("click", function () {
    var a = agent, option = reasonSelect.options[reasonSelect.selectedIndex];
    if (!option || !option.value) { say(_("Choose a reason first."), false); reasonSelect.focus(); return; }
    confirm(_("Make unavailable"), fmt(_("%(name)s will be Unavailable (%(reason)s) and get no new contacts."), {name: name(a), reason: option.textContent}, true), _("Make unavailable"))
      .then(function (yes) {
        if (yes) {
          post(P.urlFor(stateUrl, a.agentId), {state: "Unavailable", reasonId: parseInt(option.value, 10)},
            fmt(_("CXone accepted: %(name)s becomes Unavailable (%(reason)s), at once or when their current contact ends."), {name: name(a), reason: option.textContent}, true),
            fmt(_("CXone refused to change the state of %(name)s."), {name: name(a)}, true));
        }
      });
  });
  drawer.querySelector("[data-act=logout]").addEventListener("click", function () {
    var a = agent;
    confirm(_("Log out"), fmt(_("Log %(name)s out of CXone? This ends any active call or contact they are on."), {name: name(a)}, true), _("Log out and end any call"))
      .then(function (yes) {
        if (yes) { post(P.urlFor(logoutUrl, a.agentId), {}, fmt(_("%(name)s is logged out."), {name: name(a)}, true),
          fmt(_("CXone refused to log %(name)s out."), {name: name(a)}, true)); }
      });
  });

  // Messages: to this agent, a team, or everyone.
  var form = messageDialog.querySelector("form");
  var targetType = form.querySelector("[data-field=target-type]");
  var teamChoice = form.querySelector("[data-field=team-choice]");
  var teamSelect = form.querySelector("[data-field=team-id]");
  function openMessage(forAgent) {
    form.reset();
    targetType.querySelector("option[value=Agent]").disabled = !forAgent;
    targetType.value = forAgent ? "Agent" : "Team";
    teamSelect.length = 0;
    var teams = new Map();
    if (window.Board) { window.Board.agents.forEach(function (a) { if (a.teamId) { teams.set(a.teamId, a.teamName || a.teamId); } }); }
    Array.from(teams.entries()).sort(function (x, y) { return x[1].localeCompare(y[1], P.lang); }).forEach(function (entry) {
      var teamName = entry[1], id = entry[0]; var o = P.el("option", teamName); o.value = id; teamSelect.appendChild(o);
    });
    if (forAgent && agent) { teamSelect.value = agent.teamId; }
    teamChoice.hidden = targetType.value !== "Team";
    messageDialog.showModal();
  }
  targetType.addEventListener("change", function () { teamChoice.hidden = targetType.value !== "Team"; });
  messageDialog.addEventListener("close", function () {
    if (messageDialog.returnValue !== "send") { return; }
    var type = targetType.value;
    var payload = {targetType: type, subject: form.elements.subject.value, message: form.elements.message.value};
    if (type === "Agent") { payload.targetId = agent.agentId; }
    if (type === "Team") { payload.targetId = teamSelect.value; }
    if (form.elements.expireMinutes) { payload.expireMinutes = parseInt(form.elements.expireMinutes.value, 10); }
    var to = type === "Agent" ? name(agent) : type === "Team" ? teamSelect.options[teamSelect.selectedIndex].textContent : _("everyone");
    // From the drawer, the outcome shows there; from the toolbar, under it.
    var target = drawer.hidden ? root.querySelector("[data-test=message-outcome]") : null;
    post(messagesUrl, payload, fmt(_("Message sent to %(to)s."), {to: to}, true), fmt(_("CXone refused the message to %(to)s."), {to: to}, true)).then(function () {
      if (target) { target.textContent = outcome.textContent; target.className = outcome.className; }
    });
  });
  drawer.querySelector("[data-act=message]").addEventListener("click", function () { openMessage(true); });
  root.querySelector("[data-action=message-team]").addEventListener("click", function () { openMessage(false); });

  window.BoardActions = {
    forAgent: function (a) { agent = a; say("", true); if (a) { offer(a); loadCodes(a); } },
    offer: function (a) { if (agent && a.agentId === agent.agentId) { agent = a; } offer(a); }
  };
})();
