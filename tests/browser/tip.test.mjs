// tip.test.mjs — the "one tip" page (web/tip.html) as a user meets it, in Debian's Chromium
// against the fake GitHub: a tip after the first refresh; the model learning from reactions
// (share of review-requested tips before and after); done and dismiss taking items out;
// offline reload through the service worker; snooze, the empty state and the snoozed item's
// return (the page's ?now= clock override); hostile titles as text; screenshots.
// Prints "tip: N passed, M failed"; exits 1 on failure. Screenshots go to build/out/screens/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env, suite, firstRefresh } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });

const s = suite('tip');
const env = await Env.start();
const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
const dialogs = [];
const pageErrors = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
page.on('pageerror', (e) => pageErrors.push(String(e)));

const HOSTILE_KEY = 'github.com/github-linguist/linguist#6210';
const HOSTILE = '<img src=x onerror=alert(1)>';
const seen = new Map(); /* key → title as shown */
let hostileChecked = false;

// The reasons of every item, from the native CLI on the same upstream.
function cliReasons() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  try {
    const e = { ...process.env, HUB_DB: join(dir, 'hub.db'), HUB_GITHUB_API: env.api, GITHUB_TOKEN: 'demo-token' };
    execFileSync('build/hub', ['settings', '{"github_user":"octocat"}'], { env: e, stdio: 'ignore' });
    execFileSync('build/hub', ['sync'], { env: e, stdio: 'ignore' });
    const cards = JSON.parse(execFileSync('build/hub', ['cards'], { env: e }).toString()).cards;
    return new Map(cards.map((c) => [c.key, (c.reasons || []).map((r) => r.code)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* Returns {key, decision, title} for the shown tip, {empty:true}, or null. */
async function shown() {
  const st = await page.evaluate(() => {
    const t = document.querySelector('#tip');
    if (t) return { key: t.dataset.key, decision: t.dataset.decision, title: t.querySelector('.tip-title').textContent };
    if (document.querySelector('#tip-empty')) return { empty: true, next: document.querySelector('#next-return')?.textContent || '' };
    return null;
  });
  if (st && st.key) {
    seen.set(st.key, st.title);
    if (st.key === HOSTILE_KEY) {
      hostileChecked = true;
      s.check(st.title.includes(HOSTILE), `the hostile title is shown literally: ${JSON.stringify(st.title)}`);
      s.check(await page.$$eval('img', (els) => els.length) === 0, 'the hostile title made no <img>');
    }
  }
  return st;
}

/* Lets the entrance fade finish before a screenshot. */
async function shot(name) {
  await page.waitForTimeout(450);
  await page.screenshot({ path: join(SHOTS, name) });
}

async function openTip(query = '') {
  await page.goto(env.url + 'tip.html' + query);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.waitForSelector('#tip, #tip-empty', { timeout: 10000 });
  return shown();
}

/* Reacts with a key ('e', '#', '+', '-', or 's' then a preset digit) and waits for what comes next. */
async function react(keys) {
  const before = await shown();
  for (const k of keys) await page.keyboard.type(k);
  await page.waitForFunction((d) => {
    const t = document.querySelector('#tip');
    return (t && t.dataset.decision !== d) || document.querySelector('#tip-empty');
  }, before.decision, { timeout: 10000 });
  return shown();
}

let reasons = new Map();
const isReview = (key) => (reasons.get(key) || []).includes('review_requested');

s.test('first refresh on the list page, then "t" opens one tip', async () => {
  reasons = cliReasons();
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  s.check(await page.isVisible('#open-tip'), 'the list page shows the "One tip" link');
  await firstRefresh(page);
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0);
  await shot('list-desktop.png');
  await page.keyboard.type('t');
  await page.waitForURL(/tip\.html/, { timeout: 10000 });
  await page.waitForSelector('#tip', { timeout: 20000 });
  const t = await shown();
  s.check(t && t.key && t.title.length > 0, `a tip with a title: ${JSON.stringify(t)}`);
  s.check(reasons.has(t.key), 'the tip is one of the synced items');
  const link = await page.$eval('#tip .tip-open', (a) => ({ href: a.href, rel: a.rel, target: a.target }));
  s.check(/^https:\/\//.test(link.href) && link.rel === 'noopener noreferrer' && link.target === '_blank',
    `the link opens https in a new tab without opener: ${JSON.stringify(link)}`);
  s.check(/rgb\(0, 0, 0\)/.test(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)), 'the page is black');
  s.check(await page.evaluate(() => document.querySelector('meta[name=theme-color]').content) === '#000000', 'theme-color black');
  await page.waitForFunction(() => document.querySelector('#learned').textContent.length > 0);
  s.check(await page.getAttribute('#learned', 'data-reactions') === '0', 'no reactions learned yet');
  await shot('tip-desktop.png');
});

let coldShare = 0;
s.test('learning: helpful on review requests, not helpful on the rest', async () => {
  // cold: the model has seen nothing; each load serves (and logs) one tip, nothing is learned
  const cold = [];
  for (let i = 0; i < 8; i++) cold.push((await openTip()).key);
  coldShare = cold.filter(isReview).length / cold.length;
  const base = [...reasons.keys()].filter(isReview).length / reasons.size;
  const shares = [];
  let t = await shown();
  const keys = [];
  for (let i = 0; i < 50; i++) {
    keys.push(t.key);
    t = await react([isReview(t.key) ? '+' : '-']);
    s.check(!!t.key, `reaction ${i + 1} brought a next tip`);
  }
  const first = keys.slice(0, 20).filter(isReview).length / 20;
  const next = keys.slice(30, 50).filter(isReview).length / 20;
  shares.push(first, next);
  console.log(`     review-requested share: ${(base * 100).toFixed(0)}% of items; cold ${(coldShare * 100).toFixed(0)}% of 8 loads; ` +
    `first 20 tips ${(first * 100).toFixed(0)}%; tips 31–50 ${(next * 100).toFixed(0)}%`);
  s.check(next >= 0.6, `after 30 reactions most tips are review requests (${next})`);
  s.check(next >= coldShare + 0.4, `the share rose from the cold model's (${coldShare} → ${next})`);
  s.check(next >= first, `tips 31–50 at least as often review requests as tips 1–20 (${first} → ${next})`);
  const learned = await page.textContent('#learned');
  s.check(await page.getAttribute('#learned', 'data-reactions') === '50', `the footer counts 50 reactions: "${learned}"`);
  s.check(/review requests/.test(learned), `the footer says what it leans toward: "${learned}"`);
});

let doneKey = '', dismissedKey = '';
s.test('done and dismiss take the item out; the next tip comes at once', async () => {
  let t = await shown();
  doneKey = t.key;
  t = await react(['e']);
  s.check(t.key && t.key !== doneKey, 'done: a different tip appears');
  const after = [];
  for (let i = 0; i < 12; i++) { after.push(t.key); t = await react(['-']); }
  s.check(!after.includes(doneKey), 'the done item does not come back in the next 12 tips');

  dismissedKey = t.key;
  const before = t.decision;
  await page.click('#tip button[data-act=dismiss]');
  await page.waitForFunction((d) => document.querySelector('#tip')?.dataset.decision !== d, before);
  t = await shown();
  s.check(t.key && t.key !== dismissedKey, 'dismiss (button): a different tip appears');
  const after2 = [];
  for (let i = 0; i < 12; i++) { after2.push(t.key); t = await react(['-']); }
  s.check(!after2.includes(dismissedKey) && !after2.includes(doneKey), 'dismissed and done items stay out');
  s.check(/Noted|Done|Dismissed/.test(await page.textContent('#tip-status')), 'the status line says what happened');
});

s.test('offline: tip.html reloads from the service worker and reactions still work', async () => {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 15000 });
  const n0 = Number(await page.getAttribute('#learned', 'data-reactions'));
  await ctx.setOffline(true);
  try {
    const t = await openTip();
    s.check(!!t.key, 'offline: a tip appears');
    s.check(await page.isVisible('#offline'), 'offline: the page says so');
    const t2 = await react(['-']);
    s.check(!!t2.key && t2.decision !== t.decision, 'offline: a reaction brings the next tip');
    await page.waitForFunction((n) => Number(document.querySelector('#learned').dataset.reactions) === n + 1, n0);
    s.check(true, 'offline: the model learned from it');
  } finally {
    await ctx.setOffline(false);
  }
});

