/*
 * items.c — the only writer of items and item_reasons (items layer; see items.h).
 *
 * An upsert merges what a source knows into the stored row, hashes the fields a user would
 * notice (FNV-1a over kind, title, body, state, author, labels, assignees, counts, times, URL,
 * unread), and writes only when that hash or the item's reasons changed; unchanged fetches
 * cost nothing downstream. Whenever it writes, it recomputes the stored rank (rank/score.c)
 * from the merged row and the item's full set of reasons.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "base/events.h"

const hub__reason_def hub__reasons[HUB_R__COUNT] = {
#define X(code, words, urgent, class) {#code, words, urgent, HUB_RC_##class},
#include "items/reasons.def"
#undef X
};

int hub__reason_find(const char *code) {
  int i;
  for (i = 0; i < HUB_R__COUNT; i++)
    if (strcmp(hub__reasons[i].code, code) == 0) return i;
  return -1;
}

/* The stored or merged values of one item. Strings are owned. */
typedef struct {
  char *kind, *title, *body, *state, *author, *labels, *assignees, *url;
  int64_t comments, reactions, created_at, updated_at;
  int unread;
  double activity;
} row;

static void row_free(row *r) {
  hub_free(r->kind); hub_free(r->title); hub_free(r->body); hub_free(r->state);
  hub_free(r->author); hub_free(r->labels); hub_free(r->assignees); hub_free(r->url);
  memset(r, 0, sizeof *r);
}

/* Replaces *dst with a copy of src when src is given; returns -1 on OOM. */
static int take(char **dst, const char *src) {
  char *c;
  if (!src) return 0;
  c = hub__strdup(src);
  if (!c) return -1;
  hub_free(*dst);
  *dst = c;
  return 0;
}

static void hash_str(uint64_t *hv, const char *s) {
  static const char sep = 0x1f, nul = 0x1e;
  if (s) *hv = hub__fnv1a(*hv, s, strlen(s));
  else *hv = hub__fnv1a(*hv, &nul, 1);
  *hv = hub__fnv1a(*hv, &sep, 1);
}
static void hash_int(uint64_t *hv, int64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%lld", (long long)v);
  hash_str(hv, b);
}

/* The content hash: the fields a user would notice change. */
static void row_hash(const row *r, char out[17]) {
  uint64_t hv = HUB_FNV_INIT;
  hash_str(&hv, r->kind); hash_str(&hv, r->title); hash_str(&hv, r->body);
  hash_str(&hv, r->state); hash_str(&hv, r->author); hash_str(&hv, r->labels);
  hash_str(&hv, r->assignees); hash_int(&hv, r->comments); hash_int(&hv, r->reactions);
  hash_int(&hv, r->created_at); hash_int(&hv, r->updated_at); hash_str(&hv, r->url);
  hash_int(&hv, r->unread);
  snprintf(out, 17, "%016llx", (unsigned long long)hv);
}

int hub__items_reason_codes(hub *h, int64_t id, char *buf, size_t buflen, const char **codes, int max) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT code FROM item_reasons WHERE item_id=? ORDER BY code", "i", id);
  size_t used = 0;
  int n = 0;
  while (st && n < max && sqlite3_step(st) == SQLITE_ROW) {
    const char *c = (const char *)sqlite3_column_text(st, 0);
    size_t len = c ? strlen(c) : 0;
    if (!c || used + len + 1 > buflen) break;
    memcpy(buf + used, c, len + 1);
    codes[n++] = buf + used;
    used += len + 1;
  }
  hub__db_done(h, st);
  return n;
}

/* base and rank of r with its reasons. */
static void rank_of(hub *h, int64_t id, const row *r, int extra, int64_t now_s, double *base, double *rank) {
  const hub__weights *w = hub__weights_get(h);
  hub__score_in in;
  char buf[1024];
  const char *codes[33];
  int n = id ? hub__items_reason_codes(h, id, buf, sizeof buf, codes, 32) : 0, i, have = 0;
  for (i = 0; i < n; i++) have |= extra >= 0 && strcmp(codes[i], hub__reasons[extra].code) == 0;
  if (extra >= 0 && !have) codes[n++] = hub__reasons[extra].code;
  memset(&in, 0, sizeof in);
  in.comments = r->comments;
  in.reactions = r->reactions;
  in.labels = r->labels;
  in.author = r->author;
  in.unread = r->unread;
  in.reasons = codes;
  in.nreasons = n;
  in.activity = r->activity;
  in.updated_s = r->updated_at ? r->updated_at : (r->created_at ? r->created_at : now_s);
  *base = hub__score_base(w, &in, NULL);
  *rank = hub__score_rank(w, *base, in.updated_s);
}

