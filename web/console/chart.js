/*
 * console/chart.js — small dependency-free SVG charts built with DOM calls (page layer):
 * horizontal bars around zero, stacked bars, lines, and intervals (a dot with whiskers).
 *
 * Every element is made with createElementNS (ui/dom.js s()); labels are text nodes. Colours
 * come from CSS classes (console.css: .c0 … .c5, which follow the page's light and dark
 * variables). Each chart is a <figure>: the <svg role="img"> carries an aria-label summary,
 * and a <details> holds the same numbers as a table — the text alternative.
 */
import { h, s } from '../ui/dom.js';

const W = 640; /* the viewBox width; the figure scales it */

/* A short number for axis and bar labels. */
function short(v) {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && a < 0.01) return v.toExponential(1);
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a < 1 ? 3 : 2);
}

/* Wraps an svg in its figure with a caption and a <details> table (the text alternative). */
export function figure(svg, caption, summary, tableNode, cls) {
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', summary);
  return h('figure', { class: ['chart', cls] },
    svg,
    h('figcaption', { text: caption }),
    tableNode ? h('details', { class: 'chart-data' }, h('summary', { text: 'Numbers' }), tableNode) : null);
}

function svgBox(height) {
  return s('svg', { viewBox: `0 0 ${W} ${height}`, width: W, height, class: 'chart-svg', preserveAspectRatio: 'xMinYMin meet' });
}

function text(x, y, str, attrs = {}) {
  return s('text', { x, y, ...attrs }, String(str));
}

/* Horizontal bars from a zero line: items [{label, value}]. Negative values go left (their
 * labels in a gutter left of the bars). format(v) writes the value labels. */
export function hbars(items, { caption, summary, tableNode, labelWidth = 180, format = short } = {}) {
  const rowH = 20, pad = 6, top = 8, height = top + items.length * rowH + 18;
  const vals = items.map((d) => (Number.isFinite(d.value) ? d.value : 0));
  const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
  const span = hi - lo || 1, x0 = labelWidth + (lo < 0 ? 52 : 4), x1 = W - 60;
  const X = (v) => x0 + ((v - lo) / span) * (x1 - x0);
  const svg = svgBox(height);
  svg.appendChild(s('line', { x1: X(0), x2: X(0), y1: top - 4, y2: top + items.length * rowH, class: 'axis' }));
  items.forEach((d, i) => {
    const v = vals[i], y = top + i * rowH;
    const a = X(Math.min(0, v)), b = X(Math.max(0, v));
    svg.appendChild(text(labelWidth - 8, y + rowH / 2 + 4, d.label, { 'text-anchor': 'end', class: 'lbl' }));
    svg.appendChild(s('rect', { x: a, y: y + pad / 2, width: Math.max(1, b - a), height: rowH - pad, class: v < 0 ? 'neg' : 'pos', 'data-v': String(d.value) }));
    svg.appendChild(text(v < 0 ? a - 4 : b + 4, y + rowH / 2 + 4, format(d.value), { 'text-anchor': v < 0 ? 'end' : 'start', class: 'val' }));
  });
  svg.appendChild(text(X(0), height - 4, '0', { 'text-anchor': 'middle', class: 'tick' }));
  return figure(svg, caption, summary, tableNode);
}

/* Stacked vertical bars: columns [{label, parts: {key: n}}], keys in stacking order; colors: the
 * colour class index of each key (default: their order). */
export function stacked(columns, keys, { caption, summary, tableNode, colors } = {}) {
  const col = (ki) => (colors ? colors[ki] : ki) % 6;
  const height = 200, left = 36, bottom = 28, top = 10, legendH = 22;
  const totals = columns.map((c) => keys.reduce((a, k) => a + (c.parts[k] || 0), 0));
  const max = Math.max(1, ...totals);
  const svg = svgBox(height + legendH);
  const innerH = height - top - bottom, bw = Math.min(48, (W - left - 10) / Math.max(1, columns.length));
  const Y = (v) => top + innerH - (v / max) * innerH;
  svg.appendChild(s('line', { x1: left, x2: W - 4, y1: Y(0), y2: Y(0), class: 'axis' }));
  svg.appendChild(text(left - 6, Y(max) + 4, short(max), { 'text-anchor': 'end', class: 'tick' }));
  svg.appendChild(text(left - 6, Y(0) + 4, '0', { 'text-anchor': 'end', class: 'tick' }));
  columns.forEach((c, i) => {
    let acc = 0;
    const x = left + 6 + i * bw;
    keys.forEach((k, ki) => {
      const v = c.parts[k] || 0;
      if (v > 0) {
        svg.appendChild(s('rect', { x, y: Y(acc + v), width: Math.max(2, bw - 6), height: Y(acc) - Y(acc + v), class: `c${col(ki)}`, 'data-v': String(v) },
          s('title', null, `${c.label} · ${k}: ${v}`)));
      }
      acc += v;
    });
    if (columns.length <= 16 || i % Math.ceil(columns.length / 16) === 0) {
      svg.appendChild(text(x + (bw - 6) / 2, height - bottom + 14, c.label.slice(5), { 'text-anchor': 'middle', class: 'tick' }));
    }
  });
  legend(svg, keys, height + 4, colors);
  return figure(svg, caption, summary, tableNode);
}

