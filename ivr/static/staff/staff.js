// Every staff page: a field the browser or the server found wrong is marked aria-invalid and tied to
// its message, and focus goes to the first error (the field when the message names one).
(function () {
  "use strict";
  document.addEventListener("invalid", function (event) {
    event.target.setAttribute("aria-invalid", "true");
  }, true);
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.getAttribute && field.getAttribute("aria-invalid") === "true" && field.checkValidity && field.checkValidity()) {
      field.removeAttribute("aria-invalid");
    }
  }, true);

  var error = document.querySelector(".flashes .flash.error");  // flashed messages, not a page's standing notes
  if (!error) { return; }
  var fields = (error.dataset.fields || "").split(/[\s,]+/).map(function (id) { return id && document.getElementById(id); })
    .filter(function (field) { return field; });
  if (!error.id) { error.id = "first-error"; }
  fields.forEach(function (field) {
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(error.id) < 0) { field.setAttribute("aria-describedby", described.concat([error.id]).join(" ")); }
  });
  if (fields.length) { fields[0].focus(); }
  else { error.setAttribute("tabindex", "-1"); error.focus(); }
})();
