// storage.test.mjs — durability of the browser storage (web/storage.js + wasm/vfs_opfs.c)
// in Chromium, driven by playwright-core.
//
//   node tests/browser/storage.test.mjs      (after `make build/wasm/hub.mjs`)
//
// Serves tests/browser/storage/ (a page and a test worker), build/wasm/ and web/ on
// 127.0.0.1 with node's http module, and checks:
//   reload   data written in OPFS mode survives a new worker, a page reload and a browser
//            restart on the same profile;
//   kill     20 times: a worker writes batches in a loop and is terminated at a random
//            moment; the reopened database passes PRAGMA integrity_check and holds every
//            batch that was acknowledged before the kill (and no half of any batch); then
//            3 times the same with the renderer processes SIGKILLed instead;
//   tabs     a second tab while the first holds OPFS falls back to IndexedDB snapshots
//            with a note, its own data survives, and the first tab's data is untouched;
//   bench    1,000 one-setting commits on OPFS (the p95 of 200, their 10th slowest, moved by
//            half between runs a minute apart): prints opfs_commit_p50_ms / _p95_ms, the VFS
//            calls per commit (reads, writes, truncates, flushes, size calls) with their ms, and
//            where the slowest 5% spent theirs (flushes, writes, the rest).
// Ends with `storage: N passed, M failed`; exits non-zero on any failure.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { chromium } = require(path.join(ROOT, 'build/npm/node_modules/playwright-core'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const KILLS = Number(process.env.STORAGE_KILLS || 20);
const CRASHES = Number(process.env.STORAGE_CRASHES || 3);
const BENCH_N = Number(process.env.STORAGE_BENCH_N || 1000);

let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}`);
}

// ---- static server -------------------------------------------------------------------------
const MOUNTS = [['/build/wasm/', 'build/wasm/'], ['/web/', 'web/'], ['/', 'tests/browser/storage/']];
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let p = decodeURIComponent(url.pathname);
    if (p === '/') p = '/index.html';
    const m = MOUNTS.find(([prefix]) => p.startsWith(prefix));
    const file = path.join(ROOT, m[1], p.slice(m[0].length));
    if (!file.startsWith(path.join(ROOT, m[1])) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function waitForChromium() {
  for (let i = 0; i < 120 && !fs.existsSync(CHROMIUM); i++) {
    if (i === 0) console.log(`waiting for ${CHROMIUM} …`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found`);
}

// ---- page helpers --------------------------------------------------------------------------
async function newPage(ctx, base) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}
const spawn = (page) => page.evaluate(() => window.spawn());
const ask = (page, id, msg) => page.evaluate(([i, m]) => window.ask(i, m), [id, msg]);
const kill = (page, id) => page.evaluate((i) => window.kill(i), id);

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ---- the checks ----------------------------------------------------------------------------
async function testReload(ctx, base) {
  let page = await newPage(ctx, base);
  let w = await spawn(page);
  const o = await ask(page, w, { op: 'open', name: 'reload.db' });
  check(o.mode === 'opfs' && o.vfs === 'opfs', 'reload: first open is OPFS', `${o.mode}: ${o.note}`);
  const r = await ask(page, w, { op: 'write', req: { cmd: 'settings', set: { github_user: 'reload-1', label_weights: { keep: 2 } } } });
  check(!r.error && r.settings.github_user === 'reload-1', 'reload: write returns the new settings');
  await kill(page, w); // no close: the commit must already be on disk

  w = await spawn(page);
  const o2 = await ask(page, w, { op: 'open', name: 'reload.db' });
  const s2 = await ask(page, w, { op: 'call', req: { cmd: 'settings' } });
  check(o2.mode === 'opfs' && s2.settings.github_user === 'reload-1', 'reload: new worker sees the write',
    `${o2.mode} user=${s2.settings.github_user} storage ${o2.storageMs.toFixed(0)} ms`);

  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  w = await spawn(page);
  const o3 = await ask(page, w, { op: 'open', name: 'reload.db' });
  const s3 = await ask(page, w, { op: 'call', req: { cmd: 'settings' } });
  check(o3.mode === 'opfs' && s3.settings.github_user === 'reload-1' && s3.settings.label_weights.keep === 2,
    'reload: page reload sees the write', `${o3.mode} user=${s3.settings.github_user}`);
  check(await ask(page, w, { op: 'integrity' }) === 'ok', 'reload: integrity_check ok');
  await ask(page, w, { op: 'close' });
  await page.close();
}

