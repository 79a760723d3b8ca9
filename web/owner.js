// owner.js — what the worker that owns the database does (web/ layer, runs in web/worker.js).
//
// One tab's worker at a time owns hub's database (worker.js elects it with a Web Lock); this
// module is that owner's half: it loads the wasm core, opens durable storage (storage.js),
// answers commands, drives syncs with fetch() and writes the first-paint snapshot.
//
//   const o = new Owner({ version, changed, snapshot });
//   const info = await o.start({ lockWaitMs });   → {version, storage, defaults, meta, timing}
//   o.handle(msg, from, send)   msg {id, type:'call', req} | {id, type:'sync'} | {type:'abort'}
//                               send(reply) gets {id, type:'reply'|'progress', …}
// After a command that wrote, and after each sync, it calls changed(from, cmd) (worker.js tells
// the other tabs) and, a moment later, snapshot(snap): the top cards and the header numbers, for
// web/snapshot.js to keep where the page can read it before any worker is up.
//
// Syncs: the core plans, this module only performs (timeouts by AbortController, one request per
// token at a time as the core plans them). Each answer's body goes to the core as bytes
// (hub_wasm_feed: fetch's ArrayBuffer copied straight into the module's memory, never wrapped
// into a JSON string); a reply to a sync carries timing: fetch, copy, core (and of it OPFS)
// milliseconds, and with {type:'sync', profile:true} also parse_ms (each body parsed once more
// on its own, for the benchmark's split). A fetch that fails before any response, or
// navigator.onLine false, is fed back as offline: the core ends the run at once. abort() (the
// Cancel button) stops the fetches in flight and the waits, and ends the run as "aborted".
// API fetches use the default cache mode: the core's own If-None-Match / If-Modified-Since keep
// them conditional, and Chromium's CORS preflight cache stays usable (no-store bypassed it: a
// re-sync of the demo sent 4 preflights for 4 requests, now 0). They are made here, in the
// worker, although Chromium 156 passes a dedicated worker's requests through the service
// worker's fetch handler (its static routes apply to pages only): made from the page they skip
// the service worker, but Chromium then turns each conditional request into no-store and
// preflights it again — a round trip to GitHub per request instead of a local dispatch.
//
// The GitHub token is not a core setting here: vault.js keeps it encrypted under a
// non-extractable WebCrypto key in IndexedDB. The `settings` command passes through settingsCmd
// (a token in "set" goes to the vault, the core is told github_token null, and the answer's
// github_token_set says what the vault holds); each sync decrypts it and gives it to sync_start
// as opts.token (token_from "Settings"). A token still in the core's settings (an older
// version's database, an import) is moved into the vault once (migrateToken). Where the browser
// offers no WebCrypto or IndexedDB (http:// on another machine), the token stays the core's
// setting, as before, and the settings answer says so (github_token_store "database" and why).
import createHub from './hub.mjs';
import { openStorage } from './storage.js';
import { screenKey } from './snapshot.js';
import { openVault } from './vault.js';

const MAX_WAIT_MS = 15 * 60 * 1000;   // the core ends a run that would wait longer (rate-limited)
const SNAP_CARDS = 20;                 // cards kept for first paint
const SNAP_DELAY_MS = 60;              // a burst of writes makes one snapshot
const SNAP_FROMS = 6;                  // screens (filters, searches) remembered for the snapshot
const TOKEN = 'github_token';          // the core's setting, and the vault's record
const TOKEN_MAX = 4096;                // bytes, as the core's text settings

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// Whether a command writes, from the core's own table (meta.commands; never retyped here).
export function writes(meta, req) {
  const c = meta && req && meta.commands[req.cmd];
  if (!c) return true;
  return c.writes && (!c.writes_with || req[c.writes_with] !== undefined);
}

function fail(message, code, field, position) {
  return Object.assign(new Error(message), { code, field, position });
}

// Throws the core's kind of error for a token that cannot go in an Authorization header: the
// vault keeps what the core would have checked (text, at most TOKEN_MAX bytes), and printable
// ASCII only (GitHub's tokens are; anything else would make fetch() refuse the request).
function checkToken(t) {
  if (typeof t !== 'string') throw fail('"github_token" must be a string', 'bad_setting', TOKEN);
  if (new TextEncoder().encode(t).length > TOKEN_MAX) throw fail(`github_token: longer than ${TOKEN_MAX} bytes`, 'bad_setting', TOKEN);
  if (!/^[\x21-\x7e]+$/.test(t)) throw fail('github_token: a GitHub token is letters, digits and punctuation, without spaces', 'bad_setting', TOKEN);
}

