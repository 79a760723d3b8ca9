/*
 * apply.c — what the other side sent, imported (replica layer; see replica.h for the scopes
 * and the conflict rule): command `apply`, the rule itself, and hub__replica_apply, which the
 * hubd source (follow.c) runs inside the sync engine's batch.
 *
 * A batch is applied in one transaction: every change is checked as it comes, and the first
 * malformed one (a missing or mistyped field, a string over its ceiling, invalid UTF-8, a kind
 * of change the scope does not carry) fails the whole batch, rolled back, with the change and
 * field at fault named. Nothing here writes another module's table itself: items go through
 * items/ (hub__items_put, hub__items_set_score, hub__items_forget), triage state through
 * triage/ (hub__triage_import, which also tells GitHub what hubd must tell it), briefings and
 * AI outputs through brief/, tip feedback through tip/share.c. This module writes only the
 * stamps (replica_stamps) of the state it took.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "items/items.h"
#include "triage/triage.h"
#include "tip/tip.h"
#include "brief/brief.h"
#include "replica/replica.h"

#ifndef HUB_REPLICA_REASONS
#define HUB_REPLICA_REASONS 32 /* reasons of one item */
#endif

/* ---- the rule (pure) ---------------------------------------------------------------------- */

int hub__stamp_cmp(const hub__stamp *a, const hub__stamp *b) {
  int o = strcmp(a->origin, b->origin);
  if (o == 0 && a->ctr == b->ctr) return 0;
  if (a->at != b->at) return a->at < b->at ? -1 : 1;
  if (o != 0) return o < 0 ? -1 : 1;
  return a->ctr < b->ctr ? -1 : 1;
}

hub__verdict hub__replica_decide(hub__scope scope, const hub__stamp *local, int pending, const hub__stamp *in,
                                 int64_t now, hub__stamp *out) {
  int cmp;
  *out = *in;
  if (scope == HUB_SCOPE_ACTIONS && out->at > now) out->at = now; /* hubd bounds a device's clock */
  if (!local) return HUB_TAKE;
  cmp = hub__stamp_cmp(out, local);
  if (cmp == 0) { /* the same action: hubd keeps the smaller time, a device takes hubd's */
    if (scope == HUB_SCOPE_ACTIONS ? out->at < local->at : out->at != local->at) return HUB_RETIME;
    return HUB_KEEP;
  }
  if (scope == HUB_SCOPE_ALL && !pending) return HUB_TAKE; /* hubd's answer already weighed ours */
  return cmp > 0 ? HUB_TAKE : HUB_KEEP;
}

/* ---- reading changes ------------------------------------------------------------------------ */

typedef struct {
  hub__scope scope;
  int64_t now, push_seq;
  const char *origin; /* the sender's id (tip decisions), or NULL */
  char self[HUB_REPLICA_ORIGIN_MAX + 1];
  hub__replica_counts *c;
  int idx;            /* the change being applied, for messages */
} ctx;

/* Sets the message of a malformed change and returns -2. */
static int bad(hub *h, const ctx *x, const char *where, const char *what) {
  hub__set_err(h, "changes[%d]%s%s: %s", x->idx, where && *where ? "." : "", where ? where : "", what);
  return -2;
}

/* A string member of at most max bytes, valid UTF-8 (NULL allowed when nullable): 0 with *out
 * set (borrowed, NULL for null), or -1. */
static int text_of(const cJSON *o, const char *k, size_t max, int nullable, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *out = NULL;
  if (!v || cJSON_IsNull(v)) return nullable ? 0 : -1;
  if (!cJSON_IsString(v) || strlen(v->valuestring) > max || !hub__utf8_valid(v->valuestring, strlen(v->valuestring)))
    return -1;
  *out = v->valuestring;
  return 0;
}

/* A finite number member within [lo, hi]: 0 or -1. */
static int real_of(const cJSON *o, const char *k, double lo, double hi, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi) return -1;
  *out = v->valuedouble;
  return 0;
}

