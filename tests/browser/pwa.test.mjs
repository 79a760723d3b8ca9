// pwa.test.mjs — the app as a user meets it, in Debian's Chromium against the fake GitHub:
// first visit + settings + refresh, reload from OPFS without network, offline reload through
// the service worker, installability, hostile titles rendered as text, the run summary per
// source, the filter by source (GitHub notifications plus a good-first-issue list), what the
// pages ask for before their first paint (the main page: one bundle), and a new version offered
// and loaded through the service worker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { Env, suite } from './harness.mjs';

const s = suite('pwa');
const env = await Env.start({ scenarios: ['tests/exchanges/demo', 'tests/exchanges/gfi'] });
const gfiUrl = `${env.api}/hub-tests/awesome-small/main/data.json`;
const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
const dialogs = [];
const pageErrors = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
page.on('pageerror', (e) => pageErrors.push(String(e)));

const cardKeys = () => page.$$eval('#cards > li[data-key]', (els) => els.map((e) => e.dataset.key));
async function waitBoot() {
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  /* the first-paint snapshot shows first; wait for the live list */
  await page.waitForSelector('#cards:not([aria-busy])', { state: 'attached', timeout: 20000 });
}

// The order the native CLI gives for the same upstream: the browser must agree.
function cliKeys() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  try {
    const e = { ...process.env, HUB_DB: join(dir, 'hub.db'), HUB_GITHUB_API: env.api, GITHUB_TOKEN: 'demo-token' };
    execFileSync('build/hub', ['settings', JSON.stringify({ github_user: 'octocat', gfi_awesome_url: gfiUrl })], { env: e, stdio: 'ignore' });
    execFileSync('build/hub', ['sync'], { env: e, stdio: 'ignore' });
    const cards = JSON.parse(execFileSync('build/hub', ['cards'], { env: e }).toString()).cards;
    return cards.map((c) => c.key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let firstKeys = [];

s.test('first visit: settings, refresh, cards in the right count and order', async () => {
  await page.goto(env.url);
  await waitBoot();
  s.check(await page.isVisible('#empty'), 'first visit shows the empty state');
  s.check((await cardKeys()).length === 0, 'no cards before the first refresh');
  await page.click('#open-settings');
  await page.fill('#settings input[name=github_user]', 'octocat');
  await page.fill('#settings input[name=gfi_awesome_url]', 'ftp://example.com/data.json');
  await page.click('#settings [data-save]');
  await page.waitForFunction(() => document.querySelector('#settings [data-status]').textContent.trim() !== '');
  const refused = await page.textContent('#settings [data-status]');
  s.check(/https:\/\//.test(refused) && await page.isVisible('#settings'), `a non-https list URL is refused: "${refused}"`);
  await page.fill('#settings input[name=gfi_awesome_url]', gfiUrl);
  await page.click('#settings [data-save]');
  await page.waitForSelector('#settings', { state: 'hidden' });
  await env.fakeReset();
  await page.click('#refresh');
  await page.waitForSelector('#run-summary:not([hidden])', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0);
  firstKeys = await cardKeys();
  const want = cliKeys();
  s.check(firstKeys.length === want.length && want.length > 20, `card count ${firstKeys.length}, CLI ${want.length}`);
  s.check(JSON.stringify(firstKeys) === JSON.stringify(want), 'cards in the same order as the native CLI');
  const stats = await env.fakeStats();
  s.check(stats.requests > 5 && stats.unmatched === 0, `the browser fetched from the fake GitHub (${stats.requests} requests, ${stats.unmatched} unmatched)`);
  const lines = await page.$$eval('#run-summary .run-source', (els) => els.map((e) => [e.dataset.source, e.textContent]));
  const line = (src) => (lines.find(([k]) => k === src) || [])[1] || '';
  s.check(/^GitHub\s*\d+ new · \d+ updated · \d+ unchanged · .*\d+ requests?/.test(line('github')), `the run summary has a GitHub line: "${line('github')}"`);
  s.check(/^Good first issues\s*\d+ new · .*\d+ requests?/.test(line('gfi')), `the run summary has a good-first line: "${line('gfi')}"`);
  const badge = await page.textContent('#storage');
  s.check(/OPFS/.test(badge), `storage badge says OPFS: "${badge}"`);
});

s.test('reload: the same cards from OPFS, no network request', async () => {
  await env.fakeReset();
  await page.reload();
  await waitBoot();
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0);
  const keys = await cardKeys();
  s.check(JSON.stringify(keys) === JSON.stringify(firstKeys), 'same cards after reload');
  const kept = await page.$$eval('#run-summary .run-source', (els) => els.map((e) => e.dataset.source));
  s.check(kept.includes('github') && kept.includes('gfi'), `the stored run keeps its per-source lines (${kept.join(', ')})`);
  const stats = await env.fakeStats();
  s.check(stats.requests === 0, `no request to the upstream on reload (${stats.requests})`);
});

s.test('offline reload: the service worker serves the app and the cards', async () => {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 15000 });
  await ctx.setOffline(true);
  try {
    await page.reload();
    await waitBoot();
    await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0, null, { timeout: 15000 });
    const keys = await cardKeys();
    s.check(JSON.stringify(keys) === JSON.stringify(firstKeys), 'offline: same cards');
    s.check(await page.isVisible('#offline'), 'offline: the page says so');
  } finally {
    await ctx.setOffline(false);
  }
});