async function testRestart(ctx, base) {
  const page = await newPage(ctx, base);
  const w = await spawn(page);
  const o = await ask(page, w, { op: 'open', name: 'reload.db' });
  const s = await ask(page, w, { op: 'call', req: { cmd: 'settings' } });
  check(o.mode === 'opfs' && s.settings.github_user === 'reload-1', 'restart: browser restart sees the write',
    `${o.mode} user=${s.settings.github_user}`);
  await ask(page, w, { op: 'close' });
  await page.close();
}

// SIGKILLs the renderer processes of the Chromium this test launched on profile (its
// children carry --user-data-dir=<profile>); returns how many.
function killRenderers(profile) {
  let n = 0;
  for (const line of execFileSync('ps', ['-eo', 'pid=,args=']).toString().split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m || !m[2].includes('--type=renderer') || !m[2].includes(`--user-data-dir=${profile}`)) continue;
    try { process.kill(Number(m[1]), 'SIGKILL'); n++; } catch { /* already gone */ }
  }
  return n;
}

async function testKill(ctx, base, profile) {
  const page = await newPage(ctx, base);
  let bad = 0;
  let total = 0;
  let hot = 0;
  for (let i = 0; i < KILLS; i++) {
    const run = `run${i}`;
    const w = await spawn(page);
    const ms = 150 + Math.floor(Math.random() * 500);
    const { acks: early, late, errors } = await page.evaluate(([id, m, t]) => window.killAfter(id, m, t), [w, { op: 'loop', run }, ms]);
    // batches acknowledged before the worker really stopped: its BroadcastChannel acks
    // (postMessage ones stop at terminate(), and are the fallback)
    const acks = late.length >= early.length ? late : early;
    const last = acks.length ? acks[acks.length - 1] : -1;
    total += acks.length;

    const v = await spawn(page);
    let line;
    let ok = false;
    try {
      const o = await ask(page, v, { op: 'open', name: 'kill.db', lockWaitMs: 5000 });
      if (o.journalBytes > 0) hot++;
      const integ = await ask(page, v, { op: 'integrity' });
      const s = (await ask(page, v, { op: 'call', req: { cmd: 'settings' } })).settings;
      const user = s.github_user || '';
      const k = user.startsWith(`${run}-`) ? Number(user.slice(run.length + 1)) : -1;
      const keys = Object.keys(s.label_weights || {});
      const whole = keys.length === k + 1 && keys.every((key) => Number(key.slice(1)) <= k);
      // before this run's first commit the settings still hold the previous run's last batch
      const prevOk = k === -1 && last === -1;
      // every acknowledged batch is there (acks still in flight when the worker died may be
      // lost, so more may be stored than acknowledged), and what is stored is whole batches
      ok = o.mode === 'opfs' && integ === 'ok' && (prevOk || (k >= last && whole)) && errors.length === 0;
      line = `kill ${i + 1}/${KILLS} after ${ms} ms: ${early.length} acked by terminate(), ${acks.length} before the stop (last ${last}), stored ${user || '-'}, ` +
        `${keys.length} weights, journal ${o.journalBytes} B, integrity ${integ}${errors.length ? `, worker errors ${errors.join('; ')}` : ''}`;
      await ask(page, v, { op: 'close' });
    } catch (e) {
      line = `kill ${i + 1}/${KILLS}: reopen failed: ${e.message}`;
      await kill(page, v).catch(() => {});
    }
    if (!ok) bad++;
    console.log(`  ${ok ? '' : 'BAD '}${line}`);
  }
  await page.close();

  // the renderer process itself dies mid-write (a tab crash), then a new tab reopens
  let crashBad = 0;
  let crashMid = 0; /* crashes that came after the run's first commit */
  for (let i = 0; i < CRASHES; i++) {
    const run = `crash${i}`;
    const p = await newPage(ctx, base);
    const w = await spawn(p);
    await p.evaluate(([id, m]) => { window.ask(id, m).catch(() => {}); }, [w, { op: 'loop', run }]);
    await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 400)));
    const killed = killRenderers(profile);
    await p.close().catch(() => {});
    const q = await newPage(ctx, base);
    const v = await spawn(q);
    let line;
    let ok = false;
    try {
      const o = await ask(q, v, { op: 'open', name: 'kill.db', lockWaitMs: 5000 });
      const integ = await ask(q, v, { op: 'integrity' });
      const s = (await ask(q, v, { op: 'call', req: { cmd: 'settings' } })).settings;
      const user = s.github_user || '';
      // the last batch committed: this run's, or (when the kill came before its first commit,
      // as on a loaded machine) an earlier run's — either way complete: N+1 weights for N
      const m = /^crash(\d+)-(\d+)$/.exec(user);
      const k = m && Number(m[1]) <= i ? Number(m[2]) : -1;
      const keys = Object.keys(s.label_weights || {});
      ok = o.mode === 'opfs' && integ === 'ok' && k >= 0 && keys.length === k + 1;
      if (m && Number(m[1]) === i) crashMid++;
      line = `crash ${i + 1}/${CRASHES}: SIGKILL to ${killed} renderer(s), stored ${user || '-'}, ${keys.length} weights, journal ${o.journalBytes} B, integrity ${integ}`;
      if (o.journalBytes > 0) hot++;
      await ask(q, v, { op: 'close' });
    } catch (e) {
      line = `crash ${i + 1}/${CRASHES}: reopen failed: ${e.message}`;
    }
    await q.close();
    if (!ok) crashBad++;
    console.log(`  ${ok ? '' : 'BAD '}${line}`);
  }
  check(crashBad === 0, `kill: ${CRASHES} renderer crashes mid-write, every reopen intact`, `${crashMid} after the run's first commit`);
  check(crashMid > 0, 'kill: at least one renderer crash came in the middle of a run\'s writes');
  check(bad === 0, `kill: ${KILLS} terminations mid-write, every reopen intact and complete`, `${total} batches acked in all, ${hot} reopens rolled back a hot journal`);
  check(total > 0, 'kill: batches were committed before the kills');
}

