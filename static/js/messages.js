// Messages as supervisors expect them: how long a message stays (a choice in the message
// dialog, sent as `expireMinutes`), and the list of messages this organization's supervisors
// sent, each with a retract (CXone deletes it from every inbox). The list is a disclosure
// (keyboard and screen readers know it), read when opened and after a message is sent, and
// patched: an unchanged list is left as it is.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=supervisor]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate;
  var listUrl = root.getAttribute("data-messages-url");  // GET the sent list; POST <id>/retract/ under it
  var EXPIRY = [[15, _("15 minutes")], [60, _("1 hour")], [240, _("4 hours")], [480, _("8 hours")], [1440, _("1 day")], [10080, _("1 week")]];

  // --- the expiry choice, in the message dialog --------------------------------------------------
  var dialog = root.querySelector("[data-test=message-dialog]");
  var form = dialog && dialog.querySelector("form");
  if (form && !form.elements.expireMinutes) {
    var label = P.el("label", _("Remove from inboxes after") + " ");
    var select = P.el("select");
    select.name = "expireMinutes";
    select.setAttribute("data-field", "expire-minutes");
    EXPIRY.forEach(function (choice) {
      var option = P.el("option", choice[1]);
      option.value = String(choice[0]);
      option.selected = choice[0] === 480;
      select.appendChild(option);
    });
    label.appendChild(select);
    form.insertBefore(label, form.querySelector(".action-row"));
    form.addEventListener("reset", function () { window.setTimeout(function () { select.value = "480"; }, 0); });
  }

  // --- the sent list ------------------------------------------------------------------------------
  var panel = P.el("details", null, "sent-messages");
  panel.setAttribute("data-test", "sent-messages");
  var summary = P.el("summary", _("Sent messages"));
  var status = P.el("p", "", "outcome");
  status.setAttribute("role", "status");
  var list = P.el("ul", null, "sent-list");
  panel.appendChild(summary);
  panel.appendChild(status);
  panel.appendChild(list);
  var anchor = root.querySelector("[data-test=message-outcome]");
  if (anchor) { anchor.parentNode.insertBefore(panel, anchor.nextSibling); } else { root.appendChild(panel); }

  var shown = "";
  function say(text, ok) { status.textContent = text; status.className = "outcome " + (ok ? "ok" : "refused"); }

  function target(m) {
    if (m.targetType === "Everyone") { return _("everyone"); }
    if (m.targetType === "Team") { return fmt(_("team %(id)s"), {id: m.targetId}, true); }
    return fmt(_("agent %(id)s"), {id: m.targetId}, true);
  }

  function isLive(m) { return !m.retracted && (!m.expiresAt || Date.parse(m.expiresAt) > Date.now()); }

  function item(m) {
    var li = P.el("li");
    li.setAttribute("data-message", String(m.id));
    var subject = P.el("bdi", m.subject, "subject");
    var head = P.el("strong");
    head.appendChild(subject);
    li.appendChild(head);
    var meta = P.el("span", " · " + fmt(_("to %(to)s, by %(sender)s, %(when)s"), {to: target(m), sender: m.sender || "—", when: P.localTime(m.sentAt)}, true), "meta");
    li.appendChild(meta);
    var state = m.retracted ? _("Retracted") : isLive(m) ? fmt(_("in inboxes until %(time)s"), {time: P.localTime(m.expiresAt)}, true) : _("Expired");
    li.appendChild(P.el("span", " · " + state, "state"));
    if (isLive(m)) {
      var retract = P.el("button", _("Retract"), "button ghost");
      retract.type = "button";
      retract.setAttribute("data-act", "retract");
      retract.setAttribute("aria-label", fmt(_("Retract “%(subject)s”"), {subject: m.subject}, true));
      retract.addEventListener("click", function () { ask(li, m, retract); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(retract);
    }
    return li;
  }

  // Two steps, both buttons: "Retract" asks, "Retract for everyone" does it, "Keep" goes back.
  function ask(li, m, retract) {
    var sure = P.el("span", null, "confirm-inline");
    sure.appendChild(P.el("span", _("Remove it from every inbox?") + " "));
    var yes = P.el("button", _("Retract for everyone"), "button");
    yes.type = "button";
    yes.setAttribute("data-act", "retract-confirm");
    var no = P.el("button", _("Keep"), "button ghost");
    no.type = "button";
    sure.appendChild(yes);
    sure.appendChild(document.createTextNode(" "));
    sure.appendChild(no);
    retract.hidden = true;
    li.appendChild(sure);
    no.addEventListener("click", function () { li.removeChild(sure); retract.hidden = false; retract.focus(); });
    yes.addEventListener("click", function () {
      yes.disabled = no.disabled = true;
      say(_("Asking CXone…"), true);
      P.request(listUrl + encodeURIComponent(m.id) + "/retract/", {method: "POST", json: {}}).then(function (r) {
        if (r.ok) { say(fmt(_("Retracted: “%(subject)s” is no longer in any inbox."), {subject: m.subject}, true), true); }
        else { say(P.causeWords(r.body, r.status, false, 0) || _("CXone refused."), false); }
        return load().then(function () { summary.focus(); });
      });
    });
    no.focus();
  }

  function load() {
    return P.request(listUrl).then(function (r) {
      if (!r.ok) { say(P.causeWords(r.body, r.status, false, 0) || _("The sent messages cannot be read right now."), false); return; }
      var messages = r.body.messages || [];
      var signature = JSON.stringify(messages.map(function (m) { return [m.id, m.retracted, isLive(m)]; }));
      if (signature === shown) { return; }  // unchanged: leave focus and what is read alone
      shown = signature;
      list.textContent = "";
      if (!messages.length) { list.appendChild(P.el("li", _("No messages sent from the portal yet."))); }
      messages.forEach(function (m) { list.appendChild(item(m)); });
    });
  }

  panel.addEventListener("toggle", function () { if (panel.open) { load(); } });
  if (dialog) {
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "send" && panel.open) { window.setTimeout(load, 1500); }
    });
  }
})();