export class Owner {
  constructor({ version, changed, snapshot, fetcher = request }) {
    this.version = version;
    this.fetcher = fetcher;
    this.onChanged = changed;
    this.onSnapshot = snapshot;
    this.M = null;
    this.handle_ = 0;
    this.storage = null;
    this.meta = null;
    this.sync = null;          // {ctl: AbortController} while a sync runs
    this.queue = Promise.resolve();
    this.froms = new Map([['all', { from: 'all' }]]);   // screenKey → {from, q}, latest last
    this.snapTimer = 0;
    this.timing = {};
    this.profile = false;      // the sync being run measures its parse share too (benchmark)
    this.vault = null;         // vault.js's Vault, or {ok:false, why}: the token stays in the core
  }

  // Loads the module and opens the database. config.json (first-visit defaults) is read in
  // parallel with the module's compile and the storage open, and applied before ready.
  async start({ lockWaitMs = 3000 } = {}) {
    const t0 = performance.now();
    const cfg = readConfig();
    const vault = openVault();
    const mod = await compileWasm();
    this.M = await createHub({
      instantiateWasm(imports, receive) {
        const instance = new WebAssembly.Instance(mod, imports);
        receive(instance, mod);
        return instance.exports;
      },
    });
    const t1 = performance.now();
    this.storage = await openStorage(this.M, { name: 'hub.db', lockWaitMs });
    this.handle_ = this.open(this.storage.path, this.storage.vfs);
    const t2 = performance.now();
    this.meta = this.call({ cmd: 'meta' });
    this.vault = await vault;
    await this.migrateToken();
    const defaults = await this.applyDefaults(await cfg);
    const t3 = performance.now();
    this.scheduleSnapshot(1500);  // a first one, out of the way of the first screen
    return {
      version: this.version,
      storage: { mode: this.storage.mode, note: this.storage.note },
      defaults,
      meta: this.meta,
      // when the worker began and when this start began (epoch ms), then the steps' durations
      timing: { worker_at: performance.timeOrigin, start_at: performance.timeOrigin + t0, wasm_ms: t1 - t0, storage_ms: t2 - t1, meta_ms: t3 - t2 },
    };
  }

  open(path, vfs) {
    const M = this.M;
    const pn = M.lengthBytesUTF8(path) + 1;
    const pp = M._malloc(pn);
    const vn = vfs ? M.lengthBytesUTF8(vfs) + 1 : 0;
    const vp = vn ? M._malloc(vn) : 0;
    let h = 0;
    try {
      M.stringToUTF8(path, pp, pn);
      if (vp) M.stringToUTF8(vfs, vp, vn);
      h = M._hub_wasm_open(pp, vp);
    } finally {
      M._free(pp);
      if (vp) M._free(vp);
    }
    if (!h) throw fail(M.UTF8ToString(M._hub_wasm_error()) || 'cannot open the database', 'db');
    return h;
  }

  // Runs one JSON command in the core; throws the core's error. Every allocation crossing the
  // boundary is freed here.
  call(req) {
    const M = this.M;
    const text = JSON.stringify(req);
    const n = M.lengthBytesUTF8(text) + 1;
    const p = M._malloc(n);
    if (!p) throw fail('out of memory', 'nomem');
    let out = 0;
    try {
      M.stringToUTF8(text, p, n);
      out = M._hub_wasm_call(this.handle_, p, n - 1);
    } finally {
      M._free(p);
    }
    return this.answer(out);
  }

  // The core's answer at out (freed here) as an object; throws the core's error.
  answer(out) {
    const M = this.M;
    if (!out) throw fail('out of memory', 'nomem');
    let res;
    try {
      res = JSON.parse(M.UTF8ToString(out));
    } finally {
      M._hub_free(out);
    }
    if (res && res.error) throw fail(res.error.message, res.error.code, res.error.field, res.error.position);
    return res;
  }

  // Feeds one answer of a sync: with its body as bytes through hub_wasm_feed (the request
  // without "body", the bytes copied into malloc'd memory, both freed here), or as a JSON
  // command when it has no bytes (a network error; a fetcher that gives text).
  feed(f) {
    const M = this.M;
    const t0 = performance.now();
    if (!f.bytes) {
      this.call(f);
      this.timing.core_ms += performance.now() - t0;
      return;
    }
    const { bytes, ...req } = f;
    const text = JSON.stringify(req);
    const n = M.lengthBytesUTF8(text) + 1;
    const p = M._malloc(n);
    const b = p ? M._malloc(bytes.length || 1) : 0;
    let out = 0;
    try {
      if (!p || !b) throw fail('out of memory', 'nomem');
      M.stringToUTF8(text, p, n);
      M.HEAPU8.set(bytes, b);  // after malloc: a grown memory has a new HEAPU8
      const t1 = performance.now();
      out = M._hub_wasm_feed(this.handle_, p, n - 1, b, bytes.length);
      const t2 = performance.now();
      this.timing.copy_ms += t1 - t0;
      this.timing.core_ms += t2 - t1;
      this.timing.bytes += bytes.length;
      if (this.profile) {
        M._hub_wasm_parse_probe(b, bytes.length);
        this.timing.parse_ms += performance.now() - t2;
      }
    } finally {
      if (p) M._free(p);
      if (b) M._free(b);
    }
    this.answer(out);
  }

