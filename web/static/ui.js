// DOM building (never innerHTML with data), number formats and charts.
// The formats are a contract with e2e/dashboard_test.go, which formats the
// API's JSON the same way and compares it with every data-testid's text.
import uPlot from './vendor/uplot-1.6.32/uPlot.esm.js';

/** h builds an element: h('p', {class: 'x', testid: 'y'}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'testid') el.dataset.testid = v;
    else if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** fmtInt: 1234567 -> "1,234,567". */
export function fmtInt(n) {
  const v = Math.trunc(Number(n) || 0);
  return (v < 0 ? '-' : '') + group(String(Math.abs(v)));
}

/** fmtMoney: the API's decimal string "1234.50" -> "1,234.50" (digits kept). */
export function fmtMoney(s) {
  let str = String(s ?? '0');
  let sign = '';
  if (str.startsWith('-')) { sign = '-'; str = str.slice(1); }
  const [i, f] = str.split('.');
  return sign + group(i) + (f !== undefined ? '.' + f : '');
}

/** round1 rounds to one decimal, halves away from zero (as Go's math.Round). */
export function round1(x) {
  const r = Math.round(Math.abs(x) * 10) / 10;
  return x < 0 && r !== 0 ? -r : r;
}

/** fmtPct: a ratio 0.1234 -> "12.3%". */
export function fmtPct(ratio) {
  return round1(Number(ratio) * 100).toFixed(1) + '%';
}

/** fmtPoints: a signed difference of ratios -> "+1.2 pp". */
export function fmtPP(diff) {
  const r = round1(Number(diff) * 100);
  return (r > 0 ? '+' : '') + r.toFixed(1) + ' pp';
}

/** fmtChange: the % change from prev to cur; "n/a" when prev is 0. */
export function fmtChange(cur, prev) {
  const c = Number(cur), p = Number(prev);
  if (p === 0) return 'n/a';
  const r = round1(((c - p) / p) * 100);
  return (r > 0 ? '+' : '') + r.toFixed(1) + '%';
}

/** format by kind: count, money, ratio. */
export function fmt(kind, v) {
  if (kind === 'money') return fmtMoney(v);
  if (kind === 'ratio') return fmtPct(v);
  return fmtInt(v);
}

/** figure is a card with a Figure's current value, previous value and change. */
export function figure(label, fig, kind, id) {
  fig = fig || { current: 0, previous: 0 };
  const chg = fmtChange(fig.current, fig.previous);
  const dir = chg.startsWith('+') ? 'up' : chg.startsWith('-') ? 'down' : 'flat';
  return h('div', { class: 'card figure' },
    h('h3', {}, label),
    h('p', { class: 'big', testid: id + '-current' }, fmt(kind, fig.current)),
    h('p', { class: 'prev' }, 'previous ', h('span', { testid: id + '-previous' }, fmt(kind, fig.previous)), ' ',
      h('span', { class: 'chg ' + dir, testid: id + '-change', title: 'change from the previous period' }, chg)));
}

/** stat is a card with one value (no previous period). */
export function stat(label, text, id) {
  return h('div', { class: 'card figure' }, h('h3', {}, label), h('p', { class: 'big', testid: id }, text));
}

/** cards wraps figure cards in a responsive grid. */
export function cards(...items) {
  return h('div', { class: 'cards' }, ...items);
}

/** section is a titled part of a page. */
export function section(title, ...children) {
  return h('section', { class: 'part' }, h('h2', {}, title), ...children);
}

/** table builds a scrollable table; rows are arrays of cells (nodes or text). */
export function table(caption, headers, rows, opts = {}) {
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: opts.class },
      h('caption', { class: opts.showCaption ? '' : 'sr' }, caption),
      h('thead', {}, h('tr', {}, headers.map((t, i) => h('th', { scope: 'col', class: i > 0 && opts.numeric !== false ? 'num' : '' }, t)))),
      h('tbody', {}, rows.length ? rows.map(r => h('tr', { class: r.class }, (r.cells || r).map((c, i) =>
        i === 0 ? h('th', { scope: 'row' }, c) : h('td', { class: opts.numeric !== false ? 'num' : '' }, c))))
        : h('tr', {}, h('td', { colspan: headers.length }, opts.empty || 'Nothing yet.')))));
}

/** cell is a table cell's text with a test id. */
export function cell(text, id) {
  return h('span', { testid: id }, text);
}

/** dayTime is a 'YYYY-MM-DD' day as uPlot's x (unix seconds, UTC). */
function dayTime(day) {
  return Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10)) / 1000;
}

const palette = ['#0b5cad', '#b3541e', '#2e7d32', '#7b1fa2', '#c62828', '#00838f', '#6d4c41'];
const charts = new Set();

/** chart draws one uPlot line chart of rows over days into a figure. */
export function chart(title, rows, series, opts = {}) {
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title));
  const plot = h('div', { class: 'plot', role: 'img', 'aria-label': title + ': ' + series.map(s => s.label).join(', ') + ' per day' });
  box.append(plot);
  const data = [rows.map(r => dayTime(r.day)), ...series.map(s => rows.map(r => Number(s.value(r)) || 0))];
  requestAnimationFrame(() => {
    if (!plot.isConnected) return;
    const u = new uPlot({
      width: Math.max(plot.clientWidth, 240), height: opts.height || 220,
      // Days are UTC: a plain numeric x whose ticks are whole days (multiples
      // of 86,400 s from the epoch are UTC midnights) in any browser time zone.
      series: [{ label: 'Day', value: (u, v) => v == null ? '--' : utcDay(v) },
        ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2,
          value: (u, v) => v == null ? '' : (s.money ? v.toFixed(2) : fmtInt(v)) }))],
      axes: [{ space: 50, incrs: dayIncrs, values: (u, vals) => vals.map(v => utcDay(v).slice(5)) },
        { size: 60, values: (u, vals) => vals.map(v => s0money(series) ? v.toFixed(0) : fmtInt(v)) }],
      scales: { x: { time: false } },
      cursor: { drag: { x: false, y: false } },
    }, data, plot);
    charts.add(u);
  });
  return box;
}

function s0money(series) { return series.some(s => s.money); }

const dayIncrs = [1, 2, 7, 14, 28, 56, 91].map(d => d * 86400);

function utcDay(t) {
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/** clearCharts destroys the charts of the page being left. */
export function clearCharts() {
  for (const u of charts) u.destroy();
  charts.clear();
}

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const u of charts) {
      const w = u.root.parentElement && u.root.parentElement.clientWidth;
      if (w) u.setSize({ width: Math.max(w, 240), height: u.height });
    }
  }, 150);
});
