// bench.mjs — browser benchmarks for `make bench` (not a test): in Debian's Chromium,
//   ingest     5,000 issues synced from the fake GitHub on loopback: browser (worker + fetch +
//              wasm core on OPFS) vs the native CLI (libcurl + native core), items/s and ratio;
//              the browser's time split into fetch, copy into wasm memory, core (of it OPFS, and
//              a bare parse of the same bytes timed apart); then the same sync again (all 304):
//              requests and CORS preflights it sent
//   snapshot   reading a 20-card first-paint snapshot at page start from localStorage, the
//              Cache API and IndexedDB (median of 7 page loads each)
//   warm start to first card with those 5,000 items in the database, service worker warm,
//              median of 7: with the snapshot (web/snapshot.js) and without it; then to the live
//              list, to the worker's ready, and the wasm compile inside that
//   triage     with those 5,000 items: a key press (#, dismiss: the scenario's items are updated
//              after "now", so a done one would come back at once) on the focused card until the list
//              shows it gone (at once, ui/triage.js) and until the worker's answer is drawn
//              (the triage command — its answer alone also given —, then first_screen and
//              searches), p50 and p95 of 21
// Prints "name value unit" lines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from './harness.mjs';
import { makeScenario, PER, SETTINGS } from '../bench_scenario.mjs';

const PAGES = 50;
const scen = makeScenario(undefined, PAGES);
const env = await Env.start({ scenarios: [scen] });
// a bench page beside the app (only in the served copy, never shipped)
mkdirSync(join(env.www, 'bench'), { recursive: true });
writeFileSync(join(env.www, 'bench', 'index.html'),
  '<!doctype html><meta charset=utf-8><title>bench</title><script type=module src="bench.js"></script>');
writeFileSync(join(env.www, 'bench', 'bench.js'), `
import { HubClient } from '../hub-client.js';
window.runBench = async (settings) => {
  const hub = new HubClient('./worker.js');
  await hub.ready;
  await hub.call({ cmd: 'settings', set: settings });
  const t0 = performance.now();
  const run = await hub._send({ type: 'sync', profile: true }, () => {}); // timing with parse_ms
  const ms = performance.now() - t0;
  const stats = (await hub.call({ cmd: 'stats' })).stats;
  window.resync = async () => {
    const again = await hub.sync(() => {});
    hub.worker.terminate();
    return again;
  };
  return { ms, run, stats };
};
// the first-paint snapshot in each store, then read back at page start
window.writeStores = async (text) => {
  localStorage.setItem('bench.snap', text);
  const c = await caches.open('bench-snap');
  await c.put('/bench-snap', new Response(text, { headers: { 'content-type': 'application/json' } }));
  await new Promise((resolve, reject) => {
    const r = indexedDB.open('bench-snap', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const tx = r.result.transaction('s', 'readwrite');
      tx.objectStore('s').put(text, 'snap');
      tx.oncomplete = () => { r.result.close(); resolve(); };
    };
  });
};
const kind = new URLSearchParams(location.search).get('read');
async function readStore() {
  const t0 = performance.now();
  let snap;
  if (kind === 'localStorage') snap = JSON.parse(localStorage.getItem('bench.snap'));
  else if (kind === 'cache') snap = await (await (await caches.open('bench-snap')).match('/bench-snap')).json();
  else snap = await new Promise((resolve, reject) => {
    const r = indexedDB.open('bench-snap', 1);
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const g = r.result.transaction('s').objectStore('s').get('snap');
      g.onsuccess = () => resolve(JSON.parse(g.result));
      g.onerror = () => reject(g.error);
    };
  });
  return { ms: performance.now() - t0, cards: snap.screens.all.length };
}
window.readResult = kind ? readStore() : null;`);

const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => console.error('pageerror', e));
await page.goto(env.url + 'bench/index.html');
const b = await page.evaluate((s) => window.runBench(s), SETTINGS);
if (b.stats.tracked !== PAGES * PER) throw new Error(`browser stored ${b.stats.tracked} items`);
console.log(`browser_ingest_items ${b.stats.tracked} count`);
console.log(`browser_ingest_rate ${(b.stats.tracked / (b.ms / 1000)).toFixed(0)} items/s`);
{
  const t = b.run.timing;
  console.log(`browser_ingest_fetch_ms ${t.fetch_ms.toFixed(0)} ms`);
  console.log(`browser_ingest_copy_ms ${t.copy_ms.toFixed(1)} ms`);
  console.log(`browser_ingest_core_ms ${t.core_ms.toFixed(0)} ms`);
  console.log(`browser_ingest_opfs_ms ${t.opfs_ms.toFixed(0)} ms`);
  console.log(`browser_ingest_parse_ms ${t.parse_ms.toFixed(0)} ms`);
  console.log(`browser_ingest_store_ms ${Math.max(0, t.core_ms - t.opfs_ms - t.parse_ms).toFixed(0)} ms`);
  console.log(`browser_ingest_bytes ${t.bytes} bytes`);
  console.log(`browser_ingest_opfs_writes ${t.opfs_writes} count`);
  console.log(`browser_ingest_opfs_flushes ${t.opfs_flushes} count`);
}
console.log(`browser_ingest_total_ms ${b.ms.toFixed(0)} ms`);
{
  const before = await env.fakeStats();
  const again = await page.evaluate(() => window.resync());
  const after = await env.fakeStats();
  console.log(`browser_sync_preflights ${before.preflights} count`);
  console.log(`browser_resync_requests ${again.requests} count`);
  console.log(`browser_resync_not_modified ${again.not_modified} count`);
  console.log(`browser_resync_preflights ${after.preflights - before.preflights} count`);
}

