// Shows every <time data-local> in the browser's own time zone (the server writes UTC).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("time[data-local]").forEach(function (node) {
    var when = new Date(node.getAttribute("datetime"));
    if (!isNaN(when)) { node.textContent = when.toLocaleString(); node.title = node.getAttribute("datetime"); }
  });
});
