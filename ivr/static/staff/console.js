// Live circle console: polls the roster and updates each row in place, keyed by participant, so
// nothing a keyboard or screen-reader user is on is ever replaced; only changes are announced.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var rosterUrl = root.dataset.roster;
  var every = Math.max(1, parseInt(root.dataset.poll || "3", 10)) * 1000;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var roster = document.getElementById("roster");
  var hands = document.getElementById("hands");
  var meeting = document.getElementById("meeting");
  var news = document.getElementById("console-news");
  var LABELS = { mute: "Mute", unmute: "Unmute", remove: "Remove" };
  var known = null;  // the last state seen, to announce only what changed
  var busy = false;  // an action is on its way: its answer is the next state
  var generation = 0;  // bumped by every action, so a poll sent before it cannot undo its answer

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setText(node, text) {
    // Writing the same text again would still make a screen reader re-read a live region.
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function who(p) { return (p.role === "facilitator" ? "Facilitator " : "Participant ") + p.number; }

  function announce(lines) {
    if (!lines.length) { return; }
    // Clear first so the same sentence said twice is still heard twice.
    news.textContent = "";
    window.setTimeout(function () { news.textContent = lines.join(". ") + "."; }, 50);
  }

  // A control's visible word stays as it was ("Unmute"); the hidden part names whom it acts on.
  function setButton(button, op, p, action) {
    var form = button.form;
    if (button.dataset.op !== op) {
      button.dataset.op = op;
      button.firstChild.nodeValue = LABELS[op];
    }
    var whom = " " + who(p).toLowerCase();
    var hidden = button.querySelector(".visually-hidden");
    setText(hidden, whom);
    if (form.getAttribute("action") !== action) { form.setAttribute("action", action); }
  }

  function control(op, p, cls) {
    var form = el("form", { method: "post", action: p.actions[op], "class": "inline js-control" });
    form.appendChild(el("input", { type: "hidden", name: "csrf_token", value: token }));
    var button = el("button", { type: "submit", "class": cls, "data-op": op });
    button.appendChild(document.createTextNode(LABELS[op]));
    button.appendChild(el("span", { "class": "visually-hidden" }, " " + who(p).toLowerCase()));
    form.appendChild(button);
    return form;
  }

  function newRow(p) {
    var li = el("li", { "data-participant": p.id, id: "participant-" + p.id, tabindex: "-1" });
    li.appendChild(el("strong", { "class": "who" }));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("small", { "class": "label" }));
    li.appendChild(el("span", { "class": "state" }));
    li.appendChild(el("span", { "class": "badge mute-state" }));
    var hand = el("span", { "class": "badge warn hand" });
    hand.hidden = true;
    li.appendChild(hand);
    li.appendChild(el("span", { "class": "controls" }));
    return li;
  }

  function updateRow(li, p) {
    setText(li.querySelector(".who"), who(p));
    setText(li.querySelector(".label"), p.label);
    setText(li.querySelector(".state"), p.state);
    var muted = p.muted ? "true" : "false";
    if (li.dataset.muted !== muted) { li.dataset.muted = muted; }
    var badge = li.querySelector(".mute-state");
    setText(badge, p.muted ? "muted" : "can speak");
    badge.classList.toggle("muted", p.muted);
    badge.classList.toggle("ok", !p.muted);
    var hand = li.querySelector(".hand");
    hand.hidden = !p.hand;
    setText(hand, p.hand ? "hand #" + p.hand : "");
    if (p.name_url && !li.querySelector("audio")) {
      li.insertBefore(el("audio", { controls: "", preload: "none", src: p.name_url,
                                    "aria-label": "First name of participant " + p.number }),
                      li.querySelector(".controls"));
    }
    var controls = li.querySelector(".controls");
    var wanted = !p.removed && p.role !== "facilitator";
    var buttons = controls.querySelectorAll("button");
    if (!wanted && buttons.length) {
      var hadFocus = controls.contains(document.activeElement);
      controls.textContent = "";
      if (hadFocus) { li.focus(); }  // the controls are gone: stay on this person's row
    } else if (wanted && !buttons.length) {
      controls.appendChild(control(p.muted ? "unmute" : "mute", p, "small"));
      controls.appendChild(control("remove", p, "small danger"));
    } else if (wanted) {
      setButton(buttons[0], p.muted ? "unmute" : "mute", p, p.actions[p.muted ? "unmute" : "mute"]);
      setButton(buttons[1], "remove", p, p.actions.remove);
    }
  }

  function renderRoster(people) {
    var rows = {};
    Array.prototype.forEach.call(roster.querySelectorAll("li[data-participant]"), function (li) {
      rows[li.dataset.participant] = li;
    });
    var none = roster.querySelector("li.none");
    if (none && people.length) { roster.removeChild(none); }
    var previous = null;
    people.forEach(function (p) {
      var li = rows[p.id];
      if (!li) {
        li = newRow(p);
        // Insert after the row before it; never move an existing row (that would drop focus).
        roster.insertBefore(li, previous ? previous.nextSibling : roster.firstChild);
      }
      updateRow(li, p);
      delete rows[p.id];
      previous = li;
    });
    Object.keys(rows).forEach(function (id) {
      var gone = rows[id];
      if (gone.contains(document.activeElement)) { document.getElementById("roster-heading").focus(); }
      roster.removeChild(gone);
    });
    if (!people.length && !roster.querySelector("li.none")) {
      roster.appendChild(el("li", { "class": "none" }, "Nobody here yet."));
    }
  }

  function renderHands(people) {
    var raised = people.filter(function (p) { return p.hand; }).sort(function (a, b) { return a.hand - b.hand; });
    var lines = raised.map(function (p) { return "Participant " + p.number + " (" + p.label + ")"; });
    if (!lines.length) { lines = ["No hands raised."]; }
    var current = Array.prototype.map.call(hands.children, function (li) { return li.textContent; });
    if (current.join("\n") === lines.join("\n")) { return; }
    hands.textContent = "";
    lines.forEach(function (line) { hands.appendChild(el("li", raised.length ? {} : { "class": "none" }, line)); });
  }

  function changes(before, after) {
    var lines = [];
    var old = {};
    before.participants.forEach(function (p) { old[p.id] = p; });
    after.participants.forEach(function (p) {
      var was = old[p.id];
      var name = who(p);
      if (!was) { lines.push(name + " joined"); return; }
      if (p.removed && !was.removed) { lines.push(name + " was removed"); return; }
      if (p.state !== was.state && p.state === "left") { lines.push(name + " left"); return; }
      if (p.state !== was.state && p.state === "on the call" && was.state !== "joining") { lines.push(name + " is back on the call"); }
      if (p.state !== was.state && p.state === "in the star menu") { lines.push(name + " is in the star menu"); }
      if (p.hand && !was.hand) { lines.push(name + " raised a hand"); }
      if (!p.hand && was.hand) { lines.push(name + " lowered a hand"); }
      if (p.muted !== was.muted) { lines.push(name + (p.muted ? " is muted" : " can speak")); }
    });
    if (!!before.locked !== !!after.locked) { lines.push(after.locked ? "The circle is locked" : "The circle is unlocked"); }
    if (before.session && after.session && before.session.status !== after.session.status) {
      lines.push("The meeting is " + after.session.status);
    }
    return lines;
  }

  function render(state, said) {
    setText(meeting, state.headline);  // worded by the server (one status for phone, CLI and console)
    renderHands(state.participants);
    renderRoster(state.participants);
    var lines = known ? changes(known, state) : [];
    if (said) { lines.unshift(said.replace(/\.$/, "")); }
    announce(lines);
    known = state;
    root.dataset.updated = String(Date.now());
  }

  var timer = null;

  function poll() {
    if (busy) { return; }
    var sent = generation;
    fetch(rosterUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.redirected) {  // sent to the sign-in page: the session ended
          clearInterval(timer);
          setText(meeting, "Your session ended. Reload the page to sign in again.");
          announce(["Your session ended. Reload the page to sign in again"]);
          throw new Error("signed out");
        }
        if (!r.ok) { throw new Error("roster " + r.status); }
        return r.json();
      })
      .then(function (state) { if (!busy && sent === generation) { render(state); } })
      .catch(function () { /* keep the last roster; the next poll tries again */ });
  }

  // The lock button changes into the unlock button (and back) in place, keeping focus on it.
  function swapLock(button, locked) {
    var form = button.form;
    var op = locked ? "unlock" : "lock";
    form.setAttribute("action", form.getAttribute("action").replace(/\/(un)?lock$/, "/" + op));
    button.dataset.op = op;
    button.textContent = locked ? "Unlock" : "Lock";
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("js-control")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    // Not `disabled`: a disabled button loses keyboard focus. aria-disabled keeps it, and says so.
    if (!button || button.getAttribute("aria-disabled") === "true") { return; }
    button.setAttribute("aria-disabled", "true");
    busy = true;
    generation += 1;
    var op = button.dataset.op;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { Accept: "application/json", "X-CSRFToken": token } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        busy = false;
        button.removeAttribute("aria-disabled");
        if (op === "end" && answer.ok) { window.location.reload(); return; }
        if ((op === "lock" || op === "unlock") && answer.state) { swapLock(button, !!answer.state.locked); }
        if (answer.state) { render(answer.state, answer.message); }
        else if (answer.message) { announce([answer.message.replace(/\.$/, "")]); }
      })
      .catch(function () { window.location.reload(); });
  });

  timer = setInterval(poll, every);
})();
