/*
 * ui/format.js — turns core values into the words and numbers people read.
 *
 * Pure functions, no DOM: ages ("3 d ago"), times ("14:05"), compact counts,
 * reason codes in human words, and the score factors as short decimals.
 */

const REASONS = {
  review_requested: 'review requested',
  authored: 'yours',
  author: 'yours',
  assigned: 'assigned',
  assign: 'assigned',
  mentioned: 'mentioned',
  mention: 'mentioned',
  team_mention: 'team mentioned',
  commented: 'commented',
  comment: 'commented',
  subscribed: 'subscribed',
  watched: 'watched',
  watching: 'watched',
  manual: 'subscribed',
  state_change: 'state changed',
  ci_activity: 'CI activity',
  security_alert: 'security alert',
  invitation: 'invitation',
  approval_requested: 'approval requested',
  your_activity: 'your activity',
  on_your_repo: 'on your repo',
  'good first issue search': 'good first issue · your search',
};

/* Reasons that deserve the accent colour: someone is waiting on you. */
const URGENT = new Set(['review_requested', 'assigned', 'assign', 'mentioned', 'mention',
  'team_mention', 'approval_requested', 'security_alert']);

/* Returns the human words for a reason code (unknown codes: underscores become spaces).
 * "good first issue in owner/repo (C, Rust)" becomes "good first issue · C, Rust": the
 * card already names the repo. */
export function reasonWords(code) {
  const c = String(code);
  if (REASONS[c]) return REASONS[c];
  const gfi = /^good first issue in \S+(?: \((.{1,80})\))?$/.exec(c);
  if (gfi) return gfi[1] ? `good first issue · ${gfi[1]}` : 'good first issue';
  return c.replace(/_/g, ' ').slice(0, 40);
}

/* Returns true for the reasons a good-first-issue source gives. */
export function reasonGoodFirst(code) { return String(code).startsWith('good first issue'); }

export function reasonUrgent(code) { return URGENT.has(String(code)); }

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

/* Returns "HH:MM" in local time for epoch seconds or milliseconds. */
export function clock(t) {
  const d = new Date(toMs(t));
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
}

/* Returns a full local date-time for tooltips. */
export function fullDate(epochS) {
  const d = new Date(toMs(epochS));
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
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