/* A JSON array text of strings (labels, assignees): 0 or -1. */
static int names_ok(const char *t) {
  cJSON *a = cJSON_Parse(t), *e;
  int ok = cJSON_IsArray(a);
  cJSON_ArrayForEach(e, a) ok &= cJSON_IsString(e);
  cJSON_Delete(a);
  return ok ? 0 : -1;
}

/* {at, origin, ctr}: 0 or -1. */
static int stamp_read(const cJSON *o, hub__stamp *s) {
  const char *origin = hub__json_str(o, "origin");
  size_t i, n = origin ? strlen(origin) : 0;
  memset(s, 0, sizeof *s);
  if (!cJSON_IsObject(o) || hub__json_int(o, "at", 0, INT64_MAX / 4, &s->at) != 1 ||
      hub__json_int(o, "ctr", 0, INT64_MAX / 4, &s->ctr) != 1 || !origin || n > HUB_REPLICA_ORIGIN_MAX)
    return -1;
  for (i = 0; i < n; i++)
    if (!((origin[i] >= '0' && origin[i] <= '9') || (origin[i] >= 'a' && origin[i] <= 'f'))) return -1;
  memcpy(s->origin, origin, n + 1);
  return 0;
}

/* A triage state: null, or an object of the row's members, each of its type. 0 or -1. */
static int state_ok(const cJSON *st) {
  static const struct {
    const char *k;
    int64_t hi;
    int nullable;
  } m[] = {{"read", 1, 1},          {"read_at", INT64_MAX / 4, 1}, {"done_at", INT64_MAX / 4, 1},
           {"snoozed_until", INT64_MAX / 4, 1}, {"saved", 1, 0},   {"muted", 1, 0}, {"dismissed", 1, 0}};
  const size_t n = sizeof m / sizeof m[0];
  const cJSON *e;
  int64_t v;
  size_t i;
  if (cJSON_IsNull(st)) return 0;
  if (!cJSON_IsObject(st)) return -1;
  cJSON_ArrayForEach(e, st) {
    for (i = 0; i < n && strcmp(e->string, m[i].k) != 0; i++) continue;
    if (i == n) return -1;
    if (hub__json_int(st, m[i].k, 0, m[i].hi, &v) != 1 && !(m[i].nullable && cJSON_IsNull(e))) return -1;
  }
  return 0;
}

/* The item of a change into it (strings borrowed from o), its score and reasons. 0 or -2. */
typedef struct {
  double activity, base, rank;
  const cJSON *reasons;
} item_extra;

static int item_read(hub *h, const ctx *x, const cJSON *o, hub__item *it, item_extra *e) {
  static const struct { const char *k; size_t max; int nullable; size_t off; } texts[] = {
      {"source", 32, 0, offsetof(hub__item, source)},    {"host", 256, 1, offsetof(hub__item, host)},
      {"repo", 512, 1, offsetof(hub__item, repo)},        {"kind", 16, 0, offsetof(hub__item, kind)},
      {"title", HUB_MAX_FIELD, 0, offsetof(hub__item, title)}, {"body", HUB_MAX_FIELD, 1, offsetof(hub__item, body)},
      {"state", 32, 0, offsetof(hub__item, state)},      {"author", 256, 1, offsetof(hub__item, author)},
      {"labels", HUB_MAX_FIELD, 0, offsetof(hub__item, labels)},
      {"assignees", HUB_MAX_FIELD, 0, offsetof(hub__item, assignees)}, {"url", HUB_MAX_URL, 1, offsetof(hub__item, url)},
  };
  int64_t unread = 0;
  size_t i;
  if (!cJSON_IsObject(o)) return bad(h, x, "item", "not an object");
  for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if (text_of(o, texts[i].k, texts[i].max, texts[i].nullable, (const char **)((char *)it + texts[i].off)))
      return bad(h, x, "item", texts[i].k);
  if (names_ok(it->labels) || names_ok(it->assignees)) return bad(h, x, "item", "labels and assignees are JSON arrays of names");
  if (hub__json_int(o, "number", 0, INT64_MAX / 4, &it->number) < 0 ||
      hub__json_int(o, "comments", 0, 1000000000000LL, &it->comments) != 1 ||
      hub__json_int(o, "reactions", 0, 1000000000000LL, &it->reactions) != 1 ||
      hub__json_int(o, "created_at", 0, 100000000000LL, &it->created_at) < 0 ||
      hub__json_int(o, "updated_at", 0, 100000000000LL, &it->updated_at) < 0 ||
      hub__json_int(o, "unread", 0, 1, &unread) != 1)
    return bad(h, x, "item", "number, comments, reactions, created_at, updated_at (s) and unread are integers");
  if (real_of(o, "activity", 0, 1e6, &e->activity) || real_of(o, "base", -1e12, 1e12, &e->base) ||
      real_of(o, "rank", -1e12, 1e12, &e->rank))
    return bad(h, x, "item", "activity, base and rank are numbers");
  e->reasons = cJSON_GetObjectItemCaseSensitive(o, "reasons");
  if (!cJSON_IsArray(e->reasons) || cJSON_GetArraySize(e->reasons) > HUB_REPLICA_REASONS)
    return bad(h, x, "item.reasons", "an array of at most 32 {code, detail}");
  it->unread = (int)unread;
  it->has = HUB_F_KIND | HUB_F_TITLE | HUB_F_BODY | HUB_F_STATE | HUB_F_AUTHOR | HUB_F_LABELS | HUB_F_ASSIGNEES |
            HUB_F_COMMENTS | HUB_F_REACTIONS | HUB_F_CREATED | HUB_F_UPDATED | HUB_F_URL | HUB_F_UNREAD;
  return 0;
}

