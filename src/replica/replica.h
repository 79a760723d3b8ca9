/*
 * replica.h — sync between two databases of one user: a page (or a CLI database) and the hubd
 * it follows (replica layer: above brief, below api; calls any layer below it).
 *
 *   feed.c    the change feed: command `changes`, what changed since an opaque cursor
 *   apply.c   its import: command `apply`, one transaction, and the conflict rule
 *   follow.c  the hubd source: a sync run of a database whose hubd_url is set pushes its own
 *             triage actions and tip feedback to hubd and pulls hubd's changes, through the
 *             sync engine like any source (progress, Cancel, offline, run records)
 *
 * Tables owned (migration 15): replica_self (this database's origin id and action counter),
 * replica_log (one row per thing changed, at its latest sequence number), replica_stamps (the
 * stamp of each item's latest triage action). Triggers fill them (db/schema.c); this module
 * reads them, and apply.c overwrites a stamp with the winning side's. Settings keys
 * "replica.pull" and "replica.push" hold a follower's cursors (db/kv.c).
 *
 * Who sends what (star topology: hubd in the middle, devices around it):
 *   scope "all"      hubd → a device: items (fields, reasons, score), their triage state with
 *                    its stamp, deletions, LLM briefings, AI outputs
 *   scope "actions"  a device → hubd: the triage state of items whose latest action this
 *                    device made, and the reactions to its own tips (with their decisions)
 *
 * The conflict rule — the latest action per item wins. Each item's triage state carries the
 * stamp of the action that set it: (at, origin, ctr) — wall-clock ms of the device that acted,
 * that database's random origin id, and its counter of actions. A local action's at is
 * max(now, stamp it replaces + 1), Lamport-style: an action taken after seeing another always
 * wins over it, whatever the clocks say. Stamps compare by at, then origin, then ctr (a total
 * order: every side picks the same winner). (origin, ctr) names one action: two stamps with
 * them equal are the same action, seen with two times.
 *   hubd receiving (scope "actions"): an incoming at is bounded by hubd's own now — a device
 *     whose clock runs ahead cannot win over later actions for as long as its skew; its action
 *     counts as taken when hubd heard of it — then the greater stamp wins; the same action
 *     keeps the smaller at.
 *   a device receiving (scope "all"): hubd's state wins, except over an action of this device
 *     that hubd has not acknowledged yet (made since the last successful push), which is
 *     compared by stamp like any. Since every sync pushes before it pulls, hubd's answer
 *     already reflects the device's actions, with their bounded times: the device adopts them.
 * hubd's clock is the reference; only concurrent actions (neither saw the other) are ordered
 * by the devices' clocks, within the bound. Pure functions below; tests/replica_test.c runs
 * the rule on a table of cases, skewed clocks included.
 */
#ifndef HUB_REPLICA_H
#define HUB_REPLICA_H

#include "hub_int.h"
#include "sync/sync.h"

#ifndef HUB_REPLICA_PAGE
#define HUB_REPLICA_PAGE 200                  /* changes per page unless asked otherwise */
#endif
#ifndef HUB_REPLICA_PAGE_MAX
#define HUB_REPLICA_PAGE_MAX 1000             /* changes per page, and per applied batch, at most */
#endif
#ifndef HUB_REPLICA_PAGE_BYTES
#define HUB_REPLICA_PAGE_BYTES (2u * 1024u * 1024u) /* a page ends once its text passes this */
#endif
#ifndef HUB_REPLICA_ORIGIN_MAX
#define HUB_REPLICA_ORIGIN_MAX 32             /* characters of an origin id ([0-9a-f]) */
#endif
#ifndef HUB_REPLICA_KEY_MAX
#define HUB_REPLICA_KEY_MAX 1024              /* bytes of an item key */
#endif

/* The scopes: what hubd sends a device (all), what a device sends hubd (actions). */
typedef enum { HUB_SCOPE_ALL, HUB_SCOPE_ACTIONS } hub__scope;

/* ---- stamps and the rule (apply.c, pure) ---------------------------------------------------- */
typedef struct {
  int64_t at, ctr;
  char origin[HUB_REPLICA_ORIGIN_MAX + 1];
} hub__stamp;

/* 0 when a and b are the same action (origin and ctr equal), else -1 or 1 as a is older or
 * newer than b (at, then origin, then ctr). */
