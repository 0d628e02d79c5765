// Share review: a word click seeks the recording; in bleep mode it toggles the word's bleep;
// "Listen to the result" fetches the bleeped preview and plays it in place.
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

  words.forEach(function (w) {
    w.addEventListener("click", function () {
      if (mode && mode.checked) {
        var on = w.classList.toggle("bleep");
        w.setAttribute("aria-pressed", on ? "true" : "false");
        if (input) { input.value = chosen(); }
        return;
      }
      seek(parseFloat(w.dataset.start));
    });
  });
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
  if (previewButton && preview) {
    previewButton.addEventListener("click", function (event) {
      event.preventDefault();
      previewButton.disabled = true;
      fetch(previewButton.formAction, { method: "POST", body: new FormData(previewButton.form), credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("preview failed: " + r.status); } return r.blob(); })
        .then(function (blob) {
          if (preview.src) { URL.revokeObjectURL(preview.src); }
          preview.src = URL.createObjectURL(blob);
          preview.hidden = false;
          preview.dataset.ready = "1";
          var p = preview.play();
          if (p && p.catch) { p.catch(function () {}); }
        })
        .catch(function (err) { previewButton.textContent = "Could not make the preview — try again"; console.error(err); })
        .then(function () { previewButton.disabled = false; });
    });
  }
})();
