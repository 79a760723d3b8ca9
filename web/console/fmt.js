/*
 * console/fmt.js — how the console writes the core's numbers and times (page layer).
 *
 * Every number shown is a <span data-v="exact value"> whose text is the rounded value, so a
 * reader (or a test) can always get at the number the core answered; the page does no
 * arithmetic of its own on the core's figures beyond rounding for display.
 */
import { h } from '../ui/dom.js';

/* The value rounded for people: integers as is (with thousands separators), others to
 * `digits` decimals; null/undefined/NaN as an en dash. */
export function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toFixed(digits);
}

/* A <span class="num" data-v> for a core number. */
export function num(v, digits = 3, cls) {
  return h('span', { class: ['num', cls], dataset: { v: v === null || v === undefined ? '' : String(v) }, text: fmtNum(v, digits) });
}

/* A share in [0, 1] as a percentage (data-v keeps the share). */
export function pct(v, digits = 0) {
  const t = Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '–';
  return h('span', { class: 'num', dataset: { v: v === null || v === undefined ? '' : String(v) }, text: t });
}

/* Bytes as B / KB / MB (data-v keeps the bytes). */
export function bytes(v) {
  let t = '–';
  if (Number.isFinite(v)) {
    if (v < 1024) t = `${v} B`;
    else if (v < 1024 * 1024) t = `${(v / 1024).toFixed(1)} KB`;
    else t = `${(v / 1024 / 1024).toFixed(1)} MB`;
  }
  return h('span', { class: 'num', dataset: { v: String(v) }, text: t });
}

/* A time in ms since the epoch as local "YYYY-MM-DD HH:MM:SS" (a <time>). */
export function when(ms) {
  if (!Number.isFinite(ms) || ms <= 0) return h('span', { class: 'muted', text: '–' });
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  const text = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return h('time', { datetime: d.toISOString(), text });
}

/* Minutes east of UTC now (what the core takes as tz_offset_min). */
export function tzOffsetMin() {
  return -new Date().getTimezoneOffset();
}
