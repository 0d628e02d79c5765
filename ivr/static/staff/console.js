// Live circle console: short-polls the roster and re-draws it; control buttons post in place.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var rosterUrl = root.dataset.roster;
  var every = Math.max(1, parseInt(root.dataset.poll || "3", 10)) * 1000;
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function control(action, op, label, cls) {
    var form = el("form", { method: "post", action: action, "class": "inline js-control" });
    form.appendChild(el("input", { type: "hidden", name: "csrf_token", value: token }));
    form.appendChild(el("button", { type: "submit", "class": cls, "data-op": op }, label));
    return form;
  }

  function render(state) {
    var meeting = document.getElementById("meeting");
    meeting.textContent = state.headline;  // worded by the server (one status for phone, CLI and console)
    var hands = document.getElementById("hands");
    var roster = document.getElementById("roster");
    hands.textContent = "";
    roster.textContent = "";
    var raised = state.participants.filter(function (p) { return p.hand; }).sort(function (a, b) { return a.hand - b.hand; });
    raised.forEach(function (p) { hands.appendChild(el("li", {}, "Participant " + p.number + " (" + p.label + ")")); });
    if (!raised.length) { hands.appendChild(el("li", { "class": "none" }, "No hands raised.")); }
    state.participants.forEach(function (p) {
      var li = el("li", { "data-participant": p.id, "data-muted": p.muted ? "true" : "false" });
      li.appendChild(el("strong", {}, (p.role === "facilitator" ? "Facilitator " : "Participant ") + p.number));
      li.appendChild(el("small", {}, " " + p.label));
      li.appendChild(el("span", { "class": "state" }, p.state));
      li.appendChild(el("span", { "class": "badge mute-state " + (p.muted ? "muted" : "ok") }, p.muted ? "muted" : "can speak"));
      if (p.hand) { li.appendChild(el("span", { "class": "badge warn" }, "hand #" + p.hand)); }
      if (p.name_url) { li.appendChild(el("audio", { controls: "", preload: "none", src: p.name_url, "aria-label": "First name of participant " + p.number })); }
      if (!p.removed && p.role !== "facilitator") {
        var op = p.muted ? "unmute" : "mute";
        li.appendChild(control(p.actions[op], op, p.muted ? "Unmute" : "Mute", "small"));
        li.appendChild(control(p.actions.remove, "remove", "Remove", "small danger"));
      }
      roster.appendChild(li);
    });
    if (!state.participants.length) { roster.appendChild(el("li", { "class": "none" }, "Nobody here yet.")); }
    root.dataset.updated = String(Date.now());
  }

  var timer = null;

  function poll() {
    fetch(rosterUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.redirected) {  // sent to the sign-in page: the session ended
          clearInterval(timer);
          document.getElementById("meeting").textContent = "Your session ended. Reload the page to sign in again.";
          throw new Error("signed out");
        }
        if (!r.ok) { throw new Error("roster " + r.status); }
        return r.json();
      })
      .then(render)
      .catch(function () { /* keep the last roster; the next poll tries again */ });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("js-control")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { Accept: "application/json", "X-CSRFToken": token } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        var status = document.getElementById("meeting");
        if (answer.state) { render(answer.state); }
        if (answer.message) { status.textContent += " — " + answer.message; }
        if (form.querySelector("[data-op=end]") || form.querySelector("[data-op=lock]") || form.querySelector("[data-op=unlock]")) {
          window.location.reload();  // the meeting controls themselves change
        }
      })
      .catch(function () { window.location.reload(); });
  });

  timer = setInterval(poll, every);
})();
