/*
 * hub.h — the public interface of hub's portable core.
 *
 * The core keeps its state in one SQLite database and answers one JSON command API.
 * It does no I/O besides SQLite's own file access and reads no clock: every command
 * that needs the time takes it as "now" (milliseconds since the Unix epoch), and
 * network sources are driven by the caller through the sync commands (plan a request,
 * perform it, feed the response back). The same sources build natively and to wasm.
 *
 * Ownership: a hub handle is created by hub_open() and released by hub_close().
 * Every string returned by hub_call() is owned by the caller and released with
 * hub_free(). Nothing else crosses this boundary.
 *
 * Commands (request → response, all JSON objects; see src/api.c for the full list):
 *   {"cmd":"settings"}                          current settings (the token is never echoed)
 *   {"cmd":"settings","set":{...}}              change settings
 *   {"cmd":"sync_start","now":ms}               begin a sync run
 *   {"cmd":"sync_next","now":ms}                → {"fetch":[req...],"wait_until":ms|null,"done":bool}
 *   {"cmd":"sync_feed","id":n,"now":ms,"status":200,"headers":{..},"body":"..."}
 *                                               or {"cmd":"sync_feed","id":n,"now":ms,"error":"..."}
 *                                               (or hub_feed: the same without "body", plus bytes)
 *   {"cmd":"cards","now":ms,"limit":200}        ranked cards
 *   {"cmd":"card","key":"github.com/o/r#1","now":ms}   one card with body and score factors
 *   {"cmd":"stats"}                             tracked / open / with reactions / repos
 *   {"cmd":"last_run"}                          statistics of the latest sync run
 * Errors: {"error":{"code":"bad_request","message":"..."}}; the core never aborts on input.
 */
#ifndef HUB_H
#define HUB_H

#include <stddef.h>

typedef struct hub hub;

/* Opens (creating and migrating as needed) the database at path; ":memory:" works.
 * vfs may be NULL for SQLite's default. On success stores a new handle in *out and
 * returns 0; on failure returns -1, stores NULL, and, if errbuf is non-NULL, writes
 * a message there (at most errlen bytes, NUL-terminated). */
int hub_open(const char *path, const char *vfs, hub **out, char *errbuf, size_t errlen);

/* Closes the database and frees the handle. NULL is a no-op. */
void hub_close(hub *h);

/* Runs one JSON command. Always returns a NUL-terminated JSON object (a result or an
 * {"error":…} object); returns NULL only when memory is exhausted. The caller frees
 * the result with hub_free(). */
char *hub_call(hub *h, const char *request_json);

/* Like hub_call(), for a request of known length (need not be NUL-terminated). */
char *hub_call_n(hub *h, const char *request_json, size_t len);

/* Feeds the answer to a planned request with its body as bytes: request_json (len bytes) is
 * the sync_feed command without "body" ({"cmd":"sync_feed","id","now","status","headers"}),
 * body[0..body_len) the response body as it came (need not be NUL-terminated; NULL when
 * body_len is 0). The same command as hub_call's sync_feed, on the same path inside the core —
 * the body is just not wrapped into a JSON string first (and unescaped, and parsed twice).
 * Returns what hub_call returns; the caller keeps body and frees the result with hub_free(). */
char *hub_feed(hub *h, const char *request_json, size_t len, const char *body, size_t body_len);

/* Frees memory returned by the core. NULL is a no-op. */
void hub_free(void *p);

/* Test hook: make the n-th allocation from now on the calling thread fail (0 disables).
 * Returns nothing; hub_alloc_count() tells how many allocations the calling thread made
 * through the door so far. Both are per thread. */
void hub_alloc_fail_at(long n);
long hub_alloc_count(void);

#endif
