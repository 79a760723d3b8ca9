// console.test.mjs — the insight console (web/console.html) in Debian's Chromium against the fake
// GitHub: after a refresh and ten reactions on the tip page, `g c` opens the console and every
// panel shows the numbers the core's log holds (each compared with a hub_call made here, never
// with the page's own arithmetic); SQL write attempts are refused with a clear error and the
// database is unchanged (a hash of every table before and after); the runaway query stops at
// the cap; export → delete everything → import restores the same cards; the console opens
// offline; screenshots of each panel, light and dark, go to build/out/screens/console-*.png.
// Prints "console: N passed, M failed"; exits 1 on failure.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, suite, firstRefresh } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });

const s = suite('console');
const env = await Env.start();
const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
const pageErrors = [];
const consoleErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

const call = (req) => page.evaluate((r) => window.hub.call(r), req);
const callErr = (req) => page.evaluate((r) => window.hub.call(r).then(() => null, (e) => ({ code: e.code, message: e.message })), req);

async function openConsole(viaKeys = false) {
  if (!viaKeys) await page.goto(env.url + 'console.html');
  await page.waitForURL(/console\.html/, { timeout: 10000 });
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
}

async function refreshConsole() {
  const before = await page.evaluate(() => document.body.dataset.ready);
  await page.click('#refresh-all');
  await page.waitForFunction((b) => document.body.dataset.ready !== b, before, { timeout: 30000 });
}

// data-v of the cells of a table row, by column index.
const cellsV = (sel) => page.$$eval(sel, (tds) => tds.map((td) => td.querySelector('[data-v]')?.dataset.v ?? td.textContent));
const near = (a, b) => Math.abs(Number(a) - Number(b)) < 1e-12 * Math.max(1, Math.abs(Number(b)));

async function shot(id, name) {
  await page.locator(`#${id}`).screenshot({ path: join(SHOTS, `console-${name}.png`) });
}

// A fingerprint of every table, read through the read-only SQL command itself.
async function dbHash() {
  const tables = (await call({ cmd: 'sql', sql: "SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name", limit: 5000 })).rows.map((r) => r[0]);
  const hsh = createHash('sha256');
  for (const t of tables) {
    if (t.startsWith('sqlite_autoindex')) continue;
    const q = await callErr({ cmd: 'sql', sql: `SELECT * FROM "${t}"`, limit: 5000 });
    if (q) continue; /* an index: not a table */
    hsh.update(t + JSON.stringify(await call({ cmd: 'sql', sql: `SELECT * FROM "${t}"`, limit: 5000 })));
  }
  hsh.update(JSON.stringify(await call({ cmd: 'sql', sql: 'SELECT type, name, sql FROM sqlite_master ORDER BY name' })));
  hsh.update(JSON.stringify(await call({ cmd: 'sql', sql: 'PRAGMA user_version' })));
  return hsh.digest('hex');
}

s.test('a refresh and ten reactions on the tip page', async () => {
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await firstRefresh(page);
  // ten reactions over four days (the tip page's ?now= clock), so the charts have days to show
  const DAY = 86400000, t0 = Date.now();
  const days = [[['e'], ['#'], ['+']], [['-'], ['e']], [['#'], ['s', '1'], ['+']], [['e'], ['-']]];
  for (let i = 0; i < days.length; i++) {
    await page.goto(env.url + `tip.html?now=${t0 - (days.length - 1 - i) * DAY}`);
    await page.waitForSelector('#tip', { timeout: 20000 });
    for (const k of days[i]) {
      const before = await page.$eval('#tip', (t) => t.dataset.decision);
      for (const c of k) await page.keyboard.type(c);
      await page.waitForFunction((d) => { const t = document.querySelector('#tip'); return (t && t.dataset.decision !== d) || document.querySelector('#tip-empty'); }, before, { timeout: 10000 });
    }
  }
  await page.keyboard.type('g');
  await page.keyboard.type('i');
  await page.waitForSelector('#cards > li[data-key]', { timeout: 20000 });
  await page.keyboard.type('g');
  await page.keyboard.type('c');
  await openConsole(true);
  s.check(true, '"g c" opened the console from the inbox');
  const st = await call({ cmd: 'tip_stats' });
  s.check(Object.values(st.reactions).reduce((a, b) => a + b, 0) === 10, `ten reactions in the log (${JSON.stringify(st.reactions)})`);
});

