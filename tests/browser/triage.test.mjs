// triage.test.mjs — triage in the page, in Debian's Chromium against the fake GitHub
// (tests/exchanges/demo for the account, tests/exchanges/outbox for GitHub's answers to it):
//   keys      the `?` dialog lists the keys, the same words on the inbox and the tip page
//   search    a malformed query shows the core's message with the spot marked; a search saved
//             as a tab shows with its count, and goes again
//   focus     a card the list moves (reordered, or changed and moved) keeps the keyboard focus
//   undo      e takes a card out at once (focus on the one that took its place), z brings it back
//   offline   with the network off, ten cards are cleared with the keyboard (e, M, o then e, x x x
//             then e) and one is marked read (m); a reload still shows them cleared (snapshot
//             and live list); online, one refresh sends GitHub exactly the PATCH / DELETE / PUT
//             the actions call for — read then done sends only done, an undone done nothing —
//             each once, and a second refresh sends none
//   tabs      two tabs show the same cards; a triage in one shows in the other
//   phone     at 390×844 the first card, with its triage buttons, is above the fold
// The expected requests come from the recorded notifications (tests/exchanges/demo/
// notifications-all.json: which item is which thread), not from the page. Screenshots go to
// build/out/screens/. Prints "triage: N passed, M failed"; exits 1 on failure.
import { mkdirSync, readFileSync } from 'node:fs';
import { Env, suite } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });

/* item key (as the core writes it) → notification thread id, from the recorded account */
const THREADS = new Map(JSON.parse(readFileSync('tests/exchanges/demo/notifications-all.json', 'utf8')).map((t) => {
  const m = /\/repos\/([^/]+\/[^/]+)\/(?:issues|pulls)\/(\d+)$/.exec(t.subject.url);
  return [`github.com/${m[1]}#${m[2]}`, t.id];
}));

const s = suite('triage');
const env = await Env.start({ scenarios: ['tests/exchanges/demo', 'tests/exchanges/outbox'] });
const ctx = await env.launch({ persistent: true });
const pageErrors = [];
const watch = (p) => { p.on('pageerror', (e) => pageErrors.push(String(e))); return p; };
const page = watch(ctx.pages()[0] || await ctx.newPage());

const keys = (p = page) => p.$$eval('#cards > li[data-key]', (els) => els.map((e) => e.dataset.key));
const focused = (p = page) => p.evaluate(() => document.activeElement?.closest?.('li.card')?.dataset.key || null);
async function live(p = page) {
  await p.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await p.waitForSelector('#cards:not([aria-busy])', { state: 'attached', timeout: 20000 });
}
async function refreshed(p = page, timeout = 30000) {
  await p.waitForFunction(() => document.querySelector('#refresh').getAttribute('aria-busy') === null &&
    !document.querySelector('#refresh').disabled, null, { timeout });
}
/* Presses key on the focused card and waits until the list has settled without that card. */
async function clear(key, ...presses) {
  for (const k of presses) await page.keyboard.press(k);
  await page.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`), key, { timeout: 10000 });
}
const hubCall = (p, req) => p.evaluate(async (r) => (await import('./boot.js')).hub.call(r), req);

s.test('set-up: a first refresh fills the inbox', async () => {
  await page.goto(env.url);
  await live();
  await page.click('#open-settings');
  await page.fill('#settings [name=github_user]', 'octocat');
  await page.click('#settings [data-save]');
  await page.waitForSelector('#settings', { state: 'hidden' });
  await page.click('#refresh');
  await refreshed();
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length >= 20);
  await page.waitForFunction(() => navigator.serviceWorker?.controller, null, { timeout: 20000 }).catch(() => {});
  s.check((await keys()).length >= 20, `${(await keys()).length} cards`);
  /* in view first: a card off screen is not laid out (content-visibility), so has no innerText */
  await page.$eval('#cards > li:first-child', (li) => li.scrollIntoView({ block: 'nearest' }));
  const acts = await page.$$eval('#cards > li:first-child .card-actions button', (bs) => bs.map((b) => b.innerText.trim()));
  s.check(JSON.stringify(acts) === JSON.stringify(['Done', 'Snooze', 'Save', 'Mark read', 'Mute', 'Dismiss']),
    `each card has labelled triage buttons: ${acts.join(', ')}`);
  const labels = await page.$$eval('#cards > li:first-child .card-actions button', (bs) => bs.map((b) => b.getAttribute('aria-keyshortcuts')));
  s.check(labels.join(' ') === 'e s * m M #', `and says their keys (${labels.join(' ')})`);
  await page.$eval('#finder', (el) => el.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/triage-desktop.png` });
});

