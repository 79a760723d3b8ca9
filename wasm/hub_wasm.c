/*
 * hub_wasm.c — the thin wasm glue around the core's public API (wasm/ layer).
 *
 * JS calls only the functions listed in wasm/exports.txt. Strings cross as UTF-8 in the
 * module's heap: JS allocates the request with malloc and frees it in `finally`; the
 * response is owned by JS after hub_wasm_call returns and released with hub_free.
 */
#include <stdio.h>
#include "hub.h"

static char last_error[512];

/* wasm/vfs_opfs.c: registers the SQLite VFS "opfs" (idempotent). */
int hub_wasm_vfs_register(void);

/* Opens the database at path through the SQLite VFS vfs ("opfs" once web/storage.js has
 * handed over the access handles; NULL or "" for the default, Emscripten's in-memory file
 * system). Returns the handle, or 0 with the reason available from hub_wasm_error(). */
hub *hub_wasm_open(const char *path, const char *vfs);
hub *hub_wasm_open(const char *path, const char *vfs) {
  hub *h = NULL;
  last_error[0] = 0;
  if (vfs && !*vfs) vfs = NULL;
  if (vfs && hub_wasm_vfs_register() != 0) {
    snprintf(last_error, sizeof last_error, "cannot register the SQLite VFS \"%s\"", vfs);
    return NULL;
  }
  if (hub_open(path, vfs, &h, last_error, sizeof last_error)) return NULL;
  return h;
}

/* The message of the last failed hub_wasm_open (static storage; empty when none). */
const char *hub_wasm_error(void);
const char *hub_wasm_error(void) { return last_error; }

/* Runs one JSON command of len bytes; returns a new NUL-terminated JSON string. */
char *hub_wasm_call(hub *h, const char *req, unsigned long len);
char *hub_wasm_call(hub *h, const char *req, unsigned long len) { return hub_call_n(h, req, len); }