s.test('phone: 390×844, snooze presets', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openTip();
  await shot('tip-phone.png');
  await page.keyboard.type('s');
  await page.waitForSelector('#snooze-menu:not([hidden])');
  const labels = await page.$$eval('#snooze-menu .preset-label', (els) => els.map((e) => e.textContent));
  s.check(JSON.stringify(labels) === JSON.stringify(['1 hour', 'Tonight', 'Tomorrow', 'Next week']), `presets: ${labels}`);
  await shot('tip-phone-snooze.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  s.check(!overflow, 'no horizontal scrolling at 390 px');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#snooze-menu', { state: 'hidden' });
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  s.check(await page.isVisible('#open-tip'), 'the "One tip" link is visible on the phone list page');
  await shot('list-phone.png');
  await openTip();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.keyboard.type('s');
  await page.waitForSelector('#snooze-menu:not([hidden])');
  await shot('tip-desktop-snooze.png');
  await page.keyboard.press('Escape');
});

s.test('snooze 1 h, work through the rest to inbox zero, the snoozed item returns later', async () => {
  let t = await shown();
  const snoozed = t.key;
  t = await react(['s', '1']);
  s.check(t.key !== snoozed, 'snooze: a different tip appears');
  const drained = [];
  for (let i = 0; i < 60 && t.key; i++) { drained.push(t.key); t = await react(['#']); }
  s.check(t.empty === true, `inbox zero after dismissing ${drained.length} tips`);
  s.check(!drained.includes(snoozed) && !drained.includes(doneKey) && !drained.includes(dismissedKey),
    'neither the snoozed, the done nor the dismissed item came back');
  s.check(/Inbox zero/.test(await page.textContent('#tip-empty')), 'the empty state says inbox zero');
  /* an hour from now: its time, with the weekday when that hour is past midnight */
  s.check(/returns (?:[A-Z][a-z]{2} )?\d{2}:\d{2}\b/.test(t.next), `the empty state says when the snoozed item returns: "${t.next}"`);
  await shot('empty-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('empty-phone.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  const later = await openTip(`?now=${Date.now() + 2 * 3600 * 1000}`);
  s.check(later.key === snoozed, `two hours later the snoozed item is back (${later.key})`);
  const gone = await react(['#']);
  s.check(gone.empty === true && gone.next === '', 'dismissed too: inbox zero, nothing left to return');
});

s.test('hostile title: text only, no markup, no dialog', async () => {
  s.check(hostileChecked, `the hostile item was shown as a tip at some point (${seen.size} items seen)`);
  s.check(await page.$$eval('img[src="x"], script:not([src])', (els) => els.length) === 0, 'no <img src=x> or inline script');
  s.check(dialogs.length === 0, `no dialogs fired (${dialogs.join(', ')})`);
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
});

s.test('the way back: "g i" returns to the list, which shares the tip page\'s reactions', async () => {
  await page.keyboard.type('g');
  await page.keyboard.type('i');
  await page.waitForURL((u) => !/tip\.html/.test(String(u)), { timeout: 10000 });
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.waitForFunction(() => !document.getElementById('empty').hidden ||
    document.querySelectorAll('#cards > li[data-key]').length > 0);
  const n = await page.$$eval('#cards > li[data-key]', (els) => els.length);
  /* every item was done, snoozed or dismissed on the tip page: triage state, so the list is empty too */
  s.check(n === 0 && await page.isVisible('#empty'), `the list is back and at inbox zero like the tip page (${n} cards)`);
});

const ok = await s.run();
await env.close();
process.exit(ok ? 0 : 1);