s.test('the ? dialog lists the keys, the same on the tip page', async () => {
  await page.keyboard.press('Escape');
  await page.keyboard.type('?');
  await page.waitForSelector('#keys-help[open]');
  const rows = await page.$$eval('#keys-help dt', (dts) => dts.map((dt) => [dt.textContent.replace(/\s+/g, ' ').trim(), dt.nextElementSibling.textContent]));
  const listed = new Map(rows);
  for (const k of ['j', 'k', 'o or Enter', 'Esc', 'e', 's', 'm', '*', 'M', '#', 'x', 'z', '/', 't', 'g then i', ',', '?']) {
    s.check(listed.has(k), `the dialog lists "${k}"${listed.has(k) ? `: ${listed.get(k)}` : ''}`);
  }
  s.check(/Settings/.test(listed.get(',')) && /search/.test(listed.get('/')), '"," is Settings and "/" is search');
  await page.screenshot({ path: `${SHOTS}/keys-help.png` });
  await page.keyboard.press('Escape');
  await page.waitForSelector('#keys-help', { state: 'hidden' });
  s.check(await page.evaluate(() => document.activeElement?.id !== 'keys-help'), 'Esc closes it');

  const tip = watch(await ctx.newPage());
  await tip.goto(env.url + 'tip.html');
  await tip.waitForSelector('#tip, #tip-empty', { timeout: 20000 });
  await tip.keyboard.type('?');
  await tip.waitForSelector('#keys-help[open]');
  const tipRows = new Map(await tip.$$eval('#keys-help dt', (dts) => dts.map((dt) => [dt.textContent.replace(/\s+/g, ' ').trim(), dt.nextElementSibling.textContent])));
  const same = ['e', 's', 'm', '*', 'M', '#', 'z', '/', ',', 'g then i', '?'].filter((k) => tipRows.get(k) === listed.get(k));
  s.check(same.length === 11, `the tip page's keys mean the same (${same.join(' ')})`);
  s.check(!tipRows.has('x') && !tipRows.has('d'), 'and x / d are not the tip page\'s own keys any more');
  await tip.screenshot({ path: `${SHOTS}/keys-help-tip.png` });
  await tip.close();
});