s.test('installable: no installability errors', async () => {
  const cdp = await ctx.newCDPSession(page);
  const r = await cdp.send('Page.getInstallabilityErrors');
  s.check(Array.isArray(r.installabilityErrors) && r.installabilityErrors.length === 0,
    `installability errors: ${JSON.stringify(r.installabilityErrors)}`);
  const m = await cdp.send('Page.getAppManifest');
  s.check(m.errors.length === 0 && /standalone/.test(m.data || ''), 'manifest parses, standalone');
});

s.test('hostile title renders as text and runs nothing', async () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const titles = await page.$$eval('#cards .card-title', (els) => els.map((e) => e.textContent));
  s.check(titles.some((t) => t.includes(hostile)), 'the hostile title is shown literally');
  s.check(await page.$$eval('img[src="x"]', (els) => els.length) === 0, 'no <img src=x> in the DOM');
  // open its details (markdown body through md4c) too
  const key = 'github.com/github-linguist/linguist#6210';
  await page.click(`#cards > li[data-key="${key}"] button[data-act=more]`);
  await page.waitForTimeout(500);
  s.check(await page.$$eval('img[src="x"], script:not([src])', (els) => els.length) === 0, 'details add no markup from data');
  s.check(dialogs.length === 0, `no dialogs fired (${dialogs.join(', ')})`);
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
});

s.test('source tabs (saved searches): good first issues only, remembered, keyboard', async () => {
  const tab = (name) => `#tabs [role=tab][data-name="${name}"]`;
  const gfiReasons = () => page.$$eval('#cards > li[data-key]', (els) => els.map((li) =>
    [...li.querySelectorAll('.chip-reason')].some((c) => c.classList.contains('chip-gfi'))));
  const all = await cardKeys();
  s.check(await page.isVisible('#tabs') && await page.getAttribute(tab('Inbox'), 'aria-selected') === 'true', 'the tabs show, Inbox chosen');
  s.check((await gfiReasons()).some((g) => !g), 'All has cards without a good-first reason');
  await page.click(tab('Good first'));
  await page.waitForFunction(() => document.querySelector('#card-panel').getAttribute('aria-labelledby') === document.querySelector('#tabs [data-name="Good first"]').id &&
    document.querySelectorAll('#cards > li[data-key]').length > 0 &&
    [...document.querySelectorAll('#cards > li[data-key]')].every((li) => li.querySelector('.chip-gfi')));
  const only = await gfiReasons();
  s.check(only.length > 0 && only.every(Boolean), `Good first issues shows only cards with a good-first reason (${only.length})`);
  s.check(only.length < all.length, `fewer cards than All (${only.length} of ${all.length})`);
  const count = (await page.textContent(`${tab('Good first')} .seg-count`)).trim();
  s.check(count === String(only.length), `the tab counts its cards (${count})`);
  await page.reload();
  await waitBoot();
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0);
  s.check(await page.getAttribute(tab('Good first'), 'aria-selected') === 'true', 'the choice is remembered across a reload');
  s.check((await gfiReasons()).every(Boolean), 'still only good-first issues after the reload');
  await page.focus(tab('Good first'));
  await page.keyboard.press('Home');
  await page.waitForFunction((n) => document.querySelectorAll('#cards > li[data-key]').length === n, all.length);
  s.check(await page.getAttribute(tab('Inbox'), 'aria-selected') === 'true' &&
    await page.evaluate(() => document.activeElement?.dataset.name) === 'Inbox', 'Home picks Inbox from the keyboard');
  s.check(JSON.stringify(await cardKeys()) === JSON.stringify(all), 'All shows every card again, same order');
  await page.keyboard.press('ArrowRight'); /* GitHub */
  await page.keyboard.press('ArrowRight'); /* tangled: nothing configured */
  await page.waitForSelector('#empty:not([hidden])');
  const empty = await page.textContent('#empty');
  s.check(/Nothing from tangled/.test(empty) && /Settings/.test(empty), `an empty source says so: "${empty}"`);
  await page.click('#empty button:has-text("Show all")');
  await page.waitForFunction((n) => document.querySelectorAll('#cards > li[data-key]').length === n, all.length);
  s.check(await page.getAttribute(tab('Inbox'), 'aria-selected') === 'true', 'Show all goes back to the Inbox');
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
});

