// Share review: the transcript is one Tab stop with arrow keys between words (roving tabindex);
// a word click seeks the recording, and in bleep mode toggles the word's bleep (aria-pressed only
// then); "Listen to the result" fetches the bleeped preview, stays focusable and says when it is ready.
(function () {
  "use strict";
  var audio = document.getElementById("original");
  var mode = document.getElementById("bleep-mode");
  var input = document.getElementById("bleep");
  var words = Array.prototype.slice.call(document.querySelectorAll("#transcript .w"));

  function chosen() {
    return words.filter(function (w) { return w.classList.contains("bleep"); })
                .map(function (w) { return w.dataset.i; }).join(",");
  }

  function seek(seconds) {
    if (!audio || isNaN(seconds)) { return; }
    audio.currentTime = seconds;
    var playing = audio.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  // aria-pressed belongs to toggle buttons: the words are toggles only in bleep mode.
  function showMode() {
    var on = !!(mode && mode.checked);
    words.forEach(function (w) {
      if (on) { w.setAttribute("aria-pressed", w.classList.contains("bleep") ? "true" : "false"); }
      else { w.removeAttribute("aria-pressed"); }
    });
  }

  function setBleep(w, on) {
    w.classList.toggle("bleep", on);
    w.setAttribute("aria-pressed", on ? "true" : "false");
    var said = w.querySelector(".sr-bleep");
    if (said) { said.hidden = !on; }
  }

  // Roving tabindex: exactly one word is in the Tab order, the one last moved to.
  function moveTo(i) {
    var next = words[Math.max(0, Math.min(words.length - 1, i))];
    if (!next) { return; }
    words.forEach(function (w) { if (w !== next && w.tabIndex !== -1) { w.tabIndex = -1; } });
    next.tabIndex = 0;
    next.focus();
  }

  var KEYS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  words.forEach(function (w, i) {
    w.addEventListener("click", function () {
      if (w.tabIndex !== 0) { moveTo(i); }
      if (mode && mode.checked) {
        setBleep(w, !w.classList.contains("bleep"));
        if (input) { input.value = chosen(); }
        return;
      }
      seek(parseFloat(w.dataset.start));
    });
    w.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (KEYS[event.key]) { moveTo(i + KEYS[event.key]); }
      else if (event.key === "Home") { moveTo(0); }
      else if (event.key === "End") { moveTo(words.length - 1); }
      else if (event.key === "PageDown") { moveTo(i + 20); }
      else if (event.key === "PageUp") { moveTo(i - 20); }
      else { return; }
      event.preventDefault();
    });
  });
  if (mode) { mode.addEventListener("change", showMode); showMode(); }
  Array.prototype.forEach.call(document.querySelectorAll("button.seek"), function (b) {
    b.addEventListener("click", function () { seek(parseFloat(b.dataset.start)); });
  });

  if (audio) {
    // Follow along: mark the word being heard.
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime;
      words.forEach(function (w) {
        var s = parseFloat(w.dataset.start), e = parseFloat(w.dataset.end);
        w.classList.toggle("playing", !isNaN(s) && t >= s && t < e);
      });
    });
  }

  var previewButton = document.getElementById("preview-button");
  var preview = document.getElementById("preview");
  var status = document.getElementById("preview-status");
  if (previewButton && preview) {
    previewButton.addEventListener("click", function () {
      // aria-disabled, not disabled: a disabled button drops keyboard focus to the page.
      if (previewButton.getAttribute("aria-disabled") === "true") { return; }
      previewButton.setAttribute("aria-disabled", "true");
      status.textContent = "Making the preview…";
      fetch(previewButton.dataset.url, { method: "POST", body: new FormData(previewButton.form), credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("preview failed: " + r.status); } return r.blob(); })
        .then(function (blob) {
          if (preview.src) { URL.revokeObjectURL(preview.src); }
          preview.src = URL.createObjectURL(blob);
          preview.hidden = false;
          preview.dataset.ready = "1";
          status.textContent = "Preview ready";
          var p = preview.play();
          if (p && p.catch) { p.catch(function () {}); }
        })
        .catch(function (err) { status.textContent = "Could not make the preview. Try again."; console.error(err); })
        .then(function () { previewButton.removeAttribute("aria-disabled"); });
    });
  }
})();