function legend(svg, names, y, colors) {
  let x = 36;
  names.forEach((n, i) => {
    svg.appendChild(s('rect', { x, y: y + 2, width: 10, height: 10, class: `c${(colors ? colors[i] : i) % 6}` }));
    svg.appendChild(text(x + 14, y + 11, n, { class: 'lbl' }));
    x += 24 + String(n).length * 7;
  });
}

/* Lines over shared x labels: series [{name, values: [number|null]}]. */
export function lines(xs, series, { caption, summary, tableNode } = {}) {
  const height = 200, left = 44, bottom = 28, top = 12, legendH = 22;
  const all = series.flatMap((sr) => sr.values.filter(Number.isFinite));
  const lo = Math.min(0, ...all), hi = Math.max(0, ...all), span = hi - lo || 1;
  const innerH = height - top - bottom, innerW = W - left - 16;
  const X = (i) => left + (xs.length <= 1 ? innerW / 2 : (i / (xs.length - 1)) * innerW);
  const Y = (v) => top + innerH - ((v - lo) / span) * innerH;
  const svg = svgBox(height + legendH);
  svg.appendChild(s('line', { x1: left, x2: W - 8, y1: Y(0), y2: Y(0), class: 'axis' }));
  svg.appendChild(text(left - 6, Y(hi) + 4, short(hi), { 'text-anchor': 'end', class: 'tick' }));
  if (lo < 0) svg.appendChild(text(left - 6, Y(lo) + 4, short(lo), { 'text-anchor': 'end', class: 'tick' }));
  svg.appendChild(text(left - 6, Y(0) + 4, '0', { 'text-anchor': 'end', class: 'tick' }));
  series.forEach((sr, si) => {
    const pts = sr.values.map((v, i) => (Number.isFinite(v) ? `${X(i).toFixed(1)},${Y(v).toFixed(1)}` : null)).filter(Boolean);
    if (pts.length > 1) svg.appendChild(s('polyline', { points: pts.join(' '), class: `line c${si % 6}` }));
    sr.values.forEach((v, i) => {
      if (Number.isFinite(v)) svg.appendChild(s('circle', { cx: X(i), cy: Y(v), r: 3, class: `c${si % 6}`, 'data-v': String(v) }, s('title', null, `${sr.name} · ${xs[i]}: ${short(v)}`)));
    });
  });
  xs.forEach((x, i) => {
    if (xs.length <= 12 || i % Math.ceil(xs.length / 12) === 0) svg.appendChild(text(X(i), height - bottom + 14, String(x).slice(5), { 'text-anchor': 'middle', class: 'tick' }));
  });
  legend(svg, series.map((sr) => sr.name), height + 4);
  return figure(svg, caption, summary, tableNode);
}

/* Point estimates with intervals: rows [{label, value, lo, hi}] on one shared axis. */
export function intervals(rows, { caption, summary, tableNode, labelWidth = 200 } = {}) {
  const rowH = 22, top = 8, height = top + rows.length * rowH + 20;
  const vals = rows.flatMap((r) => [r.value, r.lo, r.hi]).filter(Number.isFinite);
  const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals), span = hi - lo || 1;
  const x0 = labelWidth, x1 = W - 60, X = (v) => x0 + ((v - lo) / span) * (x1 - x0);
  const svg = svgBox(height);
  svg.appendChild(s('line', { x1: X(0), x2: X(0), y1: top - 4, y2: top + rows.length * rowH, class: 'axis' }));
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    svg.appendChild(text(labelWidth - 8, y + 4, r.label, { 'text-anchor': 'end', class: 'lbl' }));
    if (Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
      svg.appendChild(s('line', { x1: X(r.lo), x2: X(r.hi), y1: y, y2: y, class: `whisker c${(r.series || 0) % 6}` }));
      svg.appendChild(s('line', { x1: X(r.lo), x2: X(r.lo), y1: y - 5, y2: y + 5, class: `whisker c${(r.series || 0) % 6}` }));
      svg.appendChild(s('line', { x1: X(r.hi), x2: X(r.hi), y1: y - 5, y2: y + 5, class: `whisker c${(r.series || 0) % 6}` }));
    }
    if (Number.isFinite(r.value)) {
      svg.appendChild(s('circle', { cx: X(r.value), cy: y, r: 4, class: `c${(r.series || 0) % 6}`, 'data-v': String(r.value) }));
      svg.appendChild(text(X(Number.isFinite(r.hi) ? r.hi : r.value) + 8, y + 4, short(r.value), { class: 'val' }));
    } else {
      svg.appendChild(text(X(0) + 8, y + 4, 'no data', { class: 'val' }));
    }
  });
  svg.appendChild(text(X(lo), height - 4, short(lo), { 'text-anchor': 'middle', class: 'tick' }));
  svg.appendChild(text(X(hi), height - 4, short(hi), { 'text-anchor': 'middle', class: 'tick' }));
  if (lo < 0 && hi > 0 && X(0) - X(lo) > 36 && X(hi) - X(0) > 36) svg.appendChild(text(X(0), height - 4, '0', { 'text-anchor': 'middle', class: 'tick' }));
  return figure(svg, caption, summary, tableNode);
}