// the same sync natively
const dir = mkdtempSync(join(tmpdir(), 'hub-bench-cli-'));
const e = { ...process.env, HUB_DB: join(dir, 'hub.db'), HUB_GITHUB_API: env.api, GITHUB_TOKEN: 'bench' };
execFileSync('build/hub', ['settings', JSON.stringify(SETTINGS)], { env: e, stdio: 'ignore' });
const t0 = process.hrtime.bigint();
execFileSync('build/hub', ['sync'], { env: e, stdio: 'ignore' });
const nativeMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`native_ingest_rate ${(PAGES * PER / (nativeMs / 1000)).toFixed(0)} items/s`);
rmSync(dir, { recursive: true, force: true });

const median = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };

// warm start to first card: the app with 5,000 items on OPFS, service worker warm
await page.goto(env.url);
await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 20000 }).catch(() => {});
await page.waitForFunction(() => { try { return JSON.parse(localStorage.getItem('hub.snapshot')).screens.all.length > 0; } catch { return false; } },
  null, { timeout: 20000 });
const snapText = await page.evaluate(() => localStorage.getItem('hub.snapshot'));
const mark = (name) => page.waitForFunction((n) => performance.getEntriesByName(n)[0]?.startTime ?? false, name, { timeout: 20000 }).then((h) => h.jsonValue());
const starts = { snap: [], nosnap: [] };
for (let i = 0; i < 14; i++) {
  const withSnap = i % 2 === 0;
  if (!withSnap) await page.evaluate(() => localStorage.removeItem('hub.snapshot'));
  else await page.evaluate((t) => localStorage.setItem('hub.snapshot', t), snapText);
  await page.reload();
  const first = await mark('hub:first-card');
  const liveAt = await mark('hub:live');
  const ready = await page.waitForFunction(() => { const e = performance.getEntriesByName('hub:ready')[0]; return e ? { t: e.startTime, ...e.detail } : false; }, null, { timeout: 20000 }).then((h) => h.jsonValue());
  await page.waitForSelector('#cards:not([aria-busy])', { state: 'attached', timeout: 20000 });
  starts[withSnap ? 'snap' : 'nosnap'].push({ first, live: liveAt, ready: ready.t, wasm: ready.wasm_ms, storage: ready.storage_ms });
  await page.waitForTimeout(200);
}
const cards = await page.$$eval('#cards > li[data-key]', (els) => els.length);
const controlled = await page.evaluate(() => !!navigator.serviceWorker.controller);
const m = (k, key) => median(starts[k].map((x) => x[key])).toFixed(0);
console.log(`warm_start_first_card_snapshot_ms ${m('snap', 'first')} ms`);
console.log(`warm_start_first_card_no_snapshot_ms ${m('nosnap', 'first')} ms`);
console.log(`warm_start_live_list_ms ${m('snap', 'live')} ms`);
console.log(`warm_start_worker_ready_ms ${m('snap', 'ready')} ms`);
console.log(`warm_start_wasm_compile_ms ${m('snap', 'wasm')} ms`);
console.log(`warm_start_storage_open_ms ${m('snap', 'storage')} ms`);
console.log(`cold_start_first_card_ms ${m('nosnap', 'first')} ms`);
console.log(`cold_start_cards ${cards} count`);
console.log(`cold_start_sw_controlled ${controlled ? 1 : 0} bool`);

// triage action → list updated: # (dismiss) on the focused card, 21 times
{
  await page.evaluate(() => { performance.clearMeasures(); window.scrollTo(0, 0); });
  await page.focus('#cards > li:first-child');
  const N = 21;
  for (let i = 0; i < N; i++) {
    const key = await page.evaluate(() => document.activeElement?.closest('li.card')?.dataset.key);
    await page.keyboard.press('#');
    await page.waitForFunction((n) => performance.getEntriesByName('hub:triage-live').length >= n, i + 1, { timeout: 20000 });
    if (await page.$(`#cards > li[data-key="${key}"]`)) throw new Error(`triage bench: ${key} still listed`);
  }
  const ms = await page.evaluate(() => ['hub:triage-list', 'hub:triage-live', 'hub:triage-answer'].map((n) => performance.getEntriesByName(n).map((e) => e.duration)));
  const pct = (xs, p) => { const a = [...xs].sort((x, y) => x - y); return a[Math.min(a.length - 1, Math.floor(a.length * p))]; };
  console.log(`triage_list_updated_p50_ms ${pct(ms[0], 0.5).toFixed(1)} ms`);
  console.log(`triage_list_updated_p95_ms ${pct(ms[0], 0.95).toFixed(1)} ms`);
  console.log(`triage_worker_answer_drawn_p50_ms ${pct(ms[1], 0.5).toFixed(1)} ms`);
  console.log(`triage_worker_answer_drawn_p95_ms ${pct(ms[1], 0.95).toFixed(1)} ms`);
  console.log(`triage_command_answer_p50_ms ${pct(ms[2], 0.5).toFixed(1)} ms`);
}

// reading the snapshot at page start: localStorage vs Cache API vs IndexedDB
await page.goto(env.url + 'bench/index.html');
await page.evaluate((t) => window.writeStores(t), snapText);
console.log(`snapshot_bytes ${snapText.length} bytes`);
const reads = { localStorage: [], cache: [], idb: [] };
for (let i = 0; i < 7; i++) {
  for (const k of Object.keys(reads)) {
    await page.goto(env.url + 'bench/index.html?read=' + k);
    reads[k].push((await page.evaluate(() => window.readResult)).ms);
  }
}
for (const [k, v] of Object.entries(reads)) console.log(`snapshot_read_${k}_ms ${median(v).toFixed(2)} ms`);
await env.close();
rmSync(scen, { recursive: true, force: true });
