/* Waveform and loudness against the delivery profile (GET /api/chapters/N/levels, routes_waveform.py;
   in the static bundle the same JSON sits in <script id="levels-data">): the chapter's loudness curve
   with QC / loudness flags and paragraph starts, each paragraph's waveform and level (above its first
   sentence) and each sentence's. Click any to play from that moment. Inline SVG only (works offline). */
(function () {
  "use strict";
  var box = document.getElementById("levels");
  var list = document.getElementById("sentences");
  var audio = document.getElementById("chapter-audio");
  if (!box || !list || !window.fetch) return;
  var probe = document.createElement("div");
  probe.innerHTML = "<svg></svg>";   // the SVG namespace as the HTML parser gives it: no URL in the offline bundle
  var NS = probe.firstChild.namespaceURI, DB_MIN = -48, DB_MAX = 0, CHART_H = 60, WAVE_H = 32;
  var data = null, byId = {}, paraByFirst = {}, head = null;

  function svgEl(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function y(db, h) { return (DB_MAX - Math.max(DB_MIN, Math.min(DB_MAX, db))) / (DB_MAX - DB_MIN) * h; }
  function num(v) { return v <= -120 ? "silence" : v.toFixed(1); }
  function play(t) {
    if (!audio) return;
    audio.currentTime = Math.max(0, t) + 0.001;
    var p = audio.play(); if (p && p.catch) p.catch(function () {});
  }
  function atX(svg, ev, span) { var r = svg.getBoundingClientRect(); return (ev.clientX - r.left) / r.width * span; }
  function flagTitle(s) { return s.flags.concat(s.problems).join("; "); }

  function drawChart() {
    var chart = document.getElementById("levels-chart"), W = Math.max(1, data.curve.length), H = CHART_H;
    chart.textContent = "";
    var svg = svgEl("svg", {viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", "class": "levels-svg",
                            role: "img", "aria-label": "loudness per second; click to play from there"}, chart);
    svgEl("rect", {x: 0, width: W, y: y(data.max_level, H), height: y(data.min_level, H) - y(data.max_level, H),
                   "class": "band"}, svg);
    svgEl("line", {x1: 0, x2: W, y1: y(data.peak_max_dbfs, H), y2: y(data.peak_max_dbfs, H), "class": "ceiling"}, svg);
    var d = "";
    data.peaks_dbfs.forEach(function (p, i) { d += "M" + (i + 0.5) + " " + H + "V" + y(p, H).toFixed(2); });
    svgEl("path", {d: d, "class": "peaks"}, svg);
    var pts = data.curve.map(function (v, i) { return (i + 0.5) + "," + y(v, H).toFixed(2); }).join(" ");
    svgEl("polyline", {points: pts, "class": "curve"}, svg);
    data.sentences.forEach(function (s) {
      if (!s.flags.length && !s.problems.length) return;
      var mark = svgEl("rect", {x: s.start_s, y: 0, width: Math.max(0.6, s.end_s - s.start_s), height: H,
                                "class": "flag-mark " + (s.flags.length ? "qc" : "level"), "data-id": s.id}, svg);
      svgEl("title", {}, mark).textContent = flagTitle(s);
    });
    var ticks = "";
    data.paragraphs.forEach(function (g, i) { if (i) ticks += "M" + g.start_s + " 0V" + H; });
    if (ticks) svgEl("path", {d: ticks, "class": "para-tick"}, svg);
    head = svgEl("line", {x1: 0, x2: 0, y1: 0, y2: H, "class": "playhead"}, svg);
    svg.addEventListener("click", function (ev) {
      var mark = ev.target.closest ? ev.target.closest(".flag-mark") : null;
      play(mark ? byId[mark.getAttribute("data-id")].start_s : atX(svg, ev, W));
    });
    var out = data.sentences.filter(function (s) { return s.problems.length; }).length;
    var flags = data.sentences.filter(function (s) { return s.flags.length; }).length;
    document.getElementById("levels-legend").textContent = "loudness per second (" + data.level_unit + ") against " +
      data.profile.toUpperCase() + ": level " + data.min_level + "…" + data.max_level + " " + data.level_unit +
      " (band), peak ≤ " + data.peak_max_dbfs + " dBFS (line) · " + out + " sentence(s) outside · " +
      flags + " flagged (marks)" + (data.paragraphs.length ? " · " + data.paragraphs.length + " paragraph(s), " +
      data.paragraphs.filter(function (g) { return g.problems.length; }).length + " outside" : "");
  }

  function strip(holder, s, cls, n) {   // waveform bars of s (a sentence or paragraph) + its level badge
    var mid = WAVE_H / 2, d = "";
    var svg = svgEl("svg", {viewBox: "0 0 " + n + " " + WAVE_H, preserveAspectRatio: "none", "class": cls,
                            role: "img", "aria-label": "waveform; click to play from there"}, holder);
    var ceiling = Math.pow(10, data.peak_max_dbfs / 20) * mid;
    svgEl("path", {d: "M0 " + (mid - ceiling) + "H" + n + "M0 " + (mid + ceiling) + "H" + n, "class": "ceiling"}, svg);
    s.bars.forEach(function (b, i) {
      var h = Math.max(0.4, b / 255 * mid);
      d += "M" + (i + 0.5) + " " + (mid - h).toFixed(2) + "V" + (mid + h).toFixed(2);
    });
    svgEl("path", {d: d, "class": "bars"}, svg);
    svg.addEventListener("click", function (ev) { play(s.start_s + atX(svg, ev, s.end_s - s.start_s)); });
    var badge = document.createElement("span");
    badge.className = "level badge " + (s.problems.length ? "bad" : "ok");
    badge.textContent = num(s.level) + " " + data.level_unit + " · peak " + num(s.peak_dbfs) + " dBFS";
    badge.title = s.problems.length ? s.problems.join("; ") : "inside " + data.profile.toUpperCase();
    holder.appendChild(badge);
  }

  function drawPara(li, id) {
    var old = li.querySelector(".para-wave"), g = paraByFirst[id];
    if (old) old.parentNode.removeChild(old);
    if (!g) return;
    var box = document.createElement("div");
    box.className = "para-wave" + (g.problems.length ? " level-bad" : "");
    box.setAttribute("data-paragraph", g.n);
    var label = document.createElement("span");
    label.className = "para-label small";
    label.textContent = "¶ " + g.n + " · " + g.sentence_ids.length + " sentence" + (g.sentence_ids.length > 1 ? "s" : "");
    box.appendChild(label);
    strip(box, g, "wave-svg para-svg", Math.max(1, g.bars.length));
    li.insertBefore(box, li.firstChild);
  }

  function drawRow(li) {
    var holder = li.querySelector(".wave"), s = holder && byId[holder.getAttribute("data-id")];
    if (!s || holder.getAttribute("data-drawn") === "1") return;
    holder.setAttribute("data-drawn", "1");
    holder.textContent = "";
    strip(holder, s, "wave-svg", Math.max(1, s.bars.length));
    li.classList.toggle("level-bad", s.problems.length > 0);
    drawPara(li, s.id);
  }

  function drawRows() { Array.prototype.forEach.call(list.querySelectorAll(".sentence"), drawRow); }

  function show(levels) {
    data = levels; byId = {}; paraByFirst = {};
    data.paragraphs = data.paragraphs || [];
    data.sentences.forEach(function (s) { byId[s.id] = s; });
    data.paragraphs.forEach(function (g, i) { g.n = i + 1; paraByFirst[g.sentence_ids[0]] = g; });
    drawChart();
    Array.prototype.forEach.call(list.querySelectorAll(".wave"), function (w) { w.removeAttribute("data-drawn"); });
    drawRows();
    box.classList.add("ready");
  }

  function load() {
    var embedded = document.getElementById("levels-data");   // the static bundle: no app to ask
    if (embedded) { show(JSON.parse(embedded.textContent)); return; }
    fetch("/api/chapters/" + box.getAttribute("data-chapter") + "/levels", {credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (j) { return [r, j]; }); })
      .then(function (pair) {
        if (!pair[0].ok) throw new Error(pair[1].message || pair[1].detail || "no levels");
        show(pair[1]);
      })
      .catch(function (err) {
        document.getElementById("levels-legend").textContent = "loudness not available: " + err.message;
      });
  }

  if (audio) audio.addEventListener("timeupdate", function () {
    if (head) { head.setAttribute("x1", audio.currentTime); head.setAttribute("x2", audio.currentTime); }
  });
  // rows are replaced after each action: draw the new ones; an accepted take changed the chapter audio
  new MutationObserver(function (changes) {
    if (!data) return;
    var accepted = changes.some(function (c) {
      return Array.prototype.some.call(c.addedNodes, function (n) { return n.classList && n.classList.contains("accepted"); });
    });
    if (accepted) load(); else drawRows();
  }).observe(list, {childList: true});
  load();
})();

