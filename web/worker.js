// worker.js — the only owner of hub's wasm core and its database (a dedicated module Worker).
//
// It loads the module, opens durable storage (storage.js: OPFS, else IndexedDB snapshots,
// else memory), and answers the page's messages:
//   {id, type:'call', req}  → {id, type:'reply', ok, res | error}
//   {id, type:'sync'}       → progress messages, then the reply with the run's statistics
// For a sync it drives the core's sans-I/O engine with fetch(): asks for the next requests,
// performs them (timeouts by AbortController; the core plans one request per token at a
// time), and feeds the answers back. No Asyncify, no threads, no SharedArrayBuffer.
import createHub from './hub.mjs';
import { openStorage } from './storage.js';

const VERSION = '__HUB_VERSION__';
const MAX_WAIT_MS = 15 * 60 * 1000;     // the core ends a run that would wait longer (rate-limited)

let M = null;        // the Emscripten module
let handle = 0;      // the core's hub*
let storage = null;  // {mode, note, persist}
let syncing = false;
let META = null;     // the core's meta command: commands and whether they write, limits, …

// Whether a command writes, from the core's own table (never retyped here): writing commands
// are followed by storage.persist() (a no-op on OPFS, where each commit is durable; a snapshot
// in IndexedDB mode).
function writes(req) {
  const c = META && req && META.commands[req.cmd];
  if (!c) return true;
  return c.writes && (!c.writes_with || req[c.writes_with] !== undefined);
}

// Runs one JSON command in the core. Every allocation crossing the boundary is freed here.
function call(req) {
  const text = JSON.stringify(req);
  const n = M.lengthBytesUTF8(text) + 1;
  const p = M._malloc(n);
  if (!p) throw Object.assign(new Error('out of memory'), { code: 'nomem' });
  let out = 0;
  try {
    M.stringToUTF8(text, p, n);
    out = M._hub_wasm_call(handle, p, n - 1);
  } finally {
    M._free(p);
  }
  if (!out) throw Object.assign(new Error('out of memory'), { code: 'nomem' });
  try {
    return JSON.parse(M.UTF8ToString(out));
  } finally {
    M._hub_free(out);
  }
}

function check(res) {
  if (res && res.error) throw Object.assign(new Error(res.error.message), { code: res.error.code, field: res.error.field });
  return res;
}

async function persist() {
  try {
    await storage.persist();
  } catch (e) {
    throw Object.assign(new Error(e.message || String(e)), { code: e.code || 'storage' });
  }
}