/* ---- applying --------------------------------------------------------------------------------- */

/* Puts the item with every reason it has there; drops the ones it no longer has. */
static int item_reasons(hub *h, const ctx *x, hub__item *it, const cJSON *reasons, hub__upsert_result *res, int64_t *id) {
  const cJSON *r;
  char buf[1024];
  const char *codes[HUB_REPLICA_REASONS + 1];
  int n, i, first = 1;
  hub__upsert_result one;
  cJSON_ArrayForEach(r, reasons) {
    const char *code = hub__json_str(r, "code"), *detail = NULL;
    if (!code || text_of(r, "detail", 512, 1, &detail)) return bad(h, x, "item.reasons", "{code, detail} strings");
    if ((it->reason = hub__reason_find(code)) < 0) continue; /* a newer hubd's reason: not shown here */
    it->detail = detail;
    if (hub__items_put(h, it, x->now / 1000, &one, id)) return -1;
    if (first || (*res == HUB_UPSERT_UNCHANGED && one != HUB_UPSERT_UNCHANGED)) *res = one;
    first = 0;
  }
  if (first) { /* no reason known here */
    it->reason = -1;
    if (hub__items_put(h, it, x->now / 1000, res, id)) return -1;
  }
  n = hub__items_reason_codes(h, *id, buf, sizeof buf, codes, HUB_REPLICA_REASONS);
  for (i = 0; i < n; i++) {
    int keep = 0, k;
    cJSON_ArrayForEach(r, reasons) keep |= hub__json_str(r, "code") && strcmp(hub__json_str(r, "code"), codes[i]) == 0;
    if (keep || (k = hub__reason_find(codes[i])) < 0) continue;
    if ((k = hub__items_drop_reason(h, *id, (hub__reason)k, 0)) < 0) return -1;
    if (k && *res == HUB_UPSERT_UNCHANGED) *res = HUB_UPSERT_UPDATED;
  }
  return 0;
}

static int apply_item(hub *h, ctx *x, const char *key, const cJSON *o, int64_t *id) {
  hub__item it;
  item_extra e;
  hub__upsert_result res = HUB_UPSERT_UNCHANGED;
  int rc, k;
  memset(&it, 0, sizeof it);
  if ((rc = item_read(h, x, o, &it, &e)) != 0) return rc;
  it.key = key;
  if ((rc = item_reasons(h, x, &it, e.reasons, &res, id)) != 0) return rc;
  if (hub__items_set_activity(h, *id, e.activity) || (k = hub__items_set_score(h, *id, e.base, e.rank)) < 0) return -1;
  if (k && res == HUB_UPSERT_UNCHANGED) res = HUB_UPSERT_UPDATED;
  if (res == HUB_UPSERT_NEW) x->c->n_new++;
  else if (res == HUB_UPSERT_UPDATED) x->c->updated++;
  if (x->c->on_item) x->c->on_item(x->c->ud, res, *id);
  return 0;
}

