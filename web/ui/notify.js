/*
 * ui/notify.js — "Notify me": Web Push from the hubd set in Settings (page layer, web/ui).
 *
 * The browser's permission is asked only when the user clicks "Notify me" (never on load).
 * Then: the service worker's PushManager subscribes with hubd's VAPID public key, and hubd is
 * told the subscription (with this device's time zone, for the quiet hours) and the push
 * settings. The page never builds hubd requests itself: the core's `push_request` command plans
 * each one from the hubd_url / hubd_key settings (the key is a secret setting the page cannot
 * read), and this module performs it with fetch().
 *
 * Also here: the Settings section (notify me / stop, on/off, quiet hours, threshold, hourly
 * cap — their ranges come from the core's meta, nothing retyped) and the notification actions
 * of web/sw.js (done / snooze): the worker queues them in IndexedDB and nudges the open pages;
 * here the queue is taken and each applied with the `triage` command (at once when a page is
 * open, else when one next opens).
 * Every string is set with textContent.
 */
import { h, replace } from './dom.js';
import { tzOffsetMin, snoozePresets } from './tip-clock.js';

const QUEUE_DB = 'hub-push';
const QUEUE_STORE = 'actions';
const STATE_KEY = 'hub-notify';
const PUSH_KEYS = ['push_enabled', 'push_quiet_start', 'push_quiet_end', 'push_threshold', 'push_max_per_hour'];

const SUBSCRIBE_MS = 10000; /* a browser that cannot reach its push service never answers */

/* p, or a rejection with message after ms. */
function withTimeout(p, ms, message) {
  let t;
  return Promise.race([p, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(message)), ms); })])
    .finally(() => clearTimeout(t));
}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/* base64url → Uint8Array (the VAPID key for applicationServerKey). */
function b64u(s) {
  const t = String(s).replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(t + '='.repeat((4 - (t.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/* Performs a request the core planned ({method, url, headers, body}); returns the JSON answer
 * or throws an Error with hubd's message. */
async function perform(req) {
  let res;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers || {}, body: req.body, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new Error('hubd cannot be reached');
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) throw new Error(String(data?.error?.message || `hubd answered ${res.status}`).slice(0, 200));
  return data;
}

/* Asks the core for the request of op and performs it. */
async function toHubd(hub, op, extra = {}) {
  const planned = await hub.call({ cmd: 'push_request', op, ...extra });
  return perform(planned.request);
}

function readState() {
  try { return JSON.parse(localStorage.getItem(STATE_KEY) || 'null'); } catch { return null; }
}
function writeState(s) {
  try { if (s) localStorage.setItem(STATE_KEY, JSON.stringify(s)); else localStorage.removeItem(STATE_KEY); } catch { /* private mode */ }
}

/* The push settings of the local core, for hubd (only push_*). */
async function pushSettings(hub) {
  const all = (await hub.call({ cmd: 'settings' })).settings || {};
  const out = {};
  for (const k of PUSH_KEYS) if (k in all) out[k] = all[k];
  return out;
}

/* Subscribes this device. Resolves to a short text for the user; throws with what went wrong. */
export async function enableNotifications(hub) {
  if (!pushSupported()) throw new Error('This browser cannot receive push notifications.');
  /* hubd first: without one there is nothing to ask permission for */
  const { vapid_public_key: vapid } = await toHubd(hub, 'key');
  if (typeof vapid !== 'string' || !/^[A-Za-z0-9_-]{80,90}$/.test(vapid)) throw new Error('hubd sent no usable VAPID key.');
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') throw new Error(perm === 'denied' ? 'Notifications are blocked for this site.' : 'Notifications were not allowed.');
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  const key = b64u(vapid);
  const same = sub?.options?.applicationServerKey &&
    new Uint8Array(sub.options.applicationServerKey).every((b, i) => b === key[i]);
  if (sub && !same) { await sub.unsubscribe(); sub = null; } /* another hubd's key: a fresh subscription */
  if (!sub) sub = await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), SUBSCRIBE_MS,
    'The browser\'s push service did not answer: this browser cannot receive notifications now.');
  const json = sub.toJSON();
  await toHubd(hub, 'subscribe', { subscription: json, tz_offset_min: tzOffsetMin(Date.now()), device: navigator.platform || '' });
  await toHubd(hub, 'settings', { settings: await pushSettings(hub) }).catch(() => {});
  writeState({ endpoint: json.endpoint, at: Date.now() });
  return 'This device will be notified.';
}

/* Unsubscribes this device (here and at hubd). */
export async function disableNotifications(hub) {
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (sub) {
    await toHubd(hub, 'unsubscribe', { subscription: { endpoint: sub.endpoint } }).catch(() => {});
    await sub.unsubscribe();
  }
  writeState(null);
  return 'Notifications are off on this device.';
}

/* 1 when this device is subscribed (as far as the page knows). */
export async function isSubscribed() {
  if (!pushSupported() || !readState()) return false;
  try {
    const reg = await navigator.serviceWorker.getRegistration();
    return !!(reg && await reg.pushManager.getSubscription());
  } catch { return false; }
}

/* ---- "Notify me" on the tip page ------------------------------------------------------------- */

/* A button; say(text) reports the outcome. */
export function notifyButton(hub, say) {
  const btn = h('button', { type: 'button', class: ['tbtn', 'tbtn-small', 'tip-notify'], id: 'notify-me', title: 'Get this tip as a notification (from your hubd)' },
    h('span', { text: 'Notify me' }));
  const show = async () => {
    const on = await isSubscribed();
    btn.dataset.on = String(on);
    btn.firstChild.textContent = on ? 'Notifying' : 'Notify me';
    btn.setAttribute('aria-pressed', String(on));
  };
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      say(await ((await isSubscribed()) ? disableNotifications(hub) : enableNotifications(hub)));
    } catch (err) {
      say(String(err?.message || err).slice(0, 200));
    } finally {
      btn.disabled = false;
      show();
    }
  });
  show();
  return btn;
}