// Performs one planned request and returns the sync_feed command for its answer.
async function perform(f) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), f.timeout_ms || 30000);
  try {
    const res = await fetch(f.url, {
      method: f.method, headers: f.headers, body: f.body ?? undefined, signal: ctl.signal,
      cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
    const headers = {};
    res.headers.forEach((v, k) => { headers[k] = v; });
    const MAX_BODY = META.limits.body;  // the core's own ceiling
    const len = Number(res.headers.get('content-length') || 0);
    if (len > MAX_BODY) {
      ctl.abort();
      return { cmd: 'sync_feed', id: f.id, now: Date.now(), status: res.status, headers, body_too_large: true };
    }
    const body = await res.text();
    if (body.length > MAX_BODY) {
      return { cmd: 'sync_feed', id: f.id, now: Date.now(), status: res.status, headers, body_too_large: true };
    }
    return { cmd: 'sync_feed', id: f.id, now: Date.now(), status: res.status, headers, body };
  } catch (e) {
    // A fetch that fails before any response (a TypeError), or the browser saying it is
    // offline: the core ends the run at once as "offline" — no retries, no backoff.
    const timedOut = e.name === 'AbortError';
    const offline = !timedOut && ((self.navigator && self.navigator.onLine === false) || e instanceof TypeError);
    const why = timedOut ? 'timed out' : (offline ? 'offline: no answer from the network' : (e.message || 'network error'));
    return { cmd: 'sync_feed', id: f.id, now: Date.now(), error: why, offline };
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Time spent waiting on the network vs inside the core, for the last sync (benchmarks).
const timing = { fetch_ms: 0, core_ms: 0 };

async function runSync(progress) {
  timing.fetch_ms = 0;
  timing.core_ms = 0;
  check(call({ cmd: 'sync_start', now: Date.now(), max_wait_ms: MAX_WAIT_MS }));
  try {
    for (;;) {
      const next = check(call({ cmd: 'sync_next', now: Date.now() }));
      if (next.done) return next.run;
      const p = next.progress || {};
      if (next.fetch.length === 0) {
        if (next.wait_until) {
          progress({ ...p, waiting_until: next.wait_until, wait: next.wait || null });
          await sleep(Math.max(0, next.wait_until - Date.now()));
        }
        continue;
      }
      progress({ ...p, waiting_until: null });
      const t0 = performance.now();
      const feeds = await Promise.all(next.fetch.map(perform));
      const t1 = performance.now();
      for (const feed of feeds) check(call(feed));
      timing.fetch_ms += t1 - t0;
      timing.core_ms += performance.now() - t1;
    }
  } finally {
    await persist();
  }
}

async function handle_message(msg) {
  const { id } = msg;
  try {
    if (msg.type === 'call') {
      const res = check(call(msg.req));
      if (msg.req && msg.req.cmd === 'health') res.worker = { storage: storage.mode, memory_bytes: M.HEAPU8.length, version: VERSION, syncing }; // the console's health panel
      if (writes(msg.req)) await persist();
      self.postMessage({ type: 'reply', id, ok: true, res });
    } else if (msg.type === 'sync') {
      if (syncing) throw Object.assign(new Error('a refresh is already running'), { code: 'busy' });
      syncing = true;
      try {
        const run = await runSync((progress) => self.postMessage({ type: 'progress', id, progress }));
        self.postMessage({ type: 'reply', id, ok: true, res: { ...run, timing: { ...timing } } });
      } finally {
        syncing = false;
      }
    } else {
      throw Object.assign(new Error(`unknown message type ${msg.type}`), { code: 'bad_request' });
    }
  } catch (e) {
    self.postMessage({ type: 'reply', id, ok: false, error: { code: e.code || 'error', message: e.message || String(e), field: e.field } });
  }
}

// Defaults for a first visit, from an optional config.json next to the app (make run writes
// one pointing at the demo upstream). Applied only to settings that are still unset.
async function loadDefaults() {
  let cfg = {};
  try {
    const r = await fetch(new URL('./config.json', import.meta.url), { cache: 'no-store' });
    if (r.ok) cfg = await r.json();
  } catch (e) { /* a static host without config.json: GitHub itself */ }
  const cur = check(call({ cmd: 'settings' })).settings;
  const set = {};
  if (typeof cfg.github_api === 'string' && !cur.github_user && !cur.github_token_set) {
    set.github_api = cfg.github_api;
    if (typeof cfg.github_token === 'string') set.github_token = cfg.github_token;
    // other first-visit settings (make run's demo turns on a good-first-issue list)
    if (cfg.settings && typeof cfg.settings === 'object') {
      for (const [k, v] of Object.entries(cfg.settings)) if (cur[k] === null || cur[k] === '' || cur[k] === undefined) set[k] = v;
    }
  }
  if (Object.keys(set).length) { check(call({ cmd: 'settings', set })); await persist(); }
  return { github_api: cfg.github_api || 'https://api.github.com', demo: cfg.demo === true };
}

let queue = Promise.resolve();
async function start() {
  M = await createHub();
  storage = await openStorage(M, { name: 'hub.db' });
  const path = M.lengthBytesUTF8(storage.path) + 1;
  const pp = M._malloc(path);
  const vfs = storage.vfs ? M.lengthBytesUTF8(storage.vfs) + 1 : 0;
  const vp = vfs ? M._malloc(vfs) : 0;
  try {
    M.stringToUTF8(storage.path, pp, path);
    if (vp) M.stringToUTF8(storage.vfs, vp, vfs);
    handle = M._hub_wasm_open(pp, vp);
  } finally {
    M._free(pp);
    if (vp) M._free(vp);
  }
  if (!handle) throw Object.assign(new Error(M.UTF8ToString(M._hub_wasm_error()) || 'cannot open the database'), { code: 'db' });
  META = check(call({ cmd: 'meta' }));
  const defaults = await loadDefaults();
  self.postMessage({ type: 'ready', version: VERSION, storage: { mode: storage.mode, note: storage.note }, defaults, meta: META });
}

const started = start().catch((e) => {
  self.postMessage({ type: 'fatal', error: { code: e.code || 'start', message: e.message || String(e) } });
  throw e;
});

// Messages are handled one at a time, in order, after start-up (a sync yields while it waits
// on the network; other calls queue behind it only if they arrive before it starts).
self.onmessage = (ev) => {
  const msg = ev.data;
  if (msg && msg.type === 'call') {
    // calls are synchronous in the core; run them as soon as the module is up
    started.then(() => handle_message(msg));
  } else {
    queue = queue.then(() => started).then(() => handle_message(msg));
  }
};
