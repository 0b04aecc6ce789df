/* Lector review: sentence list synchronised with the chapter audio; actions via fetch. */
(function () {
  "use strict";
  var audio = document.getElementById("chapter-audio");
  var list = document.getElementById("sentences");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var toastTimer = null;

  function toast(msg, isError) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = msg; t.className = isError ? "error" : ""; t.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(function () { t.hidden = true; }, 3500);
  }

  function rows() { return list ? Array.prototype.slice.call(list.querySelectorAll(".sentence")) : []; }
  var current = null;

  function highlight(time) {
    var found = null, items = rows();
    for (var i = 0; i < items.length; i++) {
      var s = parseFloat(items[i].dataset.start), e = parseFloat(items[i].dataset.end);
      if (time >= s && time < e) { found = items[i]; break; }
    }
    if (found === current) return;
    if (current) current.classList.remove("current");
    current = found;
    if (found) {
      found.classList.add("current");
      var follow = document.getElementById("follow");
      if (follow && follow.checked && !audio.paused) found.scrollIntoView({block: "center", behavior: "smooth"});
    }
  }

  function seekTo(li) {
    if (!audio) return;
    audio.currentTime = parseFloat(li.dataset.start) + 0.001;
    highlight(audio.currentTime);
    var p = audio.play(); if (p && p.catch) p.catch(function () {});
  }

  if (audio && list) {
    audio.addEventListener("timeupdate", function () { highlight(audio.currentTime); });
    audio.addEventListener("seeked", function () { highlight(audio.currentTime); });
    list.addEventListener("click", function (ev) {
      var target = ev.target;
      if (target.closest("form, audio, details, input, textarea, select")) return;
      if (target.closest(".seek") || target.closest(".text")) seekTo(target.closest(".sentence"));
    });
  }

  // keyboard: space play/pause, j/k next/previous sentence, a approve, f flag note (not while typing)
  document.addEventListener("keydown", function (ev) {
    if (!audio || !list || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest && ev.target.closest("input, textarea, select, button, audio")) return;
    var items = rows(), i = current ? items.indexOf(current) : -1;
    if (ev.key === " ") { ev.preventDefault(); if (audio.paused) audio.play(); else audio.pause(); }
    else if (ev.key === "j" && i + 1 < items.length) seekTo(items[i + 1]);
    else if (ev.key === "k" && i > 0) seekTo(items[i - 1]);
    else if (ev.key === "a" && current) { var b = current.querySelector("button.approve"); if (b) b.click(); }
    else if (ev.key === "f" && current) {
      var note = current.querySelector("form.flag input[name=note]");
      if (note) { ev.preventDefault(); audio.pause(); note.focus(); }
    }
  });

  var only = document.getElementById("only-issues");
  if (only) only.addEventListener("change", function () { document.body.classList.toggle("only-issues", only.checked); });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("act") || !window.fetch) return;
    ev.preventDefault();
    var headers = {"X-Requested-With": "fetch"};
    if (meta) headers["X-CSRF-Token"] = meta.content;
    fetch(form.action, {method: "POST", body: new FormData(form), headers: headers, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (j) { return [r, j]; }, function () { return [r, {message: r.statusText}]; }); })
      .then(function (pair) {
        var r = pair[0], j = pair[1];
        toast(j.message || (r.ok ? "saved" : "failed"), !r.ok || j.ok === false);
        if (j.html) {
          var li = form.closest(".sentence");
          if (li) {
            var wasCurrent = li === current;
            li.outerHTML = j.html;
            if (wasCurrent) { current = null; if (audio) highlight(audio.currentTime); }
          }
        }
        if (form.dataset.kind === "rerender" && r.ok) pollJob();
        refreshTodo();
      })
      .catch(function (err) { toast("network error: " + err, true); });
  });

  function refreshTodo() {
    var btn = document.getElementById("rerender-btn");
    if (!btn) return;
    var n = list.querySelectorAll(".sentence.st-flagged, .sentence.pending").length;
    btn.textContent = "Re-render flagged & changed (" + n + ")";
    btn.disabled = n === 0;
  }

  function pollJob() {
    if (!list) return;
    var url = "/api/chapters/" + list.dataset.chapter;
    var timer = setInterval(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (j) {
        if (j.job && j.job.status !== "running") {
          clearInterval(timer);
          toast("re-render " + j.job.status + (j.job.message ? ": " + j.job.message : ""), j.job.status !== "done");
          if (j.job.status === "done") window.location.reload();
        }
      });
    }, 1500);
  }
  var js = document.getElementById("job-state");
  if (js && js.dataset.status === "running") pollJob();
})();