/* ---- the Settings section ---------------------------------------------------------------------- */

function hhmm(hours) {
  const m = Math.round((Number(hours) || 0) * 60) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
function hours(v) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(v || '');
  return m ? Number(m[1]) + Number(m[2]) / 60 : null;
}

/* Adds the Notifications section to the Settings dialog's form. meta: hub.ready's meta (the
 * settings' ranges and help). Returns {refresh(settings)}. */
export function mountNotifySettings(hub, dialog, meta) {
  const form = dialog.querySelector('form');
  const defs = new Map((meta?.settings || []).map((d) => [d.key, d]));
  const help = (k) => String(defs.get(k)?.help || '').slice(0, 200);
  const status = h('p', { class: 'hint', id: 'notify-status', role: 'status' });
  const say = (t) => { status.textContent = t || ''; };
  const button = h('button', { type: 'button', class: 'btn', id: 'notify-settings-button' }, 'Notify me');
  const input = (name, type, extra = {}) => h('input', { name, type, autocomplete: 'off', ...extra });
  const f = {
    push_enabled: h('button', { type: 'button', class: 'btn', name: 'push_enabled', 'aria-pressed': 'true' }, 'On'),
    push_quiet_start: input('push_quiet_start', 'time'),
    push_quiet_end: input('push_quiet_end', 'time'),
    push_threshold: input('push_threshold', 'number', { step: '0.5', min: String(defs.get('push_threshold')?.min ?? 0), max: String(defs.get('push_threshold')?.max ?? 1000) }),
    push_max_per_hour: input('push_max_per_hour', 'number', { step: '1', min: String(defs.get('push_max_per_hour')?.min ?? 0), max: String(defs.get('push_max_per_hour')?.max ?? 60) }),
  };
  const field = (label, el, hint) => h('label', { class: 'field' }, h('span', { class: 'field-label', text: label }), el, h('span', { class: 'hint', text: hint }));
  const section = h('fieldset', { class: 'section', id: 'notify-settings' },
    h('legend', { class: 'section-title', text: 'Notifications' }),
    h('p', { class: 'hint', text: 'Your hubd sends one tip at a time to this device, when something is worth interrupting for.' }),
    h('div', { class: 'field' }, button, status),
    h('div', { class: 'field' }, h('span', { class: 'field-label', text: 'Let hubd notify me' }), f.push_enabled, h('span', { class: 'hint', text: help('push_enabled') })),
    field('Quiet hours from', f.push_quiet_start, 'Nothing is pushed from this time of day (your time zone)…'),
    field('Quiet hours until', f.push_quiet_end, '…until this one. The same time twice: no quiet hours.'),
    field('Worth a notification from a score of', f.push_threshold, help('push_threshold')),
    field('At most per hour', f.push_max_per_hour, help('push_max_per_hour')));
  form.insertBefore(section, form.querySelector('[data-status]'));

  const showButton = async () => { button.textContent = (await isSubscribed()) ? 'Stop notifying this device' : 'Notify me'; };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      say(await ((await isSubscribed()) ? disableNotifications(hub) : enableNotifications(hub)));
    } catch (err) {
      say(String(err?.message || err).slice(0, 200));
    } finally {
      button.disabled = false;
      showButton();
    }
  });

  /* each change is saved at once (locally, and at hubd when this device is subscribed) */
  const save = async (k, v) => {
    try {
      await hub.call({ cmd: 'settings', set: { [k]: v } });
      if (await isSubscribed()) await toHubd(hub, 'settings', { settings: { [k]: v } });
      say('Saved.');
    } catch (err) {
      say(String(err?.message || err).slice(0, 200));
    }
  };
  const showOn = (on) => { f.push_enabled.textContent = on ? 'On' : 'Off'; f.push_enabled.setAttribute('aria-pressed', String(on)); };
  f.push_enabled.addEventListener('click', () => {
    const on = f.push_enabled.getAttribute('aria-pressed') !== 'true';
    showOn(on);
    save('push_enabled', on);
  });
  for (const k of ['push_quiet_start', 'push_quiet_end']) {
    f[k].addEventListener('change', () => { const v = hours(f[k].value); if (v !== null) save(k, v); });
  }
  for (const k of ['push_threshold', 'push_max_per_hour']) {
    f[k].addEventListener('change', () => { const v = Number(f[k].value); if (f[k].value !== '' && Number.isFinite(v)) save(k, v); });
  }

  const refresh = (s) => {
    if (!s) return;
    showOn(s.push_enabled !== false);
    f.push_quiet_start.value = hhmm(s.push_quiet_start);
    f.push_quiet_end.value = hhmm(s.push_quiet_end);
    f.push_threshold.value = String(s.push_threshold ?? '');
    f.push_max_per_hour.value = String(s.push_max_per_hour ?? '');
    replace(status);
    showButton();
  };
  if (!pushSupported()) {
    button.disabled = true;
    say('This browser cannot receive push notifications.');
  }
  return { refresh };
}

