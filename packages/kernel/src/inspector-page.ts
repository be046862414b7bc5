/**
 * The inspector's page: one self-contained HTML document (inline style and script, no external
 * assets). It polls `/state` with the token of its own URL twice a second and redraws the task
 * tree and the timeline. Names are set as text, never parsed as HTML.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Duet inspector</title>
<style>
  body { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 0; color: #1d2330; background: #f7f8fa; }
  header { padding: 8px 14px; background: #1d2330; color: #fff; display: flex; gap: 18px; align-items: baseline; }
  header h1 { font-size: 15px; margin: 0; }
  #status.off { color: #ff9b9b; }
  main { display: grid; grid-template-columns: minmax(360px, 1fr) minmax(360px, 1fr); gap: 14px; padding: 14px; }
  section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 10px 12px; overflow: auto; }
  h2 { font-size: 13px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .05em; color: #5a6478; }
  ul { list-style: none; margin: 0; padding-left: 16px; }
  #tree > ul { padding-left: 0; }
  .task { padding: 1px 0; }
  .name { font-weight: 600; }
  .state { border-radius: 3px; padding: 0 4px; font-size: 11px; }
  .state.parked { background: #e3ecff; color: #23408e; }
  .state.ready { background: #fff3cf; color: #7a5600; }
  .state.running { background: #dcf5df; color: #1d6b2a; }
  .wait { color: #23408e; }
  .for { color: #8a93a6; }
  .nursery { color: #7a4fb3; }
  .scope { color: #9a5b00; }
  .shield { color: #b00020; font-weight: 600; }
  svg text { font-size: 11px; fill: #1d2330; }
</style>
</head>
<body>
<header><h1>Duet inspector</h1><span id="status">connecting</span><span id="clock"></span></header>
<main>
  <section><h2>Task tree</h2><div id="tree"></div></section>
  <section><h2>Timeline (last 10 s)</h2><svg id="timeline" width="100%" height="40"></svg></section>
</main>
<script>
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function scopeSpan(text) {
    return el('span', /shield/.test(text) ? 'scope shield' : 'scope', ' [' + text + ']');
  }
  function taskItem(t) {
    var li = el('li', 'task');
    li.dataset.taskId = String(t.id);
    li.appendChild(el('span', '', 'task #' + t.id + ' '));
    li.appendChild(el('span', 'name', t.name));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(el('span', 'state ' + t.state, t.state));
    if (t.waitingOn !== null) {
      li.appendChild(el('span', 'wait', ' on ' + t.waitingOn));
      if (t.waitingFor !== null) li.appendChild(el('span', 'for', ' for ' + t.waitingFor.toFixed(1) + ' s'));
    }
    t.scopes.forEach(function (s) { li.appendChild(scopeSpan(s)); });
    if (t.nurseries.length) {
      var ul = el('ul');
      t.nurseries.forEach(function (n) {
        var nli = el('li', 'nursery', 'nursery ');
        nli.appendChild(scopeSpan(n.scope));
        var kids = el('ul');
        n.children.forEach(function (c) { kids.appendChild(taskItem(c)); });
        nli.appendChild(kids);
        ul.appendChild(nli);
      });
      li.appendChild(ul);
    }
    return li;
  }
  function drawTree(s) {
    var root = el('ul');
    root.appendChild(taskItem(s.root));
    if (s.systemTasks.length) {
      var sys = el('li', 'nursery', 'system tasks');
      var ul = el('ul');
      s.systemTasks.forEach(function (t) { ul.appendChild(taskItem(t)); });
      sys.appendChild(ul);
      root.appendChild(sys);
    }
    var tree = document.getElementById('tree');
    tree.replaceChildren(root);
  }
  var NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function drawTimeline(s) {
    var box = document.getElementById('timeline');
    var width = Math.max(300, box.clientWidth || 600), label = 150, row = 18, span = 10;
    var start = s.now - span, rows = new Map(), slices = [], open = new Map(), marks = [];
    s.trace.forEach(function (e) {
      if (!rows.has(e.taskId)) rows.set(e.taskId, '#' + e.taskId + ' ' + e.taskName);
      if (e.kind === 'step') open.set(e.taskId, e.time);
      else if (e.kind === 'park' || e.kind === 'exit') {
        if (open.has(e.taskId)) slices.push([e.taskId, open.get(e.taskId), e.time]);
        open.delete(e.taskId);
        marks.push([e.taskId, e.time, e.kind === 'exit' ? 'exit' : 'park: ' + (e.detail || '')]);
      } else if (e.kind === 'spawn') marks.push([e.taskId, e.time, 'spawn']);
    });
    open.forEach(function (t, id) { slices.push([id, t, s.now]); });
    var ids = Array.from(rows.keys()).slice(-40), y = new Map();
    ids.forEach(function (id, i) { y.set(id, i * row + 4); });
    var x = function (t) { return label + Math.max(0, (t - start) / span) * (width - label - 6); };
    box.replaceChildren();
    box.setAttribute('height', String(ids.length * row + 8));
    ids.forEach(function (id) {
      box.appendChild(svg('text', { x: 2, y: y.get(id) + 11 }, rows.get(id)));
      box.appendChild(svg('line', { x1: label, x2: width - 6, y1: y.get(id) + 7, y2: y.get(id) + 7, stroke: '#eef0f4' }));
    });
    slices.forEach(function (sl) {
      if (!y.has(sl[0]) || sl[2] < start) return;
      var x0 = x(sl[1]), x1 = Math.max(x0 + 1.5, x(sl[2]));
      var r = svg('rect', { x: x0, y: y.get(sl[0]) + 2, width: x1 - x0, height: 10, fill: '#3d7be0' });
      r.appendChild(svg('title', {}, 'running ' + ((sl[2] - sl[1]) * 1000).toFixed(2) + ' ms'));
      box.appendChild(r);
    });
    marks.forEach(function (m) {
      if (!y.has(m[0]) || m[1] < start) return;
      var c = svg('circle', { cx: x(m[1]), cy: y.get(m[0]) + 7, r: 2.5, fill: m[2] === 'exit' ? '#b00020' : m[2] === 'spawn' ? '#1d6b2a' : '#8a93a6' });
      c.appendChild(svg('title', {}, m[2]));
      box.appendChild(c);
    });
  }
  function poll() {
    fetch('state?token=' + encodeURIComponent(token), { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (s) {
        var status = document.getElementById('status');
        status.textContent = 'live';
        status.className = '';
        document.getElementById('clock').textContent = 'run clock ' + s.time.toFixed(3) + ' s';
        // Waits keep growing, so every poll redraws.
        drawTree(s);
        drawTimeline(s);
        setTimeout(poll, 500);
      })
      .catch(function (err) {
        var status = document.getElementById('status');
        status.textContent = 'disconnected (the run has ended?) ' + err.message;
        status.className = 'off';
        setTimeout(poll, 2000);
      });
  }
  poll();
})();
</script>
</body>
</html>
`;
