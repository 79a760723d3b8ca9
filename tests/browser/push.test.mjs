// push.test.mjs — Web Push in the page (web/sw.js, web/ui/notify.js, web/tip.js) in Debian's
// Chromium: no permission is asked on load, only on the "Notify me" click, which fetches the
// VAPID key from a hubd (native build/hubd on 127.0.0.1) through the core's push_request; a
// push delivered over CDP (ServiceWorker.deliverPushMessage) shows the notification (read back
// with registration.getNotifications()): the item's title as text, tag = Topic, Done / Snooze;
// a newer push with the same Topic replaces it; a click opens the tip page on that item; the
// Done action goes through the triage command in the open page; Snooze with no page open waits
// in IndexedDB and is applied when a page opens. The "Notify me" step runs last: this Chromium
// has no push service to reach, and while its subscription attempt hangs it drops notifications
// shown meanwhile. Screenshots in build/out/screens.
// Prints "push: N passed, M failed"; exits 1 on failure.
import { spawn } from 'node:child_process';
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, suite, firstRefresh } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const s = suite('push');
const env = await Env.start({ fresh: true });
const origin = new URL(env.url).origin;

// a hubd for the VAPID key (its own database, no upstream needed)
const KEY = 'k3y-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
const hubdDir = join(env.dir, 'hubd');
mkdirSync(hubdDir);
const hubd = spawn('build/hubd', ['--listen', '127.0.0.1:0', '--port-file', join(hubdDir, 'port'), '--db', join(hubdDir, 'hub.db'), '--root', env.www], {
  env: { ...process.env, HUBD_API_KEY: KEY, HUBD_CORS_ORIGINS: origin, HUBD_SCHEDULE_INGEST: 'off', HUBD_SCHEDULE_GFI: 'off',
    HUBD_SCHEDULE_DIAGNOSTICS: 'off', HUBD_SCHEDULE_CLEANUP: 'off', HUBD_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; i < 200 && !existsSync(join(hubdDir, 'port')); i++) await sleep(25);
const hubdUrl = `http://127.0.0.1:${readFileSync(join(hubdDir, 'port'), 'utf8').trim()}`;

const ctx = await env.launch({ persistent: true });
// counts Notification.requestPermission calls in every page (the prompt must wait for the click)
await ctx.addInitScript(() => {
  window.__permAsked = 0;
  if (window.Notification) {
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...a) => { window.__permAsked++; return ask(...a); };
  }
});
let page = ctx.pages()[0] || await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

const shot = async (name) => { await page.waitForTimeout(400); await page.screenshot({ path: join(SHOTS, name) }); };

/* The service worker's registration id, from CDP. */
async function registrationId(cdp) {
  const regs = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  for (let i = 0; i < 100 && !regs.find((r) => r.scopeURL.startsWith(origin) && !r.isDeleted); i++) await sleep(50);
  return regs.find((r) => r.scopeURL.startsWith(origin) && !r.isDeleted)?.registrationId;
}

/* The notifications the page's service worker shows. */
const notifications = () => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, actions: (n.actions || []).map((a) => a.action) })));

async function waitNotifications(pred) {
  for (let i = 0; i < 400; i++) { /* a stopped service worker starts for the push: allow it time */
    const list = await notifications();
    if (pred(list)) return list;
    await sleep(50);
  }
  return notifications();
}

/* Runs fn (a string: an async function body) in the service worker. */
async function inWorker(body) {
  const sw = ctx.serviceWorkers().find((w) => w.url().startsWith(origin));
  if (!sw) throw new Error('no service worker');
  return sw.evaluate(body);
}

const keysShown = () => page.$$eval('#cards > li[data-key]', (els) => els.map((e) => e.dataset.key));
let key = '', title = '', other = '';

