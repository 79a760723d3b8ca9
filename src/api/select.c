/*
 * select.c — what a query shows in the inbox (api layer): the search language (query.c)
 * plus the page's source filter ("from") compiled into one selection over items i LEFT JOIN
 * triage t, prepared and bound. Used by cards, first_screen, searches and bulk triage, so
 * that a bulk action acts on exactly what the list shows.
 *
 * The selection: the query's WHERE (with the default hide filter: not done, not snoozed,
 * not muted, not dismissed, unless the query asks for one of those states), AND the source
 * filter ("from": github = source:github, tangled = source:tangled, gfi = source:gfi), AND —
 * when the hide filter applies and the query names no state (is:open/closed/merged) — only
 * open items, as the inbox always was. Order: the query's sort (score by default).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "api/api.h"

#define FROM_JOIN " FROM items i LEFT JOIN triage t ON t.item_id = i.id WHERE "
#define STATE_BITS ((1u << HUB__QIS_OPEN) | (1u << HUB__QIS_CLOSED) | (1u << HUB__QIS_MERGED))

/* "message at N" (query.c's error text) into the bad_query answer with its position. */
static cJSON *bad_query(const char *err, size_t len) {
  const char *at = strstr(err, " at ");
  const char *last = at;
  char msg[300];
  int64_t pos = 0;
  cJSON *e, *o;
  while (last && (at = strstr(last + 4, " at ")) != NULL) last = at;
  if (last && hub__parse_int(last + 4, 0, (int64_t)len, &pos) == 0)
    snprintf(msg, sizeof msg, "%.*s", (int)(last - err), err);
  else
    snprintf(msg, sizeof msg, "%s", err);
  e = hub__error_field(HUB_E_BAD_QUERY, "q", msg);
  o = cJSON_GetObjectItemCaseSensitive(e, "error");
  if (o) cJSON_AddNumberToObject(o, "position", (double)pos);
  return e;
}

cJSON *hub__sel_compile(const char *q, const char *from, hub__sel *s) {
  static const char *const froms[][2] = {
      {"all", ""}, {"github", "source:github"}, {"tangled", "source:tangled"}, {"gfi", "source:gfi"}};
  hub__query_schema plain = hub__query_default_schema;
  const char *fq = "";
  char err[300];
  size_t i;
  int found = !from;
  memset(s, 0, sizeof *s);
  for (i = 0; from && i < sizeof froms / sizeof froms[0]; i++)
    if (strcmp(from, froms[i][0]) == 0) {
      fq = froms[i][1];
      found = 1;
    }
  if (!found) return hub__error_field(HUB_E_BAD_REQUEST, "from", "\"from\" must be all, github, tangled or gfi");
  if (hub__query_compile(q ? q : "", q ? strlen(q) : 0, NULL, &s->user, err, sizeof err))
    return bad_query(err, q ? strlen(q) : 0);
  plain.hide = NULL; /* the user part carries it */
  if (hub__query_compile(fq, strlen(fq), &plain, &s->from, err, sizeof err)) {
    hub__sel_free(s);
    return hub__error_json(HUB_E_BAD_REQUEST, err);
  }
  s->where = hub__printf("(%s) AND (%s)%s", s->user.where, s->from.where,
                         (s->user.flags & HUB__QF_HIDE) && !((s->user.is_pos | s->user.is_neg) & STATE_BITS)
                             ? " AND i.state = 'open'"
                             : "");
  if (!s->where) {
    hub__sel_free(s);
    return hub__error_json(HUB_E_NOMEM, NULL);
  }
  return NULL;
}

void hub__sel_free(hub__sel *s) {
  if (!s) return;
  hub__query_free(&s->user);
  hub__query_free(&s->from);
  hub_free(s->where);
  s->where = NULL;
}

/* Binds the selection's values: anonymous parameters in order (the user's, the source
 * filter's, then limit if any), :now by name. 0 or -1. */
static int bind_sel(hub *h, sqlite3_stmt *st, const hub__sel *s, int64_t now, int64_t limit) {
  int k, count = sqlite3_bind_parameter_count(st), rc = SQLITE_OK;
  size_t next = 0, total = s->user.nparams + s->from.nparams;
  for (k = 1; k <= count && rc == SQLITE_OK; k++) {
    const char *name = sqlite3_bind_parameter_name(st, k);
    if (name && strcmp(name, ":now") == 0) {
      rc = sqlite3_bind_int64(st, k, now);
    } else if (name) {
      rc = SQLITE_MISUSE;
    } else if (next < total) {
      const char *v = next < s->user.nparams ? s->user.params[next] : s->from.params[next - s->user.nparams];
      rc = sqlite3_bind_text(st, k, v, -1, SQLITE_TRANSIENT);
      next++;
    } else if (limit >= 0 && next == total) {
      rc = sqlite3_bind_int64(st, k, limit);
      next++;
    } else {
      rc = SQLITE_MISUSE;
    }
  }
  if (rc != SQLITE_OK) {
    hub__set_err(h, "the query's values could not be bound");
    return -1;
  }
  return 0;
}

sqlite3_stmt *hub__sel_prepare(hub *h, const hub__sel *s, const char *cols, int ordered, int64_t now,
                               int64_t limit) {
  char *sql = ordered ? hub__printf("SELECT %s" FROM_JOIN "%s ORDER BY %s%s", cols, s->where, s->user.order_by,
                                    limit >= 0 ? " LIMIT ?" : "")
                      : hub__printf("SELECT %s" FROM_JOIN "%s%s", cols, s->where, limit >= 0 ? " LIMIT ?" : "");
  sqlite3_stmt *st;
  if (!sql) {
    hub__set_err(h, "out of memory");
    return NULL;
  }
  st = hub__db_q_dyn(h, sql, NULL);
  hub_free(sql);
  if (st && bind_sel(h, st, s, now, limit)) {
    hub__db_done(h, st);
    st = NULL;
  }
  return st;
}

int64_t hub__sel_count(hub *h, const hub__sel *s, int64_t now, int64_t cap) {
  char *sql = hub__printf("SELECT count(*) FROM (SELECT 1" FROM_JOIN "%s LIMIT ?)", s->where);
  sqlite3_stmt *st = sql ? hub__db_q_dyn(h, sql, NULL) : NULL;
  int64_t n = -1;
  if (!sql) hub__set_err(h, "out of memory");
  hub_free(sql);
  if (!st || bind_sel(h, st, s, now, cap)) goto done;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  else hub__db_fail(h);
done:
  hub__db_done(h, st);
  return n;
}
