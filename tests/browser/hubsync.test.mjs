// hubsync.test.mjs — the page syncing with a hubd (issue 13 item 4), in Debian's Chromium: hubd
// (build/hubd) started by this test on 127.0.0.1 against the fake GitHub, the page served apart
// (hub-serve, another origin, in hubd's CORS list) and pointed at hubd in Settings:
//   pull   Refresh shows hubd's cards, in hubd's order, "Updated just now"; the page itself
//          asked GitHub nothing
//   push   a done and a tip reaction in the page reach hubd at the next Refresh; hubd's next
//          sync tells GitHub once
//   down   hubd stopped: Refresh ends at once saying "hubd unreachable", the last good summary
//          stays, and the page still works (a done leaves the list)
//   back   hubd restarted on the same port: Refresh sends what was done meanwhile and both
//          show the same cards; hubd's next syncs tell GitHub that done once
// Triage and tip feedback go through the page's own worker protocol (web/hub-client.js, as any
// button of the page does), so this test does not depend on the list's controls.
// Prints "hubsync: N passed, M failed"; exits 1 on failure. Screenshots go to build/out/screens/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, suite } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });
const KEY = `k3y-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const K_1347 = 'github.com/octocat/Hello-World#1347';  /* notification thread 17000000059 */
const K_1512 = 'github.com/octokit/octokit.rb#1512';   /* notification thread 17000000033 */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const s = suite('hubsync');
const env = await Env.start({ scenarios: ['tests/exchanges/demo', 'tests/exchanges/outbox'], config: false });
const origin = new URL(env.url).origin;
let hubd = null;   // {proc, port, base}
const pageErrors = [];

async function waitFile(path, ms = 10000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (existsSync(path) && readFileSync(path, 'utf8').trim()) return readFileSync(path, 'utf8').trim();
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${path}`);
}

// Starts hubd on port (0: any) over the test's database; its log goes to the test's dir.
async function startHubd(port = 0) {
  const portFile = join(env.dir, `hubd-port-${Date.now()}`);
  const log = openSync(join(env.dir, 'hubd.log'), 'a');
  const proc = spawn('build/hubd', ['--listen', `127.0.0.1:${port}`, '--port-file', portFile, '--db', join(env.dir, 'hubd.db'),
    '--root', env.www], {
    stdio: ['ignore', 'ignore', log],
    env: { ...process.env, HUBD_API_KEY: KEY, GITHUB_TOKEN: 'test-token', HUB_GITHUB_API: env.api, HUBD_CORS_ORIGINS: origin,
      HUBD_SCHEDULE_INGEST: 'off', HUBD_SCHEDULE_GFI: 'off' },
  });
  const p = Number(await waitFile(portFile));
  return { proc, port: p, base: `http://127.0.0.1:${p}` };
}

async function stopHubd() {
  const exited = new Promise((r) => hubd.proc.once('exit', r));
  hubd.proc.kill('SIGTERM');
  await exited;
}

// hubd's API with the key: GET without a body, POST with one (null: an empty POST).
async function api(path, body) {
  const r = await fetch(hubd.base + path, {
    method: body === undefined ? 'GET' : 'POST', headers: { Authorization: `Bearer ${KEY}` },
    body: body === undefined || body === null ? undefined : JSON.stringify(body),
  });
  return r.json();
}
const hubdKeys = async (q) => (q === undefined ? (await api('/api/cards.json?limit=200')).cards
  : (await api('/api/call', { cmd: 'cards', now: Date.now(), q, limit: 200 })).cards).map((c) => c.key);

const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', (e) => pageErrors.push(String(e)));
const keys = () => page.$$eval('#cards > li[data-key]', (els) => els.map((e) => e.dataset.key));
async function live() {
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.waitForSelector('#cards:not([aria-busy])', { state: 'attached', timeout: 20000 });
}
async function refresh(timeout = 30000) {
  const t0 = Date.now();
  await page.click('#refresh');
  await page.waitForFunction(() => document.querySelector('#refresh').getAttribute('aria-busy') === null &&
    !document.querySelector('#refresh').disabled, null, { timeout });
  return Date.now() - t0;
}
// One command through the page's worker protocol (a second client of the same database).
async function call(req) {
  return page.evaluate(async (r) => {
    const { HubClient } = await import('./hub-client.js');
    globalThis.__hubsyncClient ||= new HubClient();
    await globalThis.__hubsyncClient.ready;
    return globalThis.__hubsyncClient.call(r);
  }, req);
}

