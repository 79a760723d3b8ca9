/*
 * sw.js — the service worker: keeps the app shell so hub opens offline.
 *
 * Precaches the shell under a cache named by VERSION (the build replaces the
 * placeholder with a content hash). Same-origin GETs of precached files are served
 * cache-first, navigations to the app's page get the cached index.html; everything else (the GitHub API,
 * which is cross-origin anyway) goes to the network untouched and is never cached. Where the
 * browser has static routing (InstallEvent.addRoutes), cross-origin requests of the pages do not
 * even reach the fetch handler. (Chromium 156 does not apply the routes to a dedicated worker's
 * requests, so the sync's API requests from web/worker.js still pass through the handler, which
 * lets them go at once; owner.js says why they are not made from the page instead.)
 * A new version installs and then waits: only the page's {type:'skip-waiting'}
 * message (sent when the user clicks "Reload to update") lets it take over.
 *
 * Web Push (from the hubd the user asked to be notified by, web/ui/notify.js): `push` shows the
 * one tip hubd sent — its payload {key, title, why, kind, repo, number, topic} is data, shown as
 * notification text only — tagged with its Topic, so a newer push replaces the one on screen,
 * with the actions Done and Snooze. `notificationclick` opens the tip page on that item
 * (tip.html#<key>), in a window of the app when one is open; an action is queued in IndexedDB
 * and the open pages are nudged: the first to take the queue applies it with the `triage`
 * command (or the next page that opens does).
 */
const VERSION = '__HUB_VERSION__';
const CACHE = 'hub-shell-' + VERSION;

const SHELL = [
  './',
  './index.html',
  './app.js',
  './style.css',
  './brief.css',
  './manifest.webmanifest',
  './hub-client.js',
  './boot.js',
  './worker.js',
  './owner.js',
  './snapshot.js',
  './storage.js',
  './vault.js',
  './hub.mjs',
  './hub.wasm',
  './ui/body.js',
  './ui/brief.js',
  './ui/cards.js',
  './ui/detail.js',
  './ui/dom.js',
  './ui/empty.js',
  './ui/errors.js',
  './ui/format.js',
  './ui/header.js',
  './ui/icons.js',
  './ui/help.js',
  './ui/keys.js',
  './ui/outbox.js',
  './ui/search.js',
  './ui/snooze-menu.js',
  './ui/toast.js',
  './ui/triage.js',
  './ui/settings.js',
  './ui/sync.js',
  './ui/update.js',
  './ui/notify.js',
  './tip.html',
  './tip.js',
  './tip.css',
  './ui/tip-clock.js',
  './ui/tip-learned.js',
  './ui/tip-snoozes.js',
  './ui/tip-view.js',
  './activity.html',
  './activity.js',
  './activity.css',
  './ui/heatmap.js',
  './console.html',
  './console/console.css',
  './console/main.js',
  './console/fmt.js',
  './console/table.js',
  './console/chart.js',
  './console/dialog.js',
  './console/events.js',
  './console/bandit.js',
  './console/log.js',
  './console/rewards.js',
  './console/quality.js',
  './console/sql.js',
  './console/health.js',
  './console/data.js',
  './icons/icon-192.png',
  './icons/icon-512.png',
  './icons/icon-maskable-512.png',
  './icons/apple-touch-icon.png',
];

const SHELL_PATHS = new Set(SHELL.map((p) => new URL(p, self.registration.scope).pathname));
const INDEX = new URL('./index.html', self.registration.scope).href;
/* the app's own page, whatever its query string (start_url, bookmarks) */
const APP_PAGES = new Set([new URL('./', self.registration.scope).pathname, new URL(INDEX).pathname]);

self.addEventListener('install', (event) => {
  /* all or nothing: a half-filled cache would open a broken app offline */
  event.waitUntil(Promise.all([
    caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' })))),
    addRoutes(event),
  ]));
});

/* Static routes (where the browser has them): the app's own files straight from this version's
 * cache without running this worker's code (a miss falls back to the network), other origins
 * straight to the network; navigations still come to the fetch handler (any query string opens
 * index.html). A browser without static routing sends everything through the handler. */
