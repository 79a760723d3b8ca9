/*
 * ui/heatmap.js — the activity heatmap: a calendar of squares, 53 weeks × 7 days, one square a
 * day coloured by the day's commits, with month and weekday labels (page layer, web/ui).
 *
 * heatmapSpans(answer) cuts the answer's two-year window into two calendars of 53 weeks each,
 * the newest first (the last ends with the week of window.to; the first starts on the Sunday of
 * its first week; days before window.from are left out). renderHeatmap(svgHost, span, byDate,
 * max) draws one as SVG: each day a <rect> whose class is its level (hm-l0 … hm-l4: none,
 * then quarters of the busiest day) with data-date / data-count and a <title> that reads
 * "3 commits on Thu 20 Nov 2025 — octocat/Hello-World · C, Python". Built with DOM calls only:
 * every repository and language name is text, never markup. Dates are UTC days ("YYYY-MM-DD"),
 * as the core counts them.
 */
import { s } from './dom.js';

const DAY_MS = 86400000;
const CELL = 11;
const GAP = 3;
const STEP = CELL + GAP;
const LEFT = 30;   /* room for the weekday labels */
const TOP = 18;    /* room for the month labels */
const WEEKS = 53;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/* "YYYY-MM-DD" → ms at 00:00 UTC, or NaN. */
export function dayMs(date) {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return NaN;
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

/* ms → "YYYY-MM-DD" (UTC). */
export function dayStr(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/* The level (0–4) of count against the busiest day's max. */
export function level(count, max) {
  if (!(count > 0) || !(max > 0)) return 0;
  return Math.min(4, Math.max(1, Math.ceil((4 * count) / max)));
}

/* The two calendars of the answer's window, newest first: [{start, end, from, to}] with start
 * the Sunday of its first column, end the Saturday of its last, from/to the days it shows. */
export function heatmapSpans(answer) {
  const from = dayMs(answer?.window?.from);
  const to = dayMs(answer?.window?.to);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const lastSat = to + (6 - new Date(to).getUTCDay()) * DAY_MS;
  const spans = [];
  for (let i = 0; i < 2; i++) {
    const end = lastSat - i * WEEKS * 7 * DAY_MS;
    const start = end - (WEEKS * 7 - 1) * DAY_MS;
    const a = Math.max(start, from), b = Math.min(end, to);
    if (a <= b) spans.push({ start, end, from: a, to: b });
  }
  return spans;
}

function fmtDay(ms) {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/* The tooltip of a day. */
function tip(ms, entry) {
  const n = entry ? entry.count : 0;
  let t = `${n === 0 ? 'No' : n} commit${n === 1 ? '' : 's'} on ${fmtDay(ms)}`;
  if (entry) {
    const repos = Array.isArray(entry.repos) ? entry.repos.map(String) : [];
    const langs = Array.isArray(entry.languages) ? entry.languages.map(String) : [];
    if (repos.length) t += ` — ${repos.join(', ')}`;
    if (langs.length) t += ` · ${langs.join(', ')}`;
  }
  return t;
}

/* Draws span as an <svg> (returned): byDate maps "YYYY-MM-DD" → a day of the answer; max is
 * the busiest day's count. label names the calendar for screen readers. */
export function renderHeatmap(span, byDate, max, label) {
  const width = LEFT + WEEKS * STEP;
  const height = TOP + 7 * STEP;
  const svg = s('svg', {
    class: 'hm', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label,
  });
  for (const row of [1, 3, 5]) {
    svg.append(s('text', { class: 'hm-wd', x: 0, y: TOP + row * STEP + CELL - 1 }, WEEKDAYS[row]));
  }
  let lastMonth = -1, lastLabel = -10;
  for (let w = 0; w < WEEKS; w++) {
    const weekStart = span.start + w * 7 * DAY_MS;
    /* a month's label goes over the first column that shows one of its days (3 columns apart) */
    const first = Math.max(weekStart, span.from);
    if (first <= Math.min(weekStart + 6 * DAY_MS, span.to)) {
      const m = new Date(first).getUTCMonth();
      if (m !== lastMonth) {
        if (w - lastLabel >= 3) {
          svg.append(s('text', { class: 'hm-month', x: LEFT + w * STEP, y: TOP - 6 }, MONTHS[m]));
          lastLabel = w;
        }
        lastMonth = m;
      }
    }
    for (let d = 0; d < 7; d++) {
      const ms = weekStart + d * DAY_MS;
      if (ms < span.from || ms > span.to) continue;
      const date = dayStr(ms);
      const entry = byDate.get(date);
      const count = entry ? entry.count : 0;
      svg.append(s('rect', {
        class: `hm-day hm-l${level(count, max)}`,
        x: LEFT + w * STEP, y: TOP + d * STEP, width: CELL, height: CELL, rx: 2, ry: 2,
        dataset: { date, count: String(count) },
      }, s('title', null, tip(ms, entry))));
    }
  }
  return svg;
}

/* The legend: "Less □□□□□ More". */
export function renderLegend() {
  const svg = s('svg', { class: 'hm-legend', viewBox: `0 0 ${5 * STEP} ${CELL}`, width: 5 * STEP, height: CELL, 'aria-hidden': 'true' });
  for (let i = 0; i < 5; i++) svg.append(s('rect', { class: `hm-l${i}`, x: i * STEP, y: 0, width: CELL, height: CELL, rx: 2, ry: 2 }));
  return svg;
}

/* A small dot in a Linguist colour ("#rrggbb"; anything else draws a grey one). */
export function colorDot(color) {
  const ok = typeof color === 'string' && /^#[0-9a-fA-F]{6}$/.test(color);
  const svg = s('svg', { class: 'hm-dot', viewBox: '0 0 10 10', width: 10, height: 10, 'aria-hidden': 'true' });
  svg.append(s('circle', { cx: 5, cy: 5, r: 5, fill: ok ? color : '#8c959f' }));
  return svg;
}