  async persist() {
    try {
      await this.storage.persist();
    } catch (e) {
      throw fail(e.message || String(e), e.code || 'storage');
    }
  }

  // Handles one message of a page (this tab's or a relayed one; from names it).
  handle(msg, from, send) {
    if (msg.type === 'abort') { this.abort(); return; }
    const id = msg.id;
    const run = async () => {
      try {
        if (msg.type === 'call') {
          const res = msg.req && msg.req.cmd === 'settings' ? await this.settingsCmd(msg.req) : this.call(msg.req);
          if (msg.req && msg.req.cmd === 'health') { /* the console's health panel */
            res.worker = { storage: this.storage?.mode, memory_bytes: this.M?.HEAPU8?.length, version: this.version, syncing: !!this.sync };
          }
          this.noteFrom(msg.req);
          if (writes(this.meta, msg.req)) {
            if (msg.req.cmd === 'import') await this.migrateToken();
            if (msg.req.cmd === 'purge' && this.vault?.ok) await this.vault.delete(TOKEN);  // "the token too"
            await this.persist();
            this.changed(from, msg.req.cmd);
          }
          send({ type: 'reply', id, ok: true, res });
        } else if (msg.type === 'sync') {
          if (this.sync) throw fail('a refresh is already running (perhaps in another tab)', 'busy');
          let run;
          this.profile = msg.profile === true;
          try {
            run = await this.runSync((progress) => send({ type: 'progress', id, progress }));
          } finally {
            this.profile = false;
            this.changed(from, 'sync');
          }
          send({ type: 'reply', id, ok: true, res: { ...run, timing: { ...this.timing } } });
        } else {
          throw fail(`unknown message type ${msg.type}`, 'bad_request');
        }
      } catch (e) {
        send({ type: 'reply', id, ok: false, error: { code: e.code || 'error', message: e.message || String(e), field: e.field, position: e.position } });
      }
    };
    // calls are synchronous in the core and run at once (also while a sync waits on the
    // network); syncs queue in order
    if (msg.type === 'call') run();
    else this.queue = this.queue.then(run);
  }

  // Remembers the screen a page asked for (its filter or search), the latest SNAP_FROMS of them.
  noteFrom(req) {
    if (req.cmd !== 'first_screen' && req.cmd !== 'cards') return;
    const key = screenKey(req.q, req.from);
    if (key === 'all') return;
    this.froms.delete(key);
    this.froms.set(key, { from: typeof req.from === 'string' ? req.from : 'all', q: typeof req.q === 'string' ? req.q : '' });
    if (this.froms.size > SNAP_FROMS) this.froms.delete([...this.froms.keys()].find((k) => k !== 'all'));
  }

  changed(from, cmd) {
    try { this.onChanged?.(from, cmd); } catch (e) { console.warn(e); }
    this.scheduleSnapshot(SNAP_DELAY_MS);
  }

  // Stops the running sync, if any, within moments: fetches in flight and waits end now.
  abort() {
    if (this.sync) this.sync.ctl.abort();
  }

  // ---- sync ----------------------------------------------------------------------------------