s.test('events: a sync from the console streams into the core\'s ring', async () => {
  await page.click('#ev-sync');
  /* on a timeout, say what the page's status line said (a failed sync writes its reason there) */
  await page.waitForFunction(() => document.querySelector('#ev-sync').dataset.run && !document.querySelector('#ev-sync').disabled, null, { timeout: 30000 })
    .catch(async (e) => { throw new Error(`${e.message}; the status line: ${await page.$eval('#ev-status', (t) => t.textContent)}`); });
  await page.waitForFunction(() => /sync #/.test(document.querySelector('#ev-status').textContent));
  // the live refresh redraws the status line every 2 s: the sync's result must outlast a redraw
  await page.evaluate(() => {
    const el = document.querySelector('#ev-status');
    window.__evRedraws = 0;
    new MutationObserver(() => { window.__evRedraws++; }).observe(el, { childList: true });
  });
  await page.waitForFunction(() => window.__evRedraws >= 1, null, { timeout: 20000 });
  const statusLine = await page.$eval('#ev-status', (t) => t.textContent);
  s.check(/sync #\d+: /.test(statusLine), 'the sync\'s result stays on the status line after a live redraw', statusLine);
  const ev = await call({ cmd: 'events', limit: 500 });
  const seqs = await page.$$eval('#ev-list tr[data-seq]', (trs) => trs.map((t) => Number(t.dataset.seq)));
  s.check(seqs.length > 0 && seqs[0] >= ev.last - 1, `newest first: ${seqs[0]} vs last ${ev.last}`);
  // the page's rows are exactly the core's events, newest first (events after the page read them may be newer)
  const coreSeqs = ev.events.map((e) => e.seq).reverse().filter((q) => q <= seqs[0]);
  s.check(JSON.stringify(seqs.slice(0, 100)) === JSON.stringify(coreSeqs.slice(0, 100)), 'the rows are the core\'s events', `page ${seqs.slice(0, 8)} … core ${coreSeqs.slice(0, 8)}`);
  const runs = await call({ cmd: 'runs', limit: 1 });
  const req = ev.events.filter((e) => e.kind === 'sync.request').length, ans = ev.events.filter((e) => e.kind === 'sync.answer');
  s.check(req > 0 && req === ans.length && req === runs.runs[0].requests, `every request and answer of the run (${req}, ${ans.length}, ${runs.runs[0].requests})`);
  s.check(ans.filter((e) => e.data.charged === 1).length === runs.runs[0].charged, 'charged answers as the run counted them');
  const done = ev.events.find((e) => e.kind === 'sync.done');
  s.check(done && done.data.run === runs.runs[0].id && done.data.status === runs.runs[0].status, 'the run\'s end');
  await page.selectOption('#ev-kind', 'sync');
  await page.waitForFunction(() => [...document.querySelectorAll('#ev-list tr[data-kind]')].every((t) => t.dataset.kind.startsWith('sync')));
  const shown = await page.$$eval('#ev-list tr[data-kind="sync.answer"]', (t) => t.length);
  s.check(shown === ans.length, `every answer shown (${shown})`);
  await shot('events', 'events');
  const byItem = await call({ cmd: 'events', kind: 'sync', item: 'ASSIGNEE', limit: 500 });
  await page.fill('#ev-item', 'ASSIGNEE');
  const filtered = await page.waitForFunction((n) => {
    const trs = [...document.querySelectorAll('#ev-list tr[data-kind]')];
    return trs.length === n && trs.every((t) => /assignee/i.test(t.children[3].textContent));
  }, byItem.events.length, { timeout: 5000 }).then(() => true, () => false);
  s.check(filtered && byItem.events.length > 0, `filtered by item (${byItem.events.length})`);
  await page.fill('#ev-item', '');
  await page.selectOption('#ev-kind', '');
});

s.test('bandit: policies, θ, widths as console_bandit answers', async () => {
  const b = await call({ cmd: 'console_bandit', recent: 20 });
  for (const p of b.policies) {
    const v = await cellsV(`.policies tr[data-policy="${p.name}"] td`);
    s.check(v[4] === String(p.pulls) && v[5] === String(p.rewarded) && near(v[6], p.reward_sum) && near(v[7], p.reward_mean),
      `${p.name}: pulls ${v[4]}/${p.pulls}, reward ${v[6]}/${p.reward_sum}, mean ${v[7]}/${p.reward_mean}`);
  }
  s.check(await page.textContent('#bandit-serve') === b.serve, 'the serving policy');
  const theta = await page.$$eval('.theta tbody tr td:last-child [data-v]', (els) => els.map((e) => Number(e.dataset.v)));
  s.check(theta.length === b.model.features.length && theta.length >= 16 && theta.every((t, i) => near(t, b.model.features[i].theta)), 'θ by feature');
  const bars = await page.$$eval('#bandit .chart-svg rect.pos, #bandit .chart-svg rect.neg', (r) => r.length);
  s.check(bars >= 16, `θ drawn as bars (${bars})`);
  s.check(b.model.updates === 10, `ten updates (${b.model.updates})`);
  const widths = await page.$$eval('.widths tbody tr', (trs) => trs.map((t) => t.querySelectorAll('[data-v]')[0].dataset.v));
  s.check(JSON.stringify(widths) === JSON.stringify(b.widths.map((w) => String(w.decision))), 'the widths of the last tips');
  const aria = await page.getAttribute('#bandit figure svg', 'aria-label');
  s.check(/largest is/.test(aria || ''), `the θ chart has a text summary: ${aria}`);
  await shot('bandit', 'bandit');
});

s.test('recommendation log: every tip with its numbers and reaction', async () => {
  const log = await call({ cmd: 'tip_log', limit: 20 });
  const ids = await page.$$eval('.tiplog tr[data-decision]', (trs) => trs.map((t) => Number(t.dataset.decision)));
  s.check(JSON.stringify(ids) === JSON.stringify(log.decisions.map((d) => d.decision)), `the same tips in the same order (${ids.length})`);
  for (const d of log.decisions) {
    const v = await cellsV(`.tiplog tr[data-decision="${d.decision}"] td`);
    const ok = near(v[4], d.score) && (d.bonus === null ? v[5] === '' : near(v[5], d.bonus)) && near(v[6], d.propensity) &&
      v[8] === String(d.candidates) && (d.reward === null ? v[10] === '' : near(v[10], d.reward));
    s.check(ok, `tip ${d.decision}: score ${v[4]}/${d.score}, bonus ${v[5]}/${d.bonus}, p ${v[6]}/${d.propensity}, reward ${v[10]}/${d.reward}`);
  }
  s.check(await page.getAttribute('#log-status', 'data-total') === String(log.total), 'the total');
  const first = log.decisions[1];
  await page.click(`.tiplog tr[data-decision="${first.decision}"] .linkish`);
  const beat = await page.$$eval('.tiplog .beat tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  s.check(JSON.stringify(beat) === JSON.stringify(first.beat.map((b) => b.key)), 'the runners-up it beat');
  s.check((await page.textContent('.tiplog .tip-details')).includes(first.why), 'why it was chosen');
  await shot('log', 'log');
});

s.test('reward analytics: per day, per policy, off-policy with intervals', async () => {
  const tz = await page.evaluate(() => -new Date().getTimezoneOffset());
  const a = await call({ cmd: 'tip_analytics', tz_offset_min: tz, resamples: 1000, seed: 1, level: 0.95 });
  const rows = await page.$$eval('.reactions-by-day tbody tr', (trs) => trs.map((t) => [...t.children].map((td) => td.querySelector('[data-v]')?.dataset.v ?? td.textContent)));
  s.check(JSON.stringify(rows) === JSON.stringify(a.reactions_by_day.map((d) => [d.day, ...a.reactions.map((k) => String(d.counts[k]))])) && rows.length === 4,
    `reactions per day by kind, on four days (${rows.length})`);
  const last = a.reward_by_day[a.reward_by_day.length - 1];
  const names = Object.keys(last.policies);
  const cum = await page.$$eval('.reward-by-day tbody tr:last-child td', (tds) => tds.map((t) => t.querySelector('[data-v]')?.dataset.v ?? t.textContent));
  s.check(names.every((n, i) => near(cum[1 + 3 * i + 2], last.policies[n].cumulative)), `cumulative reward per policy (${cum.join(' ')})`);
  for (const o of a.ope) {
    const v = await cellsV(`.ope tr[data-policy="${o.policy}"] td`);
    const ci = await page.$$eval(`.ope tr[data-policy="${o.policy}"] .ci`, (e) => e.map((x) => x.textContent));
    const want = (c) => (c ? `[${c[0].toFixed(3)}, ${c[1].toFixed(3)}]` : '–');
    s.check(v[2] === String(o.events) && near(v[6], o.ipw) && near(v[8], o.snipw) && ci[1] === want(o.ci.ipw) && ci[2] === want(o.ci.snipw),
      `${o.policy}: ${v[2]} events, IPW ${v[6]} ${ci[1]} vs ${o.ipw} ${want(o.ci.ipw)}`);
  }
  s.check(a.ope.some((o) => o.role === 'shadow' && o.events > 0 && o.ci.ipw), 'a shadow policy evaluated with an interval');
  const dots = await page.$$eval('#rewards circle', (c) => c.length);
  s.check(dots > 0, 'charts drawn');
  await shot('rewards', 'rewards');
});

s.test('data quality and health: the core\'s figures', async () => {
  const tz = await page.evaluate(() => -new Date().getTimezoneOffset());
  const q = await call({ cmd: 'data_quality', tz_offset_min: tz, days: 14 });
  const fv = async (id) => page.$eval(`#${id} dd [data-v]`, (e) => e.dataset.v);
  s.check(await fv('q-open') === String(q.items.open) && near(await fv('q-missing-rate'), q.items.missing_rate) &&
    await fv('q-no-body') === String(q.items.without_body) && await fv('q-stale') === String(q.validators.other_credential) &&
    await fv('q-validators') === String(q.validators.total), 'items, bodies, validators');
  const lim = await page.$$eval('.limits tbody tr', (trs) => trs.map((t) => t.querySelectorAll('[data-v]')[0].dataset.v));
  s.check(lim.length === q.limits.resources.length && lim.length >= 2 && lim.every((r, i) => r === String(q.limits.resources[i].remaining)), 'rate-limit headroom per resource (core and search)');
  const syncs = await page.$$eval('.syncs-by-day tbody tr', (trs) => trs.length);
  s.check(syncs === q.syncs_by_day.length && q.syncs_by_day.length > 0, 'syncs per day');
  await shot('quality', 'quality');
  const hth = await call({ cmd: 'health' });
  s.check(await page.$eval('#h-size dd [data-v]', (e) => e.dataset.v) === String(hth.db.bytes), 'database size');
  s.check(await page.$eval('#h-backend dd', (e) => e.textContent) !== 'unknown' && hth.worker && hth.worker.memory_bytes > 0, `backend and memory (${JSON.stringify(hth.worker)})`);
  const items = await page.$$eval('.tables tbody tr', (trs) => Object.fromEntries(trs.map((t) => [t.children[0].textContent, t.children[1].querySelector('[data-v]').dataset.v])));
  s.check(items.items === String(hth.tables.items) && items.tip_reactions === '10', 'rows per table');
  await shot('health', 'health');
});

const WRITES = [
  'INSERT INTO settings(k,v) VALUES (\'x\',\'y\')',
  'UPDATE items SET title = \'pwned\'',
  'DELETE FROM items',
  'DROP TABLE items',
  'CREATE TABLE t(x)',
  'ATTACH DATABASE \':memory:\' AS x',
  'PRAGMA user_version = 7',
  'PRAGMA query_only = 0',
  'VACUUM INTO \'/tmp/x.db\'',
  'BEGIN; DELETE FROM items; COMMIT',
  'SELECT 1; DELETE FROM items',
  'WITH x AS (SELECT 1) DELETE FROM items',
  'REPLACE INTO settings(k,v) VALUES (\'a\',\'b\')',
  '/* hidden */ DELETE FROM items',
];

s.test('SQL: writes refused, the database unchanged; the runaway query stops', async () => {
  const before = await dbHash();
  for (const w of WRITES) {
    await page.fill('#sql-text', w);
    await page.click('#sql-run');
    await page.waitForFunction(() => document.querySelector('#sql-run') && !document.querySelector('#sql-run').disabled);
    const st = await page.$eval('#sql-status', (e) => ({ text: e.textContent, code: e.dataset.code, bad: e.classList.contains('bad') }));
    s.check(st.bad && st.code === 'readonly' && /refused/.test(st.text), `refused: ${w} → ${st.text}`);
  }
  await shot('sql', 'sql-refused');
  const after = await dbHash();
  s.check(before === after, 'the database is unchanged (hash before = after)');
  await page.fill('#sql-text', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c');
  const t0 = Date.now();
  await page.click('#sql-run');
  await page.waitForFunction(() => /stopped after/.test(document.querySelector('#sql-status').textContent), null, { timeout: 30000 });
  const inCore = await page.evaluate(async (sql) => {
    const t = performance.now();
    await window.hub.call({ cmd: 'sql', sql }).catch(() => {});
    return performance.now() - t;
  }, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c');
  console.log(`     (measured, not asserted: the runaway query stopped after ${Date.now() - t0} ms through the page, ${Math.round(inCore)} ms as one hub_call)`);
  s.check((await page.$eval('#sql-status', (e) => e.dataset.code)) === 'too_big', 'the runaway query stops at the cap on work');
  // a saved query runs, shows the core's rows, and exports as CSV
  await page.selectOption('#sql-saved', 'Top cards');
  await page.click('#sql-run');
  await page.waitForFunction(() => !document.querySelector('#sql-status').classList.contains('bad') && document.querySelector('.sqlres'));
  const want = await call({ cmd: 'sql', sql: await page.inputValue('#sql-text'), limit: 500 });
  const keys = await page.$$eval('.sqlres tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  s.check(JSON.stringify(keys) === JSON.stringify(want.rows.map((r) => r[0])), `the saved query's rows (${keys.length})`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#sql-csv')]);
  const csv = readFileSync(await dl.path(), 'utf8').split('\r\n');
  s.check(csv[0] === want.columns.join(',') && csv.length === want.rows.length + 2, 'CSV export: header and rows');
  await shot('sql', 'sql');
  s.check(await callErr({ cmd: 'saved_queries', set: { name: 'after the refusals', sql: 'SELECT 1' } }) === null, 'a write command works after the refusals');
  await call({ cmd: 'saved_queries', set: { name: 'after the refusals', sql: null } });
});

s.test('your data: export → delete everything → import restores the same cards', async () => {
  const now = Date.now();
  const cards0 = (await call({ cmd: 'cards', now, limit: 200 })).cards;
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#data-export')]);
  const file = await dl.path();
  const text = readFileSync(file, 'utf8');
  s.check(!text.includes('demo-token') && JSON.parse(text).hub_export === 1, 'the export is JSON without the token');
  await page.click('#data-purge');
  await page.waitForSelector('#ask');
  s.check(await page.isDisabled('#ask-ok'), 'delete waits for the typed word');
  await page.fill('#ask-typed', 'delete');
  await shot('ask', 'purge-dialog');
  await page.click('#ask-ok');
  await page.waitForFunction(() => /Deleted/.test(document.querySelector('#data-status').textContent), null, { timeout: 20000 });
  s.check((await call({ cmd: 'cards', now, limit: 200 })).cards.length === 0, 'everything deleted');
  s.check((await call({ cmd: 'settings' })).settings.github_token_set === false, 'the token too');
  await page.setInputFiles('#data-file', file);
  await page.waitForSelector('#ask');
  await page.click('#ask-ok');
  await page.waitForFunction(() => /Imported/.test(document.querySelector('#data-status').textContent), null, { timeout: 20000 });
  const cards1 = (await call({ cmd: 'cards', now, limit: 200 })).cards;
  s.check(cards1.length === cards0.length && JSON.stringify(cards1) === JSON.stringify(cards0), `the same cards (${cards1.length})`);
  const st = await call({ cmd: 'tip_stats' });
  s.check(Object.values(st.reactions).reduce((a, b) => a + b, 0) === 10, 'the log and the model came back');
  await shot('data', 'data');
});

s.test('offline, dark, no errors', async () => {
  await ctx.setOffline(true);
  try {
    await openConsole();
    s.check(await page.isVisible('#offline'), 'the offline pill');
    s.check((await page.$$('.tiplog tr[data-decision]')).length > 0, 'the console opens offline with its panels');
  } finally {
    await ctx.setOffline(false);
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await openConsole();
  for (const id of ['bandit', 'rewards', 'quality']) await shot(id, `${id}-dark`);
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.panel')).backgroundColor);
  s.check(bg !== 'rgb(255, 255, 255)', `dark panels (${bg})`);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await openConsole();
  await page.screenshot({ path: join(SHOTS, 'console-mobile.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SHOTS, 'console-page.png'), fullPage: true });
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
  const csp = consoleErrors.filter((m) => /Content Security Policy|Refused/.test(m));
  s.check(csp.length === 0, `no CSP violations (${csp.join(' | ')})`);
});

const ok = await s.run();
await env.close();
process.exit(ok ? 0 : 1);