s.test('sync, and no permission asked on load', async () => {
  await page.goto(env.url);
  await page.waitForSelector('#notify-settings', { state: 'attached', timeout: 20000 });
  await firstRefresh(page);
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 2);
  const keys = await keysShown();
  key = keys.find((k) => /octokit\.rb#1520/.test(k)) || keys[0];
  other = keys.find((k) => k !== key && !/linguist#6210/.test(k));
  title = await page.$eval(`#cards > li[data-key="${key}"]`, (li) => li.querySelector('.card-title, h3, a')?.textContent || '');
  s.check(!!key && !!other, `items to push: ${key}, ${other}`);
  s.check(await page.evaluate(() => window.__permAsked) === 0, 'the list page asked for no permission');
  await page.goto(env.url + 'tip.html');
  await page.waitForSelector('#tip, #tip-empty', { timeout: 20000 });
  s.check(await page.evaluate(() => window.__permAsked) === 0, 'the tip page asked for no permission');
  s.check(await page.isVisible('#notify-me'), 'the tip page has "Notify me"');
  await shot('push-tip-notify.png');
});

let cdp, regId;
s.test('a push shows the notification; the same Topic replaces it', async () => {
  await ctx.grantPermissions(['notifications'], { origin });
  cdp = await ctx.newCDPSession(page);
  regId = await registrationId(cdp);
  s.check(!!regId, `the service worker's registration (${regId})`);
  // a push delivered while the worker is still installing (precaching the app) is dropped by
  // DevTools' delivery: wait until the registration has an active worker, as a real push finds it
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const payload = { v: 1, key, title: 'Review <img src=x onerror=alert(1)> please', topic: 'hub-tip', kind: 'new', repo: 'octokit/octokit.rb', number: 1520, why: 'review requested' };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: regId, data: JSON.stringify(payload) });
  let list = await waitNotifications((l) => l.length > 0);
  const n = list[0] || {};
  s.check(list.length === 1 && n.title === payload.title && n.tag === 'hub-tip', `one notification, the title as text, tag = Topic: ${JSON.stringify(list)}`);
  s.check(n.body === 'review requested · octokit/octokit.rb#1520' && n.data?.key === key, `body and the item's key: ${n.body}`);
  s.check(JSON.stringify(n.actions) === '["done","snooze"]', `actions Done and Snooze: ${JSON.stringify(n.actions)}`);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: regId, data: JSON.stringify({ ...payload, key: other, title: 'Your next one', kind: 'tip' }) });
  list = await waitNotifications((l) => l.length === 1 && l[0].title === 'Your next one');
  s.check(list.length === 1 && list[0].title === 'Your next one' && list[0].body.startsWith('Your next tip'), `a newer push with the same Topic replaced it: ${JSON.stringify(list)}`);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: regId, data: JSON.stringify({ ...payload, title: 'Review this' }) });
  await waitNotifications((l) => l.length === 1 && l[0].title === 'Review this');
});

s.test('a click opens the tip page on the item', async () => {
  await inWorker(async () => {
    const [n] = await self.registration.getNotifications();
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
  });
  await page.waitForURL(/tip\.html#/, { timeout: 10000 });
  await page.waitForSelector('#tip', { timeout: 20000 });
  const shown = await page.$eval('#tip', (t) => ({ key: t.dataset.key, why: t.querySelector('.tip-why-text').textContent }));
  s.check(shown.key === key && decodeURIComponent(new URL(page.url()).hash.slice(1)) === key, `the tip page shows the item: ${JSON.stringify(shown)} at ${page.url()}`);
  s.check(/from a notification/.test(shown.why), `it says where it came from: ${shown.why}`);
  s.check((await notifications()).length === 0, 'the notification closed');
  await shot('push-tip-opened.png');
  // done on the page: the same triage path; the page moves on to a policy's tip
  await page.keyboard.type('e');
  await page.waitForFunction((k) => !location.hash && (!document.querySelector('#tip') || document.querySelector('#tip').dataset.key !== k), key, { timeout: 10000 });
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  /* the first paint may come from the snapshot; the live list follows */
  await page.waitForFunction((k) => document.querySelectorAll('#cards > li[data-key]').length > 0 &&
    ![...document.querySelectorAll('#cards > li[data-key]')].some((li) => li.dataset.key === k), key, { timeout: 15000 }).catch(() => {});
  s.check(!(await keysShown()).includes(key), 'done on the opened item: gone from the inbox');
});

s.test('actions: Done with a page open, Snooze queued while none is', async () => {
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: regId, data: JSON.stringify({ v: 1, key: other, title: 'Other', topic: 'hub-tip', kind: 'tip' }) });
  await waitNotifications((l) => l.length === 1);
  const before = (await keysShown()).length;
  await inWorker(async () => {
    const [n] = await self.registration.getNotifications();
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n, action: 'done' }));
  });
  await page.waitForFunction((k) => ![...document.querySelectorAll('#cards > li[data-key]')].some((li) => li.dataset.key === k), other, { timeout: 10000 });
  s.check(!(await keysShown()).includes(other) && (await keysShown()).length === before - 1, 'Done from the notification: the open page applied it');
  s.check(page.url() === env.url, 'an action opens no page');
  // Snooze while no page is open: queued, applied by the next page
  const third = (await keysShown()).find((k) => !/linguist#6210/.test(k));
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: regId, data: JSON.stringify({ v: 1, key: third, title: 'Third', topic: 'hub-tip', kind: 'tip' }) });
  await waitNotifications((l) => l.length === 1 && l[0].title === 'Third');
  const sw = ctx.serviceWorkers().find((w) => w.url().startsWith(origin));
  await page.close();
  await sw.evaluate(async () => {
    const [n] = await self.registration.getNotifications();
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n, action: 'snooze' }));
    await new Promise((r) => setTimeout(r, 300));
  });
  page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.waitForFunction((k) => document.querySelectorAll('#cards > li[data-key]').length > 0 &&
    ![...document.querySelectorAll('#cards > li[data-key]')].some((li) => li.dataset.key === k), third, { timeout: 10000 }).catch(() => {});
  s.check(!(await keysShown()).includes(third), `Snooze with no page open: applied when a page opened (${third})`);
  s.check(await page.evaluate(() => new Promise((res) => {
    const r = indexedDB.open('hub-push', 1);
    r.onsuccess = () => { const q = r.result.transaction('actions').objectStore('actions').count(); q.onsuccess = () => res(q.result); };
    r.onerror = () => res(-1);
  })) === 0, 'the queue is empty afterwards');
  s.check(pageErrors.length === 0, `no page errors: ${pageErrors.join(' | ')}`);
});

