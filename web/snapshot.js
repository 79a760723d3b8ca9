// snapshot.js — the first-paint snapshot, kept where the page can read it before any worker
// is up (web/ layer, page side; no DOM).
//
// The worker that owns the database makes one after every change (owner.js writeSnapshot):
//   {v:1, at: ms, version, reasons: meta.reasons, counts: {from: n}, stats: {…},
//    runs: [latest runs], screens: {screenKey: [top cards]}, tabs: [saved searches with counts]}
// and hands it to its page, which keeps it here. A triage in the page takes the cards it
// cleared out of the kept snapshot at once (dropCards), before the worker's next one, so a
// reload right after never shows them again. It lives in localStorage: read at page
// start, localStorage answered in ~1 ms where the Cache API and IndexedDB took ~9 ms (median of
// 7 page loads each, 20 cards ≈ 9 KB; tests/browser/bench.mjs measures it again), because it is
// one synchronous read with no storage round trip. Workers cannot reach localStorage, hence the
// hand-over through the page. It is a hint, never the truth: the live list replaces it.

const KEY = 'hub.snapshot';
const MAX = 512 * 1024;   // a snapshot larger than this is not kept (20 cards are ~10 KB)

/* The name of a screen in snap.screens: the search ("q:repo:cli/cli") or, without one, the
 * source filter ("all", "github", …). */
export function screenKey(q, from) {
  const text = typeof q === 'string' ? q.trim() : '';
  return text ? 'q:' + text : (typeof from === 'string' && from ? from : 'all');
}

/* Returns the kept snapshot, or null (none, unreadable, or another format). */
export function readSnapshot() {
  let text = null;
  try { text = localStorage.getItem(KEY); } catch { return null; }
  if (!text || text.length > MAX) return null;
  try {
    const snap = JSON.parse(text);
    if (!snap || snap.v !== 1 || !Number.isFinite(snap.at) || typeof snap.screens !== 'object' || !snap.screens) return null;
    return snap;
  } catch { return null; }
}

/* Keeps snap (from the owner worker); a full or missing localStorage just keeps nothing. */
export function writeSnapshot(snap) {
  try {
    const text = JSON.stringify(snap);
    if (text.length > MAX) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, text);
  } catch { /* private mode or full: the next start waits for the worker */ }
}

/* Takes the cards named by keys out of every screen of the kept snapshot. */
export function dropCards(keys) {
  const snap = readSnapshot();
  if (!snap) return;
  const gone = new Set(keys);
  for (const [k, cards] of Object.entries(snap.screens)) {
    if (Array.isArray(cards)) snap.screens[k] = cards.filter((c) => !gone.has(c?.key));
  }
  writeSnapshot(snap);
}

/* Forgets the snapshot (tests and benchmarks measure a start without one). */
export function dropSnapshot() {
  try { localStorage.removeItem(KEY); } catch { /* nothing kept */ }
}