s.test('search: a malformed query shows the message; a search saved as a tab', async () => {
  await page.keyboard.type('/');
  s.check(await page.evaluate(() => document.activeElement?.id) === 'q', '"/" focuses the search box');
  await page.keyboard.type('is:unread repo:"cli');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#q-error:not([hidden])');
  const msg = await page.textContent('#q-error .q-error-msg');
  s.check(/unterminated quote \(at character 16\)/.test(msg), `the core's message and where: "${msg}"`);
  s.check(await page.textContent('#q-error mark') === '"', 'the spot is marked in the query');
  s.check(await page.getAttribute('#q', 'aria-invalid') === 'true', 'the box is marked invalid for screen readers');
  await page.screenshot({ path: `${SHOTS}/query-error.png` });

  await page.fill('#q', 'reason:review_requested');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#q-error', { state: 'hidden' });
  await page.waitForFunction(() => { const lis = [...document.querySelectorAll('#cards > li[data-key]')]; return lis.length > 0 && lis.every((li) => /review requested/i.test(li.textContent)); });
  const n = (await keys()).length;
  s.check(n > 0 && n < 20, `the search shows its ${n} cards`);
  await page.click('#save-tab');
  await page.fill('#save-tab-form [name=name]', 'Reviews');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#tabs [data-name="Reviews"][aria-selected="true"]');
  const count = (await page.textContent('#tabs [data-name="Reviews"] .seg-count')).trim();
  s.check(count === String(n), `saved as a tab, chosen, with its count (${count})`);
  await page.$eval('#finder', (el) => el.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/search-tabs.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/search-tabs-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.reload();
  await live();
  s.check(await page.getAttribute('#tabs [data-name="Reviews"]', 'aria-selected') === 'true', 'the tab stays chosen across a reload');
  await page.click('#remove-tab');
  await page.waitForSelector('#tabs [data-name="Reviews"]', { state: 'detached' });
  s.check(await page.getAttribute('#tabs [data-name="Inbox"]', 'aria-selected') === 'true' && await page.inputValue('#q') === '',
    'Remove tab unpins it and goes back to the inbox');
});

/* what GitHub is expected to receive: [method, path] per thread */
const expected = [];
function expect(key, action) {
  const t = THREADS.get(key);
  if (!t) return;
  const path = `/notifications/threads/${t}`;
  const i = expected.findIndex((e) => e[2] === t);
  if (action === 'done' && i >= 0 && expected[i][0] === 'PATCH') expected.splice(i, 1); /* done also marks it read */
  if (action === 'read') expected.push(['PATCH', path, t]);
  if (action === 'done') expected.push(['DELETE', path, t]);
  if (action === 'mute') expected.push(['PUT', path + '/subscription', t]);
}

s.test('focus: a card the list moves keeps the keyboard focus, before the list has finished', async () => {
  /* Chromium blurs a focused node that is moved in the DOM; a j pressed before the rest of the
     list was placed then only brought focus back, and the next key acted on the card before */
  const r = await page.evaluate(async () => {
    const { CardList } = await import('./ui/cards.js');
    const ol = document.createElement('ol');
    document.body.append(ol);
    const list = new CardList(null, ol);
    const card = (i, extra) => ({ key: `github.com/t/t#${i}`, title: `card ${i}`, kind: 'issue', repo: 't/t', number: i, score: 1 - i / 100, unread: true, ...extra });
    const cards = Array.from({ length: 40 }, (_, i) => card(i));
    const key = cards[5].key;
    const at = () => document.activeElement?.closest?.('li.card')?.dataset.key || null;
    await list.render(cards);
    list.select(key, true);
    const out = { first: at() };
    let p = list.render([cards[5], ...cards.slice(0, 5), ...cards.slice(6)]);            /* up to the top */
    out.moved = at();
    await p;
    p = list.render([...cards.slice(0, 3), card(5, { unread: false }), ...cards.slice(3, 5), ...cards.slice(6)]); /* changed, moved */
    out.changed = at();
    await p;
    out.after = at();
    ol.remove();
    return { key, ...out };
  });
  s.check(r.first === r.key, `the sixth card has the focus (${r.first})`);
  s.check(r.moved === r.key, `moved to the top, it keeps it at once (${r.moved})`);
  s.check(r.changed === r.key && r.after === r.key, `changed and moved up, it keeps it too (${r.changed}, then ${r.after})`);
});

s.test('undo: e takes the card out at once, z brings it back', async () => {
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length >= 20);
  await page.focus('#cards > li:nth-child(2)');
  const before = await keys();
  const key = await focused();
  await clear(key, 'e');
  s.check(await focused() === before[2], `focus moved to the card that took its place (${await focused()})`);
  await page.waitForSelector('#toast:not([hidden])');
  s.check(/^Done · 1 card/.test(await page.textContent('#toast .toast-text')), `the toast says it: "${await page.textContent('#toast .toast-text')}"`);
  await page.keyboard.press('z');
  await page.waitForFunction((k) => document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`), key, { timeout: 10000 });
  s.check(JSON.stringify(await keys()) === JSON.stringify(before), 'z restored it in its place');
  s.check(await focused() === key, 'with focus on it');
  await page.waitForFunction(() => /^Undone/.test(document.querySelector('#toast .toast-text')?.textContent || ''));
  s.check(true, 'the toast says it was undone');
});

let cleared = [];
let readKey = '';
s.test('offline: clear ten cards with the keyboard, reload, still cleared', async () => {
  await env.fakeReset();
  await ctx.setOffline(true);
  await page.focus('#cards > li:first-child');
  const start = await keys();
  const act = async (action, ...presses) => {
    const key = await focused();
    await clear(key, ...presses);
    cleared.push(key);
    expect(key, action);
  };
  // m: read, the card stays
  readKey = await focused();
  const wasUnread = await page.$eval('#cards > li.is-selected', (li) => li.classList.contains('is-unread'));
  await page.keyboard.press('m');
  await page.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`).classList.contains('is-unread'), readKey);
  if (wasUnread) expect(readKey, 'read');
  s.check(wasUnread && (await keys()).includes(readKey), 'm marked the first card read; it stays');
  await page.keyboard.press('j');
  await act('mute', 'M');                                     // M: mute
  // o opens (marks read), Esc closes, e: done — GitHub only needs the done
  const opened = await focused();
  await page.keyboard.press('o');
  await page.waitForFunction((k) => { const li = document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`); return li.classList.contains('is-open') && !li.classList.contains('is-unread'); }, opened);
  s.check(true, 'o opened the card and marked it read');
  await page.keyboard.press('Escape');
  await act('done', 'e');
  await act('mute', 'M');
  await act('done', 'e');
  // x x x then e: a bulk done
  const picked = [];
  for (let i = 0; i < 3; i++) {
    picked.push(await focused());
    await page.keyboard.press('x');
    if (i < 2) await page.keyboard.press('j');
  }
  await page.waitForFunction(() => /^3 selected/.test(document.querySelector('#bulk')?.textContent || ''));
  s.check(true, 'x selected three cards (the bulk bar says so)');
  await page.keyboard.press('e');
  await page.waitForFunction((ks) => ks.every((k) => !document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`)), picked);
  for (const k of picked) { cleared.push(k); expect(k, 'done'); }
  await page.waitForFunction(() => document.querySelector('#bulk').hidden);
  // an e undone before it was sent: nothing for GitHub
  const undone = await focused();
  await clear(undone, 'e');
  await page.keyboard.press('z');
  // the restored card comes back with the focus (the next key acts on it): wait for both, not
  // only for the card — a key pressed between the two acted on the card focused before
  await page.waitForFunction((k) => document.activeElement?.closest?.('li.card')?.dataset.key === k, undone);
  while (cleared.length < 10) await act('done', 'e');
  const now = await keys();
  s.check(cleared.length === 10 && cleared.every((k) => start.includes(k) && !now.includes(k)), `ten cards cleared (${start.length} → ${now.length})`);
  s.check(now.length === start.length - 10, 'and only those');
  await page.screenshot({ path: `${SHOTS}/triage-offline.png` });

  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0, null, { timeout: 20000 });
  const early = await keys();
  s.check(!early.some((k) => cleared.includes(k)), `after the reload the first list shown has none of them (${early.length} cards)`);
  await live();
  const after = await keys();
  s.check(!after.some((k) => cleared.includes(k)) && after.length === now.length, `nor the live list (${after.length} cards)`);
  const readState = await page.evaluate((k) => { const li = document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`); return li ? li.className : 'missing'; }, readKey);
  s.check(!/is-unread|missing/.test(readState), `the card marked read is still read (${readKey}: ${readState}; cleared ${cleared.join(' ')}; shown ${after.join(' ')})`);
  s.check((await env.fakeStats()).requests === 0, 'nothing reached GitHub while offline');
  await page.click('#open-settings');
  await page.waitForFunction(() => /waiting/.test(document.querySelector('#settings [data-outbox]').textContent));
  const pending = await page.$$eval('#settings .outbox-item.is-pending', (els) => els.length);
  s.check(pending === expected.length, `Settings lists ${pending} changes waiting for GitHub (${expected.length} expected)`);
  await page.$eval('#settings [data-rules]', (el) => el.scrollIntoView());
  await page.screenshot({ path: `${SHOTS}/settings-outbox.png` });
  await page.click('#settings [data-cancel]');
});

s.test('online: one refresh tells GitHub exactly what was done, once', async () => {
  await ctx.setOffline(false);
  await env.fakeReset();
  await page.click('#refresh');
  await refreshed();
  const log = (await env.fakeStats()).log.filter((e) => e.method !== 'GET');
  const got = log.map((e) => `${e.method} ${e.path}`).sort();
  const want = expected.map(([m, p]) => `${m} ${p}`).sort();
  s.check(JSON.stringify(got) === JSON.stringify(want), `GitHub received exactly ${JSON.stringify(want)}; got ${JSON.stringify(got)}`);
  s.check(new Set(got).size === got.length, 'no request twice');
  s.check(want.some((w) => w.startsWith('PATCH')) && want.some((w) => w.startsWith('DELETE')) && want.some((w) => w.startsWith('PUT')),
    'the run covered read (PATCH), done (DELETE) and mute (PUT)');
  const mute = log.find((e) => e.method === 'PUT');
  s.check(mute && JSON.parse(mute.body).ignored === true, `the mute says ignored: ${mute?.body}`);
  s.check(log.every((e) => e.status >= 200 && e.status < 300), 'GitHub accepted each');
  s.check(!(await keys()).some((k) => cleared.includes(k)), 'the cleared cards stay cleared after the refresh');
  await env.fakeReset();
  await page.click('#refresh');
  await refreshed();
  s.check((await env.fakeStats()).log.filter((e) => e.method !== 'GET').length === 0, 'a second refresh sends nothing more');
  const ob = await hubCall(page, { cmd: 'outbox' });
  s.check(ob.counts.pending === 0 && ob.counts.sent === expected.length, `the outbox: ${JSON.stringify(ob.counts)}`);
});

s.test('two tabs show the same cards; a triage in one appears in the other', async () => {
  const tab2 = watch(await ctx.newPage());
  await tab2.goto(env.url);
  await live(tab2);
  await tab2.waitForFunction((n) => document.querySelectorAll('#cards > li[data-key]').length === n, (await keys()).length, { timeout: 10000 });
  s.check(JSON.stringify(await keys(tab2)) === JSON.stringify(await keys()), 'the second tab shows the same cards');
  await page.bringToFront();
  await page.focus('#cards > li:first-child');
  const key = await focused();
  await clear(key, 'e');
  await tab2.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`), key, { timeout: 10000 });
  s.check(JSON.stringify(await keys(tab2)) === JSON.stringify(await keys()), 'done in the first tab: gone from the second too');
  await tab2.bringToFront();
  await tab2.focus('#cards > li:first-child');
  const key2 = await focused(tab2);
  await tab2.keyboard.press('*');
  await page.waitForFunction((k) => document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"] .chip-saved`), key2, { timeout: 10000 });
  s.check(true, 'saved in the second tab (a relay to the first): the first shows it saved');
  await tab2.keyboard.press('s');
  await tab2.waitForSelector('#snooze-menu');
  const presets = await tab2.$$eval('#snooze-menu .snooze-label', (els) => els.map((e) => e.textContent));
  s.check(JSON.stringify(presets) === JSON.stringify(['1 hour', 'Tonight', 'Tomorrow', 'Next week']), `s shows the presets: ${presets}`);
  await tab2.screenshot({ path: `${SHOTS}/snooze-menu.png` });
  await tab2.keyboard.press('3');
  await page.waitForFunction((k) => !document.querySelector(`#cards > li[data-key="${CSS.escape(k)}"]`), key2, { timeout: 10000 });
  s.check(true, 'snoozed until tomorrow in the second tab: gone from the first');
  await tab2.close();
});