/* The stamp stored for item id into s; 1 when there is one, 0 when not, -1 on error. */
static int stamp_load(hub *h, int64_t id, hub__stamp *s) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT at, origin, ctr FROM replica_stamps WHERE item_id=?", "i", id);
  int rc;
  if (!st) return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    s->at = sqlite3_column_int64(st, 0);
    snprintf(s->origin, sizeof s->origin, "%s", (const char *)sqlite3_column_text(st, 1));
    s->ctr = sqlite3_column_int64(st, 2);
  }
  hub__db_done(h, st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : hub__db_fail(h);
}

static int stamp_store(hub *h, int64_t id, const hub__stamp *s) {
  return hub__db_run(h,
                     "INSERT INTO replica_stamps(item_id, at, origin, ctr) VALUES(?,?,?,?) ON CONFLICT(item_id)"
                     " DO UPDATE SET at=excluded.at, origin=excluded.origin, ctr=excluded.ctr",
                     "iiti", id, s->at, s->origin, s->ctr) < 0
             ? -1
             : 0;
}

/* 1 when item key's latest action is this database's and hubd has not acknowledged it. */
static int pending(hub *h, const ctx *x, const char *key, const hub__stamp *local) {
  if (strcmp(local->origin, x->self) != 0) return 0;
  return hub__db_int(h, "SELECT seq FROM replica_log WHERE kind='triage' AND ref=?", "t", 0, key) > x->push_seq;
}

static int apply_triage(hub *h, ctx *x, const char *key, int64_t id, const cJSON *t) {
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(t, "state");
  hub__stamp in, local, out;
  hub__verdict v;
  int have, queued = 0;
  if (cJSON_IsNull(t) && x->scope == HUB_SCOPE_ALL) return 0; /* no action on it anywhere yet */
  if (!cJSON_IsObject(t) || stamp_read(cJSON_GetObjectItemCaseSensitive(t, "stamp"), &in))
    return bad(h, x, "triage.stamp", "{at, origin, ctr}");
  if (!state || state_ok(state)) return bad(h, x, "triage.state", "null or {read, read_at, done_at, snoozed_until, saved, muted, dismissed}");
  if ((have = stamp_load(h, id, &local)) < 0) return -1;
  v = hub__replica_decide(x->scope, have ? &local : NULL, have && pending(h, x, key, &local), &in, x->now, &out);
  if (v == HUB_KEEP) {
    if (have && hub__stamp_cmp(&in, &local) == 0) x->c->unchanged++;
    else x->c->stale++;
    return 0;
  }
  if (v == HUB_TAKE && hub__triage_import(h, id, state, out.at, x->scope == HUB_SCOPE_ACTIONS, &queued) < 0) return -1;
  if (stamp_store(h, id, &out)) return -1;
  x->c->outbox += queued;
  if (v == HUB_TAKE) x->c->applied++;
  else x->c->unchanged++;
  return 0;
}

/* {"key", "item"|"gone"|"triage"}. */
static int apply_key(hub *h, ctx *x, const cJSON *c, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(c, "item"), *t = cJSON_GetObjectItemCaseSensitive(c, "triage");
  int gone = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "gone")), rc;
  int64_t id = 0;
  size_t i, n = strlen(key);
  for (i = 0; i < n; i++)
    if ((unsigned char)key[i] < 0x20) return bad(h, x, "key", "a control character");
  if (x->scope == HUB_SCOPE_ACTIONS && (item || gone)) return bad(h, x, "", "a device sends triage and tip feedback only");
  if (gone) {
    if ((id = hub__items_id(h, key)) && (rc = hub__items_forget(h, id)) < 0) return -1;
    if (id) x->c->gone++;
    return 0;
  }
  if (item && (rc = apply_item(h, x, key, item, &id)) != 0) return rc;
  if (!item) id = hub__items_id(h, key);
  if (!t) return item ? 0 : bad(h, x, "", "a change of an item has \"item\", \"gone\" or \"triage\"");
  if (!id) { /* an item this database does not have */
    x->c->unknown++;
    return 0;
  }
  return apply_triage(h, x, key, id, t);
}