s.test('pull: Refresh shows hubd\'s cards, in hubd\'s order; the page asks GitHub nothing', async () => {
  hubd = await startHubd();
  const sync = await api('/api/sync', null);
  s.check(sync.run?.status === 'ok', `hubd ingests the demo (${sync.run?.status})` + (sync.run?.status === 'ok' ? ''
    : `: ${JSON.stringify(sync).slice(0, 400)}; hubd's log ends ${readFileSync(join(env.dir, 'hubd.log'), 'utf8').slice(-1500)}`));
  await page.goto(env.url);
  await live();
  await page.click('#open-settings');
  const section = await page.textContent('#settings [data-section=hubd]');
  s.check(/hubd URL/.test(section) && /No key set/.test(section), 'Settings has a hubd section: URL and key (none set)');
  await page.fill('#settings [name=hubd_url]', hubd.base);
  await page.fill('#settings [name=hubd_key]', KEY);
  await page.click('#settings [data-save]');
  await page.waitForSelector('#settings', { state: 'hidden' });
  await env.fakeReset();
  await refresh();
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0, null, { timeout: 10000 });
  const mine = await keys();
  const theirs = await hubdKeys();
  s.check(mine.length > 5 && JSON.stringify(mine) === JSON.stringify(theirs.slice(0, mine.length)),
    `the page shows hubd's ${mine.length} cards, in hubd's order`);
  s.check((await env.fakeStats()).requests === 0, 'the page itself asked the fake GitHub nothing');
  s.check(/Updated just now/.test(await page.textContent('#run-summary')), 'the run summary: "Updated just now"');
  await page.click('#open-settings');
  s.check(/A key is set/.test(await page.textContent('#settings [data-section=hubd]')) &&
    await page.inputValue('#settings [name=hubd_key]') === '', 'the key is stored, never shown again');
  await page.$eval('#settings [data-section=hubd]', (el) => el.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/hubsync-settings.png` });
  await page.click('#settings [data-cancel]');
  await page.screenshot({ path: `${SHOTS}/hubsync-pulled.png` });
});

s.test('push: a done and a tip reaction in the page reach hubd; GitHub hears the done once', async () => {
  const r = await call({ cmd: 'triage', now: Date.now(), action: 'done', keys: [K_1347] });
  s.check(r.changed === 1, 'page: done');
  await page.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${k}"]`), K_1347, { timeout: 10000 });
  const tip = await call({ cmd: 'tip', now: Date.now(), seed: 1 });
  await call({ cmd: 'tip_feedback', decision: tip.decision, now: Date.now(), reaction: 'helpful' });
  await refresh();
  s.check((await hubdKeys('is:done')).includes(K_1347), 'hubd has the page\'s done');
  const shared = await api('/api/call', { cmd: 'sql', sql: 'SELECT count(*) FROM tip_reactions r JOIN tip_decisions d ON d.id = r.decision_id WHERE d.origin IS NOT NULL' });
  s.check(shared.rows?.[0]?.[0] === 1, `hubd logged the page's tip reaction (${JSON.stringify(shared.rows)})`);
  await env.fakeReset();
  await api('/api/sync', null);
  await api('/api/sync', null);
  const log = (await env.fakeStats()).log.filter((e) => e.method === 'DELETE' && e.path === '/notifications/threads/17000000059');
  s.check(log.length === 1, `hubd's syncs told the fake GitHub once (${log.length})`);
});

s.test('down: hubd stopped — Refresh says "hubd unreachable", the page works on', async () => {
  const good = (await page.textContent('#run-summary .run-line')).trim();
  await stopHubd();
  const ms = await refresh();
  const problems = await page.textContent('#problems');
  s.check(/hubd unreachable/.test(problems), `it says so: "${problems.trim()}"`);
  s.check(ms < 5000, `the refresh ended at once (${ms} ms)`);
  s.check((await page.textContent('#run-summary .run-line')).trim() === good, `the last good summary stays: "${good}"`);
  const r = await call({ cmd: 'triage', now: Date.now(), action: 'done', keys: [K_1512] });
  await page.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${k}"]`), K_1512, { timeout: 10000 });
  s.check(r.changed === 1, 'a done without hubd: the card leaves the list');
  await page.screenshot({ path: `${SHOTS}/hubsync-unreachable.png` });
});

s.test('back: hubd restarted — Refresh sends what was done meanwhile; both agree', async () => {
  hubd = await startHubd(hubd.port);
  await refresh();
  s.check((await hubdKeys('is:done')).includes(K_1512), 'hubd has the done made while it was down');
  s.check(!/hubd unreachable/.test(await page.textContent('#problems')) && /Updated just now/.test(await page.textContent('#run-summary')),
    'the page no longer says unreachable: "Updated just now"');
  const mine = await keys();
  s.check(JSON.stringify(mine) === JSON.stringify((await hubdKeys()).slice(0, mine.length)), `both show the same ${mine.length} cards`);
  await env.fakeReset();
  await api('/api/sync', null);
  await api('/api/sync', null);
  const log = (await env.fakeStats()).log.filter((e) => e.method === 'DELETE' && e.path === '/notifications/threads/17000000033');
  s.check(log.length === 1, `the done made offline in the page reached the fake GitHub once, through hubd (${log.length})`);
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join('; ')})`);
  await page.screenshot({ path: `${SHOTS}/hubsync-back.png` });
});

const ok = await s.run();
if (hubd) hubd.proc.kill('SIGTERM');
await env.close();
process.exit(ok ? 0 : 1);
