// GridSweep report: the trial table (sort, filter, pages), parallel coordinates and cell curves, drawn from the
// JSON in #report-data. Plain script, no library, nothing fetched: the page opens from disk.
(function () {
  "use strict";
  var started = performance.now();
  var source = document.getElementById("report-data");
  if (!source) return;
  var D = JSON.parse(source.textContent);
  var N = D.id.length;
  var PAGE = 100;
  var VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

  function viridis(f) {
    f = Math.max(0, Math.min(1, f)) * (VIRIDIS.length - 1);
    var i = Math.min(Math.floor(f), VIRIDIS.length - 2), t = f - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return "rgb(" + Math.round(a[0] + (b[0] - a[0]) * t) + "," + Math.round(a[1] + (b[1] - a[1]) * t) + "," + Math.round(a[2] + (b[2] - a[2]) * t) + ")";
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function num(v, digits) {
    return v === null || v === undefined ? "nan" : v.toFixed(digits);
  }

  // Each cell's curves arrive packed (ReportViews.Pack): 16-bit steps of the cell's range, little-endian, base64.
  var MISSING = 65535;
  D.cells.forEach(function (cell) {
    if (!cell.e) {
      cell.e = [];
      for (var k = 0; k < cell.en; k++) cell.e.push(cell.e0 + k);
    }
  });
  function unpack(cell) {
    if (cell.v) return cell;
    var bytes = atob(cell.q), n = cell.e.length, values = [];
    for (var k = 0; k < bytes.length; k += 2) {
      var step = bytes.charCodeAt(k) | (bytes.charCodeAt(k + 1) << 8);
      values.push(step === MISSING ? null : cell.o + step / (MISSING - 1) * cell.s);
    }
    cell.t = values.slice(0, n);
    cell.v = values.slice(n, 2 * n);
    if (values.length > 2 * n) { cell.lo = values.slice(2 * n, 3 * n); cell.hi = values.slice(3 * n, 4 * n); }
    return cell;
  }

  // ---- the table's columns: the same cells as the page's own first rows ----
  var keptSet = {};
  D.kept.forEach(function (i) { keptSet[i] = true; });
  function axisIndex(key) { return key.charAt(0) === "a" && /^a\d+$/.test(key) ? +key.slice(1) : -1; }
  var columns = D.columns.map(function (c) {
    var a = axisIndex(c.k), col = { header: c.h, key: c.k, numeric: c.n };
    if (a >= 0) {
      var axis = D.axes[a], codes = D.a[a];
      col.text = function (i) { return axis.values[codes[i]]; };
      col.value = c.n ? function (i) { var x = parseFloat(axis.values[codes[i]]); return isNaN(x) ? null : x; } : col.text;
      col.html = function (i) { return esc(col.text(i)); };
    } else if (c.k === "id") {
      col.text = col.value = function (i) { return D.id[i]; };
      col.html = function (i) { return "<code>" + esc(D.id[i]) + "</code>"; };
    } else if (c.k === "status") {
      col.text = col.value = function (i) { return D.statuses[D.status[i]]; };
      col.html = function (i) { var s = esc(col.text(i)); return "<span class=\"status-" + s + "\">" + s + "</span>"; };
    } else if (c.k === "bestEpoch" || c.k === "stopped") {
      var ints = D[c.k] || [];
      col.value = function (i) { return ints[i] > 0 ? ints[i] : null; };
      col.text = function (i) { return ints[i] > 0 ? String(ints[i]) : ""; };
      col.html = c.k === "stopped"
        ? function (i) { return ints[i] > 0 ? "<span title=\"" + esc(D.reason[i] || "") + "\">" + ints[i] + "</span>" : ""; }
        : col.text;
    } else if (c.k === "error") {
      col.text = col.value = function (i) { return D.error[i] || ""; };
      col.html = function (i) { return "<span class=\"error\">" + esc(col.text(i)) + "</span>"; };
    } else if (c.k === "kept") {
      col.text = col.value = function (i) { return keptSet[i] ? "weights json" : ""; };
      col.html = function (i) {
        if (!keptSet[i]) return "";
        var id = encodeURIComponent(D.id[i]);
        return "<a href=\"../models/" + esc(id) + ".safetensors\">weights</a> <a href=\"../models/" + esc(id) + ".json\">json</a>";
      };
    } else {
      var values = D[c.k], digits = c.k === "gap" ? 3 : c.k === "seconds" ? 1 : 4;
      col.value = function (i) { return values[i]; };
      col.text = col.html = function (i) { return num(values[i], digits); };
    }
    return col;
  });
  var rankColumn = { header: "rank", key: "rank", numeric: true,
    value: function (i) { return i + 1; }, text: function (i) { return String(i + 1); } };
  rankColumn.html = rankColumn.text;
  columns.unshift(rankColumn);

  // ---- state: sort, filters, parallel-coordinate brushes; kept in the address so a view can be shared ----
  var state = { sort: null, desc: false, filters: {}, brushes: {}, page: 0 };
  function readHash() {
    var hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (!hash) return;
    hash.split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq < 0) return;
      var key = part.slice(0, eq), value = part.slice(eq + 1);
      if (key === "sort") {
        var colon = value.lastIndexOf(":");
        state.sort = colon < 0 ? value : value.slice(0, colon);
        state.desc = colon >= 0 && value.slice(colon + 1) === "desc";
      } else if (columns.some(function (c) { return c.header === key; })) {
        state.filters[key] = value;
      }
    });
  }
  function writeHash() {
    var parts = [];
    if (state.sort) parts.push("sort=" + state.sort + ":" + (state.desc ? "desc" : "asc"));
    Object.keys(state.filters).forEach(function (k) { if (state.filters[k]) parts.push(k + "=" + state.filters[k]); });
    var hash = parts.length ? "#" + encodeURIComponent(parts.join("&")).replace(/%3D/g, "=").replace(/%26/g, "&").replace(/%3A/g, ":") : "";
    if (hash !== location.hash && history.replaceState) history.replaceState(null, "", hash || location.pathname);
  }

  // A filter: "<0.3", ">=5", "0.2..0.4" on numbers; otherwise a part of the cell's text, ignoring case.
  function matcher(column, expression) {
    expression = expression.trim();
    if (!expression) return null;
    var m;
    if (column.numeric && (m = /^(<=|>=|<|>|=)\s*(-?[\d.eE+-]+)$/.exec(expression))) {
      var op = m[1], x = parseFloat(m[2]);
      return function (i) {
        var v = column.value(i);
        if (v === null || v === undefined) return false;
        return op === "<" ? v < x : op === ">" ? v > x : op === "<=" ? v <= x : op === ">=" ? v >= x : v === x;
      };
    }
    if (column.numeric && (m = /^(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)$/.exec(expression))) {
      var lo = parseFloat(m[1]), hi = parseFloat(m[2]);
      return function (i) { var v = column.value(i); return v !== null && v !== undefined && v >= lo && v <= hi; };
    }
    var needle = expression.toLowerCase();
    return function (i) { return String(column.text(i)).toLowerCase().indexOf(needle) >= 0; };
  }

  var visible = [];
  function select() {
    var tests = [];
    columns.forEach(function (c) { var f = state.filters[c.header]; var t = f && matcher(c, f); if (t) tests.push(t); });
    Object.keys(state.brushes).forEach(function (k) { tests.push(state.brushes[k]); });
    visible = [];
    for (var i = 0; i < N; i++) {
      var ok = true;
      for (var t = 0; t < tests.length && ok; t++) ok = tests[t](i);
      if (ok) visible.push(i);
    }
    var column = state.sort && columns.filter(function (c) { return c.header === state.sort; })[0];
    if (column && column.key !== "rank") {
      var keys = visible.map(function (i) { return column.value(i); });
      var order = visible.map(function (_, j) { return j; });
      var sign = state.desc ? -1 : 1;
      order.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var xm = x === null || x === undefined || x === "", ym = y === null || y === undefined || y === "";
        if (xm || ym) return xm === ym ? visible[a] - visible[b] : xm ? 1 : -1; // missing values last either way
        if (x < y) return -sign;
        if (x > y) return sign;
        return visible[a] - visible[b];
      });
      visible = order.map(function (j) { return visible[j]; });
    } else if (column && state.desc) {
      visible.reverse();
    }
  }

  var table = document.getElementById("trials");
  var pager = document.getElementById("trials-pager");
  function renderTable() {
    var start = state.page * PAGE, rows = [];
    for (var r = start; r < Math.min(visible.length, start + PAGE); r++) {
      var i = visible[r];
      var cells = columns.map(function (c) { return c.numeric ? "<td class=\"num\">" + c.html(i) + "</td>" : "<td>" + c.html(i) + "</td>"; });
      rows.push((i === 0 && D.best[0] !== null ? "<tr class=\"best\"" : "<tr") + " data-trial=\"" + i + "\">" + cells.join("") + "</tr>");
    }
    table.tBodies[0].innerHTML = rows.join("\n");
    var pages = Math.max(1, Math.ceil(visible.length / PAGE));
    pager.innerHTML = (visible.length === N ? N + " trials" : visible.length + " of " + N + " trials match") +
      (pages > 1 ? ", page " + (state.page + 1) + " of " + pages + " <button data-page=\"-1\">previous</button><button data-page=\"1\">next</button>" : "");
    table.setAttribute("data-rows", String(visible.length));
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, j) {
      th.setAttribute("aria-sort", columns[j] && columns[j].header === state.sort ? (state.desc ? "descending" : "ascending") : "none");
    });
  }
  function refresh() {
    select();
    state.page = 0;
    renderTable();
    writeHash();
    drawParallel();
  }

  function setUpTable() {
    var head = table.tHead.rows[0];
    var filters = document.createElement("tr");
    filters.className = "filters";
    columns.forEach(function (c, j) {
      var th = head.cells[j];
      th.className += " sortable";
      th.title = "sort by " + c.header;
      th.addEventListener("click", function () {
        if (state.sort === c.header) state.desc = !state.desc; else { state.sort = c.header; state.desc = false; }
        refresh();
      });
      var cell = document.createElement("th");
      var input = document.createElement("input");
      input.type = "search";
      input.placeholder = c.numeric ? "<, >, a..b" : "filter";
      input.setAttribute("aria-label", "filter " + c.header);
      input.value = state.filters[c.header] || "";
      var timer;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { state.filters[c.header] = input.value; refresh(); }, 150);
      });
      cell.appendChild(input);
      filters.appendChild(cell);
    });
    table.tHead.appendChild(filters);
    pager.addEventListener("click", function (e) {
      var step = e.target.getAttribute && e.target.getAttribute("data-page");
      if (!step) return;
      var pages = Math.ceil(visible.length / PAGE);
      state.page = Math.max(0, Math.min(pages - 1, state.page + +step));
      renderTable();
    });
    table.tBodies[0].addEventListener("click", function (e) {
      var row = e.target.closest && e.target.closest("tr[data-trial]");
      if (row && e.target.tagName !== "A") addCell(D.cell[+row.getAttribute("data-trial")]);
    });
    var note = document.getElementById("trials-static-note");
    if (note) note.remove();
  }

  // ---- parallel coordinates: swept axes that vary, then best validation loss and final gap ----
  var parallel = document.getElementById("parallel");
  var canvas = parallel.querySelector("canvas");
  var pcAxes = [];
  function buildAxes() {
    var rates = D.axes.filter(function (axis) { return axis.name === "learning rate"; })[0];
    D.axes.forEach(function (axis, a) {
      if (axis.values.length < 2) return;
      // An optimizer label per learning rate ("adam-lr0.01") says nothing the learning-rate axis does not.
      if (axis.name === "optimizer" && rates && rates.values.length === axis.values.length) return;
      var numbers = axis.values.map(parseFloat);
      var numeric = axis.numeric && numbers.every(function (x) { return isFinite(x); });
      var codes = D.a[a], positions;
      if (numeric) {
        var lo = Math.min.apply(null, numbers), hi = Math.max.apply(null, numbers);
        var log = lo > 0 && hi / lo >= 20;
        var f = function (x) { return log ? Math.log(x) : x; };
        positions = numbers.map(function (x) { return hi === lo ? 0.5 : (f(x) - f(lo)) / (f(hi) - f(lo)); });
        var ticks = axis.values.map(function (v, k) { return [positions[k], String(+numbers[k].toPrecision(3))]; }).sort(function (p, q) { return p[0] - q[0]; });
        pcAxes.push({ name: axis.name + (log ? " (log)" : ""), pos: function (i) { return positions[codes[i]]; }, ticks: thin(ticks) });
      } else {
        var count = axis.values.length;
        positions = axis.values.map(function (_, k) { return count === 1 ? 0.5 : k / (count - 1); });
        pcAxes.push({ name: axis.name, pos: function (i) { return positions[codes[i]]; },
          ticks: thin(axis.values.map(function (v, k) { return [positions[k], v]; })) });
      }
    });
    [["best val loss", D.best], ["final gap", D.gap]].forEach(function (pair) {
      var values = pair[1], finite = values.filter(function (v) { return v !== null; }).sort(function (x, y) { return x - y; });
      if (!finite.length) return;
      // Up to the 98th percentile: one blown-up trial would squash every other line to the bottom.
      var lo = finite[0], hi = finite[Math.floor((finite.length - 1) * 0.98)];
      if (hi <= lo) hi = lo + 1;
      var ticks = [0, 0.25, 0.5, 0.75, 1].map(function (f) { return [f, (lo + (hi - lo) * f).toPrecision(3)]; });
      pcAxes.push({ name: pair[0], pos: function (i) { var v = values[i]; return v === null ? null : Math.min(1, (v - lo) / (hi - lo)); }, ticks: ticks });
    });
  }
  function thin(ticks) {
    if (ticks.length <= 12) return ticks;
    var step = Math.ceil(ticks.length / 12);
    return ticks.filter(function (_, k) { return k % step === 0 || k === ticks.length - 1; });
  }
  var PAD = { left: 60, right: 60, top: 28, bottom: 22 };
  function axisX(k) { return PAD.left + (canvas.width - PAD.left - PAD.right) * (pcAxes.length === 1 ? 0.5 : k / (pcAxes.length - 1)); }
  function axisY(p) { return PAD.top + (canvas.height - PAD.top - PAD.bottom) * (1 - p); }
  var finishedLines = [];
  function drawParallel() {
    if (!pcAxes.length) return;
    var g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    var shown = {};
    visible.forEach(function (i) { shown[i] = true; });
    var best = pcAxes[pcAxes.length - 2].name === "best val loss" ? pcAxes[pcAxes.length - 2] : pcAxes[pcAxes.length - 1];
    g.lineWidth = 1;
    g.globalAlpha = Math.max(0.04, Math.min(0.8, 60 / Math.sqrt(finishedLines.length + 1) / 4));
    // One path per colour, not per line: 100,000 strokes take seconds, 33 take milliseconds. Trials filtered out first,
    // grey; then the rest from the highest loss to the lowest, so the best lines lie on top.
    var BUCKETS = 32, paths = [];
    for (var q = 0; q <= BUCKETS; q++) paths.push([]);
    for (var j = 0; j < finishedLines.length; j++) {
      var i = finishedLines[j];
      paths[shown[i] ? Math.round(Math.max(0, Math.min(1, best.pos(i))) * (BUCKETS - 1)) : BUCKETS].push(i);
    }
    function trace(lines) {
      g.beginPath();
      for (var j = 0; j < lines.length; j++) {
        var moved = false;
        for (var k = 0; k < pcAxes.length; k++) {
          var p = pcAxes[k].pos(lines[j]);
          if (p === null || p === undefined) { moved = false; continue; }
          if (moved) g.lineTo(axisX(k), axisY(p)); else g.moveTo(axisX(k), axisY(p));
          moved = true;
        }
      }
      g.stroke();
    }
    g.strokeStyle = "#d8d8d8";
    trace(paths[BUCKETS]);
    for (var b = BUCKETS - 1; b >= 0; b--) {
      g.strokeStyle = viridis(b / (BUCKETS - 1));
      trace(paths[b]);
    }
    g.globalAlpha = 1;
    g.font = "12px sans-serif";
    g.textAlign = "center";
    pcAxes.forEach(function (axis, k) {
      var x = axisX(k);
      g.strokeStyle = "#333";
      g.beginPath(); g.moveTo(x, axisY(0)); g.lineTo(x, axisY(1)); g.stroke();
      g.fillStyle = "#222";
      g.fillText(axis.name, x, 14);
      g.textAlign = "left";
      axis.ticks.forEach(function (t) { g.fillText(String(t[1]).slice(0, 12), x + 4, axisY(t[0]) + 4); });
      g.textAlign = "center";
      if (axis.brush) {
        g.fillStyle = "rgba(255,69,0,0.25)";
        g.fillRect(x - 8, axisY(axis.brush[1]), 16, axisY(axis.brush[0]) - axisY(axis.brush[1]));
      }
    });
    parallel.setAttribute("data-lines", String(finishedLines.length));
    parallel.setAttribute("data-shown", String(finishedLines.filter(function (i) { return shown[i]; }).length));
    parallel.setAttribute("data-axes", String(pcAxes.length));
    parallel.setAttribute("data-axis-names", pcAxes.map(function (a) { return a.name; }).join("|"));
  }
  function setUpParallel() {
    canvas.width = Math.max(600, Math.min(1240, parallel.clientWidth || 1200));
    buildAxes();
    for (var i = 0; i < N; i++) if (D.best[i] !== null) finishedLines.push(i);
    document.getElementById("parallel-note").textContent = finishedLines.length + " trials with a best validation loss on " + pcAxes.length + " axes" +
      (pcAxes.length <= 2 ? " (the sweep varies no axis besides the losses)" : "") + ".";
    var drag = null;
    function at(e) { var r = canvas.getBoundingClientRect(); return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height }; }
    function nearest(x) {
      var best = -1, distance = 30;
      pcAxes.forEach(function (_, k) { var d = Math.abs(axisX(k) - x); if (d < distance) { distance = d; best = k; } });
      return best;
    }
    function toP(y) { return Math.max(0, Math.min(1, 1 - (y - PAD.top) / (canvas.height - PAD.top - PAD.bottom))); }
    canvas.addEventListener("mousedown", function (e) { var p = at(e), k = nearest(p.x); if (k >= 0) drag = { k: k, from: toP(p.y) }; });
    window.addEventListener("mouseup", function (e) {
      if (!drag) return;
      var axis = pcAxes[drag.k], to = toP(at(e).y), lo = Math.min(drag.from, to), hi = Math.max(drag.from, to);
      drag = null;
      if (hi - lo < 0.01) return;
      axis.brush = [lo, hi];
      state.brushes[axis.name] = function (i) { var p = axis.pos(i); return p !== null && p !== undefined && p >= lo - 1e-9 && p <= hi + 1e-9; };
      refresh();
    });
    canvas.addEventListener("dblclick", function (e) {
      var k = nearest(at(e).x);
      if (k < 0) return;
      delete pcAxes[k].brush;
      delete state.brushes[pcAxes[k].name];
      refresh();
    });
  }

  // ---- curves of chosen cells: mean validation (solid) and train (dashed), the seeds' band, the best epoch ----
  var curves = document.getElementById("curves");
  var legend = document.getElementById("curve-legend");
  var chosen = [];
  var zoom = null;
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  function addCell(c) {
    if (c === undefined || c < 0 || chosen.indexOf(c) >= 0) return;
    chosen.push(c);
    if (chosen.length > COLORS.length) chosen.shift();
    drawCurves();
  }
  function drawCurves() {
    var W = 900, H = 420, L = 60, R = 16, T = 12, B = 36;
    var cells = chosen.map(function (c) { return unpack(D.cells[c]); });
    var e0 = Infinity, e1 = -Infinity, y1 = -Infinity, bests = [];
    cells.forEach(function (cell) {
      e0 = Math.min(e0, cell.e[0]); e1 = Math.max(e1, cell.e[cell.e.length - 1]);
      (cell.hi || cell.v).concat(cell.t).forEach(function (v) { if (v !== null) y1 = Math.max(y1, v); });
      var b = cell.v[cell.e.indexOf(cell.bestEpoch)];
      if (b !== null && b !== undefined) bests.push(b);
    });
    if (!cells.length) { curves.innerHTML = ""; return; }
    bests.sort(function (a, b) { return a - b; });
    // As the figures do: a curve that starts far above where it overfits is cut at 4x the median best loss.
    if (bests.length) y1 = Math.min(y1, 4 * bests[Math.floor(bests.length / 2)]);
    var view = zoom || { x0: e0 - 0.5, x1: e1 + 0.5, y0: 0, y1: y1 * 1.05 || 1 };
    function X(e) { return L + (W - L - R) * (e - view.x0) / (view.x1 - view.x0); }
    function Y(v) { return T + (H - T - B) * (1 - (v - view.y0) / (view.y1 - view.y0)); }
    function path(xs, ys) {
      var d = "", pen = false;
      for (var k = 0; k < xs.length; k++) {
        if (ys[k] === null) { pen = false; continue; }
        d += (pen ? "L" : "M") + X(xs[k]).toFixed(1) + " " + Y(ys[k]).toFixed(1);
        pen = true;
      }
      return d;
    }
    var svg = ["<svg viewBox=\"0 0 " + W + " " + H + "\" width=\"" + W + "\" height=\"" + H + "\" font-size=\"12\"><defs><clipPath id=\"plot-area\"><rect x=\"" + L + "\" y=\"" + T + "\" width=\"" + (W - L - R) + "\" height=\"" + (H - T - B) + "\"/></clipPath></defs>"];
    for (var k = 0; k <= 5; k++) {
      var v = view.y0 + (view.y1 - view.y0) * k / 5;
      svg.push("<line x1=\"" + L + "\" x2=\"" + (W - R) + "\" y1=\"" + Y(v) + "\" y2=\"" + Y(v) + "\" stroke=\"#eee\"/><text x=\"" + (L - 4) + "\" y=\"" + (Y(v) + 4) + "\" text-anchor=\"end\">" + v.toPrecision(3) + "</text>");
    }
    var step = Math.max(1, Math.ceil((view.x1 - view.x0) / 12));
    for (var e = Math.ceil(view.x0); e <= view.x1; e += step)
      svg.push("<text x=\"" + X(e) + "\" y=\"" + (H - B + 16) + "\" text-anchor=\"middle\">" + e + "</text>");
    svg.push("<text x=\"" + ((L + W) / 2) + "\" y=\"" + (H - 4) + "\" text-anchor=\"middle\">epoch</text>");
    svg.push("<g clip-path=\"url(#plot-area)\">");
    cells.forEach(function (cell, j) {
      var color = COLORS[j % COLORS.length], title = "<title>" + esc(cell.label) + " (" + cell.n + " seed" + (cell.n === 1 ? "" : "s") + "), best epoch " + cell.bestEpoch + "</title>";
      if (cell.lo && cell.hi) {
        var top = "", bottom = "";
        for (var k = 0; k < cell.e.length; k++) {
          if (cell.lo[k] === null || cell.hi[k] === null) continue;
          top += (top ? "L" : "M") + X(cell.e[k]).toFixed(1) + " " + Y(cell.hi[k]).toFixed(1);
          bottom = "L" + X(cell.e[k]).toFixed(1) + " " + Y(cell.lo[k]).toFixed(1) + bottom;
        }
        if (top) svg.push("<path class=\"band\" d=\"" + top + bottom + "Z\" fill=\"" + color + "\" fill-opacity=\"0.18\" stroke=\"none\">" + title + "</path>");
      }
      svg.push("<path d=\"" + path(cell.e, cell.t) + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\">" + title + "</path>");
      svg.push("<path class=\"mean\" d=\"" + path(cell.e, cell.v) + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2.5\">" + title + "</path>");
      var b = cell.e.indexOf(cell.bestEpoch);
      if (b >= 0 && cell.v[b] !== null)
        svg.push("<circle cx=\"" + X(cell.bestEpoch) + "\" cy=\"" + Y(cell.v[b]) + "\" r=\"5\" fill=\"" + color + "\">" + title.replace("</title>", ": lowest validation loss " + (cell.b === null ? "nan" : cell.b.toFixed(4)) + "</title>") + "</circle>");
    });
    svg.push("</g><rect class=\"zoom\" x=\"" + L + "\" y=\"" + T + "\" width=\"0\" height=\"" + (H - T - B) + "\" fill=\"rgba(0,0,0,0.08)\"/></svg>");
    curves.innerHTML = svg.join("");
    curves.setAttribute("data-cells", String(cells.length));
    legend.innerHTML = cells.map(function (cell, j) {
      return "<span data-cell=\"" + chosen[j] + "\" title=\"remove\" style=\"color:" + COLORS[j % COLORS.length] + "\">&#9632; " + esc(cell.label) + " &#215;</span>";
    }).join("");
    var plot = curves.querySelector("svg"), box = plot.querySelector("rect.zoom"), from = null;
    function epochAt(ev) { var r = plot.getBoundingClientRect(); var x = (ev.clientX - r.left) * W / r.width; return { x: x, e: view.x0 + (x - L) / (W - L - R) * (view.x1 - view.x0) }; }
    plot.addEventListener("mousedown", function (ev) { from = epochAt(ev); ev.preventDefault(); });
    plot.addEventListener("mousemove", function (ev) {
      if (!from) return;
      var to = epochAt(ev);
      box.setAttribute("x", Math.min(from.x, to.x)); box.setAttribute("width", Math.abs(to.x - from.x));
    });
    plot.addEventListener("mouseup", function (ev) {
      if (!from) return;
      var to = epochAt(ev), a = Math.min(from.e, to.e), b = Math.max(from.e, to.e);
      from = null;
      if (b - a < 0.5) { box.setAttribute("width", 0); return; }
      // Zoom to the epochs dragged across, the loss axis to what the chosen curves reach there.
      var lo = Infinity, hi = -Infinity;
      cells.forEach(function (cell) {
        cell.e.forEach(function (ep, k) {
          if (ep < a || ep > b) return;
          [cell.v[k], cell.t[k], cell.lo ? cell.lo[k] : null, cell.hi ? cell.hi[k] : null].forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
        });
      });
      if (lo < hi) { var pad = (hi - lo) * 0.05; zoom = { x0: a, x1: b, y0: lo - pad, y1: hi + pad }; }
      drawCurves();
    });
    plot.addEventListener("dblclick", function () { zoom = null; drawCurves(); });
  }
  legend.addEventListener("click", function (e) {
    var span = e.target.closest && e.target.closest("span[data-cell]");
    if (!span) return;
    chosen.splice(chosen.indexOf(+span.getAttribute("data-cell")), 1);
    drawCurves();
  });

  readHash();
  setUpTable();
  setUpParallel();
  select();
  renderTable();
  drawParallel();
  // The cells with the lowest validation loss to begin with.
  var order = D.cells.map(function (_, c) { return c; })
    .filter(function (c) { return D.cells[c].b !== null; })
    .sort(function (x, y) { return D.cells[x].b - D.cells[y].b; });
  order.slice(0, 6).forEach(function (c) { chosen.push(c); });
  drawCurves();
  document.body.setAttribute("data-views", "ready");
  document.body.setAttribute("data-views-ms", String(Math.round(performance.now() - started)));
})();
