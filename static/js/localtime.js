// Times in the page's language and the person's time zone. The server writes UTC ISO 8601 in
// <time datetime data-local>; this shows it in the zone on <html data-time-zone> (the zone the
// user picked on their account page) or, without one, the browser's own zone, formatted by
// Intl for <html lang>. data-local="time" or "date" shows only that part.
// Other scripts format the same way through window.LocalTime.format(date, kind).
(function () {
  var root = document.documentElement;
  var locale = root.lang || undefined;
  var picked = root.getAttribute("data-time-zone") || "";
  var STYLES = {
    datetime: { dateStyle: "medium", timeStyle: "medium" },
    date: { dateStyle: "medium" },
    time: { timeStyle: "short" }
  };

  function options(kind) {
    var chosen = Object.assign({}, STYLES[kind] || STYLES.datetime);
    if (picked) chosen.timeZone = picked;
    return chosen;
  }

  function format(date, kind) {
    try {
      return new Intl.DateTimeFormat(locale, options(kind)).format(date);
    } catch (e) { // an unknown zone or locale: the browser's defaults still read well
      return date.toLocaleString();
    }
  }

  var zone = picked || (Intl.DateTimeFormat().resolvedOptions().timeZone || "");

  function localise(node) {
    var when = new Date(node.getAttribute("datetime"));
    if (isNaN(when)) return;
    node.textContent = format(when, node.getAttribute("data-local"));
    var words = typeof interpolate === "function" ? interpolate(gettext("Time zone: %s"), [zone]) : zone;
    node.title = words;
  }

  window.LocalTime = { format: format, timeZone: zone, locale: locale, localise: localise };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time[data-local]").forEach(localise);
    document.querySelectorAll("[data-time-zone-name]").forEach(function (node) { node.textContent = zone; });
  });
})();