/* ---- notification actions ------------------------------------------------------------------------- */

/* Applies one action ({key, action: 'done'|'snooze', at}) through the triage command. */
export async function applyAction(hub, a) {
  if (!a || typeof a.key !== 'string' || a.key.length > 500) return null;
  const now = Date.now();
  if (a.action === 'done') return hub.call({ cmd: 'triage', now, action: 'done', keys: [a.key] });
  if (a.action === 'snooze') {
    const at = Number.isFinite(a.at) ? a.at : now;
    const tomorrow = snoozePresets(at).find((p) => p.id === 'tomorrow');
    const until = Math.max(now + 60000, tomorrow ? tomorrow.until : at + 86400000);
    return hub.call({ cmd: 'triage', now, action: 'snooze', keys: [a.key], until });
  }
  return null;
}

function openQueue() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(QUEUE_DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(QUEUE_STORE, { autoIncrement: true });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/* Takes the actions the service worker queued while no page was open. */
async function drainQueue() {
  if (typeof indexedDB === 'undefined') return [];
  const db = await openQueue();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(QUEUE_STORE, 'readwrite');
      const store = tx.objectStore(QUEUE_STORE);
      const all = store.getAll();
      all.onsuccess = () => { store.clear(); };
      tx.oncomplete = () => resolve(all.result || []);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

let draining = null;

/* Takes the queue and applies each action (one drain at a time). */
function applyQueued(hub, onApplied) {
  if (draining) return draining.then(() => applyQueued(hub, onApplied));
  draining = drainQueue().then(async (list) => {
    for (const a of list) {
      try { await applyAction(hub, a); onApplied?.(a); } catch (err) { console.warn('hub: a notification action failed', err); }
    }
  }).catch(() => {}).finally(() => { draining = null; });
  return draining;
}

/* Applies the actions the service worker queued: now, and whenever it nudges this page.
 * onApplied(a) is called after each (to redraw). */
export function listenForActions(hub, onApplied) {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data && ev.data.type === 'hub-push-action') applyQueued(hub, onApplied);
  });
  applyQueued(hub, onApplied);
}
