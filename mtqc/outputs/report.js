/* mtqc HTML report: filters and the flag popover. All text from the report goes through
   textContent; the data comes from the JSON island #mtqc-data. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("mtqc-data").textContent);
  var FLAGS = DATA.flags;
  var RANK = { info: 0, minor: 1, major: 2, critical: 3 };
  var SEVS = ["critical", "major", "minor", "info"];
  var controls = document.getElementById("controls");
  var pop = document.getElementById("pop");
  var shownEl = document.getElementById("shown");
  controls.hidden = false;

  function checked(name) {
    var set = {};
    controls.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
      if (input.checked) set[input.value] = true;
    });
    return set;
  }

  function apply() {
    var sev = checked("sev");
    var code = checked("code");
    var only = document.getElementById("only-flagged").checked;
    var visible = function (key) {
      var f = FLAGS[key];
      return !!f && !!sev[f.severity] && !!code[f.code];
    };
    document.querySelectorAll("li.flag").forEach(function (li) {
      li.hidden = !visible(li.dataset.key);
    });
    document.querySelectorAll(".hl").forEach(function (mark) {
      var best = null;
      mark.dataset.flags.split(" ").forEach(function (key) {
        if (visible(key) && (best === null || RANK[FLAGS[key].severity] > RANK[best])) {
          best = FLAGS[key].severity;
        }
      });
      SEVS.forEach(function (s) { mark.classList.remove("sev-" + s); });
      mark.classList.toggle("off", best === null);
      if (best !== null) mark.classList.add("sev-" + best);
    });
    var shown = 0;
    document.querySelectorAll("section.doc").forEach(function (doc) {
      var inDoc = 0;
      doc.querySelectorAll("li.seg").forEach(function (seg) {
        var hide = only && seg.querySelector("li.flag:not([hidden])") === null;
        seg.hidden = hide;
        if (!hide) inDoc += 1;
      });
      doc.hidden = inDoc === 0;
      shown += inDoc;
    });
    shownEl.textContent = shown + (shown === 1 ? " line shown" : " lines shown");
    hidePop();
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showPop(mark) {
    pop.replaceChildren();
    mark.dataset.flags.split(" ").forEach(function (key) {
      var f = FLAGS[key];
      if (!f) return;
      var box = el("div", "pf");
      var head = el("div", "ph");
      head.appendChild(el("span", "badge sev-" + f.severity, f.severity));
      head.appendChild(document.createTextNode(" " + f.code + " " + f.name + " · " + f.category));
      box.appendChild(head);
      box.appendChild(el("div", "pm", f.message));
      if (f.suggestions.length) {
        var sugg = el("div", "pm sugg", "→ ");
        f.suggestions.forEach(function (s, i) {
          if (i) sugg.appendChild(document.createTextNode(" "));
          sugg.appendChild(el("span", "s", s));
        });
        box.appendChild(sugg);
      }
      Object.keys(f.evidence || {}).forEach(function (k) {
        var v = f.evidence[k];
        box.appendChild(el("div", "pe", k + ": " + (typeof v === "string" ? v : JSON.stringify(v))));
      });
      pop.appendChild(box);
    });
    var r = mark.getBoundingClientRect();
    pop.hidden = false;
    var left = Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - pop.offsetWidth - 12);
    pop.style.left = Math.max(8, left) + "px";
    pop.style.top = (window.scrollY + r.bottom + 6) + "px";
  }

  function hidePop() { pop.hidden = true; }

  function focusFlags(mark, on) {
    mark.dataset.flags.split(" ").forEach(function (key) {
      var li = document.getElementById("f-" + key);
      if (li) li.classList.toggle("focus", on);
    });
  }

  function copy(node) {
    if (navigator.clipboard) {
      navigator.clipboard.writeText(node.textContent).then(function () {
        node.classList.add("copied");
        setTimeout(function () { node.classList.remove("copied"); }, 800);
      }, function () {});
    }
  }

  controls.addEventListener("change", apply);
  document.addEventListener("click", function (e) {
    var mark = e.target.closest(".hl");
    if (mark && !mark.classList.contains("off")) { showPop(mark); e.stopPropagation(); return; }
    var s = e.target.closest(".s");
    if (s) { copy(s); return; }
    if (!pop.contains(e.target)) hidePop();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { hidePop(); return; }
    var mark = e.target.closest && e.target.closest(".hl");
    if (mark && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); showPop(mark); }
  });
  document.addEventListener("mouseover", function (e) {
    var mark = e.target.closest(".hl");
    if (mark) focusFlags(mark, true);
  });
  document.addEventListener("mouseout", function (e) {
    var mark = e.target.closest(".hl");
    if (mark) focusFlags(mark, false);
  });
  apply();
})();
