// gradpipe's interactive view: pan and zoom, search, tooltips, highlight, backprop steps.
// Everything it shows comes from the JSON in #gp-data, which gradpipe computed from the
// engine; this script only looks numbers up, it computes no gradient itself.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gp-data").textContent);
  var nodes = data.nodes, steps = data.steps, N = nodes.length, S = steps.length;
  var view = document.getElementById("gp-view");
  var canvas = document.getElementById("gp-canvas");
  var svg = canvas.querySelector("svg");
  var tip = document.getElementById("gp-tip");
  var panel = document.getElementById("gp-panel");
  var slider = document.getElementById("gp-slider");
  var stepOut = document.getElementById("gp-step");
  var search = document.getElementById("gp-search");
  var found = document.getElementById("gp-found");
  var i, k;

  // The drawn pieces of each graph node: value records (and copies), op bubbles, grad
  // texts; and each edge with the node it comes from (t) and leads into (h).
  var groups = [], gradTexts = [], users = [];
  for (i = 0; i < N; i++) { groups.push([]); gradTexts.push([]); users.push([]); }
  svg.querySelectorAll("g.node[data-i]").forEach(function (g) { groups[+g.dataset.i].push(g); });
  svg.querySelectorAll("text.gp-grad").forEach(function (t) { gradTexts[+t.dataset.i].push(t); });
  // The grad texts live in a layer of their own on top of the picture, drawn with the
  // same transform: changing one then lays out that small layer, not the whole graph.
  // The grad texts live in a layer of their own on top of the picture, drawn with the
  // same transform: changing one lays out that layer of texts, not the whole graph.
  var graphGroup = svg.querySelector("g.graph");
  var overlay = document.createElementNS(svg.namespaceURI, "svg");
  ["width", "height", "viewBox"].forEach(function (a) { if (svg.hasAttribute(a)) overlay.setAttribute(a, svg.getAttribute(a)); });
  overlay.setAttribute("class", "gp-overlay");
  var layer = document.createElementNS(svg.namespaceURI, "g");
  if (graphGroup && graphGroup.hasAttribute("transform")) layer.setAttribute("transform", graphGroup.getAttribute("transform"));
  overlay.appendChild(layer);
  gradTexts.forEach(function (texts) { texts.forEach(function (t) { layer.appendChild(t); }); });
  canvas.appendChild(overlay);
  var edges = [], edgesInto = [];
  for (i = 0; i < N; i++) edgesInto.push([]);
  svg.querySelectorAll("g.edge[data-h]").forEach(function (e) {
    var edge = { el: e, t: +e.dataset.t, h: +e.dataset.h };
    edges.push(edge);
    edgesInto[edge.h].push(edge);
  });
  nodes.forEach(function (n, j) { n.args.forEach(function (a) { users[a].push(j); }); });
  // Node marks (for instance a gradient check's result): the record filled with the
  // mark's colour, as DOT draws a mark, and the note in the tooltip.
  nodes.forEach(function (n, j) {
    if (!n.mark || !n.mark.colour) return;
    groups[j].forEach(function (g) {
      if (g.dataset.k !== "v") return;
      g.classList.add("gp-marked");
      var shape = g.querySelector("polygon");
      if (shape) shape.style.fill = n.mark.colour;
    });
  });

  // How many terms each node's gradient sums, and, per step, which term each one is.
  var expected = new Array(N).fill(0);
  var termNumber = steps.map(function (s) {
    return s.terms.map(function (t) { expected[t[1]] += 1; return expected[t[1]]; });
  });

  // ---- Backprop steps -------------------------------------------------------------
  var shownText = new Array(N).fill(undefined);   // grad text now on screen
  var shownPartial = new Array(N).fill(false);
  var current = -1, marked = [];
  var step = S;

  function gradsAt(count) {
    // Each node's grad text and whether its sum still waits for terms, after `count` steps.
    var text = new Array(N).fill(null), partial = new Array(N).fill(false);
    if (count >= S) {
      for (var j = 0; j < N; j++) text[j] = nodes[j].gradText;
      return { text: text, partial: partial };
    }
    var got = new Array(N).fill(0);
    for (var s = 0; s < count; s++) {
      // A node's gradient is complete when it steps (the output's: 1).
      text[steps[s].node] = steps[s].gradText;
      partial[steps[s].node] = false;
      var terms = steps[s].terms;
      for (var t = 0; t < terms.length; t++) {
        var c = terms[t][1];
        text[c] = terms[t][5];
        got[c] += 1;
        partial[c] = got[c] < expected[c];
      }
    }
    return { text: text, partial: partial };
  }

  function setStep(count) {
    count = Math.max(0, Math.min(S, count | 0));
    step = count;
    var state = gradsAt(count);
    for (var j = 0; j < N; j++) {
      var text = state.text[j];
      if (text !== shownText[j]) {
        shownText[j] = text;
        var content = text === null ? "grad" : "grad " + text;
        gradTexts[j].forEach(function (t) { t.textContent = content; });
      }
      if (state.partial[j] !== shownPartial[j]) {
        shownPartial[j] = state.partial[j];
        groups[j].forEach(function (g) { g.classList.toggle("gp-partial", state.partial[j]); });
        gradTexts[j].forEach(function (t) { t.classList.toggle("gp-partial", state.partial[j]); });
      }
    }
    marked.forEach(function (el) { el.classList.remove("gp-current", "gp-recv", "gp-flow"); });
    marked = [];
    current = count > 0 && S > 0 ? steps[count - 1].node : -1;
    if (current >= 0) {
      groups[current].forEach(function (g) { g.classList.add("gp-current"); marked.push(g); });
      steps[count - 1].terms.forEach(function (t) {
        groups[t[1]].forEach(function (g) {
          if (t[1] !== current && g.dataset.k === "v") { g.classList.add("gp-recv"); marked.push(g); }
        });
      });
      edgesInto[current].forEach(function (e) { e.el.classList.add("gp-flow"); marked.push(e.el); });
    }
    slider.value = String(count);
    stepOut.textContent = "step " + count + " / " + S;
    document.body.dataset.step = String(count);
    showPanel();
    if (current >= 0 && follow) ensureVisible(current);
    if (tipNode >= 0) showTip(tipNode, lastTipX, lastTipY);
  }

  function name(j) {
    var n = nodes[j];
    return n.id.charAt(0) === "_" && n.label ? n.label : n.id;
  }

  // A name inside a derivative: parenthesised unless it is one word, as in ∂o/∂(x1*w1).
  function dname(j) {
    var s = name(j);
    return /^[\w.]+$/.test(s) ? s : "(" + s + ")";
  }

  // The output in a derivative, drawn or not (a focus view may leave it out).
  function outName() {
    var o = data.outputName;
    if (o === nodes[data.output].id) return dname(data.output);
    return /^[\w.]+$/.test(o) ? o : "(" + o + ")";
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function num(s) { return '<span class="gp-num">' + esc(s) + "</span>"; }

  // A sum of hundreds of terms lists its first few: the panel stays quick and readable.
  var PANEL_TERMS = 12;

  function showPanel() {
    if (step === 0) {
      var begin = data.outputName === nodes[data.output].id
        ? "at the output, <b>" + esc(name(data.output)) + "</b>, whose gradient is 1."
        : "at the output, <b>" + esc(data.outputName) + "</b> (not drawn here): each drawn node's gradient is complete when it steps.";
      panel.innerHTML = S ? "<h2>Step 0 of " + S + ": the forward pass</h2>Every value is computed; no gradient yet. Press &#x2192; to start backprop " + begin
        : data.outputName === nodes[data.output].id
          ? "<h2>No backprop steps</h2>The output depends on no computed node."
          : "<h2>No backprop steps here</h2>No node drawn here is a computed node that the output, <b>" + esc(data.outputName) + "</b> (not drawn here), depends on.";
      return;
    }
    var s = steps[step - 1], n = nodes[s.node];
    var html = "<h2>Step " + step + " of " + S + ": <b>" + esc(name(s.node)) + "</b> (" + esc(n.op) + ")" + (step === S ? ", the last: backward's result" : "") + "</h2>";
    html += "Its gradient, now complete: \u2202" + esc(outName()) + "/\u2202" + esc(dname(s.node)) + " = " + num(s.grad) + ". It passes on, to each argument, this gradient times the local derivative:";
    html += "<ul>";
    s.terms.forEach(function (t, m) {
      if (m === PANEL_TERMS && s.terms.length > PANEL_TERMS + 1) {
        html += "<li>\u2026 and " + (s.terms.length - PANEL_TERMS) + " more (hover a node for its gradient)</li>";
      }
      if (m >= PANEL_TERMS && s.terms.length > PANEL_TERMS + 1) return;
      var c = t[1], rule = n.locals[t[0]][0];
      html += "<li><b>" + esc(name(c)) + "</b>: " + num(s.grad) + " \u00d7 " + num(t[2]) + " = " + num(t[3]) +
        " <small>(\u2202" + esc(dname(s.node)) + "/\u2202" + esc(dname(c)) + (rule ? " = " + esc(rule) : "") + ")</small>" +
        "; grad " + esc(name(c)) + " = " + num(t[4]) +
        " <small>(term " + termNumber[step - 1][m] + " of " + expected[c] +
        (nodes[c].hidden ? " drawn; " + nodes[c].hidden + " more from users not drawn" : "") + ")</small></li>";
    });
    html += "</ul>";
    if (n.cutInputs) html += "<p>And to " + n.cutInputs + " more argument" + (n.cutInputs > 1 ? "s" : "") + " not drawn.</p>";
    else if (!s.terms.length) html += "Nothing flows on from here.";
    panel.innerHTML = html;
  }

  // ---- Tooltip ----------------------------------------------------------------------
  var tipNode = -1, lastTipX = 0, lastTipY = 0;

  function gradNow(j) {
    if (step >= S) return nodes[j].grad;
    if (step === 0) return null;
    var value = null;
    for (var s = 0; s < step; s++) {
      if (steps[s].node === j) value = steps[s].grad;
      var terms = steps[s].terms;
      for (var t = 0; t < terms.length; t++) if (terms[t][1] === j) value = terms[t][4];
    }
    return value;
  }

  function showTip(j, x, y) {
    var n = nodes[j], g = gradNow(j), rows = [];
    rows.push(["node", esc(n.id) + (n.label !== n.id ? " <i>" + esc(n.label) + "</i>" : "")]);
    rows.push(["op", esc(n.op) + (n.kind !== "node" ? " (" + esc(n.kind) + ")" : "")]);
    if (n.args.length) rows.push(["formula", esc(n.formula)]);
    rows.push(["value", num(n.value)]);
    rows.push(["gradient", n.kind === "const" ? '<span class="gp-blank">none (constant)</span>'
      : g === null ? '<span class="gp-blank">not computed yet</span>' : num(g) + (shownPartial[j] ? " <small>(sum so far)</small>" : "")]);
    (n.locals || []).forEach(function (d, p) {
      var a = n.args[p];
      rows.push(["\u2202" + esc(dname(j)) + "/\u2202" + esc(dname(a)),
        (d[1] === null ? '<span class="gp-blank">none: constant</span>' : (d[0] ? esc(d[0]) + " = " : "") + num(d[1])) +
        " <small>at " + esc(name(a)) + " = " + esc(nodes[a].value) + "</small>"]);
    });
    if (n.mark) rows.push([esc(n.mark.status || "mark"), esc(n.mark.note || "")]);
    tip.innerHTML = "<table>" + rows.map(function (r) { return "<tr><td>" + r[0] + "</td><td>" + r[1] + "</td></tr>"; }).join("") + "</table>";
    tip.hidden = false;
    tipNode = j; lastTipX = x; lastTipY = y;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = x + 14 + w > window.innerWidth ? Math.max(4, x - 14 - w) : x + 14;
    var top = y + 14 + h > window.innerHeight ? Math.max(4, y - 14 - h) : y + 14;
    // Keep clear of the step panel: above the pointer when below would cover it.
    var p = panel.innerHTML ? panel.getBoundingClientRect() : null;
    if (p && left < p.right && left + w > p.left && top < p.bottom && top + h > p.top) top = Math.max(4, y - 14 - h);
    tip.style.left = left + "px"; tip.style.top = top + "px";
  }

  function hideTip() { tip.hidden = true; tipNode = -1; }

  function nodeAt(target) {
    var g = target && target.closest ? target.closest("g.node[data-i]") : null;
    return g ? +g.dataset.i : -1;
  }

  svg.addEventListener("mouseover", function (e) {
    var j = nodeAt(e.target);
    if (j >= 0 && !dragging) showTip(j, e.clientX, e.clientY);
  });
  svg.addEventListener("mouseout", function (e) {
    if (nodeAt(e.relatedTarget) < 0) hideTip();
  });

  // ---- Highlight what a node depends on and what depends on it ----------------------
  var selected = -1, lit = [];

  function select(j) {
    lit.forEach(function (el) { el.classList.remove("gp-hl", "gp-selected"); });
    lit = [];
    selected = j;
    if (j < 0) {
      svg.classList.remove("gp-focus"); overlay.classList.remove("gp-focus");
      document.body.dataset.selected = ""; return;
    }
    var up = walk(j, function (v) { return nodes[v].args; });
    var down = walk(j, function (v) { return users[v]; });
    var on = function (v) { return up[v] || down[v]; };
    for (var v = 0; v < N; v++) {
      if (!on(v)) continue;
      groups[v].forEach(function (g) { g.classList.add("gp-hl"); lit.push(g); });
      gradTexts[v].forEach(function (t) { t.classList.add("gp-hl"); lit.push(t); });
    }
    edges.forEach(function (e) {
      if ((up[e.t] && up[e.h]) || (down[e.t] && down[e.h])) { e.el.classList.add("gp-hl"); lit.push(e.el); }
    });
    groups[j].forEach(function (g) { g.classList.add("gp-selected"); });
    svg.classList.add("gp-focus"); overlay.classList.add("gp-focus");
    document.body.dataset.selected = nodes[j].id;
  }

  function walk(start, next) {
    var seen = new Uint8Array(N), todo = [start];
    seen[start] = 1;
    while (todo.length) {
      var v = todo.pop(), out = next(v);
      for (var m = 0; m < out.length; m++) if (!seen[out[m]]) { seen[out[m]] = 1; todo.push(out[m]); }
    }
    return seen;
  }

  // ---- Pan and zoom -----------------------------------------------------------------
  var x = 0, y = 0, scale = 1, follow = true;
  var width = svg.width.baseVal.value || svg.getBoundingClientRect().width;
  var height = svg.height.baseVal.value || svg.getBoundingClientRect().height;
  var frame = 0;

  function apply() {
    if (frame) return;
    frame = requestAnimationFrame(function () {
      frame = 0;
      canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
    });
  }

  function zoomAt(factor, cx, cy) {
    var next = Math.max(0.02, Math.min(8, scale * factor));
    x = cx - (cx - x) * (next / scale);
    y = cy - (cy - y) * (next / scale);
    scale = next;
    apply();
  }

  function fit(whole) {
    var w = view.clientWidth, h = view.clientHeight;
    scale = Math.min(1.5, Math.min(w / width, h / height) * 0.96);
    x = Math.max(8, (w - width * scale) / 2);
    y = Math.max(8, (h - height * scale) / 2);
    apply();
    // A big graph fitted whole is unreadable: start where its text reads, at the output.
    if (!whole && scale < 0.45) {
      scale = N > 200 ? 0.6 : 0.8;
      canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
      centerOn(data.output);
      x = Math.min(x + view.clientWidth * 0.3, 8 + view.clientWidth * 0.5);
      canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
    }
  }

  // Where each node is drawn, in the picture's own pixels: measured once (nodes never
  // move), so stepping never forces the browser to lay the page out again.
  var boxes = null;
  function box(j) {
    if (!boxes) {
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
      canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
      boxes = new Array(N).fill(null);
      var c = canvas.getBoundingClientRect();
      for (var m = 0; m < N; m++) {
        var g = groups[m][0];
        if (!g) continue;
        var r = g.getBoundingClientRect();
        boxes[m] = { x: (r.left - c.left) / scale, y: (r.top - c.top) / scale, w: r.width / scale, h: r.height / scale };
      }
    }
    return boxes[j];
  }

  // The view's size, read once and on resize: reading it after a change would make the
  // browser lay the whole picture out again.
  var viewW = view.clientWidth, viewH = view.clientHeight, viewRect = view.getBoundingClientRect();
  window.addEventListener("resize", function () {
    viewW = view.clientWidth; viewH = view.clientHeight; viewRect = view.getBoundingClientRect();
  });

  function centerOn(j) {
    var b = box(j);
    if (!b) return;
    x = viewW / 2 - (b.x + b.w / 2) * scale;
    y = viewH / 2 - (b.y + b.h / 2) * scale;
    canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
  }

  function ensureVisible(j) {
    var b = box(j);
    if (!b) return;
    var left = x + b.x * scale, top = y + b.y * scale, w = viewW, h = viewH;
    if (left + b.w * scale < 20 || left > w - 20 || top + b.h * scale < 20 || top > h - 20) centerOn(j);
  }

  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    var v = viewRect;
    zoomAt(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - v.left, e.clientY - v.top);
  }, { passive: false });

  var dragging = false, downAt = null, pointers = new Map(), pinch = 0;
  view.addEventListener("pointerdown", function (e) {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    downAt = { x: e.clientX, y: e.clientY, px: x, py: y, node: nodeAt(e.target) };
    if (pointers.size === 2) pinch = distance();
  });
  view.addEventListener("pointermove", function (e) {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2 && pinch) {
      var d = distance(), v = viewRect, c = middle();
      zoomAt(d / pinch, c.x - v.left, c.y - v.top);
      pinch = d; dragging = true;
      return;
    }
    if (!downAt) return;
    var dx = e.clientX - downAt.x, dy = e.clientY - downAt.y;
    if (!dragging && dx * dx + dy * dy > 16) {
      dragging = true; view.classList.add("gp-dragging"); hideTip();
      view.setPointerCapture(e.pointerId);
    }
    if (dragging) { x = downAt.px + dx; y = downAt.py + dy; apply(); }
  });
  function release(e) {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = 0;
    if (!downAt) return;
    if (!dragging && e.type === "pointerup") {
      // A click or a tap: select the node (and, for touch, show its tooltip).
      var j = downAt.node;
      select(j === selected ? -1 : j);
      if (j >= 0 && e.pointerType !== "mouse") showTip(j, e.clientX, e.clientY);
      if (j < 0) hideTip();
    }
    dragging = false; downAt = null; view.classList.remove("gp-dragging");
  }
  view.addEventListener("pointerup", release);
  view.addEventListener("pointercancel", release);
  function distance() {
    var p = Array.from(pointers.values());
    return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) || 1;
  }
  function middle() {
    var p = Array.from(pointers.values());
    return { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 };
  }

  // ---- Search -----------------------------------------------------------------------
  var matches = [], matchAt = -1, matchMarked = [];
  function runSearch() {
    matchMarked.forEach(function (g) { g.classList.remove("gp-match"); });
    matchMarked = []; matches = []; matchAt = -1;
    var q = search.value.trim().toLowerCase();
    if (q) {
      for (var j = 0; j < N; j++) {
        if (nodes[j].id.toLowerCase().indexOf(q) >= 0 || nodes[j].label.toLowerCase().indexOf(q) >= 0) matches.push(j);
      }
      // Exact names first.
      matches.sort(function (a, b) {
        var ea = nodes[a].id.toLowerCase() === q || nodes[a].label.toLowerCase() === q;
        var eb = nodes[b].id.toLowerCase() === q || nodes[b].label.toLowerCase() === q;
        return ea === eb ? a - b : ea ? -1 : 1;
      });
      matches.forEach(function (j) { groups[j].forEach(function (g) { if (g.dataset.k === "v") { g.classList.add("gp-match"); matchMarked.push(g); } }); });
    }
    found.textContent = q ? (matches.length ? matches.length + " found" : "none found") : "";
    document.body.dataset.matches = String(matches.length);
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && matches.length) {
      matchAt = (matchAt + (e.shiftKey ? matches.length - 1 : 1)) % matches.length;
      var j = matches[matchAt];
      if (scale < 0.8) { scale = 1; apply(); }
      centerOn(j);
      select(j);
      found.textContent = (matchAt + 1) + " of " + matches.length;
      var b = box(j), v = viewRect;
      if (b) showTip(j, v.left + x + (b.x + b.w) * scale, v.top + y + (b.y + b.h) * scale);
    } else if (e.key === "Escape") {
      search.value = ""; runSearch(); search.blur(); hideTip();
    }
  });

  // ---- Controls and keys --------------------------------------------------------------
  var timer = 0;
  var playButton = document.getElementById("gp-play");
  function stop() { if (timer) { clearInterval(timer); timer = 0; playButton.textContent = "\u25B6\uFE0E play"; } }
  function play() {
    if (timer) { stop(); return; }
    if (step >= S) setStep(0);
    playButton.textContent = "\u23F8\uFE0E pause";
    timer = setInterval(function () { if (step >= S) stop(); else setStep(step + 1); }, 700);
  }
  document.getElementById("gp-first").addEventListener("click", function () { stop(); setStep(0); });
  document.getElementById("gp-prev").addEventListener("click", function () { stop(); setStep(step - 1); });
  document.getElementById("gp-next").addEventListener("click", function () { stop(); setStep(step + 1); });
  document.getElementById("gp-last").addEventListener("click", function () { stop(); setStep(S); });
  playButton.addEventListener("click", play);
  document.getElementById("gp-fit").addEventListener("click", function () { fit(true); });
  slider.max = String(S);
  slider.addEventListener("input", function () { stop(); setStep(+slider.value); });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) {
      if (t !== slider) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") return; // the slider steps itself
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (t && t.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return; // its click
    var handled = true;
    switch (e.key) {
      case "ArrowRight": case "ArrowDown": stop(); setStep(step + 1); break;
      case "ArrowLeft": case "ArrowUp": stop(); setStep(step - 1); break;
      case "Home": stop(); setStep(0); break;
      case "End": stop(); setStep(S); break;
      case " ": play(); break;
      case "+": case "=": zoomAt(1.25, viewW / 2, viewH / 2); break;
      case "-": case "_": zoomAt(0.8, viewW / 2, viewH / 2); break;
      case "0": fit(true); break;
      case "/": search.focus(); break;
      case "Escape": select(-1); hideTip(); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  // ---- Reload when `render --watch` writes a new version ------------------------------
  var watchInfo = document.getElementById("gp-watch");
  if (watchInfo) {
    var watch = JSON.parse(watchInfo.textContent);
    var errorBox = document.getElementById("gp-error");
    window.gradpipeWatch = function (token, error) {
      if (token && token !== watch.token) {
        try { sessionStorage.setItem("gradpipe-view", JSON.stringify({ step: step, x: x, y: y, scale: scale })); } catch (err) { /* private mode */ }
        location.reload();
        return;
      }
      errorBox.hidden = !error;
      errorBox.textContent = error || "";
    };
    setInterval(function () {
      var s = document.createElement("script");
      s.src = watch.file + "?" + Date.now();
      s.onload = s.onerror = function () { s.remove(); };
      document.head.appendChild(s);
    }, 1000);
  }

  // ---- Start: the whole picture at the last step (or #step=K), fitted to the window ----
  var start = S, saved = null;
  try { saved = JSON.parse(sessionStorage.getItem("gradpipe-view") || "null"); sessionStorage.removeItem("gradpipe-view"); } catch (err) { saved = null; }
  var hash = /step=(\d+)/.exec(location.hash);
  if (hash) start = +hash[1];
  follow = false;
  fit(false);
  if (saved && watchInfo) { start = saved.step; x = saved.x; y = saved.y; scale = saved.scale; apply(); }
  setStep(start);
  follow = true;
  window.gradpipe = {
    setStep: setStep, select: select, centerOn: centerOn, fit: fit, steps: S,
    step: function () { return step; }
  };
})();