/* Is (code, detail) already the item's? */
static int reason_state(hub *h, int64_t id, int r, const char *detail, int *known) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT detail FROM item_reasons WHERE item_id=? AND code=?", "it", id,
                               hub__reasons[r].code);
  if (!st) return -1;
  *known = sqlite3_step(st) == SQLITE_ROW &&
           strcmp((const char *)sqlite3_column_text(st, 0), detail ? detail : "") == 0;
  hub__db_done(h, st);
  return 0;
}

static int reason_put(hub *h, int64_t id, int r, const char *detail) {
  return hub__db_run(h, "INSERT INTO item_reasons(item_id,code,detail) VALUES(?,?,?) ON CONFLICT(item_id,code) "
                        "DO UPDATE SET detail=excluded.detail WHERE detail<>excluded.detail",
                     "itt", id, hub__reasons[r].code, detail ? detail : "") < 0 ? -1 : 0;
}

/* Loads the stored row of key into r; *id = 0 when there is none. */
static int load(hub *h, const char *key, row *r, int64_t *id, char old_hash[17]) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT id,kind,title,body,state,author,labels,assignees,comments,reactions,"
                               "created_at,updated_at,url,unread,hash,activity FROM items WHERE key=?",
                               "t", key);
  int rc;
  *id = 0;
  if (!st) return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    r->kind = hub__db_col_dup(st, 1); r->title = hub__db_col_dup(st, 2); r->body = hub__db_col_dup(st, 3);
    r->state = hub__db_col_dup(st, 4); r->author = hub__db_col_dup(st, 5); r->labels = hub__db_col_dup(st, 6);
    r->assignees = hub__db_col_dup(st, 7);
    r->comments = sqlite3_column_int64(st, 8); r->reactions = sqlite3_column_int64(st, 9);
    r->created_at = sqlite3_column_int64(st, 10); r->updated_at = sqlite3_column_int64(st, 11);
    r->url = hub__db_col_dup(st, 12); r->unread = sqlite3_column_int(st, 13);
    snprintf(old_hash, 17, "%s", (const char *)sqlite3_column_text(st, 14));
    r->activity = sqlite3_column_double(st, 15);
  } else if (rc != SQLITE_DONE) {
    hub__db_fail(h);
    hub__db_done(h, st);
    return -1;
  }
  hub__db_done(h, st);
  return 0;
}

/* Merges what the source knows into r. -1 on OOM. */
static int merge(row *r, const hub__item *it, int exists) {
  if (!exists) {
    r->activity = 1.0;
    if (take(&r->kind, "issue") || take(&r->title, "") || take(&r->state, "open") || take(&r->labels, "[]") ||
        take(&r->assignees, "[]"))
      return -1;
  }
  if ((it->has & HUB_F_KIND) && take(&r->kind, it->kind)) return -1;
  if ((it->has & HUB_F_TITLE) && take(&r->title, it->title)) return -1;
  if (it->has & HUB_F_BODY) {
    if (it->body) {
      if (take(&r->body, it->body)) return -1;
    } else {
      hub_free(r->body);
      r->body = NULL;
    }
  }
  if ((it->has & HUB_F_STATE) && take(&r->state, it->state)) return -1;
  if ((it->has & HUB_F_AUTHOR) && take(&r->author, it->author)) return -1;
  if ((it->has & HUB_F_LABELS) && take(&r->labels, it->labels)) return -1;
  if ((it->has & HUB_F_ASSIGNEES) && take(&r->assignees, it->assignees)) return -1;
  if ((it->has & HUB_F_URL) && take(&r->url, it->url)) return -1;
  if (it->has & HUB_F_COMMENTS) r->comments = it->comments;
  if (it->has & HUB_F_REACTIONS) r->reactions = it->reactions;
  if (it->has & HUB_F_CREATED) r->created_at = it->created_at;
  if (it->has & HUB_F_UPDATED) r->updated_at = it->updated_at;
  if (it->has & HUB_F_UNREAD) r->unread = it->unread;
  return 0;
}

