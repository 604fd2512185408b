/* The trace player: a thin view over the Tracer's events, embedded in this
   page as JSON (#trace-data). Nothing is computed here that the trace does
   not say: numbers are shown with the text the console shows for them, each
   step's sentence is the event's own, and the state of every node at step N
   is what the events up to N read and wrote. No framework, no network. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("trace-data").textContent);
  var EVENTS = DATA.events;
  var UNITS = DATA.units;
  var GATES = DATA.gates;
  var LAST = EVENTS.length;
  var ROW = 32; // px of a row of the event list (player.css .row)
  var TOP = 24; // px above the graph, for the names of a unit at the top
  // px of a character of a label (player.css: .flow 12.5px bold sans, .alias 12px mono)
  var LABEL_CHAR = { flow: 7.6, alias: 7.4 };
  var SVG_NS = document.getElementById("graph").namespaceURI;

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    player: $("player"), phase: $("phase"), phaseText: $("phase-text"),
    first: $("first"), prev: $("prev"), play: $("play"), playLabel: $("play-label"),
    next: $("next"), last: $("last"), slider: $("slider"), strip: $("strip"),
    counter: $("counter"), speed: $("speed"), heading: $("step-heading"),
    sentence: $("sentence"), details: $("details"), scroll: $("graph-scroll"),
    svg: $("graph"), graphNote: $("graph-note"), list: $("list"), spacer: $("spacer"),
    listNote: $("list-note"), engine: $("engine")
  };

  // -- numbers: [raw, text] pairs ------------------------------------------
  function text(n) { return n === null || n === undefined ? null : n[1]; }

  // -- the state of each unit at each step ----------------------------------
  // Observations per unit and field, in step order: {step, n, fill}. The
  // state at step k is the last observation at or before k; before the first
  // one, that first one if it says what the field held before (a write's
  // "before", an input's value), else unknown.
  var obs = { value: UNITS.map(function () { return []; }), grad: UNITS.map(function () { return []; }) };
  var born = UNITS.map(function () { return 0; }); // first step at which the unit exists
  EVENTS.forEach(function (e, i) {
    var k = i + 1;
    e.reads.forEach(function (r) {
      obs.value[r.unit].push({ step: k, n: r.value, fill: true });
      if (r.grad !== null) obs.grad[r.unit].push({ step: k, n: r.grad, fill: false });
    });
    e.writes.forEach(function (w) {
      var list = obs[w.field][w.unit];
      if (w.before !== null) {
        list.push({ step: k, n: w.before, fill: true });
      } else if (w.field === "value" && !list.length) {
        born[w.unit] = k; // a fresh output: it does not exist before this step
      }
      list.push({ step: k, n: w.after, fill: false });
    });
  });

  function stateAt(field, unit, k) {
    var list = obs[field][unit];
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid].step <= k) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found >= 0) return text(list[found].n);
    if (list.length && list[0].fill) return text(list[0].n);
    return null;
  }

  // -- small DOM helpers -----------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, attrs[key]);
    });
  }
  function append(node, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }
  function name(t) { return el("span", { "class": "name" }, t); }
  function num(t) { return el("span", { "class": "num" }, t); }
  function unitName(u) { return UNITS[u].name; }

  // -- the graph ---------------------------------------------------------------
  var drawn = null; // {direction, units: [...], gates: [...], edges: {key: path}, labels: g}

  function chooseDirection() {
    var layout = DATA.layout;
    var width = ui.scroll.clientWidth || 800;
    var wide = window.matchMedia("(min-width: 601px)").matches;
    var height = wide ? (ui.scroll.clientHeight || 500) : window.innerHeight * 0.8;
    function fit(d) { var p = layout[d]; return Math.min(width / p.width, height / p.height); }
    return fit("TB") > fit("LR") * 1.15 ? "TB" : "LR";
  }

  function scaleFor(placed) {
    var width = Math.max(ui.scroll.clientWidth - 2, 200);
    var wide = window.matchMedia("(min-width: 601px)").matches;
    var scale = width / placed.width;
    var high = wide ? Math.max(ui.scroll.clientHeight - 2, 300) : window.innerHeight * 0.85;
    scale = Math.min(scale, high / (placed.height + TOP));
    return Math.max(0.72, Math.min(scale, 1.25)); // never so small that the numbers blur
  }

  // The drawing's size and view: the graph at its scale, centred, with the
  // panel's spare width on either side kept in view for labels to use.
  function fitView(width, height) {
    var scale = scaleFor({ width: width, height: height });
    var spare = Math.max(0, (ui.scroll.clientWidth - 2) / scale - width);
    setAttrs(ui.svg, {
      viewBox: (-spare / 2) + " " + (-TOP) + " " + (width + spare) + " " + (height + TOP),
      width: Math.floor((width + spare) * scale), height: Math.round((height + TOP) * scale)
    });
  }

  function unitNode(u, box) {
    var unit = UNITS[u];
    var w = box[2], h = box[3];
    var classes = "unit " + unit.kind + (unit.takes_grad ? "" : " no-grad");
    var g = svg("g", { "class": classes, transform: "translate(" + box[0] + "," + box[1] + ")" });
    g.appendChild(svg("rect", { x: -w / 2, y: -h / 2, width: w, height: h, rx: unit.kind === "computed" ? 9 : 2 }));
    var top = -h / 2 + 18;
    var title = svg("text", { x: 0, y: top, "text-anchor": "middle", "class": "uname" }, unit.name);
    var value = svg("text", { x: 0, y: top + 16, "text-anchor": "middle" });
    g.appendChild(title);
    g.appendChild(value);
    var grad = null;
    if (unit.takes_grad) {
      grad = svg("text", { x: 0, y: top + 32, "text-anchor": "middle" });
      g.appendChild(grad);
    }
    g.appendChild(svg("title", null, unit.kind + " " + unit.name));
    return { g: g, value: value, grad: grad, shown: { value: undefined, grad: undefined }, box: box };
  }

  function gateNode(index, box) {
    var gate = GATES[index];
    var g = svg("g", { "class": "gate", transform: "translate(" + box[0] + "," + box[1] + ")" });
    g.appendChild(svg("ellipse", { cx: 0, cy: 0, rx: box[2] / 2, ry: box[3] / 2 }));
    g.appendChild(svg("text", { x: 0, y: -1, "text-anchor": "middle", "class": "symbol" }, gate.symbol));
    g.appendChild(svg("text", { x: 0, y: 12, "text-anchor": "middle", "class": "gname" }, gate.name));
    g.appendChild(svg("title", null, gate.type + " " + gate.name));
    return { g: g, box: box };
  }

  function clearGraph() {
    while (ui.svg.firstChild) ui.svg.removeChild(ui.svg.firstChild);
  }

  function arrowDefs() {
    var marker = svg("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: 0, refY: 5, markerWidth: 9, markerHeight: 9,
      markerUnits: "userSpaceOnUse", orient: "auto"
    }, svg("path", { d: "M0,0 L10,5 L0,10 z", "class": "arrow" }));
    return svg("defs", null, marker);
  }

  function drawWhole(direction) {
    var placed = DATA.layout[direction];
    clearGraph();
    fitView(placed.width, placed.height);
    ui.svg.appendChild(arrowDefs());
    var edgesLayer = svg("g", { "class": "edges" });
    var nodesLayer = svg("g", { "class": "nodes" });
    var labels = svg("g", { "class": "labels" });
    var edges = {}, labelAt = {};
    placed.edges.forEach(function (edge) {
      var path = svg("path", { d: edge[2], "class": "edge", "marker-end": "url(#arrow)" });
      edges[edge[0] + ">" + edge[1]] = path;
      if (edge[3]) labelAt[edge[0] + ">" + edge[1]] = edge[3];
      edgesLayer.appendChild(path);
    });
    var units = UNITS.map(function (unit, u) {
      var node = unitNode(u, placed.nodes["u" + u]);
      nodesLayer.appendChild(node.g);
      return node;
    });
    var gates = GATES.map(function (gate, i) {
      var node = gateNode(i, placed.nodes["g" + i]);
      nodesLayer.appendChild(node.g);
      return node;
    });
    ui.svg.appendChild(edgesLayer);
    ui.svg.appendChild(nodesLayer);
    ui.svg.appendChild(labels);
    drawn = { direction: direction, whole: true, units: units, gates: gates, edges: edges, labelAt: labelAt, labels: labels, lit: [] };
  }

  // A graph too big to draw whole: the current gate, what it read, what it wrote.
  function textWidth(t, bold) { return t.length * (bold ? 9.0 : 7.6); }
  function drawLocal(k) {
    clearGraph();
    drawn = { direction: "LR", whole: false, units: {}, gates: {}, edges: {}, labelAt: {}, labels: null, lit: [] };
    if (k === 0) { setAttrs(ui.svg, { viewBox: "0 0 10 10", width: 10, height: 10 }); return; }
    var e = EVENTS[k - 1];
    var gate = GATES[e.gate];
    function size(u) {
      var lines = [textWidth(unitName(u), true), textWidth("value -0.0000e+00", false)];
      return [Math.max(Math.max.apply(null, lines) + 18, 64), UNITS[u].takes_grad ? 58 : 42];
    }
    var inputs = gate.inputs.map(size);
    var across = inputs.reduce(function (s, b) { return s + b[1] + 16; }, -16);
    var colIn = Math.max.apply(null, inputs.map(function (b) { return b[0]; }).concat([64]));
    var gw = Math.max(gate.symbol.length * 9.6, gate.name.length * 7.0) + 30;
    var out = size(gate.output);
    var height = Math.max(across, out[1], 38) + 24;
    var gap = 150; // room for an edge's label: upstream x local = added
    var x1 = 12 + colIn / 2, x2 = 12 + colIn + gap + gw / 2, x3 = x2 + gw / 2 + 50 + out[0] / 2;
    var width = x3 + out[0] / 2 + 12;
    var placed = { width: width, height: height, nodes: {}, edges: [] };
    var y = (height - across) / 2;
    gate.inputs.forEach(function (u, i) {
      placed.nodes["u" + u] = [x1, y + inputs[i][1] / 2, inputs[i][0], inputs[i][1]];
      y += inputs[i][1] + 16;
    });
    placed.nodes["g" + e.gate] = [x2, height / 2, gw, 38];
    placed.nodes["u" + gate.output] = [x3, height / 2, out[0], out[1]];
    function curve(a, b) {
      var sx = a[0] + a[2] / 2, tx = b[0] - b[2] / 2 - 9, m = (sx + tx) / 2;
      return "M" + sx + "," + a[1] + " C" + m + "," + a[1] + " " + m + "," + b[1] + " " + tx + "," + b[1];
    }
    gate.inputs.forEach(function (u) { placed.edges.push(["u" + u, "g" + e.gate, curve(placed.nodes["u" + u], placed.nodes["g" + e.gate])]); });
    placed.edges.push(["g" + e.gate, "u" + gate.output, curve(placed.nodes["g" + e.gate], placed.nodes["u" + gate.output])]);
    fitView(width, height);
    ui.svg.appendChild(arrowDefs());
    var edgesLayer = svg("g", { "class": "edges" }), nodesLayer = svg("g", { "class": "nodes" });
    placed.edges.forEach(function (edge) {
      var path = svg("path", { d: edge[2], "class": "edge", "marker-end": "url(#arrow)" });
      drawn.edges[edge[0] + ">" + edge[1]] = path;
      edgesLayer.appendChild(path);
    });
    gate.inputs.concat([gate.output]).forEach(function (u) {
      if (drawn.units[u]) return;
      var node = unitNode(u, placed.nodes["u" + u]);
      drawn.units[u] = node;
      nodesLayer.appendChild(node.g);
    });
    var gnode = gateNode(e.gate, placed.nodes["g" + e.gate]);
    drawn.gates[e.gate] = gnode;
    nodesLayer.appendChild(gnode.g);
    drawn.labels = svg("g", { "class": "labels" });
    ui.svg.appendChild(edgesLayer);
    ui.svg.appendChild(nodesLayer);
    ui.svg.appendChild(drawn.labels);
  }

  function setLine(node, field, shown, changed) {
    var target = node[field];
    if (!target) return;
    var key = (shown === null ? "" : shown) + (changed ? "*" : "");
    if (node.shown[field] === key) return;
    node.shown[field] = key;
    while (target.firstChild) target.removeChild(target.firstChild);
    target.appendChild(document.createTextNode(field + " "));
    var number = svg("tspan", { "class": shown === null ? "unknown" : (changed ? "changed" : null) },
      shown === null ? "\u2014" : shown);
    target.appendChild(number);
  }

  // A boxed label centred on the first of the places offered where it
  // overlaps no label put down before it in this step (else stacked below).
  var putDown = [];
  function overlapArea(a, b) {
    var w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
    var h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
  }
  // Of the places offered, the first that covers nothing lit in this step (the
  // gate, what it read and wrote) nor a label put down before; else the one
  // that covers least, labels counting thrice.
  function placeLabel(layer, places, lines, cls, obstacles) {
    // Sized from its text, not measured: measuring each try would make the
    // browser lay the page out again each time (slow when a trace plays fast).
    var width = labelWidth(lines, cls);
    var height = lines.length * 15 + 5;
    var view = ui.svg.viewBox.baseVal;
    var sight = { x: view.x, y: view.y, width: view.width, height: view.height };
    var best = null, bestCost = Infinity;
    for (var j = 0; j < places.length; j++) {
      var box = { x: places[j][0] - width / 2, y: places[j][1] - height / 2, width: width, height: height };
      var cost = 5 * (width * height - overlapArea(box, sight)); // out of sight counts five times
      putDown.forEach(function (other) { cost += 20 * overlapArea(box, other); }); // text on text: unreadable
      obstacles.forEach(function (other) { cost += overlapArea(box, other); });
      // and straying from the first place offered, a little
      cost += 1.5 * height * Math.hypot(places[j][0] - places[0][0], places[j][1] - places[0][1]);
      if (cost < bestCost) { best = box; bestCost = cost; }
      if (cost === 0) break;
    }
    putDown.push(best);
    return label(layer, best, lines, cls);
  }
  function labelWidth(lines, cls) {
    return Math.max.apply(null, lines.map(function (line) { return line.length; })) * LABEL_CHAR[cls] + 10;
  }
  function nodeBox(box) { return { x: box[0] - box[2] / 2, y: box[1] - box[3] / 2, width: box[2], height: box[3] }; }

  // Places along an edge for its label: given by the layout, then along the
  // curve, then beside its middle. Measured once per edge and drawing.
  function pointsAlong(path, at) {
    if (!path.placesForLabel) {
      var places = [];
      var length = path.getTotalLength();
      var start = path.getPointAtLength(0), end = path.getPointAtLength(length);
      var side = start.x < end.x - 1 ? -1 : 1; // the side the edge comes from: away from its siblings
      [0.5, 0.35, 0.65].forEach(function (t) {
        var p = path.getPointAtLength(length * t);
        places.push([p.x, p.y]);
      });
      var mid = path.getPointAtLength(length / 2);
      [60, 100, 140].forEach(function (dx) { places.push([mid.x + side * dx, mid.y], [mid.x - side * dx, mid.y]); });
      [0.2, 0.8].forEach(function (t) {
        var p = path.getPointAtLength(length * t);
        places.push([p.x, p.y]);
      });
      path.placesForLabel = places;
    }
    return at ? [at].concat(path.placesForLabel) : path.placesForLabel;
  }

  // A label in a box (x, y, width, height).
  function label(layer, box, lines, cls) {
    var g = svg("g", { "class": cls });
    var x = box.x + box.width / 2;
    g.appendChild(svg("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 4 }));
    var t = svg("text", { x: x, y: box.y + 14, "text-anchor": "middle" });
    lines.forEach(function (line, i) {
      t.appendChild(svg("tspan", { x: x, dy: i ? 15 : 0 }, line));
    });
    g.appendChild(t);
    layer.appendChild(g);
    return g;
  }

  function updateGraph(k) {
    if (!DATA.layout) drawLocal(k);
    var e = k > 0 ? EVENTS[k - 1] : null;
    var phase = e ? e.phase + "-step" : "";
    // Un-light the last step's parts.
    drawn.lit.forEach(function (item) { item[0].classList.remove.apply(item[0].classList, item[1]); });
    drawn.lit = [];
    while (drawn.labels && drawn.labels.firstChild) drawn.labels.removeChild(drawn.labels.firstChild);
    putDown = [];
    function light(node, classes) { node.classList.add.apply(node.classList, classes); drawn.lit.push([node, classes]); }
    var written = {};
    if (e) e.writes.forEach(function (w) { written[w.unit + ":" + w.field] = w; });
    Object.keys(drawn.units).forEach(function (key) {
      var u = Number(key), node = drawn.units[key];
      var pending = k < born[u];
      node.g.classList.toggle("pending", pending);
      setLine(node, "value", pending ? null : stateAt("value", u, k), !!written[u + ":value"]);
      setLine(node, "grad", pending ? null : stateAt("grad", u, k), !!written[u + ":grad"]);
    });
    if (!e) return;
    var gateKey = "g" + e.gate;
    var gnode = drawn.gates[e.gate];
    if (gnode) light(gnode.g, ["active", phase]);
    e.reads.forEach(function (r) { if (drawn.units[r.unit]) light(drawn.units[r.unit].g, ["read"]); });
    var gate = GATES[e.gate];
    if (e.phase === "forward") {
      gate.inputs.forEach(function (u) { var p = drawn.edges["u" + u + ">" + gateKey]; if (p) light(p, ["on-forward"]); });
      var out = drawn.edges[gateKey + ">u" + gate.output];
      if (out) light(out, ["on-forward"]);
    } else {
      var fromOut = drawn.edges[gateKey + ">u" + gate.output];
      if (fromOut) light(fromOut, ["on-output"]);
    }
    var obstacles = [];
    if (gnode) obstacles.push(nodeBox(gnode.box));
    e.reads.concat(e.writes).forEach(function (r) { if (drawn.units[r.unit]) obstacles.push(nodeBox(drawn.units[r.unit].box)); });
    e.writes.forEach(function (w) {
      var node = drawn.units[w.unit];
      if (!node) return;
      node.g.classList.remove("read");
      light(node.g, ["written", phase]);
      if (w.field === "grad") {
        var path = drawn.edges["u" + w.unit + ">" + gateKey];
        if (path) {
          light(path, ["on-backward"]);
          if (w.flow) {
            var at = drawn.labelAt["u" + w.unit + ">" + gateKey];
            var g = placeLabel(drawn.labels, pointsAlong(path, at), flowLines(w.flow), "flow", obstacles);
            g.appendChild(svg("title", null, "upstream grad " + text(w.flow.upstream) +
              " \u00d7 local derivative " + localText(w.flow) + " = " + text(w.flow.added) +
              ", added into " + unitName(w.unit) + ".grad"));
          }
        }
      }
    });
    // Every name a written unit goes by, above it (or below, if that is taken).
    e.writes.forEach(function (w) {
      var node = drawn.units[w.unit];
      var others = [w.name].concat(w.also).filter(function (n) { return n !== unitName(w.unit); });
      if (!node || !others.length) return;
      var lines = ["also " + others.join(", ") + (w.more ? ", " + w.more : "")];
      var box = node.box, above = box[1] - box[3] / 2 - 12, below = box[1] + box[3] / 2 + 12;
      var beside = box[2] / 2 + labelWidth(lines, "alias") / 2 + 4;
      placeLabel(drawn.labels, [[box[0], above], [box[0], below], [box[0] + beside, box[1]],
        [box[0] - beside, box[1]], [box[0] + beside, above], [box[0] - beside, above]],
        lines, "alias", obstacles);
    });
    if (gnode) keepInView(gnode.box);
  }

  // The edge's label in a backward step, as circuits/player/layout.py sizes it.
  function localText(flow) { return flow.local ? text(flow.local) : "?"; }
  function flowLines(flow) {
    return ["\u25c0 " + text(flow.upstream) + " \u00d7 " + localText(flow), "= " + text(flow.added)];
  }

  function keepInView(box) {
    var scroller = ui.scroll;
    if (drawn.scrollable === undefined || !drawn.whole) { // measured once per drawing
      drawn.scrollable = scroller.scrollWidth > scroller.clientWidth || scroller.scrollHeight > scroller.clientHeight;
    }
    if (!drawn.scrollable) return;
    var view = ui.svg.viewBox.baseVal;
    var scale = ui.svg.width.baseVal.value / view.width;
    var svgBox = ui.svg.getBoundingClientRect(), scrollBox = scroller.getBoundingClientRect();
    // The node's centre in the scroller's content, in px.
    var x = svgBox.left - scrollBox.left + scroller.scrollLeft + (box[0] - view.x) * scale;
    var y = svgBox.top - scrollBox.top + scroller.scrollTop + (box[1] - view.y) * scale;
    var margin = 90;
    if (x < scroller.scrollLeft + margin || x > scroller.scrollLeft + scroller.clientWidth - margin) {
      scroller.scrollLeft = x - scroller.clientWidth / 2;
    }
    if (y < scroller.scrollTop + margin || y > scroller.scrollTop + scroller.clientHeight - margin) {
      scroller.scrollTop = y - scroller.clientHeight / 2;
    }
  }

  // -- the step in words ---------------------------------------------------------
  function notesAt(k) {
    return DATA.notes.filter(function (n) { return n[0] === k; }).map(function (n) { return n[1]; });
  }

  function describeRead(e, r, first, k) {
    var li = el("li", null);
    if (e.phase === "backward" && first) {
      append(li, [name(r.name + ".grad"), " = ", num(text(r.grad))]);
      if (r.upstream !== null && text(r.upstream) !== text(r.grad)) {
        append(li, el("span", { "class": "share" }, [
          "this backward pass sends ", num(text(r.upstream)),
          " of it; the rest was left there by earlier backward passes, and is not sent again"]));
      }
      var before = k > 1 ? stateAt("grad", r.unit, k - 1) : null;
      if (before !== text(r.grad)) {
        append(li, el("span", { "class": "seed" }, [
          "no gate wrote this grad: it was set before this step (the seed of the pass, as ",
          el("code", null, r.name + ".grad = 1.0"), " or ", el("code", null, "backward()"), " sets it)"]));
      }
    } else {
      append(li, [name(r.name), " = ", num(text(r.value))]);
    }
    return li;
  }

  function describeWrite(e, w) {
    var li = el("li", { "class": "wrote " + e.phase });
    var names = [w.name].concat(w.also);
    names.forEach(function (n, i) {
      if (i) append(li, " is ");
      append(li, name(n));
    });
    if (w.more) append(li, el("span", { "class": "more" }, " (" + w.more + ")"));
    var how = el("span", { "class": "how" }, w.field + " ");
    if (w.before === null) {
      append(how, ["= ", num(text(w.after))]);
    } else {
      append(how, [text(w.before), " \u2192 ", num(text(w.after))]);
      if (e.replay) append(how, " (in place)");
    }
    append(li, how);
    if (w.flow) {
      append(li, el("span", { "class": "flow" }, [
        "added ", num(text(w.flow.added)), " = upstream ", text(w.flow.upstream),
        " \u00d7 local ", localText(w.flow)]));
    }
    return li;
  }

  function showStep(k) {
    var e = k > 0 ? EVENTS[k - 1] : null;
    while (ui.heading.firstChild) ui.heading.removeChild(ui.heading.firstChild);
    while (ui.details.firstChild) ui.details.removeChild(ui.details.firstChild);
    if (!e) {
      append(ui.heading, "Start");
      ui.sentence.textContent = LAST
        ? "Before the first gate call. Step forward (the right arrow key, or Next) to run " +
          EVENTS[0].gate_name + " " + EVENTS[0].phase + "."
        : "This trace has no gate calls.";
    } else {
      var word = e.phase === "forward" ? "\u25b6 forward" : "\u25c0 backward";
      append(ui.heading, ["Step " + k + " of " + LAST + " \u00b7 ",
        el("span", { "class": "phase-word " + e.phase }, word + (e.replay ? " (replayed)" : ""))]);
      ui.sentence.textContent = e.sentence;
      var reads = el("ul", null, e.reads.map(function (r, i) { return describeRead(e, r, i === 0, k); }));
      var writes = el("ul", null, e.writes.length ? e.writes.map(function (w) { return describeWrite(e, w); })
        : [el("li", null, "nothing: no input takes a gradient")]);
      append(ui.details, [el("h3", null, "Read"), reads, el("h3", null, "Wrote"), writes]);
    }
    var printed = notesAt(k);
    if (printed.length) {
      append(ui.details, [el("h3", null, "The script printed"), el("pre", null, printed.join("\n"))]);
    }
    if (k === LAST && DATA.hidden) {
      append(ui.details, el("p", { "class": "printed" }, hiddenText()));
    }
    var cls = e ? e.phase : "";
    ui.phase.className = "phase " + cls;
    ui.phaseText.textContent = e ? (e.phase === "forward" ? "\u25b6 forward" : "\u25c0 backward") : "start";
    ui.phase.firstElementChild.style.display = e ? "none" : "";
  }

  function hiddenText() {
    return "\u2026 and " + DATA.hidden + " more gate calls, not kept (limit=" + DATA.limit + ").";
  }

  // -- the list of events, virtualised ---------------------------------------------
  var rows = {}; // index -> row element, only for rows in view

  function rowSummary(k) {
    if (k === 0) return ["Start", "", "before any gate call"];
    var e = EVENTS[k - 1];
    var what;
    if (e.phase === "forward") {
      var w = e.writes[0];
      what = unitName(w.unit) + " = " + text(w.after);
    } else if (e.writes.length) {
      var first = e.writes[0];
      what = unitName(first.unit) + ".grad " + text(first.before) + " \u2192 " + text(first.after);
      if (e.writes.length > 1) what += "  +" + (e.writes.length - 1) + " more";
    } else {
      what = "no input takes a gradient";
    }
    return [e.gate_name, e.phase === "forward" ? "\u25b6" : "\u25c0", what];
  }

  function makeRow(k) {
    var s = rowSummary(k);
    var e = k > 0 ? EVENTS[k - 1] : null;
    var row = el("div", {
      "class": "row" + (e ? " " + e.phase : ""), role: "option", id: "row-" + k,
      "aria-selected": "false", "data-step": k
    }, [
      el("span", { "class": "n" }, String(k)),
      el("span", { "class": "p", "aria-label": e ? e.phase : "start" }, s[1]),
      el("span", { "class": "g" }, s[0]),
      el("span", { "class": "w" }, s[2])
    ]);
    row.style.top = (k * ROW) + "px";
    return row;
  }

  function renderList() {
    var top = ui.list.scrollTop, height = ui.list.clientHeight || 300;
    var from = Math.max(0, Math.floor(top / ROW) - 6);
    var to = Math.min(LAST, Math.ceil((top + height) / ROW) + 6);
    Object.keys(rows).forEach(function (key) {
      var k = Number(key);
      if (k < from || k > to) { ui.list.removeChild(rows[key]); delete rows[key]; }
    });
    for (var k = from; k <= to; k++) {
      if (!rows[k]) { rows[k] = makeRow(k); ui.list.appendChild(rows[k]); }
      var current = k === step;
      rows[k].classList.toggle("current", current);
      rows[k].setAttribute("aria-selected", current ? "true" : "false");
    }
  }

  function keepRowInView(k) {
    var top = k * ROW, height = ui.list.clientHeight || 300;
    if (top < ui.list.scrollTop || top + ROW > ui.list.scrollTop + height) {
      ui.list.scrollTop = Math.max(0, top - height / 2);
    }
  }

  // -- the phase strip under the slider ---------------------------------------------
  function drawStrip() {
    var canvas = ui.strip;
    var width = Math.max(1, Math.round(canvas.clientWidth));
    var ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = 8 * ratio;
    var ctx = canvas.getContext("2d");
    if (!ctx || !LAST) return;
    ctx.scale(ratio, ratio);
    var css = getComputedStyle(document.documentElement);
    var fwd = css.getPropertyValue("--fwd").trim(), bwd = css.getPropertyValue("--bwd").trim();
    for (var x = 0; x < width; x++) {
      var k = Math.min(LAST - 1, Math.floor((x + 0.5) / width * LAST));
      var backward = EVENTS[k].phase === "backward";
      ctx.fillStyle = backward ? bwd : fwd;
      // Backward is drawn in a broken line: told apart without its colour.
      if (!backward || (x % 6) < 4) ctx.fillRect(x, backward ? 2 : 0, 1, backward ? 6 : 8);
    }
  }

  // -- stepping ------------------------------------------------------------------------
  var step = 0;
  var timer = null;

  function go(k, options) {
    k = Math.max(0, Math.min(LAST, Math.round(Number(k) || 0)));
    step = k;
    ui.slider.value = String(k);
    ui.counter.textContent = k + " / " + LAST;
    ui.first.disabled = ui.prev.disabled = k === 0;
    ui.next.disabled = ui.last.disabled = k === LAST;
    showStep(k);
    updateGraph(k);
    keepRowInView(k);
    renderList();
    if (!(options && options.fromHash)) writeHash(k);
  }

  // The address follows the step a moment after stepping stops: writing it
  // costs a few milliseconds, too much at every step of a fast play.
  var hashTimer = null;
  function writeHash(k) {
    clearTimeout(hashTimer);
    hashTimer = setTimeout(function () {
      var hash = "#step=" + k;
      if (location.hash === hash) return;
      try {
        history.replaceState(null, "", hash);
      } catch (err) {
        try { location.hash = hash; } catch (err2) { /* an iframe that may not: stepping still works */ }
      }
    }, 120);
  }

  function readHash() {
    var found = /(?:^|[#&])step=(\d+)/.exec(location.hash || "");
    return found ? Number(found[1]) : null;
  }

  function stop() {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    ui.play.setAttribute("aria-pressed", "false");
    ui.play.setAttribute("aria-label", "Play");
    ui.playLabel.textContent = "Play";
    ui.sentence.setAttribute("aria-live", "polite");
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (step >= LAST) go(0);
    ui.play.setAttribute("aria-pressed", "true");
    ui.play.setAttribute("aria-label", "Pause");
    ui.playLabel.textContent = "Pause";
    ui.sentence.setAttribute("aria-live", "off"); // a reader would be flooded
    timer = setInterval(function () {
      if (step >= LAST) { stop(); return; }
      go(step + 1);
    }, Number(ui.speed.value) || 700);
  }

  ui.first.addEventListener("click", function () { stop(); go(0); });
  ui.prev.addEventListener("click", function () { stop(); go(step - 1); });
  ui.next.addEventListener("click", function () { stop(); go(step + 1); });
  ui.last.addEventListener("click", function () { stop(); go(LAST); });
  ui.play.addEventListener("click", play);
  ui.slider.addEventListener("input", function () { stop(); go(ui.slider.value); });
  ui.speed.addEventListener("change", function () { if (timer !== null) { stop(); play(); } });
  ui.list.addEventListener("scroll", renderList);
  ui.list.addEventListener("click", function (event) {
    var row = event.target.closest ? event.target.closest(".row") : null;
    if (row) { stop(); go(row.getAttribute("data-step")); }
  });
  window.addEventListener("hashchange", function () {
    var k = readHash();
    if (k !== null && k !== step) go(k, { fromHash: true });
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "INPUT" && event.key !== " ") return; // the slider steps by itself
    var key = event.key;
    if (key === "ArrowRight") { stop(); go(step + 1); }
    else if (key === "ArrowLeft") { stop(); go(step - 1); }
    else if (key === "Home") { stop(); go(0); }
    else if (key === "End") { stop(); go(LAST); }
    else if (key === " " || key === "Spacebar") { play(); }
    else return;
    event.preventDefault();
  });

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { layoutGraph(); drawStrip(); go(step, { fromHash: true }); }, 120);
  });

  function layoutGraph() {
    if (!DATA.layout) {
      ui.graphNote.hidden = false;
      ui.graphNote.textContent = "This trace's circuit has " + UNITS.length + " units and " + GATES.length +
        " gates, too many to draw at once: the graph shows the gate of the current step, what it read and what it wrote.";
      return;
    }
    var direction = chooseDirection();
    drawWhole(direction);
  }

  // -- start -------------------------------------------------------------------------------
  ui.slider.max = String(LAST);
  ui.spacer.style.height = ((LAST + 1) * ROW) + "px";
  if (DATA.hidden) { ui.listNote.hidden = false; ui.listNote.textContent = hiddenText(); }
  ui.engine.textContent = DATA.layout ? "Layout: " + DATA.layout.engine + "." : "";
  layoutGraph();
  drawStrip();
  var start = readHash();
  go(start === null ? 0 : start, { fromHash: start !== null && start <= LAST });
  ui.player.setAttribute("data-ready", "true");
})();