static int apply_brief(hub *h, ctx *x, const cJSON *b) {
  const char *hash, *ph, *model;
  const cJSON *json = cJSON_GetObjectItemCaseSensitive(b, "briefing");
  char *text;
  int64_t at;
  int rc;
  if (text_of(b, "hash", 16, 0, &hash) || text_of(b, "prompt_hash", 64, 1, &ph) || text_of(b, "model", 200, 1, &model) ||
      hub__json_int(b, "at", 0, INT64_MAX / 4, &at) != 1 || !cJSON_IsObject(json))
    return bad(h, x, "brief", "{hash, prompt_hash, model, at, briefing}");
  if (!(text = cJSON_PrintUnformatted(json))) return hub__set_err(h, "out of memory"), -1;
  rc = hub__brief_import(h, hash, ph, text, model, at);
  cJSON_free(text);
  if (rc < 0) return -1;
  if (rc) x->c->applied++;
  else x->c->unchanged++;
  return 0;
}

static int apply_ai(hub *h, ctx *x, const cJSON *a) {
  const char *kind, *entity, *hash, *model;
  const cJSON *out = cJSON_GetObjectItemCaseSensitive(a, "output");
  const hub__snode *s;
  char err[300];
  int64_t at;
  int rc;
  if (text_of(a, "kind", 32, 0, &kind) || text_of(a, "entity", 512, 0, &entity) || text_of(a, "hash", 16, 0, &hash) ||
      text_of(a, "model", 200, 1, &model) || hub__json_int(a, "at", 0, INT64_MAX / 4, &at) != 1 ||
      !(s = hub__schema_find(kind)) || strcmp(kind, "briefing") == 0)
    return bad(h, x, "ai", "{kind, entity, hash, model, at, output} of a known kind");
  if (hub__schema_validate(s, out, NULL, 0, err, sizeof err)) return bad(h, x, "ai.output", err);
  if ((rc = hub__ai_import(h, kind, entity, hash, out, model, at)) < 0) return -1;
  if (rc) x->c->applied++;
  else x->c->unchanged++;
  return 0;
}

static int apply_tip(hub *h, ctx *x, const cJSON *d) {
  int n;
  if (x->scope != HUB_SCOPE_ACTIONS) return bad(h, x, "tip", "tip feedback goes from a device to hubd only");
  if (!x->origin) return bad(h, x, "tip", "tip feedback needs the sender's \"origin\"");
  h->errmsg[0] = 0;
  if ((n = hub__tip_share_in(h, x->origin, d)) < 0) {
    char why[sizeof h->errmsg];
    snprintf(why, sizeof why, "%s", h->errmsg);
    return strncmp(why, "tip ", 4) == 0 ? bad(h, x, "tip", why) : -1;
  }
  x->c->tips += n;
  return 0;
}

static int apply_one(hub *h, ctx *x, const cJSON *c) {
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(c, "key"), *b = cJSON_GetObjectItemCaseSensitive(c, "brief");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "ai"), *t = cJSON_GetObjectItemCaseSensitive(c, "tip");
  if (!cJSON_IsObject(c) || (key != NULL) + (b != NULL) + (a != NULL) + (t != NULL) != 1)
    return bad(h, x, "", "a change has exactly one of \"key\", \"brief\", \"ai\", \"tip\"");
  if (key) {
    if (!cJSON_IsString(key) || !*key->valuestring || strlen(key->valuestring) > HUB_REPLICA_KEY_MAX ||
        !hub__utf8_valid(key->valuestring, strlen(key->valuestring)))
      return bad(h, x, "key", "a string of 1 to 1024 bytes");
    return apply_key(h, x, c, key->valuestring);
  }
  if (t) return apply_tip(h, x, t);
  if (x->scope != HUB_SCOPE_ALL) return bad(h, x, b ? "brief" : "ai", "briefings and AI outputs go from hubd to a device only");
  return b ? apply_brief(h, x, b) : apply_ai(h, x, a);
}