/* Inserts a new row. */
static int insert(hub *h, const hub__item *it, const row *r, const char *hash, double base, double rank,
                  int64_t now_s, int64_t *id) {
  sqlite3_stmt *st = hub__db_q(h,
                               "INSERT INTO items(key,source,host,repo,number,kind,title,body,state,author,labels,"
                               "assignees,comments,reactions,created_at,updated_at,url,unread,first_seen,last_seen,"
                               "hash,base,rank) VALUES(?,?,?,?,nullif(?,0),?,?,?,?,?,?,?,?,?,nullif(?,0),nullif(?,0),"
                               "?,?,?,?,?,?,?)",
                               "tttti" "ttttttt" "iiii" "tiii" "tdd", it->key, it->source ? it->source : "github",
                               it->host, it->repo, it->number, r->kind, r->title, r->body, r->state, r->author,
                               r->labels, r->assignees, r->comments, r->reactions, r->created_at, r->updated_at,
                               r->url, (int64_t)r->unread, now_s, now_s, hash, base, rank);
  int rc;
  if (!st) return -1;
  rc = sqlite3_step(st);
  hub__db_done(h, st);
  if (rc != SQLITE_DONE) return hub__db_fail(h);
  *id = sqlite3_last_insert_rowid(h->db);
  return 0;
}

static int update(hub *h, int64_t id, const row *r, const char *hash, double base, double rank, int64_t now_s) {
  return hub__db_run(h,
                     "UPDATE items SET kind=?,title=?,body=?,state=?,author=?,labels=?,assignees=?,"
                     "comments=?,reactions=?,created_at=nullif(?,0),updated_at=nullif(?,0),url=?,unread=?,"
                     "last_seen=?,hash=?,base=?,rank=? WHERE id=?",
                     "ttttttt" "iiii" "tii" "tddi", r->kind, r->title, r->body, r->state, r->author, r->labels,
                     r->assignees, r->comments, r->reactions, r->created_at, r->updated_at, r->url,
                     (int64_t)r->unread, now_s, hash, base, rank, id) < 0
             ? -1
             : 0;
}

int hub__items_put(hub *h, const hub__item *it, int64_t now_s, hub__upsert_result *res, int64_t *out_id) {
  row r;
  char hash[17], old_hash[17] = "";
  int64_t id = 0;
  int known = 1, ret = -1;
  double base, rank;
  memset(&r, 0, sizeof r);
  *res = HUB_UPSERT_UNCHANGED;
  if (it->reason >= HUB_R__COUNT) {
    hub__set_err(h, "items: unknown reason %d", it->reason);
    return -1;
  }
  if (load(h, it->key, &r, &id, old_hash)) goto done;
  if (merge(&r, it, id != 0)) goto oom;
  row_hash(&r, hash);
  if (id && it->reason >= 0 && reason_state(h, id, it->reason, it->detail, &known)) goto done;
  if (id && known && strcmp(hash, old_hash) == 0) {
    ret = 0; /* unchanged: nothing written, nothing rescored */
    goto done;
  }
  rank_of(h, id, &r, it->reason, now_s, &base, &rank);
  if (!id) {
    if (insert(h, it, &r, hash, base, rank, now_s, &id)) goto done;
    *res = HUB_UPSERT_NEW;
  } else {
    if (update(h, id, &r, hash, base, rank, now_s)) goto done;
    *res = HUB_UPSERT_UPDATED;
  }
  if (it->reason >= 0 && reason_put(h, id, it->reason, it->detail)) goto done;
  hub__event(h, *res == HUB_UPSERT_NEW ? "item.new" : "item.updated", it->key, hub__mul_sat(now_s, 1000), "t", "source", it->source);
  ret = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  if (out_id) *out_id = id;
  row_free(&r);
  return ret;
}

