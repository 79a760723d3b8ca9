/*
 * ui/format.js — turns core values into the words and numbers people read.
 *
 * Pure functions, no DOM: ages ("3 d ago"), times ("14:05"), compact counts,
 * reason codes in human words, and the score factors as short decimals. The date
 * formatters are built once, on first use (building one per card cost 20–45 ms per 200).
 */

/* Reason codes and their words come from the core (meta command, items/reasons.def): the page
 * keeps no list of its own. setMeta() is called once the worker is ready. */
let REASONS = new Map();

export function setMeta(meta) {
  REASONS = new Map((meta?.reasons || []).map((r) => [r.code, r]));
}

function codeOf(r) { return typeof r === 'string' ? r : String(r?.code ?? ''); }

/* Returns the human words for a reason ({code, detail}): the core's words, and for a good-first
 * issue its languages ("good first issue · C, Rust" — the card already names the repo).
 * Unknown codes: underscores become spaces. */
export function reasonWords(r) {
  const code = codeOf(r), known = REASONS.get(code);
  const detail = typeof r?.detail === 'string' ? r.detail : '';
  const words = known ? known.words : code.replace(/_/g, ' ').slice(0, 40);
  const langs = known?.gfi && /\((.{1,80})\)$/.exec(detail);
  return langs ? `${words} · ${langs[1]}` : words;
}

/* Returns the core's words for a reason without any detail ("good first issue"). */
export function reasonBase(r) {
  const code = codeOf(r), known = REASONS.get(code);
  return (known ? known.words : code.replace(/_/g, ' ')).split(' · ')[0];
}

/* Returns true for the reasons a good-first-issue source gives. */
export function reasonGoodFirst(r) { return !!REASONS.get(codeOf(r))?.gfi; }

/* Someone is waiting on you: the accent colour. */
export function reasonUrgent(r) { return !!REASONS.get(codeOf(r))?.urgent; }

/* The item is yours. */
export function reasonYours(r) { return !!REASONS.get(codeOf(r))?.yours; }

/* Returns "just now", "12 min ago", "5 h ago", "3 d ago", "4 mo ago", "2 y ago".
 * epochS: seconds; nowMs: milliseconds. */
export function ago(epochS, nowMs = Date.now()) {
  if (!Number.isFinite(epochS) || epochS <= 0) return '';
  const s = Math.max(0, Math.round(nowMs / 1000 - epochS));
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const hr = Math.floor(m / 60);
  if (hr < 24) return `${hr} h ago`;
  const d = Math.floor(hr / 24);
  if (d < 45) return `${d} d ago`;
  const mo = Math.floor(d / 30.44);
  if (mo < 12) return `${mo} mo ago`;
  return `${Math.floor(d / 365.25)} y ago`;
}

/* Returns epoch seconds or milliseconds as milliseconds (values below 1e11 are seconds). */
export function toMs(t) {
  if (!Number.isFinite(t)) return NaN;
  return t < 1e11 ? t * 1000 : t;
}

let clockFmt = null, dateFmt = null, dayFmt = null;

/* Returns "HH:MM" in local time for epoch seconds or milliseconds. */
export function clock(t) {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '';
  clockFmt ??= new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', hour12: false });
  return clockFmt.format(ms);
}

/* Returns a full local date-time for tooltips. */
export function fullDate(epochS) {
  const ms = toMs(epochS);
  if (!Number.isFinite(ms)) return '';
  dateFmt ??= new Intl.DateTimeFormat([], { dateStyle: 'medium', timeStyle: 'short' });
  return dateFmt.format(ms);
}

/* Returns "14:05" for a time today, else "3 Dec, 14:05" (local time). */
export function when(t, nowMs = Date.now()) {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '';
  if (new Date(ms).toDateString() === new Date(nowMs).toDateString()) return clock(ms);
  dayFmt ??= new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
  return `${dayFmt.format(ms)}, ${clock(ms)}`;
}

/* Returns 1234 → "1.2k", 5 → "5". */
export function count(n) {
  const v = Number(n) || 0;
  if (v < 1000) return String(Math.max(0, Math.round(v)));
  if (v < 1e6) return (v / 1000).toFixed(v < 10000 ? 1 : 0).replace(/\.0$/, '') + 'k';
  return (v / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
}

/* Returns a factor as a short decimal: 0.9074 → "0.91", 2 → "2", 11.61 → "11.6". */
export function factor(x) {
  const v = Number(x);
  if (!Number.isFinite(v)) return '–';
  if (v === Math.round(v)) return String(v);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  if (Math.abs(v) >= 0.01) return v.toFixed(2);
  return v.toPrecision(2);
}

/* Returns "1 request" / "7 requests". */
export function plural(n, one, many = one + 's') {
  return `${count(n)} ${n === 1 ? one : many}`;
}