async function testTabs(ctx, base) {
  const a = await newPage(ctx, base);
  const wa = await spawn(a);
  const oa = await ask(a, wa, { op: 'open', name: 'tabs.db' });
  await ask(a, wa, { op: 'write', req: { cmd: 'settings', set: { github_user: 'tab-a' } } });
  check(oa.mode === 'opfs', 'tabs: first tab uses OPFS', oa.note);

  const b = await newPage(ctx, base);
  let wb = await spawn(b);
  const ob = await ask(b, wb, { op: 'open', name: 'tabs.db', lockWaitMs: 300 });
  check(ob.mode === 'idb' && ob.vfs === null && /another tab has hub open; this tab saves snapshots/i.test(ob.note),
    'tabs: second tab falls back to IndexedDB with a note', `${ob.mode}: ${ob.note}`);
  await ask(b, wb, { op: 'write', req: { cmd: 'settings', set: { github_user: 'tab-b' } } });

  const sa = await ask(a, wa, { op: 'call', req: { cmd: 'settings' } });
  check(sa.settings.github_user === 'tab-a', 'tabs: first tab unaffected while the second writes', sa.settings.github_user);

  // the second tab's snapshot survives its own reload (the first tab still holds OPFS)
  await kill(b, wb);
  wb = await spawn(b);
  const ob2 = await ask(b, wb, { op: 'open', name: 'tabs.db', lockWaitMs: 300 });
  const sb = await ask(b, wb, { op: 'call', req: { cmd: 'settings' } });
  check(ob2.mode === 'idb' && sb.settings.github_user === 'tab-b', 'tabs: second tab reloads its own snapshot',
    `${ob2.mode} user=${sb.settings.github_user}`);
  check(await ask(b, wb, { op: 'integrity' }) === 'ok', 'tabs: snapshot integrity_check ok');
  await ask(b, wb, { op: 'close' });
  await b.close();

  await ask(a, wa, { op: 'close' });
  const wa2 = await spawn(a);
  const oa2 = await ask(a, wa2, { op: 'open', name: 'tabs.db' });
  const sa2 = await ask(a, wa2, { op: 'call', req: { cmd: 'settings' } });
  check(oa2.mode === 'opfs' && sa2.settings.github_user === 'tab-a', 'tabs: OPFS data intact after the second tab',
    `${oa2.mode} user=${sa2.settings.github_user}`);
  check(await ask(a, wa2, { op: 'integrity' }) === 'ok', 'tabs: OPFS integrity_check ok');
  await ask(a, wa2, { op: 'close' });

  // OPFS switched off: IndexedDB with the plain note
  const wc = await spawn(a);
  const oc = await ask(a, wc, { op: 'open', name: 'noopfs.db', opfs: false });
  check(oc.mode === 'idb' && /OPFS unavailable/.test(oc.note), 'tabs: without OPFS the note says so', oc.note);
  await ask(a, wc, { op: 'close' });
  await a.close();
}