s.test('bulk on everything a search shows, and its undo', async () => {
  await page.bringToFront();
  await page.fill('#q', 'is:unread');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => { const lis = [...document.querySelectorAll('#cards > li[data-key]')]; return lis.length > 0 && lis.every((li) => li.classList.contains('is-unread')); });
  const shown = await keys();
  s.check(shown.length > 1, `is:unread shows ${shown.length} cards`);
  await page.check('#select-all');
  const bar = await page.textContent('#bulk .bulk-count');
  s.check(bar === `All ${shown.length} cards of this search`, `the bar offers all of them: "${bar}"`);
  s.check(await page.$$eval('#cards .card-check', (els) => els.every((e) => e.checked)), 'every card shows checked');
  await page.screenshot({ path: `${SHOTS}/bulk-all.png` });
  await page.click('#bulk [data-bulk=read]');
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length === 0);
  await page.waitForFunction((n) => document.querySelector('#toast .toast-text')?.textContent.startsWith(`Marked read · ${n} cards`), shown.length);
  s.check(true, `read: the search is empty, the toast says ${shown.length} cards`);
  await page.keyboard.press('z');
  await page.waitForFunction((n) => document.querySelectorAll('#cards > li[data-key]').length === n, shown.length);
  s.check(JSON.stringify((await keys()).sort()) === JSON.stringify([...shown].sort()), 'z brings every one back, unread');
  await page.fill('#q', '');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#tabs [data-name="Inbox"]')?.getAttribute('aria-selected') === 'true');
});

