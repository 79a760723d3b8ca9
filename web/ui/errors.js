/*
 * ui/errors.js — says what went wrong in plain words.
 *
 * The core reports errors with stable codes (its meta command lists them): on Error objects
 * from hub.call() (.code), and on a finished run (run.code with run.status, run.retry_at),
 * besides one message per failed request (run.errors). This module maps them to a few phrases
 * a person can act on: "token rejected", "rate-limited until HH:MM", "offline", "storage
 * full"; anything else keeps the core's message, shortened. It reads codes, not English. An
 * error of the hubd source (a device that syncs with a hubd) names hubd instead: "hubd
 * unreachable" (the device works on alone), "hubd refused the key".
 */
import { clock, toMs } from './format.js';

const MAX = 200;

function short(msg) {
  const s = String(msg ?? '').replace(/\s+/g, ' ').trim();
  return s.length > MAX ? s.slice(0, MAX - 1) + '…' : s;
}

/* Returns true when err (Error, DOMException, string or {message,code}) means storage is full. */
export function isStorageFull(err) {
  if (!err) return false;
  const name = err.name || '';
  const msg = String(err.message ?? err);
  return name === 'QuotaExceededError' || /quota/i.test(msg) ||
    (err.code === 'db' && /full/i.test(msg)) || /database or disk is full/i.test(msg);
}

function isNetwork(msg) {
  return /failed to fetch|networkerror|network error|load failed|status 0\b|offline|ERR_INTERNET|ERR_NAME|ENOTFOUND|ECONNREFUSED/i.test(msg);
}

/* Returns {kind, text, detail} for one error of any shape. kind is one of
 * 'token', 'rate', 'offline', 'storage', 'other'. */
export function describe(err, limits) {
  const msg = String(err?.message ?? err ?? '');
  if (isStorageFull(err)) {
    return { kind: 'storage', text: 'Storage full — free some space on this device, then try again.', detail: short(msg) };
  }
  if (err?.code === 'token_rejected' && err?.source === 'hubd') {
    return { kind: 'token', text: 'hubd refused the key — check the hubd API key in Settings.', detail: short(msg) };
  }
  if (err?.code === 'token_rejected') {
    return { kind: 'token', text: 'Token rejected — check the GitHub token in Settings.', detail: short(msg) };
  }
  if (err?.code === 'rate_limited') {
    const at = Number.isFinite(err?.retry_at) ? err.retry_at : (limits?.core?.reset ? toMs(limits.core.reset) : NaN);
    const until = Number.isFinite(at) && at > Date.now() ? ` until ${clock(at / 1000)}` : '';
    return { kind: 'rate', text: `Rate-limited${until} — try Refresh after that.`, detail: short(msg) };
  }
  if (err?.source === 'hubd' && (err?.code === 'offline' || isNetwork(msg))) {
    return { kind: 'offline', text: 'hubd unreachable — this device works alone on what it has saved.', detail: short(msg) };
  }
  if (err?.code === 'offline' || (typeof navigator !== 'undefined' && navigator.onLine === false) || isNetwork(msg)) {
    return { kind: 'offline', text: 'Offline — showing what is saved on this device.', detail: short(msg) };
  }
  return { kind: 'other', text: short(msg) || 'Something went wrong.', detail: '' };
}

/* Returns the plain-words problems of a finished run, at most one line per kind, plus
 * a count of the other per-URL errors. Returns [] for a clean run. */
export function runProblems(run) {
  if (!run) return [];
  const out = [];
  const seen = new Set();
  const errors = Array.isArray(run.errors) ? run.errors : [];
  let others = 0;
  if (run.code) { /* why the run stopped, as the core says it */
    const last = errors[errors.length - 1];
    const d = describe({ code: run.code, retry_at: run.retry_at, message: last?.message, source: last?.source }, run.limits);
    seen.add(d.kind);
    out.push(d);
  }
  for (const e of errors) {
    const d = describe(e, run.limits);
    if (d.kind === 'other') {
      others++;
      const where = pathOf(e?.url);
      if (others <= 2) out.push({ ...d, text: where ? `${where}: ${d.text}` : d.text, detail: String(e?.url ?? '').slice(0, 300) });
      continue;
    }
    if (seen.has(d.kind)) continue;
    seen.add(d.kind);
    out.push(d);
  }
  if (others > 2) out.push({ kind: 'other', text: `and ${others - 2} more requests failed or were skipped.`, detail: '' });
  const core = run.limits?.core;
  if (!seen.has('rate') && core && core.remaining === 0 && core.reset && toMs(core.reset) > Date.now()) {
    out.unshift({ kind: 'rate', text: `Rate-limited until ${clock(core.reset)} — try Refresh after that.`, detail: '' });
  }
  const rank = { storage: 0, token: 1, offline: 2, rate: 3, other: 4 };
  return out.sort((a, b) => rank[a.kind] - rank[b.kind]);
}

/* Returns the path of an API URL for display ("/repos/o/r/issues"), or ''. */
function pathOf(url) {
  try { return new URL(url).pathname.slice(0, 120); } catch { return ''; }
}
