/*
 * opfs_lib.js — the JS imports behind the SQLite VFS "opfs" (wasm/vfs_opfs.c); an
 * Emscripten --js-library (wasm/ layer).
 *
 * The pool lives on the module instance as Module.opfs, put there by web/storage.js
 * before the database is opened:
 *   Module.opfs = { files: { 'hub.db': FileSystemSyncAccessHandle,
 *                            'hub.db-journal': FileSystemSyncAccessHandle },
 *                   lastError: null }
 * A slot is the index of a file name in Module.opfs.slots (filled on first use). Every
 * import is synchronous and never throws into C: failures come back as a status
 * (0 ok, 1 I/O error, 2 storage full) or -1, and the exception is kept in
 * Module.opfs.lastError (its `name` is 'QuotaExceededError' when the origin is full).
 * Module.opfs.stats counts the calls and the milliseconds spent in them ({ms, reads, writes,
 * truncates, flushes, sizes, and reads_ms … sizes_ms}; web/owner.js reports them as a sync's
 * OPFS time, tests/browser/storage.test.mjs's bench per commit).
 */
mergeInto(LibraryManager.library, {
  $hubOpfs: function (slot) {
    var pool = Module['opfs'];
    return pool && pool.slots ? pool.slots[slot] : undefined;
  },
  $hubOpfsDone: function (kind, t0) {
    var pool = Module['opfs'];
    if (!pool) return;
    var st = pool.stats || (pool.stats = { ms: 0, reads: 0, writes: 0, truncates: 0, flushes: 0, sizes: 0 });
    var dt = performance.now() - t0;
    st.ms += dt;
    st[kind]++;
    st[kind + '_ms'] = (st[kind + '_ms'] || 0) + dt;
  },
  $hubOpfsFail: function (e) {
    var pool = Module['opfs'];
    if (pool) pool.lastError = e;
    return e && e.name === 'QuotaExceededError' ? 2 : 1;
  },

  hub_opfs_open__deps: ['$hubOpfs'],
  hub_opfs_open: function (namePtr) {
    var pool = Module['opfs'];
    var name = UTF8ToString(namePtr);
    if (!pool || !pool.files || !Object.prototype.hasOwnProperty.call(pool.files, name)) return -1;
    if (!pool.slots) { pool.slots = []; pool.names = []; }
    var i = pool.names.indexOf(name);
    if (i < 0) { i = pool.names.length; pool.names.push(name); pool.slots.push(pool.files[name]); }
    return i;
  },

  hub_opfs_read__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_read: function (slot, buf, n, offset) {
    var h = hubOpfs(slot);
    if (!h) return -1;
    var t0 = performance.now();
    try {
      return h.read(HEAPU8.subarray(buf, buf + n), { at: offset });
    } catch (e) {
      hubOpfsFail(e);
      return -1;
    } finally {
      hubOpfsDone('reads', t0);
    }
  },

  hub_opfs_write__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_write: function (slot, buf, n, offset) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var t0 = performance.now();
    try {
      var wrote = h.write(HEAPU8.subarray(buf, buf + n), { at: offset });
      return wrote === n ? 0 : 2; /* a short write means the quota ran out */
    } catch (e) {
      return hubOpfsFail(e);
    } finally {
      hubOpfsDone('writes', t0);
    }
  },

  hub_opfs_truncate__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_truncate: function (slot, size) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var t0 = performance.now();
    try {
      h.truncate(size);
      return 0;
    } catch (e) {
      return hubOpfsFail(e);
    } finally {
      hubOpfsDone('truncates', t0);
    }
  },

  hub_opfs_flush__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_flush: function (slot) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var t0 = performance.now();
    try {
      h.flush();
      return 0;
    } catch (e) {
      return hubOpfsFail(e);
    } finally {
      hubOpfsDone('flushes', t0);
    }
  },

  hub_opfs_size__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_size: function (slot) {
    var h = hubOpfs(slot);
    if (!h) return -1;
    var t0 = performance.now();
    try {
      return h.getSize();
    } catch (e) {
      hubOpfsFail(e);
      return -1;
    } finally {
      hubOpfsDone('sizes', t0);
    }
  },
});