async function testBench(ctx, base) {
  const page = await newPage(ctx, base);
  const w = await spawn(page);
  const o = await ask(page, w, { op: 'open', name: 'bench.db' });
  await ask(page, w, { op: 'bench', n: 10 }); // warm up
  const { times: t, per, split, owedAtEnd, owedAfter } = await ask(page, w, { op: 'bench', n: BENCH_N });
  await ask(page, w, { op: 'close' });
  await page.close();
  check(o.mode === 'opfs' && t.length === BENCH_N, `bench: ${BENCH_N} commits on OPFS`);
  // the connection holds its lock (wasm/vfs_opfs.c): a commit does not re-read what it has
  // cached nor ask the files' sizes at each statement (before: 42 reads and 82 size calls for
  // one `settings`; now the journal's size once, against its size limit), and it stays
  // durable: the journal is flushed before the database is written, the database before the
  // journal's header is zeroed, and that header once the worker's task ends (wasm/opfs_lib.js:
  // commits one after another in one task share it with the next commit's journal flush)
  check(per.sizes <= 1 && per.reads <= 2 && per.truncates === 0,
    `bench: a commit reads ${per.reads} times, asks ${per.sizes} sizes, truncates ${per.truncates} times`);
  check(per.flushes === 2, `bench: a commit flushes 2 times (${per.flushes})`);
  // the journal's header, page records and record count gathered into one write (opfs_lib.js),
  // then the database's page and the journal's zeroed header
  check(Math.round(per.writes) === 3, `bench: a commit writes 3 times (${per.writes})`);
  check(owedAtEnd === 1 && owedAfter === 0,
    `bench: the last commit's journal flush is owed at its end (${owedAtEnd}) and done when the task ends (${owedAfter} left)`);
  console.log(`opfs_commit_p50_ms ${pct(t, 50).toFixed(2)}`);
  console.log(`opfs_commit_p95_ms ${pct(t, 95).toFixed(2)}`);
  // the tail: the commits at or above p95, the mean of their ms in flushes, writes and the rest
  const tail = t.map((ms, i) => ({ ms, ...split[i] })).filter((x) => x.ms >= pct(t, 95));
  const mean = (f) => tail.reduce((a, x) => a + f(x), 0) / tail.length;
  console.log(`opfs_commit_tail_n ${tail.length} count`);
  console.log(`opfs_commit_tail_flush_ms ${mean((x) => x.flush).toFixed(2)} ms`);
  console.log(`opfs_commit_tail_write_ms ${mean((x) => x.write).toFixed(2)} ms`);
  console.log(`opfs_commit_tail_other_ms ${mean((x) => x.ms - x.flush - x.write).toFixed(2)} ms`);
  // what one commit asks of OPFS (calls, and ms in each kind: wasm/opfs_lib.js counts them)
  for (const k of ['reads', 'writes', 'truncates', 'flushes', 'sizes']) {
    console.log(`opfs_commit_${k} ${(per[k] || 0).toFixed(1)} count`);
    console.log(`opfs_commit_${k}_ms ${(per[`${k}_ms`] || 0).toFixed(2)} ms`);
  }
  console.log(`opfs_commit_vfs_ms ${(per.ms || 0).toFixed(2)} ms`);
  console.log(`opfs_open_ms ${(o.storageMs + o.openMs).toFixed(1)}`);
}

// ---- main ----------------------------------------------------------------------------------
async function main() {
  if (!fs.existsSync(path.join(ROOT, 'build/wasm/hub.mjs'))) throw new Error('build/wasm/hub.mjs missing: make build/wasm/hub.mjs');
  await waitForChromium();
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-storage-'));
  const launch = () => chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  let ctx = null;
  try {
    ctx = await launch();
    const only = process.env.STORAGE_ONLY ? process.env.STORAGE_ONLY.split(',') : null;
    for (const [name, fn] of [['reload', testReload], ['restart', null], ['kill', testKill], ['tabs', testTabs], ['bench', testBench]]) {
      if (only && !only.includes(name)) continue;
      try {
        if (name === 'restart') {
          await ctx.close();
          ctx = await launch();
          await testRestart(ctx, base);
        } else {
          await fn(ctx, base, profile);
        }
      } catch (e) {
        check(false, `${name}: threw`, e.stack || String(e));
      }
    }
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => check(false, 'setup', e.stack || String(e))).finally(() => {
  console.log(`storage: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
