/*
 * triage.h — what the user did with each item, and the outbox of what GitHub must be told
 * (triage layer, between items and sync).
 *
 * triage/triage.c owns tables triage (one row per item the user acted on), triage_log (the
 * row before each action, by batch, for undo) and searches (saved searches). triage/outbox.c
 * owns table outbox: the actions GitHub knows (mark a notification thread read, done, muted;
 * mark everything read up to a time), queued when an item with a notification thread is
 * triaged, coalesced, and sent by the outbox source (sources/outbox.c) through the sync
 * engine. Both read gh_threads (written by sources/github.c) to find an item's thread.
 *
 * The state of an item (SQL on items i LEFT JOIN triage t, as api/query.c's schema has it):
 *   unread     coalesce(1 - t.read, i.unread): the local flag when set, else GitHub's
 *   done       t.done_at IS NOT NULL AND coalesce(i.updated_at, 0) * 1000 <= t.done_at —
 *              an item updated upstream after it was marked comes back by itself
 *   snoozed    t.snoozed_until > now (it comes back then)
 *   saved, muted, dismissed   flags; muted and dismissed never come back on their own
 * A batch is one action on one item or on many (a bulk action); undo restores the latest
 * batch. Nothing here begins or commits a transaction: the caller does (one per batch).
 * Times are ms; nothing reads a clock.
 */
#ifndef HUB_TRIAGE_H
#define HUB_TRIAGE_H

#include "hub_int.h"

#ifndef HUB_TRIAGE_MAX
/* The inbox's visibility rule over items i LEFT JOIN triage t (one named parameter, :now in ms):
 * not done since its last update, not snoozed now, not muted, not dismissed. Used by the search
 * language's default hide filter and by the briefing, so the two cannot disagree. */
#define HUB_TRIAGE_VISIBLE_SQL                                                                  \
  "(t.done_at IS NULL OR coalesce(i.updated_at, 0) * 1000 > t.done_at)"                          \
  " AND coalesce(t.snoozed_until, 0) <= :now AND coalesce(t.muted, 0) = 0 AND coalesce(t.dismissed, 0) = 0"

#define HUB_TRIAGE_MAX 1000       /* items in one bulk action */
#endif
#ifndef HUB_TRIAGE_UNDO_DEPTH
#define HUB_TRIAGE_UNDO_DEPTH 100 /* batches kept for undo */
#endif
#ifndef HUB_SEARCHES_MAX
#define HUB_SEARCHES_MAX 20       /* saved searches */
#endif
#ifndef HUB_SEARCH_NAME_MAX
#define HUB_SEARCH_NAME_MAX 40    /* characters of a saved search's name */
#endif
#ifndef HUB_OUTBOX_KEEP_MS
#define HUB_OUTBOX_KEEP_MS (30LL * 86400 * 1000) /* finished outbox entries kept this long */
#endif

/* The actions, in the order meta lists them. */
#define HUB_TRIAGE_ACTION_MAP(X)                                                              \
  X(READ, "read") X(UNREAD, "unread") X(DONE, "done") X(UNDONE, "undone") X(SNOOZE, "snooze") \
  X(UNSNOOZE, "unsnooze") X(SAVE, "save") X(UNSAVE, "unsave") X(MUTE, "mute")                \
  X(UNMUTE, "unmute") X(DISMISS, "dismiss")
typedef enum {
#define X(name, word) HUB_TA_##name,
  HUB_TRIAGE_ACTION_MAP(X)
#undef X
  HUB_TA__COUNT
} hub__triage_action;
extern const char *const hub__triage_actions[HUB_TA__COUNT];
/* The action named word, or -1. */
int hub__triage_action_find(const char *word);

/* ---- triage.c ------------------------------------------------------------------------- */
/* A new batch id (never reused, also after undo). >0, or -1 (h->errmsg). */
int64_t hub__triage_batch_new(hub *h);
/* Applies action to item id in batch: logs the row before, writes the new one, and queues
 * or withdraws what GitHub must be told when the item has a notification thread. until is
 * the end of a snooze (ms, > now; ignored by the other actions). Returns 1 when the item's
 * state changed, 0 when it already was so (nothing written), -1 on error; adds the number of
 * new outbox entries to *queued. */
int hub__triage_apply(hub *h, int64_t batch, int64_t id, hub__triage_action action, int64_t until,
                      int64_t now, int *queued);
