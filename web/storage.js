// storage.js — where the worker's SQLite database lives (web/ layer, runs in the worker).
//
// openStorage(Module, { name }) picks the best durable home for the database file before
// the core opens it, and returns how to open it:
//   opfs    the Origin Private File System through the C VFS "opfs" (wasm/vfs_opfs.c):
//           this worker holds FileSystemSyncAccessHandles on <name> and <name>-journal;
//           every commit has reached the OS when it returns, and is flushed to disk by the
//           end of the worker's task (wasm/opfs_lib.js).
//   idb     OPFS missing, or the handles still held after lockWaitMs: the file lives in
//           Emscripten's in-memory file system at /hub/<name>, loaded from the last whole-file
//           snapshot in IndexedDB (db 'hub', store 'files'); persist() saves a new snapshot.
//   memory  neither works: nothing survives the tab.
// Only the worker that holds the Web Lock "hub-db" opens storage (web/worker.js: the other tabs
// use the database through it), in either mode. Should two openers still meet (a browser
// without Web Locks, or a worker that has not let go yet), each mode keeps to its own store: an
// OPFS opener never reads or writes the IndexedDB snapshots and a fallback never touches the
// OPFS files, so they cannot corrupt each other (the fallback's changes stay in its snapshots).
//
// Result: { mode, path, vfs, note, persist, close }. Pass path and vfs to hub_wasm_open;
// call persist() after each command that wrote, close() after hub_close. Errors thrown
// with code 'storage_full' mean the origin's quota is used up.

const DIR = 'hub';
const IDB_NAME = 'hub';
const IDB_STORE = 'files';
const MEMFS_DIR = '/hub';

// Opens the database storage for Module (the instance createHub() resolved to).
// opts.name: the database file name; opts.opfs: false skips OPFS (tests, diagnostics);
// opts.lockWaitMs: how long to wait for a just-closed worker to release its OPFS handles.
export async function openStorage(Module, { name = 'hub.db', opfs = true, lockWaitMs = 1500 } = {}) {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new Error(`bad database name "${name}"`);
  let why = 'OPFS unavailable';
  if (opfs) {
    const r = await tryOpfs(Module, name, lockWaitMs);
    if (r.storage) return r.storage;
    why = r.why;
  }
  try {
    return await openIdb(Module, name, why);
  } catch (e) {
    if (isQuota(e)) throw storageFull(e);
    return openMemory(Module, name, why, e);
  }
}

// ---- OPFS ---------------------------------------------------------------------------------

function opfsAvailable() {
  return typeof navigator === 'object' && navigator.storage &&
    typeof navigator.storage.getDirectory === 'function' &&
    typeof FileSystemFileHandle === 'function' &&
    typeof FileSystemFileHandle.prototype.createSyncAccessHandle === 'function';
}