/* Recomputes and stores the rank of one item from its stored row. */
static int rescore_one(hub *h, int64_t id) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT comments,reactions,labels,author,unread,activity,created_at,updated_at "
                               "FROM items WHERE id=?",
                               "i", id);
  row r;
  double base, rank;
  int rc = -1;
  memset(&r, 0, sizeof r);
  if (!st) return -1;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hub__db_done(h, st);
    return 0;
  }
  r.comments = sqlite3_column_int64(st, 0);
  r.reactions = sqlite3_column_int64(st, 1);
  r.labels = hub__db_col_dup(st, 2);
  r.author = hub__db_col_dup(st, 3);
  r.unread = sqlite3_column_int(st, 4);
  r.activity = sqlite3_column_double(st, 5);
  r.created_at = sqlite3_column_int64(st, 6);
  r.updated_at = sqlite3_column_int64(st, 7);
  hub__db_done(h, st);
  if (!r.updated_at && !r.created_at)
    r.created_at = hub__db_int(h, "SELECT first_seen FROM items WHERE id=?", "i", 0, id);
  rank_of(h, id, &r, -1, 0, &base, &rank);
  if (hub__db_run(h, "UPDATE items SET base=?,rank=? WHERE id=? AND (base<>? OR rank<>?)", "ddidd", base, rank, id,
                  base, rank) >= 0)
    rc = 0;
  row_free(&r);
  return rc;
}

int hub__items_drop_reason(hub *h, int64_t id, hub__reason r, int drop_orphan) {
  int n = hub__db_run(h, "DELETE FROM item_reasons WHERE item_id=? AND code=?", "it", id, hub__reasons[r].code);
  if (n <= 0) return n;
  if (drop_orphan) {
    int d = hub__db_run(h, "DELETE FROM items WHERE id=? AND NOT EXISTS (SELECT 1 FROM item_reasons WHERE item_id=?)",
                        "ii", id, id);
    if (d < 0) return -1;
    if (d > 0) return 1;
  }
  return rescore_one(h, id) ? -1 : 1;
}

int hub__items_set_activity(hub *h, int64_t id, double activity) {
  int n = hub__db_run(h, "UPDATE items SET activity=? WHERE id=? AND activity<>?", "did", activity, id, activity);
  if (n <= 0) return n;
  return rescore_one(h, id);
}

int hub__items_set_score(hub *h, int64_t id, double base, double rank) {
  return hub__db_run(h, "UPDATE items SET base=?,rank=? WHERE id=? AND (base<>? OR rank<>?)", "ddidd", base, rank, id,
                     base, rank);
}

int hub__items_forget(hub *h, int64_t id) { return hub__db_run(h, "DELETE FROM items WHERE id=?", "i", id); }

int hub__items_rescore(hub *h) {
  sqlite3_stmt *st;
  int64_t *ids = NULL;
  size_t n = 0, cap = 0, i;
  int rc = -1;
  hub__weights_invalidate(h);
  st = hub__db_q(h, "SELECT id FROM items ORDER BY id", NULL);
  if (!st) return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (n == cap) {
      int64_t *p;
      cap = cap ? cap * 2 : 256;
      p = hub__realloc(ids, cap * sizeof *ids);
      if (!p) {
        hub__set_err(h, "out of memory");
        goto done;
      }
      ids = p;
    }
    ids[n++] = sqlite3_column_int64(st, 0);
  }
  hub__db_done(h, st);
  st = NULL;
  for (i = 0; i < n; i++)
    if (rescore_one(h, ids[i])) goto done;
  rc = 0;
done:
  hub__db_done(h, st);
  hub_free(ids);
  return rc;
}

int hub__items_rescore_if_due(hub *h) {
  char *due = hub__kv_get(h, "state.rescore");
  int rc = 0;
  if (due && !h->readonly) {
    rc = hub__db_begin(h) || hub__items_rescore(h) || hub__kv_set(h, "state.rescore", NULL) || hub__db_commit(h) ? -1 : 0;
    if (rc) hub__db_rollback(h);
  }
  hub_free(due);
  return rc;
}

int64_t hub__items_id(hub *h, const char *key) {
  return hub__db_int(h, "SELECT id FROM items WHERE key=?", "t", 0, key);
}

cJSON *hub__items_reasons_json(hub *h, int64_t id) {
  cJSON *arr = cJSON_CreateArray();
  sqlite3_stmt *st = hub__db_q(h, "SELECT code,detail FROM item_reasons WHERE item_id=? ORDER BY code", "i", id);
  while (arr && st && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(o, "detail", (const char *)sqlite3_column_text(st, 1));
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return arr;
}