int hub__stamp_cmp(const hub__stamp *a, const hub__stamp *b);

typedef enum {
  HUB_KEEP,      /* the local state stands */
  HUB_TAKE,      /* the incoming state and stamp (*out) replace the local ones */
  HUB_RETIME     /* the same action: only the stamp's time changes to out->at */
} hub__verdict;
/* What a side receiving stamp in for an item decides, holding local (NULL: no stamp yet).
 * pending: local is this side's own action not yet acknowledged by hubd (scope all only).
 * now: the receiver's clock (scope actions bounds in->at by it). *out: the stamp to store. */
hub__verdict hub__replica_decide(hub__scope scope, const hub__stamp *local, int pending, const hub__stamp *in,
                                 int64_t now, hub__stamp *out);

/* ---- cursors (feed.c) ------------------------------------------------------------------------ */
/* This database's origin id into out ("" when it has none yet: a purge removed it; the next
 * triage action or new item makes one). 0 or -1. */
int hub__replica_origin(hub *h, char out[HUB_REPLICA_ORIGIN_MAX + 1]);
/* A cursor's parts: "r1.<origin>.<seq>"; "" or NULL is the start (origin "", seq 0). 0, or -1
 * when malformed. */
int hub__replica_cursor_parse(const char *c, char origin[HUB_REPLICA_ORIGIN_MAX + 1], int64_t *seq);

/* ---- commands ---------------------------------------------------------------------------------- */
/*   {"cmd":"changes","now":ms[,"since":cursor,"limit":n,"scope":"all"|"actions"]}
 *     → {"origin","changes":[…],"next":cursor,"more":bool,"reset":bool}
 *   {"cmd":"apply","now":ms,"changes":[…][,"scope":"all"|"actions","origin":id]}
 *     → {"applied","unchanged","stale","unknown","gone","new","updated","outbox","tips"}
 * A change is one of
 *   {"key", "item":{source,host,repo,number,kind,title,body,state,author,labels,assignees,
 *      comments,reactions,created_at,updated_at,url,unread,activity,base,rank,reasons:[{code,
 *      detail}]}, "triage":{"state":{read,read_at,done_at,snoozed_until,saved,muted,dismissed}
 *      | null,"stamp":{at,origin,ctr}} | null}        (scope actions: key and triage only)
 *   {"key", "gone":true}
 *   {"brief":{hash, prompt_hash, model, at, briefing:{…}}}
 *   {"ai":{kind, entity, hash, model, at, output:{…}}}
 *   {"tip":{id, user, at, item_key, …, reactions:[…]}} (scope actions; tip/share.c)
 * A cursor from another database (hubd replaced or purged) starts over ("reset": true). */
cJSON *hub__replica_changes_cmd(hub *h, const cJSON *req);
cJSON *hub__replica_apply_cmd(hub *h, const cJSON *req);

/* ---- for follow.c --------------------------------------------------------------------------- */
/* changes' answer for scope from cursor since (at most limit changes), inside the caller's read
 * or write transaction. New object, or NULL with h->errmsg (a malformed cursor included). */
cJSON *hub__replica_feed(hub *h, hub__scope scope, const char *since, int64_t limit);

/* What an applied batch did. */
typedef struct {
  int64_t applied, unchanged, stale, unknown, gone, n_new, updated, outbox, tips;
  /* each item written or looked at (a run counts them), or NULL */
  void (*on_item)(void *ud, hub__upsert_result res, int64_t id);
  void *ud;
} hub__replica_counts;
/* Applies changes (an array) of scope, sent by database origin (its id: names the tip decisions
 * it shares; may be NULL when there are none), inside the caller's transaction.
 * Returns 0; -1 on a database error; -2 when the batch is malformed (h->errmsg says where:
 * "changes[3].item.title: …") — the caller rolls back either way. */
int hub__replica_apply(hub *h, const cJSON *changes, hub__scope scope, const char *origin, int64_t now,
                       hub__replica_counts *c);

/* ---- the hubd source (follow.c) -------------------------------------------------------------- */
/* 1 when this database follows a hubd (the hubd_url setting is set), else 0. */
int hub__replica_following(hub *h);
extern const hub__source hub__hubd_source;

#endif
