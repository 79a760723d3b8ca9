/*
 * hub_int.h — the core's context object, shared by every layer (not public).
 *
 * The core is layered; calls only go down this list (a check in `make test` says so):
 *   src/base     limits, errors, memory, buffers, numbers, text, time, hashes, URLs
 *   src/db       SQLite: open + migrations, statement cache and binder, settings (kv)
 *   src/rank     the importance score (pure) and the weights it is given
 *   src/items    the only writer of items and their reasons
 *   src/triage   the user's state of each item (read, done, snoozed, …), undo, the outbox
 *   src/sync     the sans-I/O run engine: queue, statuses, retries, limits, validators, runs
 *   src/sources  GitHub, tangled (AT Protocol), good-first-issue lists; the source registry
 *   src/tip      one tip: features, policies, LinUCB, logs, offline evaluation, simulator
 *   src/brief    the briefing (rules, one schema, cache) and the AI queue
 *   src/notify   Web Push: subscriptions, what is worth interrupting for now, delivery state
 *   src/replica  sync with another database of the user's: the change feed, its import, the
 *                latest action per item winning, and the hubd source of a following database
 *   src/api      the command table, hub_call, settings, cards, search, triage commands, meta
 * Each module's header says what it owns. struct hub holds one pointer per module that keeps
 * state between calls; a module touches only its own field.
 */
#ifndef HUB_INT_H
#define HUB_INT_H

#include <stddef.h>
#include <stdint.h>
#include "hub.h"
#include "sqlite3.h"
#include "cJSON.h"
#include "base/base.h"

struct hub__stmts;   /* db/db.c: the statement cache */
struct hub__run;     /* sync/engine.c: the active run, NULL when idle */
struct hub__weights; /* rank/weights.c: the weights in force, NULL until loaded */
struct hub__events;  /* base/events.c: the ring of recent events, NULL until the first */

/* Bytes with their length (not necessarily NUL-terminated). */
typedef struct hub__bytes {
  const char *p;
  size_t n;
} hub__bytes;

struct hub {
  sqlite3 *db;
  int readonly;                 /* opened read-only: commands that write are refused */
  char errmsg[512];             /* detail of the last error (hub__set_err) */
  struct hub__stmts *stmts;
  struct hub__run *run;
  struct hub__weights *weights;
  struct hub__events *events;
  int64_t data_version;         /* db/db.c: PRAGMA data_version when last checked (0: never) */
  const hub__bytes *body;       /* api.c: the body hub_feed attached to the command being run */
  struct hub__tip_cache *tip;   /* tip/cache.c: what the tip keeps between tips */
};

/* Writes a formatted message into h->errmsg (truncated to fit). */
void hub__set_err(hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
