/*
 * items.h — the inbox's items and why each is there (items layer; items/items.c is the only
 * writer of tables items and item_reasons).
 *
 * Sources hand in item records (hub__item); the module merges the fields the source knows
 * into the stored row, hashes the fields a user would notice, and writes only when that hash
 * or the item's reasons changed — then the score's rank is recomputed in the same place.
 * Items are keyed by a stable text key: "github.com/owner/repo#12", or an AT URI.
 */
#ifndef HUB_ITEMS_H
#define HUB_ITEMS_H

#include "hub_int.h"

/* Reason codes (items/reasons.def). */
typedef enum {
#define X(code, words, urgent, class) HUB_R_##code,
#include "items/reasons.def"
#undef X
  HUB_R__COUNT
} hub__reason;
/* What a reason means to the tip's features. */
typedef enum {
  HUB_RC_NONE, HUB_RC_REVIEW, HUB_RC_ASSIGNED, HUB_RC_MENTION, HUB_RC_SECURITY, HUB_RC_AUTHORED,
  HUB_RC_NOTIFY, HUB_RC_GFI
} hub__rclass;
typedef struct {
  const char *code, *words;
  int urgent;
  hub__rclass cls;
} hub__reason_def;
/* The table, indexed by hub__reason. */
extern const hub__reason_def hub__reasons[HUB_R__COUNT];
/* The reason with that code, or -1. */
int hub__reason_find(const char *code);

/* An item as read from any source. Fields with their bit clear in `has` are unknown and leave
 * the stored value alone when merged. Strings are borrowed (owned by the caller). */
enum {
  HUB_F_KIND = 1 << 0, HUB_F_TITLE = 1 << 1, HUB_F_BODY = 1 << 2, HUB_F_STATE = 1 << 3,
  HUB_F_AUTHOR = 1 << 4, HUB_F_LABELS = 1 << 5, HUB_F_ASSIGNEES = 1 << 6,
  HUB_F_COMMENTS = 1 << 7, HUB_F_REACTIONS = 1 << 8, HUB_F_CREATED = 1 << 9,
  HUB_F_UPDATED = 1 << 10, HUB_F_URL = 1 << 11, HUB_F_UNREAD = 1 << 12
};
typedef struct {
  unsigned has;
  const char *key;     /* stable key: "github.com/owner/repo#12" */
  const char *source;  /* "github" | "tangled" */
  const char *host, *repo;
  int64_t number;
  const char *kind, *title, *body, *state, *author;
  const char *labels;    /* JSON array text of strings */
  const char *assignees; /* JSON array text of strings */
  int64_t comments, reactions;
  int64_t created_at, updated_at; /* seconds since epoch */
  const char *url;
  int unread;
  int reason;          /* a hub__reason to add to the item's set, or -1 for none */
  const char *detail;  /* the reason's detail, or NULL */
} hub__item;

typedef enum { HUB_UPSERT_UNCHANGED, HUB_UPSERT_NEW, HUB_UPSERT_UPDATED } hub__upsert_result;

/* Merges it into the stored row (creating it), writing only when its content hash or its
 * reasons changed; *res says which, *id (when not NULL) is the row id. now_s stamps first and
 * last seen. Text fields must be valid UTF-8 (the sources clean them at the edge). Returns 0,
 * or -1 with h->errmsg set. */
int hub__items_put(hub *h, const hub__item *it, int64_t now_s, hub__upsert_result *res, int64_t *id);
/* Removes reason r from item id; with drop_orphan, deletes the item when no reason is left.
 * Rescores the item otherwise. Returns 1 when something changed, 0 when not, -1 on error. */
int hub__items_drop_reason(hub *h, int64_t id, hub__reason r, int drop_orphan);
/* Sets the repo-activity factor of item id (good-first issues) and rescores it when it
 * changed. 0 or -1. */
int hub__items_set_activity(hub *h, int64_t id, double activity);
/* Stores a score computed elsewhere — by the hubd this database follows (replica/) — as item
 * id's base and rank. 1 when they changed, 0 when not, -1 on error. */
int hub__items_set_score(hub *h, int64_t id, double base, double rank);
/* Deletes item id (and, by cascade, what hangs on it): the database it follows no longer has
 * it. 1 when deleted, 0 when there was none, -1 on error. */
int hub__items_forget(hub *h, int64_t id);
/* Recomputes every item's stored rank (after weights change). 0 or -1. */
int hub__items_rescore(hub *h);
/* Runs the rescore a migration asked for (state.rescore). 0 or -1. */
int hub__items_rescore_if_due(hub *h);
/* The row id of key, or 0. */
int64_t hub__items_id(hub *h, const char *key);
/* The reasons of item id as [{"code","detail"}] ordered by code. New array (NULL on OOM). */
cJSON *hub__items_reasons_json(hub *h, int64_t id);
/* The reason codes of item id joined into buf as a NUL-separated list; returns the count
 * (at most max) and fills codes[] with pointers into buf. */
int hub__items_reason_codes(hub *h, int64_t id, char *buf, size_t buflen, const char **codes, int max);

#endif