int hub__replica_apply(hub *h, const cJSON *changes, hub__scope scope, const char *origin, int64_t now,
                       hub__replica_counts *c) {
  const cJSON *e;
  char *push = NULL, theirs[HUB_REPLICA_ORIGIN_MAX + 1];
  ctx x;
  int rc = 0;
  memset(&x, 0, sizeof x);
  x.scope = scope;
  x.now = now;
  x.origin = origin;
  x.c = c;
  if (!cJSON_IsArray(changes) || cJSON_GetArraySize(changes) > HUB_REPLICA_PAGE_MAX) {
    hub__set_err(h, "\"changes\" is an array of at most %d changes", HUB_REPLICA_PAGE_MAX);
    return -2;
  }
  if (hub__replica_origin(h, x.self)) return -1;
  push = hub__kv_get(h, "replica.push"); /* own actions up to it are acknowledged by hubd */
  if (hub__replica_cursor_parse(push, theirs, &x.push_seq) || strcmp(theirs, x.self) != 0) x.push_seq = 0;
  hub_free(push);
  cJSON_ArrayForEach(e, changes) {
    if ((rc = apply_one(h, &x, e)) != 0) break;
    x.idx++;
  }
  return rc;
}

/* ---- the command -------------------------------------------------------------------------------- */

static cJSON *counts_json(const hub__replica_counts *c) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "applied", (double)c->applied);
  cJSON_AddNumberToObject(r, "unchanged", (double)c->unchanged);
  cJSON_AddNumberToObject(r, "stale", (double)c->stale);
  cJSON_AddNumberToObject(r, "unknown", (double)c->unknown);
  cJSON_AddNumberToObject(r, "gone", (double)c->gone);
  cJSON_AddNumberToObject(r, "new", (double)c->n_new);
  cJSON_AddNumberToObject(r, "updated", (double)c->updated);
  cJSON_AddNumberToObject(r, "outbox", (double)c->outbox);
  cJSON_AddNumberToObject(r, "tips", (double)c->tips);
  return r;
}

cJSON *hub__replica_apply_cmd(hub *h, const cJSON *req) {
  const cJSON *changes = cJSON_GetObjectItemCaseSensitive(req, "changes");
  const char *scope = hub__json_str(req, "scope"), *origin = hub__json_str(req, "origin");
  hub__replica_counts c;
  hub__scope s = HUB_SCOPE_ALL;
  int64_t now;
  int rc;
  memset(&c, 0, sizeof c);
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "apply needs \"now\" (ms)");
  if (cJSON_GetObjectItemCaseSensitive(req, "scope") && !(scope && (strcmp(scope, "all") == 0 || strcmp(scope, "actions") == 0)))
    return hub__error_field(HUB_E_BAD_REQUEST, "scope", "\"scope\" is \"all\" or \"actions\"");
  if (scope && strcmp(scope, "actions") == 0) s = HUB_SCOPE_ACTIONS;
  if (cJSON_GetArraySize(changes) > HUB_REPLICA_PAGE_MAX)
    return hub__error_field(HUB_E_TOO_BIG, "changes", "a batch holds at most 1000 changes; nothing was applied");
  if (hub__db_begin(h)) return hub__error_json(HUB_E_DB, h->errmsg);
  rc = hub__replica_apply(h, changes, s, origin, now, &c);
  if (rc == 0 && hub__db_commit(h)) rc = -1;
  if (rc) {
    hub__db_rollback(h);
    return rc == -2 ? hub__error_field(HUB_E_BAD_REQUEST, "changes", h->errmsg)
                    : hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
  }
  return counts_json(&c);
}
