/*
 * ui/tip-snoozes.js — remembers when snoozed tips come back, to tell the empty state.
 *
 * The core keeps the real snooze (an item leaves the candidate set until its time); it has
 * no command that says when the next one returns, so the page notes each snooze_until it
 * was given in localStorage (keyed by item) and forgets the ones that have passed. Only
 * times and item keys are stored, never shown as markup. Part of the page layer (web/ui).
 */

const KEY = 'hub.tip.snoozes';
const MAX = 500;

function load() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch { return {}; }
}

function save(map) {
  try { localStorage.setItem(KEY, JSON.stringify(map)); } catch { /* private mode, full: forget */ }
}

/* Notes that item key returns at untilMs. */
export function noteSnooze(key, untilMs) {
  if (typeof key !== 'string' || !Number.isFinite(untilMs)) return;
  const map = load();
  map[key.slice(0, 300)] = untilMs;
  const keys = Object.keys(map);
  if (keys.length > MAX) keys.sort((a, b) => map[a] - map[b]).slice(0, keys.length - MAX).forEach((k) => delete map[k]);
  save(map);
}

/* Forgets item key (it was done or dismissed after all). */
export function forgetSnooze(key) {
  const map = load();
  if (key in map) { delete map[key]; save(map); }
}

/* Returns the earliest return time after nowMs, or null; drops the ones already past. */
export function nextReturn(nowMs) {
  const map = load();
  let best = null, changed = false;
  for (const [k, t] of Object.entries(map)) {
    if (!Number.isFinite(t) || t <= nowMs) { delete map[k]; changed = true; continue; }
    if (best === null || t < best) best = t;
  }
  if (changed) save(map);
  return best;
}