  async runSync(progress) {
    const ctl = new AbortController();
    this.sync = { ctl };
    this.timing = { fetch_ms: 0, copy_ms: 0, core_ms: 0, opfs_ms: 0, parse_ms: 0, bytes: 0, opfs_writes: 0, opfs_flushes: 0 };
    const opfs0 = { ...(this.M.opfs?.stats || {}) };
    try {
      this.call({ cmd: 'sync_start', now: Date.now(), max_wait_ms: MAX_WAIT_MS, ...(await this.tokenOpts()) });
      for (;;) {
        if (ctl.signal.aborted) return this.cancelled();
        const next = this.call({ cmd: 'sync_next', now: Date.now() });
        if (next.done) return next.run;
        const p = next.progress || {};
        if (next.fetch.length === 0) {
          if (next.wait_until) {
            progress({ ...p, waiting_until: next.wait_until, wait: next.wait || null });
            await sleep(Math.max(0, next.wait_until - Date.now()), ctl.signal);
          }
          continue;
        }
        progress({ ...p, waiting_until: null, wait: null });
        const t0 = performance.now();
        const feeds = await Promise.all(next.fetch.map((f) => this.perform(f, ctl.signal)));
        if (ctl.signal.aborted) return this.cancelled();
        this.timing.fetch_ms += performance.now() - t0;
        for (const feed of feeds) this.feed(feed);
      }
    } finally {
      const opfs1 = this.M.opfs?.stats || {};
      this.timing.opfs_ms = (opfs1.ms || 0) - (opfs0.ms || 0);
      this.timing.opfs_writes = (opfs1.writes || 0) - (opfs0.writes || 0);
      this.timing.opfs_flushes = (opfs1.flushes || 0) - (opfs0.flushes || 0);
      this.sync = null;
      await this.persist();
    }
  }

  // Ends the run as aborted and returns its stored record (status "aborted").
  cancelled() {
    this.call({ cmd: 'sync_abort', reason: 'cancelled' });
    const run = this.call({ cmd: 'last_run' }).run || { status: 'aborted' };
    return { ...run, cancelled: true };
  }

  // Performs one planned request and returns the sync_feed command for its answer.
  async perform(f, signal) {
    const now = () => Date.now();
    if (self.navigator && self.navigator.onLine === false) {
      return { cmd: 'sync_feed', id: f.id, now: now(), error: 'offline: the browser has no network', offline: true };
    }
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; ctl.abort(); }, f.timeout_ms || 30000);
    const stop = () => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const req = { url: f.url, method: f.method, headers: f.headers, body: f.body, max_body: this.meta.limits.body };
      const res = await this.fetcher(req, ctl.signal);
      return { cmd: 'sync_feed', id: f.id, now: now(), ...res };
    } catch (e) {
      // A fetch that fails before any response (a TypeError), or the browser saying it is
      // offline: the core ends the run at once as "offline" — no retries, no backoff.
      const offline = !timedOut && !signal.aborted &&
        ((self.navigator && self.navigator.onLine === false) || e.online === false || e.name === 'TypeError');
      const why = timedOut ? 'timed out' : (offline ? 'offline: no answer from the network' : (e.message || 'network error'));
      return { cmd: 'sync_feed', id: f.id, now: now(), error: why, offline };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }

  // ---- the GitHub token in the vault ---------------------------------------------------------

  // The settings command, with the token kept in the vault: a token in "set" goes there (checked
  // first; the core is told github_token null, so nothing stays in the database and a new token
  // starts a new conversation as the core's own setting did), null or "" deletes it. Without a
  // vault the core keeps it, as before. The answer says where it is kept (tokenState).
  async settingsCmd(req) {
    const set = req.set;
    if (!this.vault?.ok || !set || typeof set !== 'object' || !Object.hasOwn(set, TOKEN)) {
      return this.tokenState(this.call(req));
    }
    const token = set[TOKEN];
    if (token !== null && token !== '') checkToken(token);
    const res = this.call({ ...req, set: { ...set, [TOKEN]: null } });
    if (token) await this.vault.put(TOKEN, token);
    else await this.vault.delete(TOKEN);
    return this.tokenState(res);
  }

  // Adds to a settings answer whether a token is set (the vault's, or one the core still holds)
  // and where it is kept: github_token_store "vault", or "database" with github_token_store_why.
  async tokenState(res) {
    const s = res && res.settings;
    if (!s) return res;
    if (this.vault?.ok) {
      s.github_token_set = (await this.vault.has(TOKEN)) || !!s.github_token_set;
      s.github_token_store = 'vault';
    } else {
      s.github_token_store = 'database';
      s.github_token_store_why = this.vault?.why || 'the encrypted store is not open';
    }
    return res;
  }

  // sync_start's opts for the token: {token, token_from} from the vault, {} without one (the
  // core then reads its own setting: a browser without a vault).
  async tokenOpts() {
    if (!this.vault?.ok) return {};
    await this.migrateToken();
    const token = await this.vault.get(TOKEN);
    return token ? { token, token_from: 'Settings' } : {};
  }

  // Moves a token the core still holds (an older version's database, an import) into the vault,
  // once: read with the core's read-only sql command (the settings command never shows it),
  // written, read back, and only then cleared from the core. The database's token wins over one
  // already in the vault: it is the one the user last gave it.
  async migrateToken() {
    if (!this.vault?.ok || !this.call({ cmd: 'settings' }).settings.github_token_set) return;
    const rows = this.call({ cmd: 'sql', sql: "SELECT v FROM settings WHERE k = 'github_token'", limit: 1 }).rows;
    const token = Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0][0] : null;
    if (typeof token === 'string' && token) {
      await this.vault.put(TOKEN, token);
      if ((await this.vault.get(TOKEN)) !== token) return;
    }
    this.call({ cmd: 'settings', set: { [TOKEN]: null } });
    await this.persist();
  }

  // ---- first-visit defaults ------------------------------------------------------------------

  // Applies config.json's defaults to settings that are still unset.
  async applyDefaults(cfg) {
    const cur = (await this.tokenState(this.call({ cmd: 'settings' }))).settings;
    const set = {};
    if (typeof cfg.github_api === 'string' && !cur.github_user && !cur.github_token_set) {
      set.github_api = cfg.github_api;
      if (typeof cfg.github_token === 'string') set.github_token = cfg.github_token;
      // other first-visit settings (make run's demo turns on a good-first-issue list)
      if (cfg.settings && typeof cfg.settings === 'object') {
        for (const [k, v] of Object.entries(cfg.settings)) if (cur[k] === null || cur[k] === '' || cur[k] === undefined) set[k] = v;
      }
    }
    if (Object.keys(set).length) { await this.settingsCmd({ cmd: 'settings', set }); await this.persist(); }
    return { github_api: cfg.github_api || 'https://api.github.com', demo: cfg.demo === true };
  }

  // ---- the first-paint snapshot ----------------------------------------------------------------

  scheduleSnapshot(ms) {
    clearTimeout(this.snapTimer);
    this.snapTimer = setTimeout(() => this.writeSnapshot(), ms);
  }

  // The top cards of each filter in use, the per-filter counts, the header numbers and the
  // latest runs, as the page's first_screen would show them now. Skipped while a sync runs
  // (the sync's end makes one).
  writeSnapshot() {
    if (this.sync || !this.handle_) return;
    try {
      const now = Date.now();
      const first = this.call({ cmd: 'first_screen', now, limit: SNAP_CARDS, from: 'all' });
      const screens = { all: first.cards };
      for (const [key, sel] of this.froms) {
        if (key !== 'all') screens[key] = this.call({ cmd: 'cards', now, limit: SNAP_CARDS, ...sel }).cards;
      }
      const tabs = this.call({ cmd: 'searches', now }).searches;
      const runs = this.call({ cmd: 'runs', limit: 5 }).runs
        .map((r) => (Array.isArray(r.errors) && r.errors.length > 5 ? { ...r, errors: r.errors.slice(-5) } : r));
      this.onSnapshot?.({
        v: 1, at: now, version: this.version, reasons: this.meta.reasons,
        counts: first.counts, stats: first.stats, runs, screens, tabs,
      });
    } catch (e) {
      console.warn('snapshot not written', e);
    }
  }
}

