/*
 * testutil.h — shared helpers for hub's C tests and benchmarks: a tiny check framework,
 * a sync driver that answers the core's planned requests from recorded exchanges
 * (tests/replay.c) on a simulated clock, and a text dump of the stored items.
 */
#ifndef HUB_TESTUTIL_H
#define HUB_TESTUTIL_H

#include <stdint.h>
#include "hub_int.h"
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "sync/sync.h"
#include "sources/sources.h"
#include "tip/tip.h"
#include "api/api.h"
#include "replay.h"

extern int tu_passed, tu_failed;
#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    if (cond) tu_passed++;                                                  \
    else {                                                                  \
      tu_failed++;                                                          \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                  \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
    }                                                                       \
  } while (0)

/* A recorded exchange's path for url: under base, the rest ("https://fake.test/p?q" → "/p?q");
 * any other host, "/host/path"; without a scheme, url as it is. */
void tu_host_path(const char *url, const char *base, char *out, size_t outlen);
/* A new in-memory hub (exits the test program when it cannot open). Close with hub_close. */
hub *tu_open_memory(void);
/* Runs a command given as printf format; returns the parsed result (never NULL: aborts the
 * test program on OOM). Caller frees with cJSON_Delete. */
cJSON *tu_call(hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Number at a dotted path ("run.new") or -1. String at a path or NULL (borrowed). */
double tu_num(const cJSON *o, const char *path);
const char *tu_str(const cJSON *o, const char *path);

/* A fault hook may replace the replayed answer of the n-th request (0-based) for url:
 * set *neterr to a message to simulate a network error, or edit resp. Returns nothing. */
typedef void (*tu_fault_fn)(void *ud, long n, const char *url, replay_response *resp,
                            const char **neterr);

typedef struct {
  long requests;      /* requests answered */
  long waits;         /* times the core asked to wait */
  int64_t waited_ms;  /* simulated time spent waiting */
  int64_t max_wait_ms;/* longest single wait */
} tu_stats;

/* When not NULL, tu_sync appends every request it answers to this array:
 * {"method","url"[,"body"],"status"} (status 0 for a simulated network error). */
extern cJSON *tu_requests;

/* When non-zero, tu_sync feeds answers with hub_feed (the body as bytes, not NUL-terminated:
 * copied into a buffer of exactly its length) instead of hub_call's JSON "body". */
extern int tu_feed_bytes;

/* Drives one whole sync: sync_start, then sync_next/answer/sync_feed until done. The
 * simulated clock *now advances 5 ms per request and jumps to wait_until when asked.
 * Returns the final response's "run" object (detached; caller frees) or NULL on error. */
cJSON *tu_sync(hub *h, replay *r, int64_t *now, tu_fault_fn fault, void *ud, tu_stats *st);

/* Writes dump to OUTDIR/<name>.txt (for the native/wasm comparison) and CHECKs it equals
 * tests/golden/<name>.txt (UPDATE_GOLDEN=1 rewrites the golden file). Frees dump (hub_free). */
void tu_golden(const char *outdir, const char *name, char *dump);
/* The sync_feed command for an answer (or a network error when neterr is set): new string,
 * caller frees with free(). */
char *tu_feed_request(int64_t id, int64_t now, const replay_response *resp, const char *neterr);
/* Feeds an answer (or a network error) with hub_feed: the request without "body", the body's
 * bytes in a buffer of exactly body_len bytes (so a read past the end is caught by ASan).
 * Returns hub_feed's answer (hub_free it). */
char *tu_feed_bytes_call(hub *h, int64_t id, int64_t now, const replay_response *resp, const char *neterr);

/* Text dump of every item, one line per item sorted by key, with its reasons. New string. */
char *tu_dump_items(hub *h);
/* The briefing the `brief` command serves at now_ms, as text: the headline, the source, then
 * each section (kind, title, accent, icon, priority, items in all) with one line per item
 * (key | title | reason). New string (hub_free), "" when the command fails. */
char *tu_dump_brief(hub *h, int64_t now_ms);
/* Number of rows in items. */
long tu_count(hub *h, const char *sql);
/* Installs temp triggers counting writes to items / item_reasons; tu_item_writes reads it. */
void tu_watch_writes(hub *h);
long tu_item_writes(hub *h);

/* Reads a whole file (NUL-terminated); NULL if missing. Caller frees with free(). */
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *data, size_t len);

#endif
