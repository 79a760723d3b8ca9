/*
 * context.c — what the tip knows about a candidate beyond the item itself (tip layer): whether
 * it is in one of the user's languages, the affinity learned for its repository, its exposure
 * count, whether it was just served too often in a row; then its feature vectors.
 *
 * Languages. A repository's language is the first (most bytes) of its `repos.languages`
 * (known for repositories the good-first-issue lists brought in). The user's languages are
 * those of the repositories they own or opened items in, as far as `repos` knows them, at
 * most HUB_TIP_MAX_LANGS. An item without a known language never matches.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "tip/tip_int.h"

typedef struct {
  char langs[HUB_TIP_MAX_LANGS][40];
  int nlangs;
  hub__tip_repo_aff *aff;
  size_t naff;
} user_ctx;

/* The primary language of repo "owner/name" into out (empty when unknown). 0 or -1. */
static int repo_language(hub *h, const char *repo, char *out, size_t outlen) {
  const char *slash = repo ? strchr(repo, '/') : NULL;
  char owner[128];
  sqlite3_stmt *st;
  out[0] = 0;
  if (!slash || (size_t)(slash - repo) >= sizeof owner || slash == repo) return 0;
  memcpy(owner, repo, (size_t)(slash - repo));
  owner[slash - repo] = 0;
  st = hub__db_q(h, "SELECT languages FROM repos WHERE owner=? AND name=?", "tt", owner, slash + 1);
  if (!st) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    const cJSON *first = cJSON_GetArrayItem(a, 0);
    if (cJSON_IsString(first) && strlen(first->valuestring) < outlen) strcpy(out, first->valuestring);
    cJSON_Delete(a);
  }
  hub__db_done(h, st);
  return 0;
}

static void add_lang(user_ctx *u, const char *l) {
  int i;
  if (!*l || u->nlangs >= HUB_TIP_MAX_LANGS) return;
  for (i = 0; i < u->nlangs; i++)
    if (hub__ieq(u->langs[i], l)) return;
  strcpy(u->langs[u->nlangs++], l);
}

/* The user's languages: of the repos they own, then of the repos they opened items in. */
static int user_languages(hub *h, const char *user, user_ctx *u) {
  sqlite3_stmt *st;
  char lang[40];
  int rc;
  if (!*user) return 0;
  st = hub__db_q(h, "SELECT owner || '/' || name FROM repos WHERE owner=? LIMIT 200", "t", user);
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *repo = hub__db_col_dup(st, 0);
    int bad = repo ? repo_language(h, repo, lang, sizeof lang) : 0;
    if (repo && !bad) add_lang(u, lang);
    hub_free(repo);
    if (bad) break;
  }
  hub__db_done(h, st);
  st = hub__db_q(h, "SELECT DISTINCT repo FROM items WHERE author=? AND repo IS NOT NULL LIMIT 200", "t", user);
  if (!st) return -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *repo = hub__db_col_dup(st, 0);
    int bad = repo ? repo_language(h, repo, lang, sizeof lang) : 0;
    if (repo && !bad) add_lang(u, lang);
    hub_free(repo);
    if (bad) break;
  }
  hub__db_done(h, st);
  return 0;
}

static int aff_cmp(const void *k, const void *e) { return strcmp((const char *)k, ((const hub__tip_repo_aff *)e)->repo); }

/* One candidate's context and features. 0 or -1. */
static int enrich(hub *h, const char *user, int64_t now_ms, const tip_cfg *cfg, const user_ctx *u, int hour,
                  int weekday, cand *c) {
  hub__tip_exposure e;
  char lang[40];
  int i;
  c->it.affinity = 0;
  c->it.flags &= ~(unsigned)HUB_TIPF_LANG;
  if (c->repo) {
    const hub__tip_repo_aff *a = u->naff ? bsearch(c->repo, u->aff, u->naff, sizeof *u->aff, aff_cmp) : NULL;
    if (a) c->it.affinity = a->value;
    if (u->nlangs) {
      if (repo_language(h, c->repo, lang, sizeof lang)) return -1;
      for (i = 0; i < u->nlangs && *lang; i++)
        if (hub__ieq(u->langs[i], lang)) c->it.flags |= HUB_TIPF_LANG;
    }
  }
  if (hub__tip_exposure_get(h, user, c->id, &e) < 0) return -1;
  c->fatigue = hub__tip_fatigue_now(&e, c->mark, now_ms, cfg);
  hub__tip_features(&c->it, hour, weekday, c->x);
  hub__tip_seed_features(&c->it, hour, weekday, c->xs);
  return 0;
}

int hub__tip_context(hub *h, const char *user, int64_t now_ms, const tip_cfg *cfg, cand *c, size_t *n, int *held) {
  user_ctx u;
  int64_t last_item, last_mark;
  int last_in_row, hour, weekday, rc = -1;
  size_t i, k;
  memset(&u, 0, sizeof u);
  *held = 0;
  if (user_languages(h, user, &u) || hub__tip_aff_load(h, user, now_ms, cfg->half_life_days, &u.aff, &u.naff) ||
      hub__tip_last_served(h, user, &last_item, &last_mark, &last_in_row))
    goto done;
  hub__tip_moment(now_ms, cfg->tz_offset_min, &hour, &weekday);
  for (i = k = 0; i < *n; i++) {
    if (hub__tip_in_row(c[i].id, c[i].mark, last_item, last_mark, last_in_row) > HUB_TIP_MAX_REPEAT) {
      hub_free(c[i].key);
      hub_free(c[i].repo);
      *held = 1;
      continue;
    }
    if (k != i) c[k] = c[i];
    if (enrich(h, user, now_ms, cfg, &u, hour, weekday, &c[k])) {
      for (i = i + 1; i < *n; i++) { /* keep the array whole for the caller to free */
        c[++k] = c[i];
      }
      *n = k + 1;
      goto done;
    }
    k++;
  }
  *n = k;
  rc = 0;
done:
  hub__tip_aff_free(u.aff, u.naff);
  return rc;
}
