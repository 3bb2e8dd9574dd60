/* Argus report page: renders the JSON in #argus-data with DOM text nodes (never innerHTML, so
 * config values and layer names cannot inject markup) and Apache ECharts (SVG renderer). */
(function () {
  'use strict';
  var started = performance.now();
  var renderMs = {};
  var pending = [];
  var data = JSON.parse(document.getElementById('argus-data').textContent);
  var main = document.getElementById('argus-main');
  var PALETTE = ['#4263eb', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#1098ad', '#e67700', '#5c940d',
    '#d6336c', '#364fc7'];
  var BEST = '#d9480f', PLAIN = '#748ffc', F1 = '#20c997', AXIS = '#8a94a0';

  function el(tag, parent, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }
  function section(title, id) {
    var s = el('section', main);
    if (id) s.id = id;
    el('h2', s, title);
    return s;
  }
  function color(i) {
    return i < PALETTE.length ? PALETTE[i] : 'hsl(' + Math.round((i * 137.508) % 360) + ',55%,45%)';
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number') return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 4 : digits);
  }
  function bytes(b) {
    if (b === null || b === undefined || b < 0) return '–';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i === 0 ? b : b.toFixed(1)) + ' ' + u[i];
  }
  function table(parent, head, rows, opts) {
    opts = opts || {};
    var t = el('table', parent, null, opts.cls);
    var tr = el('tr', el('thead', t));
    var body = el('tbody', t);
    head.forEach(function (h, c) {
      var th = el('th', tr, h.label);
      if (opts.sortable) {
        th.className = 'sortable';
        th.addEventListener('click', function () { sortBy(body, c, h.num, th); });
      }
    });
    rows.forEach(function (r) {
      var row = el('tr', body, null, r.cls);
      r.cells.forEach(function (v, c) {
        var td = el('td', row, head[c].num ? fmt(v, head[c].digits) : (v === null || v === undefined ? '–' : v),
          head[c].num ? 'num' : null);
        td.dataset.v = v === null || v === undefined ? '' : String(v);
      });
    });
    return t;
  }
  function sortBy(body, c, numeric, th) {
    var desc = th.dataset.dir === 'asc'; // first click ascending, then alternate
    th.dataset.dir = desc ? 'desc' : 'asc';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[c].dataset.v, y = b.cells[c].dataset.v;
      var r;
      if (numeric) {
        if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1; // missing values last
        r = parseFloat(x) - parseFloat(y);
      } else {
        r = x < y ? -1 : x > y ? 1 : 0;
      }
      return desc ? -r : r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function chart(parent, id, option, tall) {
    var div = el('div', parent, null, tall ? 'chart tall' : 'chart');
    div.id = id;
    if (typeof echarts === 'undefined') {
      div.style.height = 'auto';
      el('p', div, 'chart not drawn: ECharts is not inlined in this page (' + (data.charts_missing || 'unknown') + ')', 'warn');
      return null;
    }
    option.animation = false;
    option.tooltip = Object.assign({renderMode: 'richText', confine: true}, option.tooltip || {});
    pending.push({div: div, id: id, option: option});
  }
  // Charts are drawn after every container exists, with sizes read in one layout pass: a size read
  // after a large SVG was inserted would lay out the whole page again, per chart.
  function drawCharts() {
    var sizes = pending.map(function (p) { return [p.div.clientWidth, p.div.clientHeight]; });
    pending.forEach(function (p, i) {
      var t0 = performance.now();
      var c = echarts.init(p.div, null, {renderer: 'svg', width: sizes[i][0], height: sizes[i][1]});
      c.setOption(p.option);
      renderMs[p.id] = Math.round(performance.now() - t0);
      window.addEventListener('resize', function () { c.resize({width: 'auto', height: 'auto'}); });
    });
  }
  function kv(parent, map) {
    var rows = Object.keys(map || {}).map(function (k) { return {cells: [k, map[k]]}; });
    return table(parent, [{label: 'setting'}, {label: 'value'}], rows, {cls: 'kv'});
  }

  // ---- header, live reload ----
  document.title = data.title;
  var header = el('header');
  document.body.insertBefore(header, main);
  var h1 = el('h1', header, data.title);
  el('span', h1, data.status, 'badge ' + data.status);
  el('div', header, 'updated ' + data.updated_at + (data.live ? ' · live: this page reloads every '
    + data.refresh_seconds + ' s while the run goes' : ''), 'sub');
  if (data.live) {
    var key = 'argus-scroll:' + location.pathname;
    var y = sessionStorage.getItem(key);
    if (y !== null) window.scrollTo(0, parseInt(y, 10));
    setTimeout(function () {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }, data.refresh_seconds * 1000);
  }
  (data.notes || []).forEach(function (n) { el('p', main, n, 'note'); });

  // ---- transfer / demo ----
  function renderTransfer() {
    var layers = data.layers || [];
    if (data.stages && data.stages.length) {
      var st = section('Stages', 'stages');
      table(st, [{label: 'stage'}, {label: 'done', num: true}, {label: 'of', num: true}, {label: 'unit'},
        {label: 'summary'}], data.stages.map(function (s) {
        return {cells: [s.stage, s.done, s.total < 0 ? null : s.total, s.unit, s.summary]};
      }));
    }
    if (!layers.length) {
      el('p', section('Layers'), data.status === 'running' ? 'no layer finished yet' : 'no layer results', 'note');
      return;
    }
    var names = layers.map(function (l) { return l.layer; });
    var s = section('Accuracy per layer (best: ' + data.best + ')', 'layers');
    var row = el('div', s, null, 'row');
    var mark = function (v, l, base) {
      return {value: v, itemStyle: {color: l.layer === data.best ? BEST : base}};
    };
    chart(el('div', row), 'chart-accuracy', {
      legend: {data: ['accuracy', 'macro-F1']}, grid: {containLabel: true, left: 40, right: 8},
      xAxis: {type: 'category', data: names, axisLabel: {interval: 0, rotate: names.length > 3 ? 20 : 0}},
      yAxis: {type: 'value', min: 0, max: 1},
      series: [
        {name: 'accuracy', type: 'bar', itemStyle: {color: PLAIN},
          data: layers.map(function (l) { return mark(l.accuracy, l, PLAIN); })},
        {name: 'macro-F1', type: 'bar', itemStyle: {color: F1},
          data: layers.map(function (l) { return mark(l.macro_f1, l, F1); })}]
    });
    chart(el('div', row), 'chart-seconds', {
      legend: {data: ['inference', 'materialization', 'training']}, grid: {containLabel: true, left: 40, right: 8},
      xAxis: {type: 'category', data: names, axisLabel: {interval: 0, rotate: names.length > 3 ? 20 : 0}},
      yAxis: {type: 'value', name: 'seconds'},
      series: ['inference', 'materialization', 'training'].map(function (k, i) {
        return {name: k, type: 'bar', stack: 's', itemStyle: {color: ['#4263eb', '#fab005', '#2b8a3e'][i]},
          data: layers.map(function (l) { return l[k + '_seconds']; })};
      })
    });
    table(s, [{label: 'layer'}, {label: 'feature dim', num: true}, {label: 'accuracy', num: true},
      {label: 'macro-F1', num: true}, {label: 'AUC', num: true}, {label: 'inference s', num: true, digits: 1},
      {label: 'materialization s', num: true, digits: 1}, {label: 'training s', num: true, digits: 1}],
    layers.map(function (l) {
      return {cells: [l.layer, l.feature_dim, l.accuracy, l.macro_f1, l.auc, l.inference_seconds,
        l.materialization_seconds, l.training_seconds]};
    }), {sortable: true});
    if (data.plan_tree) {
      var p = section('Plan: chosen and rejected, estimated vs measured memory', 'plan');
      chart(p, 'chart-plan', {
        series: [{type: 'tree', data: [data.plan_tree], orient: 'LR', top: 30, left: 30, right: 560, bottom: 30,
          symbolSize: 10, initialTreeDepth: -1, expandAndCollapse: false, itemStyle: {color: PLAIN},
          label: {position: 'top', align: 'left', verticalAlign: 'bottom', fontSize: 12, distance: 8,
            backgroundColor: 'rgba(255,255,255,0.9)', padding: [2, 4]},
          leaves: {label: {position: 'right', align: 'left', verticalAlign: 'middle'}}}]
      }, true);
      if (data.estimated_vs_measured) el('pre', p, data.estimated_vs_measured);
      if (data.explain) el('pre', p, data.explain);
    }
    if (data.counts) {
      var c = section('Rows: join and quarantine', 'counts');
      kv(c, data.counts);
      if (data.quarantine_reasons && Object.keys(data.quarantine_reasons).length) kv(c, data.quarantine_reasons);
    }
  }

  // ---- fused select: best config per layer (Vista's per-layer table) and per pooling ----
  function bestTable(parent, dimension, rows) {
    table(parent, [{label: dimension}, {label: 'best config'}, {label: 'trial', num: true},
      {label: 'val ' + data.metric, num: true}, {label: 'val accuracy', num: true}, {label: 'test accuracy', num: true},
      {label: 'test macro-F1', num: true}, {label: 'configs', num: true}], rows.map(function (r) {
      return {cls: r.trial === null ? 'failed' : null, cells: [r.value, r.config, r.trial, r.metric, r.val_accuracy,
        r.test_accuracy, r.test_macro_f1, r.configs]};
    }), {sortable: true});
  }
  function renderFusion(f) {
    var layers = f.by_layer || [];
    var names = layers.map(function (l) { return l.value; });
    var s = section('Best config per layer (bottom layer first)', 'by-layer');
    chart(s, 'chart-by-layer', {
      legend: {data: ['validation accuracy', 'test accuracy']}, grid: {containLabel: true, left: 40, right: 8},
      xAxis: {type: 'category', data: names, axisLabel: {interval: 0, rotate: names.length > 3 ? 20 : 0}},
      yAxis: {type: 'value', min: 0, max: 1},
      series: [
        {name: 'validation accuracy', type: 'bar', itemStyle: {color: PLAIN},
          data: layers.map(function (l) { return l.val_accuracy; })},
        {name: 'test accuracy', type: 'bar', itemStyle: {color: F1},
          data: layers.map(function (l) { return l.test_accuracy; })}]
    });
    bestTable(s, 'layer', layers);
    bestTable(section('Best config per pooling', 'by-pooling'), 'pooling', f.by_pooling || []);
    var e = section('EXPLAIN and EXPLAIN ANALYZE: materialization, then model selection', 'fusion-plan');
    var sec = f.seconds || {}, st = f.storage || {};
    el('p', e, 'materialization ' + fmt(sec.materialization, 1) + ' s (inference ' + fmt(sec.inference, 1)
      + ' s), selection ' + fmt(sec.selection, 1) + ' s (' + fmt(sec.unit_seconds, 1) + ' unit-query s); every view '
      + 'of every training row: ' + bytes(st.feature_bytes) + ' computed, shards: ' + bytes(st.shard_cached_bytes)
      + ' measured (' + bytes(st.shard_payload_bytes) + ' computed)');
    if (f.explain) el('pre', e, f.explain);
    if (f.analyze) el('pre', e, f.analyze);
  }

  // ---- select ----
  function renderSelect() {
    var trials = data.trials || [];
    var s = section('Run', 'summary');
    el('p', s, data.procedure + ', ' + data.execution + ', goal ' + data.goal + '; ' + data.units_done
      + ' unit queries completed, ' + data.units_failed + ' failed; ' + trials.length + ' configs');
    var b = section('Leaderboard', 'leaderboard');
    var wrap = el('div', b, null, 'board-wrap');
    table(wrap, [{label: 'rank', num: true}, {label: 'trial', num: true}, {label: 'config'},
      {label: 'epochs', num: true}, {label: data.metric, num: true}, {label: 'val accuracy', num: true},
      {label: 'val loss', num: true}, {label: 'train loss', num: true}, {label: 'status'}],
    trials.slice().sort(function (a, b) { // best first; unranked (failed, no metric) last, in trial order
      var x = a.rank === null || a.rank === undefined ? Infinity : a.rank;
      var y = b.rank === null || b.rank === undefined ? Infinity : b.rank;
      return x === y ? a.trial - b.trial : x - y;
    }).map(function (t) {
      return {cls: t.failed ? 'failed' : null, cells: [t.rank, t.trial, t.config, t.epochs.length, t.metric,
        t.val_accuracy, t.val_loss, t.train_loss, t.status]};
    }), {sortable: true});
    if (!data.units_done) {
      el('p', b, 'no unit query completed yet', 'note');
    }
    if (data.fusion) renderFusion(data.fusion);
    var withEpochs = trials.filter(function (t) { return t.epochs.length > 0; });
    var symbols = withEpochs.length <= 40;
    // Up to 40 configs: one line series each (symbols, a 'stop' label where a config ended early).
    // More: one 'lines' series of polylines, one SVG path per config — hundreds of series cost
    // ECharts seconds to lay out, one series with many polylines does not.
    function curves(id, key, name) {
      var base = {
        title: {text: name, textStyle: {fontSize: 13}}, grid: {containLabel: true, left: 8, right: 16, top: 40},
        legend: {show: false}, xAxis: {type: 'value', name: 'epoch', minInterval: 1},
        yAxis: {type: 'value', scale: true}};
      if (symbols) {
        base.series = withEpochs.map(function (t) {
          return {name: 'trial ' + t.trial, type: 'line', showSymbol: true, symbolSize: 5,
            lineStyle: {color: color(t.index)}, itemStyle: {color: color(t.index)},
            data: t.epochs.map(function (e) { return [e.epoch, e[key]]; }),
            endLabel: {show: t.pruned, formatter: 'stop', fontSize: 10}};
        });
      } else {
        var lo = Infinity, hi = -Infinity, last = 1;
        var lines = withEpochs.map(function (t) {
          var pts = t.epochs.filter(function (e) { return e[key] !== null && e[key] !== undefined; })
            .map(function (e) {
              lo = Math.min(lo, e[key]); hi = Math.max(hi, e[key]); last = Math.max(last, e.epoch);
              return [e.epoch, e[key]];
            });
          if (pts.length === 1) pts.push(pts[0]); // a one-epoch config still draws (a dot)
          return {name: 'trial ' + t.trial, coords: pts, lineStyle: {color: color(t.index)}};
        }).filter(function (l) { return l.coords.length > 0; });
        var pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 + 1e-6;
        base.xAxis.min = 1; base.xAxis.max = last;
        base.yAxis.min = lo - pad; base.yAxis.max = hi + pad; // 'lines' does not size the axes itself
        base.series = [{type: 'lines', coordinateSystem: 'cartesian2d', polyline: true, name: name,
          lineStyle: {width: 1.2, opacity: 0.85}, data: lines}];
      }
      chart(c1, id, base);
    }
    var lc = section('Learning curves (a config that stopped early ends at its rung)', 'curves');
    var c1 = el('div', lc, null, 'row');
    curves('chart-curve-metric', 'metric', 'validation ' + data.metric + ' per epoch');
    curves('chart-curve-loss', 'train_loss', 'training loss per epoch');
    if (data.params && data.params.length && withEpochs.length) {
      var pc = section('Hyperparameters → ' + data.metric, 'parallel');
      var dims = data.params.map(function (p, i) {
        var a = {dim: i, name: p.name};
        if (p.values) { a.type = 'category'; a.data = p.values; } else if (p.log) { a.type = 'log'; }
        return a;
      });
      dims.push({dim: data.params.length, name: data.metric, scale: true});
      chart(pc, 'chart-parallel', {
        parallel: {left: 60, right: 90, top: 40, bottom: 30},
        parallelAxis: dims,
        series: [{type: 'parallel', lineStyle: {width: 1.5, opacity: 0.8},
          data: withEpochs.filter(function (t) { return t.metric !== null; }).map(function (t) {
            return {value: data.params.map(function (p) { return t.params[p.name]; }).concat([t.metric]),
              lineStyle: {color: color(t.index)}};
          })}]
      });
    }
    var g = section('Unit queries per worker slot over time (colour = config; gaps = idle)', 'gantt');
    var slots = [];
    for (var i = 0; i < data.slots; i++) slots.push('slot ' + i);
    var byTrial = {};
    trials.forEach(function (t) { byTrial[t.trial] = t; });
    var units = data.units || [];
    // Up to 2 000 unit queries: one rectangle each (tooltip per unit). More: one compound SVG path
    // per config holding all its rectangles (tens of thousands of elements take Chromium seconds).
    var perConfig = units.length > 2000;
    var rows = units.map(function (u) { return [u[0], u[1], u[2], u[3], u[4]]; });
    var series;
    if (!perConfig) {
      series = {type: 'custom', name: 'unit queries', encode: {x: [1, 2], y: 0}, data: rows,
        renderItem: function (params, api) {
          var start = api.coord([api.value(1), api.value(0)]);
          var end = api.coord([api.value(2), api.value(0)]);
          var h = api.size([0, 1])[1] * 0.7;
          var t = byTrial[api.value(3)];
          return {type: 'rect', shape: {x: start[0], y: start[1] - h / 2, width: Math.max(1, end[0] - start[0]), height: h},
            style: {fill: t ? color(t.index) : '#999', stroke: api.value(4) ? '#c92a2a' : '#ffffff', lineWidth: 1}};
        }};
    } else {
      var groups = {}, order = [], tMax = 0;
      rows.forEach(function (u) {
        var k = u[3] + (u[4] ? ':failed' : '');
        if (!groups[k]) { groups[k] = {trial: u[3], failed: !!u[4], units: []}; order.push(k); }
        groups[k].units.push(u);
        tMax = Math.max(tMax, u[2]);
      });
      series = {type: 'custom', name: 'unit queries', encode: {x: [1, 2], y: 0},
        data: order.map(function (k) { return [0, 0, tMax, groups[k].trial, groups[k].failed ? 1 : 0]; }),
        renderItem: function (params, api) {
          var g = groups[order[params.dataIndex]];
          var h = api.size([0, 1])[1] * 0.7;
          var t = byTrial[g.trial];
          return {type: 'compoundPath', shape: {paths: g.units.map(function (u) {
            var start = api.coord([u[1], u[0]]), end = api.coord([u[2], u[0]]);
            return {type: 'rect', shape: {x: start[0], y: start[1] - h / 2, width: Math.max(1, end[0] - start[0]),
              height: h}};
          })}, style: {fill: t ? color(t.index) : '#999', stroke: g.failed ? '#c92a2a' : '#ffffff', lineWidth: 1}};
        },
        tooltip: {formatter: function (p) {
          var g = groups[order[p.dataIndex]];
          return 'trial ' + g.trial + ': ' + g.units.length + (g.failed ? ' failed' : '') + ' unit queries';
        }}};
    }
    chart(g, 'chart-gantt', {
      grid: {containLabel: true, left: 8, right: 16, top: 16},
      xAxis: {type: 'value', name: 's', min: 0},
      yAxis: {type: 'category', data: slots, inverse: true},
      series: [series]
    }, data.slots > 6);
    var m = section('Bytes stored and moved', 'bytes');
    el('p', m, 'training data stored: ' + bytes(data.stored_bytes) + ' measured in Spark\'s block manager ('
      + bytes(data.payload_bytes) + ' of float32 features and labels); checkpoint bytes moved: '
      + bytes(data.bytes_moved) + ' in all');
    chart(m, 'chart-bytes', {
      grid: {containLabel: true, left: 8, right: 16},
      xAxis: {type: 'category', name: 'epoch', data: (data.bytes_per_epoch || []).map(function (e) { return e[0]; })},
      yAxis: {type: 'value', name: 'MiB moved'},
      series: [{type: 'bar', name: 'checkpoint bytes moved', itemStyle: {color: PLAIN},
        data: (data.bytes_per_epoch || []).map(function (e) { return +(e[1] / 1048576).toFixed(3); })}]
    });
  }

  // ---- train ----
  function renderTrain() {
    var t = data.train || {};
    var epochs = t.epochs || [];
    var s = section('Run', 'summary');
    el('p', s, (t.model || 'model') + '; config ' + (t.config || '–') + '; ' + (t.workers || '–')
      + ' worker(s), global batch ' + (t.global_batch || '–') + ', sync every ' + (t.sync_every || 1)
      + ' step(s); ' + epochs.length + ' epoch(s), ' + (t.steps || 0) + ' step(s), ' + (t.retries || 0)
      + ' retried step job(s)' + (t.resumed_from ? '; resumed after epoch ' + t.resumed_from : '')
      + (t.last_checkpoint ? '; last checkpoint ' + t.last_checkpoint : '')
      + (t.position && data.status === 'running' ? '; now: ' + t.position : ''));
    if (!epochs.length) {
      el('p', s, data.status === 'running' ? 'no epoch finished yet' : 'no epoch recorded', 'note');
      return;
    }
    var xs = epochs.map(function (e) { return e.epoch; });
    var row = el('div', section('Loss and accuracy per epoch', 'epochs'), null, 'row');
    chart(el('div', row), 'chart-train-loss', {
      title: {text: 'training loss', textStyle: {fontSize: 13}}, grid: {containLabel: true, left: 8, right: 16, top: 40},
      xAxis: {type: 'category', name: 'epoch', data: xs}, yAxis: {type: 'value', scale: true},
      series: [{name: 'loss', type: 'line', itemStyle: {color: PLAIN}, data: epochs.map(function (e) { return e.loss; })}]
    });
    chart(el('div', row), 'chart-train-accuracy', {
      title: {text: 'training accuracy', textStyle: {fontSize: 13}}, grid: {containLabel: true, left: 8, right: 16, top: 40},
      xAxis: {type: 'category', name: 'epoch', data: xs}, yAxis: {type: 'value', scale: true},
      series: [{name: 'accuracy', type: 'line', itemStyle: {color: F1},
        data: epochs.map(function (e) { return e.accuracy; })}]
    });
    var steps = t.step_losses || [];
    if (steps.length) {
      chart(section('Loss per optimizer step', 'steps'), 'chart-train-steps', {
        grid: {containLabel: true, left: 8, right: 16, top: 24},
        xAxis: {type: 'value', name: 'step', min: 1, max: 'dataMax'}, yAxis: {type: 'value', scale: true},
        series: [{name: 'step loss', type: 'line', showSymbol: false, sampling: 'lttb', itemStyle: {color: PLAIN},
          data: steps}]
      });
    }
    var sp = section('Throughput', 'speed');
    chart(sp, 'chart-train-speed', {
      grid: {containLabel: true, left: 8, right: 16},
      xAxis: {type: 'category', name: 'epoch', data: xs}, yAxis: {type: 'value', name: 'examples/s'},
      series: [{name: 'examples/s', type: 'bar', itemStyle: {color: PLAIN},
        data: epochs.map(function (e) { return +(+e.examples_per_second).toFixed(1); })}]
    });
    table(sp, [{label: 'epoch', num: true}, {label: 'steps', num: true}, {label: 'examples', num: true},
      {label: 'loss', num: true}, {label: 'accuracy', num: true}, {label: 'examples/s', num: true, digits: 1},
      {label: 'seconds', num: true, digits: 1}], epochs.map(function (e) {
      return {cells: [e.epoch, e.steps, e.examples, e.loss, e.accuracy, e.examples_per_second, e.seconds]};
    }));
  }

  if (data.kind === 'select') renderSelect(); else if (data.kind === 'train') renderTrain(); else renderTransfer();
  var pv = section('Provenance', 'provenance');
  if (data.provenance) {
    var pr = data.provenance, e = pr.environment || {};
    el('p', pv, pr.kind + ' run at ' + pr.created_at + ', seed ' + pr.seed + '; Argus ' + e.argus_version
      + ' (commit ' + e.git_commit + '), Java ' + e.java + ', Spark ' + e.spark + ', ONNX Runtime '
      + e.onnx_runtime + ', DJL ' + e.djl + ', PyTorch ' + e.pytorch + '; ' + e.cores + ' cores, max heap '
      + bytes(e.max_heap_bytes) + ', ' + e.os);
    (pr.models || []).forEach(function (md) {
      el('p', pv, 'model ' + md.name + ' sha256 ' + md.sha256 + ', preprocessing ' + md.preprocessing
        + ', layers ' + md.layers.join(', '));
    });
    kv(pv, pr.spec);
  } else {
    el('p', pv, 'the run has not finished: its settings so far', 'note');
    kv(pv, data.spec);
  }
  el('p', pv, 'Charts: Apache ECharts ' + (data.echarts_version || '–') + ' (Apache-2.0), inlined.', 'note');
  if (typeof echarts !== 'undefined') drawCharts();
  renderMs.total = Math.round(performance.now() - started);
  document.body.dataset.renderMs = JSON.stringify(renderMs); // how long drawing took, per chart
})();
