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
