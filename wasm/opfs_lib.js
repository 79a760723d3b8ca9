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
 * OPFS time, tests/browser/storage.test.mjs's bench per commit; a flush is counted when it is
 * done).
 *
 * Flushes are lazy but keep their order: hub_opfs_flush marks the file (Module.opfs.pending)
 * and the flush is done before the next write or truncate of ANOTHER pool file, else when the
 * worker's current task ends (a setTimeout 0), else at close (web/storage.js flushes every
 * handle). So what SQLite syncs before writing elsewhere (the journal before the database, the
 * database before the journal's zeroed header) is still on disk before that write, and only a
 * commit's last flush (the zeroed journal header: without it a power cut rolls the last
 * commit back, never leaves it half done) moves from inside the commit to just after it. A
 * killed tab or a crashed renderer loses nothing by this: every write has reached the OS when
 * it returns (the flush only asks the OS to put it on the disk).
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
  /* Does the flushes marked by hub_opfs_flush, except slot's own (-1: all of them); returns
   * 0, or the status of the first that failed (its exception kept in lastError). */
  $hubOpfsSettle__deps: ['$hubOpfsFail', '$hubOpfsDone'],
  $hubOpfsSettle: function (except) {
    var pool = Module['opfs'];
    var st = 0;
    if (!pool || !pool.pending || !pool.slots) return 0;
    for (var i = 0; i < pool.pending.length; i++) {
      if (!pool.pending[i] || i === except) continue;
      pool.pending[i] = false;
      var t0 = performance.now();
      try {
        pool.slots[i].flush();
      } catch (e) {
        if (!st) st = hubOpfsFail(e);
      } finally {
        hubOpfsDone('flushes', t0);
      }
    }
    return st;
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

  hub_opfs_write__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone', '$hubOpfsSettle'],
  hub_opfs_write: function (slot, buf, n, offset) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var settled = hubOpfsSettle(slot);
    if (settled) return settled;
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

  hub_opfs_truncate__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone', '$hubOpfsSettle'],
  hub_opfs_truncate: function (slot, size) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var settled = hubOpfsSettle(slot);
    if (settled) return settled;
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

  /* Marks slot to be flushed (see the file comment) and makes sure the current task's end
   * does it. */
  hub_opfs_flush__deps: ['$hubOpfs', '$hubOpfsSettle'],
  hub_opfs_flush: function (slot) {
    var pool = Module['opfs'];
    if (!hubOpfs(slot)) return 1;
    if (!pool.pending) pool.pending = [];
    pool.pending[slot] = true;
    if (!pool.settleTimer) {
      pool.settleTimer = setTimeout(function () {
        pool.settleTimer = 0;
        if (Module['opfs'] === pool) hubOpfsSettle(-1);
      }, 0);
    }
    return 0;
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
