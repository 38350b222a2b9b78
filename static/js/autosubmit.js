// Submits the form marked data-autosubmit as soon as the page loads (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});