// What a page asks for before its first paint, in the app as shipped (build/web): every module
// its scripts import, at any depth, is named by a modulepreload link in its head, so the browser
// asks for the whole graph at once (a module left out is only asked for once the module
// importing it has arrived and been read: ui/notify.js and ui/brief.js came ~40 ms after the
// others and held app.js, and the first card, back that long). The main page goes further:
// its code is one bundle (the Makefile's web rule), so it is one answer from the service
// worker's cache instead of twenty one after another — no static import left in it, and no
// import() of a module file, which would load a second copy of modules the bundle holds.
s.test('the pages ask for their whole module graph at once', async () => {
  for (const html of ['index.html', 'tip.html']) {
    const text = readFileSync(join('build/web', html), 'utf8');
    const preloaded = new Set([...text.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => normalize(m[1])));
    const entries = [...text.matchAll(/<script type="module"[^>]* src="([^"]+)">/g)].map((m) => normalize(m[1]));
    const seen = new Set(entries);
    const todo = [...entries];
    let dynamic = 0;
    while (todo.length) {
      const file = todo.pop();
      const code = readFileSync(join('build/web', file), 'utf8');
      dynamic += [...code.matchAll(/\bimport\(\s*['"`]\./g)].length;
      for (const m of code.matchAll(/^import [^;]*? from ['"](\.[^'"]+)['"];/gm)) {
        const dep = normalize(join(dirname(file), m[1]));
        if (!seen.has(dep)) { seen.add(dep); todo.push(dep); }
      }
    }
    const missing = [...seen].filter((f) => !entries.includes(f) && !preloaded.has(f));
    if (html === 'index.html') {
      const bundle = readFileSync(join('build/web', entries[0] || 'app.js'), 'utf8');
      s.check(entries.length === 1 && seen.size === 1 && dynamic === 0 && preloaded.size === 0 && /new HubClient\(/.test(bundle),
        `${html}: one module, the bundle (${entries.join(', ')}: ${seen.size - 1} imports, ${dynamic} import() of files, ${preloaded.size} preloads)`);
    } else {
      s.check(entries.length >= 2 && seen.size > entries.length + 5 && missing.length === 0,
        `${html}: its ${seen.size - entries.length} imported modules are all preloaded${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
    }
  }
});

// A new version (another cache name in sw.js, another bundle): the page that finds it offers
// it and keeps running the old one; "Reload to update" brings the new bundle in, from the new
// cache, and the old cache is gone. Last: it changes the served files.
s.test('a new version is offered, then loaded on the click', async () => {
  await page.goto(env.url);
  await waitBoot();
  await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 20000 });
  const sw = join(env.www, 'sw.js');
  const v1 = /const VERSION = '([^']+)'/.exec(readFileSync(sw, 'utf8'))[1];
  writeFileSync(sw, readFileSync(sw, 'utf8').replace(v1, 'v2-test'));
  writeFileSync(join(env.www, 'app.js'), `${readFileSync(join(env.www, 'app.js'), 'utf8')}\nwindow.hubTestV2 = true;\n`);
  await page.reload();
  await page.waitForSelector('#update-banner:not([hidden])', { timeout: 20000 });
  s.check(!await page.evaluate(() => window.hubTestV2), 'update: the banner shows while the old version runs');
  await Promise.all([page.waitForNavigation({ timeout: 20000 }), page.click('#update-button')]);
  await waitBoot();
  const after = await page.evaluate(async () => ({ v2: window.hubTestV2 === true, caches: (await caches.keys()).filter((k) => k.startsWith('hub-shell-')) }));
  s.check(after.v2 && after.caches.join() === 'hub-shell-v2-test' && (await cardKeys()).length > 0,
    `update: the click loads the new bundle from the new cache, the cards show (${JSON.stringify(after)})`);
  s.check(pageErrors.length === 0, `update: no page errors (${pageErrors.join(' | ')})`);
});

const ok = await s.run();
await env.close();
process.exit(ok ? 0 : 1);