// Returns { storage } or { why } (a sentence for the note).
async function tryOpfs(Module, name, lockWaitMs) {
  if (!opfsAvailable()) return { why: 'OPFS unavailable' };
  let dir;
  try {
    dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
  } catch (e) {
    if (isQuota(e)) throw storageFull(e);
    return { why: `OPFS unavailable (${e.name || e})` };
  }
  const names = [name, `${name}-journal`];
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    const handles = [];
    try {
      for (const n of names) {
        const fh = await dir.getFileHandle(n, { create: true });
        handles.push(await fh.createSyncAccessHandle());
      }
      const files = {};
      names.forEach((n, i) => { files[n] = handles[i]; });
      Module.opfs = { files, lastError: null };
      return { storage: opfsStorage(Module, name, handles) };
    } catch (e) {
      for (const h of handles) try { h.close(); } catch { /* already closed */ }
      if (isQuota(e)) throw storageFull(e);
      const locked = e && (e.name === 'NoModificationAllowedError' || e.name === 'InvalidStateError');
      if (!locked) return { why: `OPFS unavailable (${e.name || e})` };
      // a worker that just ended may still hold the handles for a moment
      if (Date.now() >= deadline) return { why: 'another tab has hub open; this tab saves snapshots' };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function opfsStorage(Module, name, handles) {
  let open = true;
  return {
    mode: 'opfs',
    path: name,
    vfs: 'opfs',
    note: 'Saved on this device (OPFS); every change is written when it is made.',
    // Commits are already written; this only reports a write (or a flush done after a commit)
    // that failed for lack of space or an I/O error.
    async persist() {
      const e = Module.opfs && Module.opfs.lastError;
      if (!e) return;
      Module.opfs.lastError = null;
      if (isQuota(e)) throw storageFull(e);
      throw new Error(`storage error: ${e.message || e}`);
    },
    async close() {
      if (!open) return;
      open = false;
      /* what the VFS still holds (wasm/opfs_lib.js: gathered writes, flushes owed) goes first */
      if (Module.opfs && Module.opfs.settle) Module.opfs.settle();
      for (const h of handles) {
        try { h.flush(); } catch { /* closing anyway */ }
        try { h.close(); } catch { /* already closed */ }
      }
      if (Module.opfs && Module.opfs.files && Module.opfs.files[name] === handles[0]) Module.opfs = null;
    },
  };
}

// ---- IndexedDB snapshots ------------------------------------------------------------------

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// Opens db 'hub' with the store 'files', upgrading an existing db that lacks it.
async function idbOpen() {
  if (typeof indexedDB !== 'object' || !indexedDB) throw new Error('IndexedDB unavailable');
  const open = (version) => new Promise((resolve, reject) => {
    const r = version ? indexedDB.open(IDB_NAME, version) : indexedDB.open(IDB_NAME);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(IDB_STORE)) r.result.createObjectStore(IDB_STORE);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('IndexedDB upgrade blocked by another tab'));
  });
  let db = await open();
  if (!db.objectStoreNames.contains(IDB_STORE)) {
    const v = db.version + 1;
    db.close();
    db = await open(v);
  }
  db.onversionchange = () => db.close();
  return db;
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function memfsPath(Module, name) {
  const FS = Module.FS;
  if (!FS) throw new Error('the module does not export FS');
  try { FS.mkdir(MEMFS_DIR); } catch { /* exists */ }
  return `${MEMFS_DIR}/${name}`;
}

async function openIdb(Module, name, why) {
  const db = await idbOpen();
  const path = memfsPath(Module, name);
  const FS = Module.FS;
  const rec = await req(db.transaction(IDB_STORE, 'readonly').objectStore(IDB_STORE).get(name));
  let saved = rec && rec.bytes ? new Uint8Array(rec.bytes) : null;
  try { FS.unlink(path); } catch { /* none */ }
  try { FS.unlink(`${path}-journal`); } catch { /* none */ }
  if (saved) FS.writeFile(path, saved);
  let closed = false;
  const persist = async () => {
    if (closed) return;
    let bytes;
    try { bytes = FS.readFile(path); } catch { return; } // not created yet
    if (sameBytes(bytes, saved)) return;
    const copy = bytes.slice(); // detached from the heap: MEMFS may reuse the buffer
    try {
      const tx = db.transaction(IDB_STORE, 'readwrite');
      const done = new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
      });
      tx.objectStore(IDB_STORE).put({ bytes: copy.buffer, saved: Date.now() }, name);
      await done;
    } catch (e) {
      if (isQuota(e)) throw storageFull(e);
      throw e;
    }
    saved = copy;
  };
  const note = why === 'OPFS unavailable'
    ? 'OPFS unavailable: hub saves snapshots of its database in IndexedDB after each change.'
    : why.startsWith('another tab')
      ? 'Another tab has hub open; this tab saves snapshots, separate from that tab\'s data.'
      : `${why}: this tab saves snapshots in IndexedDB after each change.`;
  return {
    mode: 'idb',
    path,
    vfs: null,
    note,
    persist,
    async close() {
      if (closed) return;
      await persist();
      closed = true;
      db.close();
    },
  };
}

// ---- memory -------------------------------------------------------------------------------

function openMemory(Module, name, why, err) {
  let path = ':memory:';
  try { path = memfsPath(Module, name); } catch { /* no FS: SQLite's own memory db */ }
  return {
    mode: 'memory',
    path,
    vfs: null,
    note: `Nothing is saved: ${why} and IndexedDB failed (${(err && (err.name || err.message)) || err}).`,
    async persist() {},
    async close() {},
  };
}

// ---- errors -------------------------------------------------------------------------------

function isQuota(e) {
  return !!e && (e.name === 'QuotaExceededError' || e.code === 'storage_full');
}

function storageFull(cause) {
  const e = new Error('storage is full: free space or clear old data for this site');
  e.code = 'storage_full';
  e.cause = cause;
  return e;
}