// One upstream request: {url, method, headers, body, max_body} → {status, headers, bytes} (the
// body as a Uint8Array) or, for a body over max_body, {status, headers, body_too_large: true}.
// Throws what fetch() throws (TypeError when no response came, AbortError when stopped).
async function request(req, signal) {
  const res = await fetch(req.url, {
    method: req.method, headers: req.headers, body: req.body ?? undefined, signal,
    credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
  });
  const headers = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  const len = Number(res.headers.get('content-length') || 0);
  if (len > req.max_body) {
    res.body?.cancel().catch(() => {});
    return { status: res.status, headers, body_too_large: true };
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > req.max_body) return { status: res.status, headers, body_too_large: true };
  return { status: res.status, headers, bytes };
}

// Compiles hub.wasm, streaming it straight from the service worker's cache when it holds it (no
// round trip through the service worker's fetch handler), else from the network. Chromium 156
// wrote no compiled-code cache for it either way (traced: no v8.wasm.cachedModule, even with
// every function tiered up), so each start compiles; Liftoff's lazy compile keeps that short.
async function compileWasm() {
  const url = new URL('./hub.wasm', import.meta.url).href;
  let hit = null;
  try { hit = typeof caches === 'object' ? await caches.match(url) : null; } catch { /* no cache */ }
  return WebAssembly.compileStreaming(hit || fetch(url, { credentials: 'same-origin' }));
}

// config.json next to the app (make run writes one pointing at the demo upstream); {} without.
async function readConfig() {
  try {
    const r = await fetch(new URL('./config.json', import.meta.url), { cache: 'no-store' });
    if (r.ok) return await r.json();
  } catch (e) { /* a static host without config.json: GitHub itself */ }
  return {};
}
