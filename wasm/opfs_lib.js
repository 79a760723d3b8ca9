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
 * killed tab or a crashed renderer loses nothing by this: every write has reached the OS by the
 * time SQLite asks for its file's flush (the flush only asks the OS to put it on the disk).
 *
 * Writes that follow one another in a file are gathered (Module.opfs.wb, up to
 * HUB_OPFS_GATHER bytes a file) and given to the OS as one write: a commit's journal (its
 * header, then a page number, the page and a checksum per page, then the record count patched
 * into the header) is one write instead of five for a one-page triage. What is gathered is
 * written before: the file's flush is asked for, a read or size of that file sees it, the file
 * is truncated, another pool file is written to, the worker's task ends, or close. This
 * leans on SQLite flushing every file it wrote before a commit returns, which it does with
 * synchronous=NORMAL (src/db/db.c) or FULL; with OFF a commit would reach the OS only when the
 * task ends.
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
  /* Writes what is gathered for slot (one write); returns a status. */
  $hubOpfsDrain__deps: ['$hubOpfsFail', '$hubOpfsDone'],
  $hubOpfsDrain: function (slot) {
    var pool = Module['opfs'];
    var g = pool && pool.wb ? pool.wb[slot] : null;
    if (!g || !g.len) return 0;
    var n = g.len;
    g.len = 0;
    var t0 = performance.now();
    try {
      return pool.slots[slot].write(g.buf.subarray(0, n), { at: g.off }) === n ? 0 : 2; /* short: quota */
    } catch (e) {
      return hubOpfsFail(e);
    } finally {
      hubOpfsDone('writes', t0);
    }
  },
  /* Writes what is gathered and does the flushes marked by hub_opfs_flush, for every file but
   * slot (-1: all of them); returns 0, or the status of the first that failed (its exception
   * kept in lastError). */
  $hubOpfsSettle__deps: ['$hubOpfsFail', '$hubOpfsDone', '$hubOpfsDrain'],
  $hubOpfsSettle: function (except) {
    var pool = Module['opfs'];
    var st = 0;
    if (!pool || !pool.slots) return 0;
    for (var i = 0; i < pool.slots.length; i++) {
      if (i === except) continue;
      var d = hubOpfsDrain(i);
      if (!st) st = d;
      if (!pool.pending || !pool.pending[i]) continue;
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
  /* Makes sure the end of the worker's current task settles every file. */
  $hubOpfsLater__deps: ['$hubOpfsSettle'],
  $hubOpfsLater: function (pool) {
    if (pool.settleTimer) return;
    pool.settleTimer = setTimeout(function () {
      pool.settleTimer = 0;
      if (Module['opfs'] === pool) hubOpfsSettle(-1);
    }, 0);
  },

  hub_opfs_open__deps: ['$hubOpfs', '$hubOpfsSettle'],
  hub_opfs_open: function (namePtr) {
    var pool = Module['opfs'];
    var name = UTF8ToString(namePtr);
    if (!pool || !pool.files || !Object.prototype.hasOwnProperty.call(pool.files, name)) return -1;
    if (!pool.slots) {
      pool.slots = []; pool.names = []; pool.wb = []; pool.pending = [];
      /* for web/storage.js's close: everything gathered written and flushed */
      pool.settle = function () { return hubOpfsSettle(-1); };
    }
    var i = pool.names.indexOf(name);
    if (i < 0) { i = pool.names.length; pool.names.push(name); pool.slots.push(pool.files[name]); }
    return i;
  },

  hub_opfs_read__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone', '$hubOpfsDrain'],
  hub_opfs_read: function (slot, buf, n, offset) {
    var h = hubOpfs(slot);
    if (!h) return -1;
    var g = Module['opfs'].wb[slot];
    if (g && g.len && offset < g.off + g.len && offset + n > g.off && hubOpfsDrain(slot)) return -1;
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

  hub_opfs_write__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone', '$hubOpfsSettle', '$hubOpfsDrain', '$hubOpfsLater'],
  hub_opfs_write: function (slot, buf, n, offset) {
    var GATHER = 65536; /* HUB_OPFS_GATHER */
    var h = hubOpfs(slot);
    if (!h) return 1;
    var pool = Module['opfs'];
    var st = hubOpfsSettle(slot);
    if (st) return st;
    var g = pool.wb[slot] || (pool.wb[slot] = { off: 0, len: 0, buf: null });
    if (g.len && offset >= g.off && offset + n <= g.off + g.len) {
      g.buf.set(HEAPU8.subarray(buf, buf + n), offset - g.off); /* within: patched */
      return 0;
    }
    if (g.len && (offset !== g.off + g.len || g.len + n > GATHER)) {
      st = hubOpfsDrain(slot);
      if (st) return st;
    }
    if (n <= GATHER) {
      if (!g.buf) g.buf = new Uint8Array(GATHER);
      if (!g.len) g.off = offset;
      g.buf.set(HEAPU8.subarray(buf, buf + n), g.len);
      g.len += n;
      hubOpfsLater(pool);
      return 0;
    }
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

  hub_opfs_truncate__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone', '$hubOpfsSettle', '$hubOpfsDrain'],
  hub_opfs_truncate: function (slot, size) {
    var h = hubOpfs(slot);
    if (!h) return 1;
    var settled = hubOpfsSettle(slot) || hubOpfsDrain(slot);
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

  /* Writes what is gathered for slot, marks slot to be flushed (see the file comment) and
   * makes sure the current task's end does it. */
  hub_opfs_flush__deps: ['$hubOpfs', '$hubOpfsDrain', '$hubOpfsLater'],
  hub_opfs_flush: function (slot) {
    var pool = Module['opfs'];
    if (!hubOpfs(slot)) return 1;
    var st = hubOpfsDrain(slot);
    if (st) return st;
    pool.pending[slot] = true;
    hubOpfsLater(pool);
    return 0;
  },

  hub_opfs_size__deps: ['$hubOpfs', '$hubOpfsFail', '$hubOpfsDone'],
  hub_opfs_size: function (slot) {
    var h = hubOpfs(slot);
    if (!h) return -1;
    var g = Module['opfs'].wb[slot];
    var t0 = performance.now();
    try {
      var size = h.getSize();
      return g && g.len ? Math.max(size, g.off + g.len) : size;
    } catch (e) {
      hubOpfsFail(e);
      return -1;
    } finally {
      hubOpfsDone('sizes', t0);
    }
  },
});