/* Pronunciation from the page (routes_pronounce.py): pick a word, write its IPA / pinyin, save it
   into lexicon.tsv; the sentences that read it are listed and marked changed. */
(function () {
  "use strict";
  var list = document.getElementById("sentences");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!list || !window.fetch) return;

  function toast(msg, isError) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = msg; t.className = isError ? "error" : ""; t.hidden = false;
    setTimeout(function () { t.hidden = true; }, 5000);
  }
  function pick(li, word, pron, extend) {
    var w = li.querySelector(".pf-word"), p = li.querySelector(".pf-pron");
    w.value = extend ? w.value + word : word;
    p.value = extend ? (p.value + " " + pron).trim() : pron;
    p.focus();
  }

  function field(name, cls, placeholder, label) {
    var i = document.createElement("input");
    i.type = name === "csrf_token" ? "hidden" : "text"; i.name = name;
    if (cls) i.className = cls;
    if (placeholder) i.placeholder = placeholder;
    if (label) i.setAttribute("aria-label", label);
    return i;
  }
  function button(cls, text, title) {
    var b = document.createElement("button");
    b.type = "submit"; b.className = cls; b.textContent = text; if (title) b.title = title;
    return b;
  }
  function build(d) {   // the panel is made when first opened: a chapter page stays light
    var help = document.createElement("p");
    help.className = "small";
    help.textContent = "Click a word (or select it in the text), then write how it is read: IPA for English " +
      "(ʃɪˈvɔːn), pinyin with tones for Chinese (yin2 hang2), and where it applies: this sentence " +
      "(overrides.json), the whole book (lexicon.tsv) or the shared lexicon.";
    var words = document.createElement("div"); words.className = "words";
    var form = document.createElement("form");
    form.className = "pron-form"; form.method = "post"; form.action = d.getAttribute("data-action");
    var csrf = field("csrf_token"); csrf.value = meta ? meta.content : "";
    var word = field("word", "pf-word", "word", "word"), pron = field("pronunciation", "pf-pron", "IPA / pinyin", "pronunciation");
    word.required = true; pron.required = true;
    var scope = document.createElement("select");
    scope.name = "scope"; scope.className = "pf-scope"; scope.setAttribute("aria-label", "scope");
    [["book", "whole book (lexicon.tsv)"], ["sentence", "this sentence only"],
     ["shared", "shared lexicon (LECTOR_LEXICONS)"]].forEach(function (o) {
      var opt = document.createElement("option"); opt.value = o[0]; opt.textContent = o[1]; scope.appendChild(opt);
    });
    [csrf, word, pron, field("context", "pf-context", "in word (zh, optional)", "context word"), scope,
     button("pf-word-hear", "Hear word", "the word alone, read this way (nothing is saved)"),
     button("pf-save", "Save"),
     button("pf-hear", "Save & hear", "save, then synthesize this sentence with it")].forEach(function (e) { form.appendChild(e); });
    var affected = document.createElement("ul"); affected.className = "affected small";
    [help, words, form, affected].forEach(function (e) { d.appendChild(e); });
    return words;
  }

  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.classList || !d.classList.contains("pron-fix") || !d.open) return;
    var li = d.closest(".sentence"), out = d.querySelector(".words") || build(d);
    if (out.getAttribute("data-loaded") === "1") return;
    fetch("/api/sentences/" + li.dataset.id + "/words", {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        out.setAttribute("data-loaded", "1");
        out.textContent = "";
        (j.words || []).forEach(function (w) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "word" + (w.origin.indexOf("lexicon") === 0 ? " from-lexicon" : "");
          b.title = (w.lang === "zh" ? "shift-click adds the character to the word · " : "") + "from " + w.origin;
          b.dataset.word = w.text; b.dataset.pron = w.pron;
          var text = document.createElement("span"); text.textContent = w.text;
          var pron = document.createElement("small"); pron.textContent = w.pron;
          b.appendChild(text); b.appendChild(pron);
          b.addEventListener("click", function (e) { pick(li, w.text, w.pron, e.shiftKey && w.lang === "zh"); });
          out.appendChild(b);
        });
      });
  }, true);

  list.addEventListener("mouseup", function (ev) {   // a selection in the text fills the word
    var text = ev.target.closest && ev.target.closest(".text");
    var sel = window.getSelection ? String(window.getSelection()).trim() : "";
    if (!text || !sel || sel.length > 40) return;
    var li = text.closest(".sentence"), d = li.querySelector("details.pron-fix");
    if (!d) return;
    if (!d.querySelector(".words")) build(d);
    d.open = true;
    li.querySelector(".pf-word").value = sel;
    li.querySelector(".pf-pron").value = "";
    li.querySelector(".pf-pron").focus();
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("pron-form")) return;
    ev.preventDefault();
    var li = form.closest(".sentence"), headers = {"X-Requested-With": "fetch"};
    var hear = ev.submitter && ev.submitter.classList.contains("pf-hear");
    if (meta) headers["X-CSRF-Token"] = meta.content;
    if (ev.submitter && ev.submitter.classList.contains("pf-word-hear")) {
      fetch(form.action + "/hear", {method: "POST", body: new FormData(form), headers: headers, credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (j) { return [r, j]; }); })
        .then(function (pair) {
          toast(pair[1].message || "not heard", !pair[0].ok);
          if (!pair[0].ok || !pair[1].url) return;
          var player = li.querySelector("audio.pf-word-audio");   // in the page: it can be replayed
          if (!player) {
            player = document.createElement("audio");
            player.className = "pf-word-audio"; player.controls = true;
            form.parentNode.insertBefore(player, form.nextSibling);
          }
          player.src = pair[1].url;
          var p = player.play(); if (p && p.catch) p.catch(function () {});
        })
        .catch(function () { toast("the app cannot be reached — is `lector review` still running?", true); });
      return;
    }
    fetch(form.action, {method: "POST", body: new FormData(form), headers: headers, credentials: "same-origin"})
      .then(function (r) {
        return r.json().then(function (j) { return [r, j]; },
                             function () { return [r, {ok: false, message: "the app did not answer — reload the page"}]; });
      })
      .then(function (pair) {
        var r = pair[0], j = pair[1];
        toast(j.message || (r.ok ? "saved" : "not saved"), !r.ok);
        if (!r.ok) { li.querySelector(".pf-pron").focus(); return; }
        (j.affected || []).forEach(function (a) {
          var row = document.getElementById("s-" + a.id);
          if (row) row.classList.add("pending");
        });
        var holder = document.createElement("ol");
        holder.innerHTML = j.html;
        var fresh = holder.firstElementChild;
        if (!fresh) return;
        li.replaceWith(fresh);
        if (hear) { var again = fresh.querySelector("button.pv-edit"); if (again) again.click(); }
        var d = fresh.querySelector("details.pron-fix");
        build(d);
        d.open = true;
        var ul = d.querySelector(".affected");
        (j.affected || []).forEach(function (a) {
          var item = document.createElement("li"), link = document.createElement("a");
          link.href = "/chapters/" + a.chapter + "#s-" + a.id;
          link.textContent = "ch. " + a.chapter + ": " + a.text;
          item.appendChild(link); ul.appendChild(item);
        });
      })
      .catch(function () { toast("the app cannot be reached — is `lector review` still running?", true); });
  });
})();
