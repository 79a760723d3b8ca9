/*
 * hub_wasm.c — the thin wasm glue around the core's public API (wasm/ layer).
 *
 * JS calls only the functions listed in wasm/exports.txt. Strings cross as UTF-8 in the
 * module's heap: JS allocates the request with malloc and frees it in `finally`; the
 * response is owned by JS after hub_wasm_call returns and released with hub_free.
 */
#include <stdio.h>
#include "hub.h"
#include "cJSON.h"

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

/* Feeds the answer to a planned request with its body as bytes (hub_feed): req (len bytes) is
 * the sync_feed command without "body", body[0..blen) the response body as fetch() gave it
 * (JS copies the ArrayBuffer into malloc'd memory and frees it in `finally`). Returns a new
 * NUL-terminated JSON string, like hub_wasm_call. */
char *hub_wasm_feed(hub *h, const char *req, unsigned long len, const char *body, unsigned long blen);
char *hub_wasm_feed(hub *h, const char *req, unsigned long len, const char *body, unsigned long blen) {
  return hub_feed(h, req, len, body, blen);
}

/* For the benchmark's split of the browser's core time (web/owner.js, profile mode): parses
 * body[0..blen) with cJSON and throws the tree away. Returns 1 when it is JSON, else 0. */
int hub_wasm_parse_probe(const char *body, unsigned long blen);
int hub_wasm_parse_probe(const char *body, unsigned long blen) {
  cJSON *j = cJSON_ParseWithLength(body, blen);
  int ok = j != NULL;
  cJSON_Delete(j);
  return ok;
}
