// The agent's day: current state (ticking), the window's completed contacts with the figures
// the server computed from the same rows, and the supervisor's messages. Polls chain and pause
// while the tab is hidden.
(function () {
  "use strict";
  var P = window.Portal;
  var root = document.querySelector("[data-workspace=agent]");
  if (!root || !P) { return; }
  var _ = P.gettext, fmt = P.interpolate, el = P.el;
  var notice = new P.Notice(root.querySelector("[data-test=notice]"));
  var seconds = parseInt(root.getAttribute("data-poll-seconds") || "5", 10);
  var since = null;

  function contacts() {
    return P.request(root.getAttribute("data-contacts-url")).then(function (r) {
      if (!r.ok) { notice.show(P.causeWords(r.body, r.status, false, 0), "stale"); return "backoff"; }
      notice.show(r.body.stale ? P.causeWords(r.body, 503, true, r.age) : "", r.body.stale ? "stale" : "");
      var tbody = root.querySelector("[data-test=contacts] tbody");
      tbody.textContent = "";
      if (!r.body.contacts.length) {
        var row = el("tr"), cell = el("td", _("No completed contacts in the last 24 hours.")); cell.colSpan = 4;
        row.appendChild(cell); tbody.appendChild(row);
      }
      r.body.contacts.forEach(function (c) {
        var row = el("tr");
        row.appendChild(el("td", P.localTime(c.startDate, {weekday: "short"})));
        row.appendChild(el("td", c.skillName || "—"));
        row.appendChild(el("td", c.mediaType || "—"));
        row.appendChild(el("td", P.duration(c.handleSeconds), "num"));
        tbody.appendChild(row);
      });
      var s = r.body.summary;
      root.querySelector("[data-test=today-count]").textContent = P.number(s.count);
      root.querySelector("[data-test=aht]").textContent = P.duration(s.handleSecondsAverage);
      root.querySelector("[data-test=total-handle]").textContent = P.duration(s.handleSecondsTotal);
      root.querySelector("[data-test=as-of]").textContent = fmt(_("updated %(n)s s ago"), {n: P.number(r.age || 0)}, true);
      return P.outcomeOf(r);
    });
  }
  function state() {
    return P.request(root.getAttribute("data-state-url")).then(function (r) {
      if (!r.ok) { return "backoff"; }
      var s = r.body.state || {};
      root.querySelector("[data-test=my-state]").textContent = P.stateWords(s.state, s.stateReason);
      since = Date.parse(s.stateSince);
      tick();
      return P.outcomeOf(r);
    });
  }
  function messages() {
    var list = root.querySelector("[data-test=messages]");
    if (!list) { return Promise.resolve("ok"); }
    return P.request(root.getAttribute("data-messages-url")).then(function (r) {
      if (!r.ok) { return "backoff"; }
      list.textContent = "";
      if (!r.body.messages.length) { list.appendChild(el("li", _("No messages from your supervisor."))); }
      r.body.messages.forEach(function (m) {
        var item = el("li");
        item.appendChild(el("strong", m.subject));
        item.appendChild(el("span", " · " + P.localTime(m.startDate, {weekday: "short"}), "muted"));
        item.appendChild(el("p", m.message));
        list.appendChild(item);
      });
      return "ok";
    });
  }
  function tick() {
    var node = root.querySelector("[data-test=my-state-since]");
    node.textContent = since && !isNaN(since) ? fmt(_("for %(time)s"), {time: P.duration((Date.now() - since) / 1000)}, true) : "";
  }
  new P.Poller(contacts, Math.max(seconds, 30)).now();
  new P.Poller(state, seconds).now();
  new P.Poller(messages, 30).now();
  setInterval(function () { if (!document.hidden) { tick(); } }, 1000);
})();