/* Ends a batch: forgets batches older than the undo depth. 0 or -1. */
int hub__triage_batch_end(hub *h, int64_t batch);
/* Restores the latest batch: every item's row as it was before, the batch's unsent outbox
 * entries cancelled (and what they had superseded back in force). *batch is 0 when there
 * was nothing to undo; *restored counts items; *not_upstream counts the batch's entries that
 * GitHub already received (it has no undo for them); *action is the batch's action (borrowed
 * static text, "" when none). keys (may be NULL) receives the restored items' keys. 0 or -1. */
int hub__triage_undo(hub *h, int64_t now, int64_t *batch, int *restored, int *not_upstream,
                     const char **action, cJSON *keys);
/* The auto rule (setting auto_done_closed): every closed or merged item that is not done
 * (or came back) becomes done at now — not a batch, not undoable — and GitHub is told for
 * notification threads. Returns the number of items or -1. */
int hub__triage_auto_done(hub *h, int64_t now);
/* GitHub says item id's thread is unread with activity at updated_ms: a local "read" set
 * before that activity gives way to GitHub's flag. 0 or -1. */
int hub__triage_upstream_unread(hub *h, int64_t id, int64_t updated_ms);
/* Sets item id's row to state — the row as another database of the user's has it, as JSON
 * {read, read_at, done_at, snoozed_until (each null or ms), saved, muted, dismissed}; NULL or
 * JSON null: no row — written with updated_at (replica/ decides which side's state wins).
 * Not a batch (undo does not restore it). With tell, GitHub hears what follows, as after an
 * action: a thread newly read, done or muted is queued, one no longer so is withdrawn; *queued
 * adds the new outbox entries. Returns 1 when the row changed, 0 when it already was so, -1 on
 * error (a state that cannot be read included). */
int hub__triage_import(hub *h, int64_t id, const cJSON *state, int64_t updated_at, int tell, int *queued);
/* Clears every item's dismissed flag (tip_reset with items). Returns the count or -1. */
int hub__triage_forget_dismissed(hub *h);

/* Saved searches: the stored list [{"name","q"}] in order, or the defaults when none is
 * stored (*dflt = 1). New array, NULL on error. */
cJSON *hub__searches_get(hub *h, int *dflt);
/* Replaces the stored list with list (already checked by the caller; [] restores the
 * defaults). 0 or -1. */
int hub__searches_put(hub *h, const cJSON *list);

/* ---- outbox.c --------------------------------------------------------------------------- */
/* Queues action ("read", "done", "mute") for notification thread thread of item id. An equal
 * entry already pending — or, for read, a pending done — absorbs it (returns 0); else a new
 * entry (returns 1) after which older ones it makes unnecessary are cancelled (read before
 * done, duplicates). -1 on error. */
int hub__outbox_queue(hub *h, int64_t batch, int64_t id, const char *thread, const char *action, int64_t now);
/* Withdraws the pending action of thread (unread withdraws read, undone done, unmute mute):
 * cancelled by batch, and whatever it had superseded is pending again. 0 or -1. */
int hub__outbox_withdraw(hub *h, int64_t batch, const char *thread, const char *action, int64_t now);
/* Queues "mark everything read up to now" (PUT /notifications), superseding pending reads.
 * 1 or -1. */
int hub__outbox_read_all(hub *h, int64_t batch, int64_t now);
/* Undoes batch in the outbox. Returns the number of its entries already sent, or -1. */
int hub__outbox_undo(hub *h, int64_t batch, int64_t now);
/* The pending entries in order, at most max: [{"id","method","path","body","action","thread"}].
 * New array, NULL on error. */
cJSON *hub__outbox_pending(hub *h, int max);
/* Entry id was received by GitHub (2xx). 0 or -1. */
int hub__outbox_sent(hub *h, int64_t id, int64_t now);
/* Entry id failed: drop (GitHub says the thread is gone) ends it with msg as its note; else it
 * stays pending with msg as its last error, tried again at the next sync. 0 or -1. */
int hub__outbox_failed(hub *h, int64_t id, int drop, const char *msg, int64_t now);
/* Deletes finished entries (sent, dropped, cancelled) last changed before before_ms. */
int hub__outbox_prune(hub *h, int64_t before_ms);
/* The outbox command's answer: {"entries":[…],"counts":{"pending","sent","dropped",
 * "cancelled"}} — pending entries first in sending order, then the latest others. */
cJSON *hub__outbox_json(hub *h, int limit);

#endif
