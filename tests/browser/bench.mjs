// bench.mjs — browser benchmarks for `make bench` (not a test): in Debian's Chromium,
//   ingest     5,000 issues synced from the fake GitHub on loopback: browser (worker + fetch +
//              wasm core on OPFS) vs the native CLI (libcurl + native core), items/s and ratio
//   cold start to first card with those 5,000 items in the database, service worker warm
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
  const run = await hub.sync(() => {});
  const ms = performance.now() - t0;
  const stats = (await hub.call({ cmd: 'stats' })).stats;
  hub.worker.terminate();
  return { ms, run, stats };
};`);

const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => console.error('pageerror', e));
await page.goto(env.url + 'bench/index.html');
const b = await page.evaluate((s) => window.runBench(s), SETTINGS);
if (b.stats.tracked !== PAGES * PER) throw new Error(`browser stored ${b.stats.tracked} items`);
console.log(`browser_ingest_items ${b.stats.tracked} count`);
console.log(`browser_ingest_rate ${(b.stats.tracked / (b.ms / 1000)).toFixed(0)} items/s`);
console.log(`browser_ingest_fetch_ms ${b.run.timing.fetch_ms.toFixed(0)} ms`);
console.log(`browser_ingest_core_ms ${b.run.timing.core_ms.toFixed(0)} ms`);
console.log(`browser_ingest_total_ms ${b.ms.toFixed(0)} ms`);

// the same sync natively
const dir = mkdtempSync(join(tmpdir(), 'hub-bench-cli-'));
const e = { ...process.env, HUB_DB: join(dir, 'hub.db'), HUB_GITHUB_API: env.api, GITHUB_TOKEN: 'bench' };
execFileSync('build/hub', ['settings', JSON.stringify(SETTINGS)], { env: e, stdio: 'ignore' });
const t0 = process.hrtime.bigint();
execFileSync('build/hub', ['sync'], { env: e, stdio: 'ignore' });
const nativeMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`native_ingest_rate ${(PAGES * PER / (nativeMs / 1000)).toFixed(0)} items/s`);
rmSync(dir, { recursive: true, force: true });

// cold start to first card: the app with 5,000 items on OPFS, service worker warm
await page.goto(env.url);
await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 20000 }).catch(() => {});
const times = [];
for (let i = 0; i < 7; i++) {
  await page.reload();
  const t = await page.waitForFunction(() => {
    const m = performance.getEntriesByName('hub:first-card')[0];
    return m ? m.startTime : false;
  }, null, { timeout: 20000 });
  times.push(await t.jsonValue());
}
const cards = await page.$$eval('#cards > li[data-key]', (els) => els.length);
const controlled = await page.evaluate(() => !!navigator.serviceWorker.controller);
times.sort((a, b) => a - b);
console.log(`cold_start_first_card_ms ${times[Math.floor(times.length / 2)].toFixed(0)} ms`);
console.log(`cold_start_first_card_min_ms ${times[0].toFixed(0)} ms`);
console.log(`cold_start_cards ${cards} count`);
console.log(`cold_start_sw_controlled ${controlled ? 1 : 0} bool`);
await env.close();
rmSync(scen, { recursive: true, force: true });
