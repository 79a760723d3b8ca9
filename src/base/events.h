/*
 * events.h — a ring of the last events of what the core did, kept in memory on the hub handle
 * for the insight console (base layer: every layer may record one, so it sits at the bottom;
 * it touches neither the database nor the clock).
 *
 * An event is (seq, at, kind, item, data): seq counts from 1 and never repeats for a handle;
 * at is the "now" (ms) of the request that caused it, or — when the recorder does not know it
 * (0) — the latest time an earlier event carried; kind is a static dotted name; item names
 * what it was about (an item key, a URL, a command); data is a small JSON object of named
 * values. The ring holds the newest HUB_EVENTS_MAX; older ones are overwritten. Recording never
 * fails its caller: the ring is one block allocated at the first event, and a value that does
 * not fit its slot is cut short (strings end with "…").
 *
 * Kinds recorded today (and by whom):
 *   sync.request   sync/engine.c   URL planned          {source}
 *   sync.answer    sync/engine.c   URL answered         {status, bytes, charged, error}
 *   sync.done      sync/engine.c   run finished         {run, status, new, updated, requests, charged}
 *   item.new       items/items.c   item key             {source}
 *   item.updated   items/items.c   item key             {source}
 *   tip.served     tip/choose.c    item key             {decision, policy, propensity, score}
 *   tip.reaction   tip/insight.c   item key             {decision, reaction, reward}
 *   tip.reset      tip/admin.c     user                 {models, decisions}
 *   error          api/console.c   command              {code, message}
 *   data.export / data.import / data.purge   api/console.c
 * Reserved for modules still to come (record them with these names so the console's filters
 * find them): "triage" (item key; {action, from, to}) and "outbox.send" (item key; {action,
 * status, attempt}).
 */
#ifndef HUB_EVENTS_H
#define HUB_EVENTS_H

#include "hub_int.h"

#ifndef HUB_EVENTS_MAX
#define HUB_EVENTS_MAX 500
#endif
#ifndef HUB_EVENT_ITEM
#define HUB_EVENT_ITEM 256 /* bytes kept of an event's item (with its NUL) */
#endif
#ifndef HUB_EVENT_DATA
#define HUB_EVENT_DATA 320 /* bytes of an event's data as JSON text (with its NUL) */
#endif

/* Records one event. kind must be a string with static storage (a literal). item may be
 * NULL. at_ms 0 means "unknown". types has one letter per value, and the variable arguments
 * are, per letter, a name (const char *) then the value:
 *   'i' int64_t   'd' double (not finite: null)   't' const char * (NULL: null)   'b' int (bool)
 * Never fails the caller; without memory (for the ring itself, at the first event) the
 * event is not kept. */
void hub__event(hub *h, const char *kind, const char *item, int64_t at_ms, const char *types, ...);

/* The events with seq > since whose kind starts with kind_prefix (NULL or "" for all) and
 * whose item contains item_part (ASCII case-insensitive; NULL or "" for all): the newest limit
 * of them, oldest first, as {"events":[{seq,at,kind,item,data}],"last":seq of the newest event
 * recorded,"first":seq of the oldest still held,"lost":events overwritten or cleared,
 * "more":true when more than limit matched}. New object, NULL on OOM. */
cJSON *hub__events_json(hub *h, int64_t since, const char *kind_prefix, const char *item_part, int limit);

/* The number of events held, and the seq of the newest (0 when none). */
int hub__events_count(const hub *h, int64_t *last);

/* Forgets every event held (the seq keeps counting). */
void hub__events_clear(hub *h);

/* Frees the ring (hub_close). Safe to call twice. */
void hub__events_free(hub *h);

#endif
