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

  // keyboard (listed on the chapter page, #keys-help); never while typing in a field
  function flagged(li) {
    return li.classList.contains("has-qc") || li.classList.contains("st-flagged") || li.classList.contains("level-bad");
  }
  function nextFlag(items, i, step) {
    for (var k = 1; k <= items.length; k++) {
      var li = items[(i + step * k + items.length * k) % items.length];
      if (flagged(li)) return li;
    }
    return null;
  }
  function press(selector, missing) {
    var b = current && current.querySelector(selector);
    if (b && !b.disabled) b.click(); else toast(missing, true);
  }
  document.addEventListener("keydown", function (ev) {
    if (!audio || !list || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t.isContentEditable || (t.closest && t.closest("input, textarea, select"))) return;
    if ((ev.key === " " || ev.key === "Enter") && t.closest && t.closest("button, audio, summary, a")) return;
    var items = rows(), i = current ? items.indexOf(current) : -1, to;
    if (ev.key === " ") {
      ev.preventDefault();
      if (!audio.paused) audio.pause();
      else { var p = audio.play(); if (p && p.catch) p.catch(function () {}); }
    }
    else if (ev.key === "j" && i + 1 < items.length) seekTo(items[i + 1]);
    else if (ev.key === "k" && i > 0) seekTo(items[i - 1]);
    else if (ev.key === "n" || ev.key === "N") {
      to = items.length ? nextFlag(items, i < 0 && ev.key === "N" ? 0 : i, ev.key === "n" ? 1 : -1) : null;
      if (to) { seekTo(to); to.scrollIntoView({block: "center"}); } else toast("no flagged sentence in this chapter");
    }
    else if (!current && "ayrf".indexOf(ev.key) >= 0) toast("press j to pick a sentence first", true);
    else if (ev.key === "a") press("button.approve", "this sentence cannot be approved here");
    else if (ev.key === "y") press(".pv-out:not([hidden]) button.pv-accept-btn",
                                   "no new take to accept here — re-roll (r) or preview an edit first");
    else if (ev.key === "r") press("button.pv-reroll", "this sentence cannot be re-rolled here");
    else if (ev.key === "f") {
      var note = current.querySelector("form.flag input[name=note]");
      if (note) { ev.preventDefault(); audio.pause(); note.focus(); }
    }
    else if (ev.key === "?") { var help = document.getElementById("keys-help"); if (help) help.open = !help.open; }
    else if (ev.key === "Escape" && document.activeElement) document.activeElement.blur();
  });
  document.addEventListener("keydown", function (ev) {   // Esc leaves a field, so the keys work again
    var t = ev.target;
    if (ev.key === "Escape" && t.closest && t.closest("input, textarea, select")) t.blur();
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

/* Instant preview, accept, take history (A/B, restore): lector/review/routes_preview.py. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  function toast(msg, isError) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = msg; t.className = isError ? "error" : ""; t.hidden = false;
    setTimeout(function () { t.hidden = true; }, 4000);
  }

  function post(url, body) {
    var headers = {"X-Requested-With": "fetch"};
    if (meta) headers["X-CSRF-Token"] = meta.content;
    return fetch(url, {method: "POST", body: body, headers: headers, credentials: "same-origin"})
      .then(function (r) {
        return r.json().then(function (j) { return [r, j]; },
                             function () { return [r, {ok: false, message: "the app did not answer — reload the page"}]; });
      });
  }

  function replaceRow(li, html) {
    if (!li || !html) return null;
    var holder = document.createElement("ol");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    li.replaceWith(fresh);
    return fresh;
  }

  function showTake(li, take, seconds) {
    var out = li.querySelector(".pv-out"), player = li.querySelector(".pv-audio");
    out.hidden = false;
    player.src = take.url;
    player.dataset.key = take.cache_key;
    li.querySelector(".pv-what").textContent = "seed " + take.seed + " · " + take.emotion +
      (seconds !== undefined ? " · ready in " + seconds.toFixed(1) + " s" : "");
    li.querySelector(".text").textContent = take.text;          // the page shows the text now spoken
    var pron = li.querySelector(".pron");
    if (pron) pron.textContent = take.pronunciation;
    li.classList.add("pending", "previewed");
    var p = player.play(); if (p && p.catch) p.catch(function () {});
  }

  function pollQC(li) {
    var badge = li.querySelector(".qc-state[data-state='checking']");
    if (!badge) return;
    var sid = li.dataset.id, timer = setInterval(function () {
      fetch("/api/sentences/" + sid, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (j) {
          if (j.qc_state === "checking") return;
          clearInterval(timer);
          var row = document.getElementById("s-" + sid);
          if (row && j.html) replaceRow(row, j.html);
        }).catch(function () { clearInterval(timer); });
    }, 2000);
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !(form.classList.contains("pv") || form.classList.contains("pv-accept"))) return;
    if (!window.fetch) return;
    ev.preventDefault();
    var li = form.closest(".sentence");
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    li.classList.add("busy");
    post(form.action, new FormData(form)).then(function (pair) {
      var r = pair[0], j = pair[1];
      li.classList.remove("busy");
      if (button) button.disabled = false;
      toast(j.message || (r.ok ? "done" : "failed"), !r.ok);
      if (!r.ok) return;
      if (form.classList.contains("pv")) { showTake(li, j.take, j.seconds); return; }
      var fresh = replaceRow(li, j.html);
      if (fresh) { fresh.classList.add("accepted"); pollQC(fresh); }
    }).catch(function () {
      li.classList.remove("busy");
      if (button) button.disabled = false;
      toast("the app cannot be reached — is `lector review` still running?", true);
    });
  });

  function takeItem(li, t, ab) {
    var item = document.createElement("li");
    item.className = "take-item" + (t.chosen ? " chosen" : "");
    item.dataset.takeId = t.id;
    var label = document.createElement("span");
    label.className = "small";
    label.textContent = "#" + t.id + " " + t.origin + (t.chosen ? " (in the book)" : "") + " · seed " + t.seed +
      " · " + t.voice + " · " + t.emotion + " · “" + t.text + "”";
    var player = document.createElement("audio");
    player.controls = true; player.preload = "none"; player.src = t.url; player.className = "take";
    item.appendChild(label); item.appendChild(player);
    ["A", "B"].forEach(function (side) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = "as " + side; b.className = "set-" + side.toLowerCase();
      b.addEventListener("click", function () { ab[side] = t.url; ab.update(); });
      item.appendChild(b);
    });
    if (!t.chosen) {
      var restore = document.createElement("button");
      restore.type = "button"; restore.className = "restore"; restore.textContent = "Restore";
      restore.addEventListener("click", function () {
        restore.disabled = true;
        post("/sentences/" + li.dataset.id + "/takes/" + t.id + "/restore", new FormData()).then(function (pair) {
          toast(pair[1].message, !pair[0].ok);
          restore.disabled = false;
          if (pair[0].ok) { var fresh = replaceRow(li, pair[1].html); if (fresh) pollQC(fresh); }
        });
      });
      item.appendChild(restore);
    }
    return item;
  }

  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.classList || !d.classList.contains("take-history") || !d.open) return;
    var li = d.closest(".sentence"), out = d.querySelector(".take-list");
    var abAudio = d.querySelector(".ab-audio"), btnA = d.querySelector(".ab-a"), btnB = d.querySelector(".ab-b");
    var ab = {A: null, B: null, update: function () { btnA.disabled = !ab.A; btnB.disabled = !ab.B; }};
    function play(url) {      // A/B: the same moment of the other take
      var at = abAudio.currentTime || 0;
      abAudio.src = url;
      abAudio.addEventListener("loadedmetadata", function once() {
        abAudio.removeEventListener("loadedmetadata", once);
        try { abAudio.currentTime = Math.min(at, abAudio.duration || at); } catch (e) { /* not seekable yet */ }
        var p = abAudio.play(); if (p && p.catch) p.catch(function () {});
      });
    }
    btnA.onclick = function () { if (ab.A) play(ab.A); };
    btnB.onclick = function () { if (ab.B) play(ab.B); };
    fetch("/api/sentences/" + li.dataset.id, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (j) {
        out.innerHTML = "";
        j.takes.slice().reverse().forEach(function (t) { out.appendChild(takeItem(li, t, ab)); });
      });
  }, true);

  document.addEventListener("submit", function (ev) {     // the queue page: chapter approval
    var form = ev.target;
    if (!form.classList || !form.classList.contains("chapter-approve") || !window.fetch) return;
    ev.preventDefault();
    post(form.action, new FormData(form)).then(function (pair) {
      toast(pair[1].message, !pair[0].ok);
      if (pair[0].ok) window.location.reload();
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll(".sentence"), pollQC);
})();