async function addRoutes(event) {
  if (typeof event.addRoutes !== 'function' || typeof URLPattern !== 'function') return;
  const here = { protocol: self.location.protocol.slice(0, -1), hostname: self.location.hostname, port: self.location.port };
  const files = [...SHELL_PATHS].filter((p) => !APP_PAGES.has(p));
  try {
    await event.addRoutes([
      { condition: { requestMode: 'navigate' }, source: 'fetch-event' },
      ...files.map((pathname) => ({
        condition: { urlPattern: new URLPattern({ ...here, pathname, search: '' }), requestMethod: 'get' },
        source: { cacheName: CACHE },
      })),
      { condition: { not: { urlPattern: new URLPattern(here) } }, source: 'network' },
    ]);
  } catch (e) {
    console.warn('hub: no static routes', e);
  }
}

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('hub-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return; /* API calls: network, never cached */
  if (req.mode === 'navigate' && APP_PAGES.has(url.pathname)) {
    event.respondWith(fromCache(INDEX, req));
    return;
  }
  if (!SHELL_PATHS.has(url.pathname)) return;
  event.respondWith(fromCache(url.origin + url.pathname, req));
});

/* Returns the cached copy of key, else the network's answer for req. */
async function fromCache(key, req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key, { ignoreVary: true });
  if (hit) return hit;
  return fetch(req);
}

/* ---- Web Push ---------------------------------------------------------------------------------- */

const TIP_PAGE = new URL('./tip.html', self.registration.scope).href;
const str = (v, max) => (typeof v === 'string' ? v.slice(0, max) : '');

/* The payload as an object ({} when it is not JSON: then its text is the title). */
function payloadOf(data) {
  if (!data) return {};
  try {
    const p = data.json();
    return p && typeof p === 'object' ? p : {};
  } catch {
    try { return { title: data.text() }; } catch { return {}; }
  }
}

self.addEventListener('push', (event) => {
  const p = payloadOf(event.data);
  const key = str(p.key, 500);
  const where = [str(p.repo, 140), Number.isInteger(p.number) && p.number > 0 ? `#${p.number}` : ''].join('');
  const lead = p.kind === 'tip' ? 'Your next tip' : str(p.why, 80) || 'New';
  const title = str(p.title, 300) || 'hub';
  event.waitUntil(self.registration.showNotification(title, {
    body: [lead, where].filter(Boolean).join(' · '),
    tag: str(p.topic, 32) || 'hub-tip',
    renotify: true,
    icon: new URL('./icons/icon-192.png', self.registration.scope).href,
    data: { key, kind: str(p.kind, 8) },
    actions: key ? [{ action: 'done', title: 'Done' }, { action: 'snooze', title: 'Snooze till tomorrow' }] : [],
  }));
});

/* Queues an action for the next page that opens (IndexedDB hub-push/actions). */
function queueAction(a) {
  return new Promise((resolve) => {
    const r = indexedDB.open('hub-push', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('actions', { autoIncrement: true });
    r.onerror = () => resolve();
    r.onsuccess = () => {
      const tx = r.result.transaction('actions', 'readwrite');
      tx.objectStore('actions').add(a);
      tx.oncomplete = tx.onerror = () => { r.result.close(); resolve(); };
    };
  });
}

async function onNotificationClick(n, action) {
  const key = str(n.data?.key, 500);
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: false });
  if (action === 'done' || action === 'snooze') {
    /* queued first (nothing is lost when no page listens), then every page is nudged: the first
     * that takes the queue applies it */
    if (key) await queueAction({ key, action, at: Date.now() });
    for (const w of wins) w.postMessage({ type: 'hub-push-action' });
    return;
  }
  const url = key ? `${TIP_PAGE}#${encodeURIComponent(key)}` : TIP_PAGE;
  const win = wins.find((w) => new URL(w.url).pathname === new URL(TIP_PAGE).pathname) || wins[0];
  if (win) {
    const opened = await win.navigate(url).catch(() => null);
    try { await (opened || win).focus(); } catch { /* focus needs the click's activation */ }
    if (opened || !self.clients.openWindow) return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(onNotificationClick(event.notification, event.action));
});