s.test('an outbox failure shows on the item', async () => {
  const key = 'github.com/github-linguist/linguist#6198';
  const card = `#cards > li[data-key="${key}"]`;
  await page.waitForSelector(card);
  s.check(await page.$eval(card, (li) => li.classList.contains('is-unread')), `${key} is an unread notification`);
  await page.click(`${card} button[data-act=read]`);
  await page.waitForFunction((sel) => !document.querySelector(sel).classList.contains('is-unread'), card);
  await page.waitForSelector(`${card} .chip-outbox`);
  s.check(/GitHub not told yet/.test(await page.textContent(`${card} .chip-outbox`)), 'the card says GitHub has not been told yet');
  await env.fakeReset();
  await env.fault(`kind=404&count=1&path=/notifications/threads/${THREADS.get(key)}`);
  await page.click('#refresh');
  await refreshed();
  await page.waitForSelector(`${card} .chip-outbox.is-failed`);
  const chip = await page.textContent(`${card} .chip-outbox`);
  s.check(/^GitHub.*404/.test(chip), `after GitHub answered 404 the card says so: "${chip}"`);
  s.check((await env.fakeStats()).log.filter((e) => e.method === 'PATCH').length === 1, 'the PATCH was sent once');
  await page.$eval(card, (li) => li.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: `${SHOTS}/outbox-failure.png` });
});

s.test('phone 390×844: the first card and its buttons above the fold', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await live();
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.$eval('#cards > li .card-actions', (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; });
  s.check(box.bottom <= 844, `the first card's triage buttons end at ${Math.round(box.bottom)} px of 844`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  s.check(!overflow, 'no horizontal scrolling');
  await page.screenshot({ path: `${SHOTS}/triage-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
});

const ok = await s.run();
await env.close();
process.exit(ok ? 0 : 1);