s.test('"Notify me" in Settings: no hubd, then a hubd — permission asked on the click', async () => {
  await page.goto(env.url);
  await page.waitForSelector('#notify-settings', { state: 'attached', timeout: 20000 }); /* Settings is wired */
  await page.click('#open-settings');
  await page.waitForSelector('#notify-settings');
  const fields = await page.$$eval('#notify-settings [name]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('name'), e.tagName === 'BUTTON' ? e.getAttribute('aria-pressed') === 'true' : e.value])));
  s.check(fields.push_quiet_start === '22:00' && fields.push_quiet_end === '08:00' && fields.push_threshold === '4' && fields.push_enabled === true,
    `the section shows the push settings: ${JSON.stringify(fields)}`);
  await page.click('#notify-settings-button');
  await page.waitForFunction(() => document.querySelector('#notify-status').textContent.length > 0);
  s.check(/no hubd/i.test(await page.textContent('#notify-status')), `without a hubd it says so: ${await page.textContent('#notify-status')}`);
  s.check(await page.evaluate(() => window.__permAsked) === 0, 'without a hubd: no permission asked');
  // the quiet hours change through the core's settings command
  await page.fill('#notify-settings input[name=push_quiet_start]', '21:30');
  await page.dispatchEvent('#notify-settings input[name=push_quiet_start]', 'change');
  await page.waitForFunction(() => /Saved/.test(document.querySelector('#notify-status').textContent));
  const stored = await page.evaluate(async ([u, k]) => {
    const { HubClient } = await import('./hub-client.js');
    const c = new HubClient();
    await c.ready;
    await c.call({ cmd: 'settings', set: { hubd_url: u, hubd_key: k } });
    return (await c.call({ cmd: 'settings' })).settings;
  }, [hubdUrl, KEY]);
  s.check(stored.push_quiet_start === 21.5 && stored.hubd_key_set === true && !JSON.stringify(stored).includes(KEY),
    `quiet hours stored (21.5); the hubd key set and never shown (${stored.push_quiet_start})`);
  await ctx.grantPermissions(['notifications'], { origin });
  await page.click('#notify-settings-button');
  await page.waitForFunction(() => !document.querySelector('#notify-settings-button').disabled &&
    document.querySelector('#notify-status').textContent.length > 0 && !/no hubd|Saved/i.test(document.querySelector('#notify-status').textContent), null, { timeout: 30000 });
  const said = await page.textContent('#notify-status');
  s.check(await page.evaluate(() => window.__permAsked) === 1, 'the click asked for the permission, once');
  const st = await (await fetch(`${hubdUrl}/api/push`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  // Chromium without a push service cannot finish the subscription: the page must say why
  s.check(st.subscriptions.length === 1 ? /will be notified/.test(said) : /push service/i.test(said),
    `the outcome is reported (${st.subscriptions.length} at hubd): ${said}`);
  await shot('push-settings.png');
  await page.keyboard.press('Escape');
});

const ok = await s.run();
hubd.kill('SIGTERM');
await env.close();
process.exit(ok ? 0 : 1);
