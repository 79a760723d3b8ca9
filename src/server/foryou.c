/*
 * foryou.c — repositories, highlights (rules, then the LLM when configured) and the for-you feed
 * with fatigue (native driver layer; see foryou.h for the rules and the formula). Owns tables
 * hub_repos, hub_foryou and hub_exposures.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "hub_int.h"
#include "base/ids.h"
#include "foryou.h"
#include "llm.h"
#include "transport.h"

#define DAY_MS 86400000.0
#define DESC_MAX 500 /* bytes of a description kept */

/* ---- reading GitHub's answer ----------------------------------------------------------------------- */

/* A copy of s cut to at most max bytes on a character boundary, valid UTF-8 (hub_free). */
static char *clip(const char *s, size_t max) {
  size_t n;
  if (!s) return NULL;
  n = strlen(s);
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  return hub__utf8_clean(s, n);
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One element into r. 0 usable, -1 skipped. */
static int read_repo(const char *login, const cJSON *e, hubd_repo *r) {
  const char *full = jstr(e, "full_name"), *pushed = jstr(e, "pushed_at"), *html = jstr(e, "html_url");
  const char *owner = jstr(cJSON_GetObjectItemCaseSensitive(e, "owner"), "login");
  const cJSON *priv = cJSON_GetObjectItemCaseSensitive(e, "private");
  int64_t t = 0;
  hub__url u;
  memset(r, 0, sizeof *r);
  if (!cJSON_IsObject(e) || !full || !owner || !hub__gh_repo_ok(full) || strlen(full) >= sizeof r->repo) return -1;
  if (!hub__ieq(owner, login) || cJSON_IsTrue(priv)) return -1;
  if (strncasecmp(full, owner, strlen(owner)) != 0 || full[strlen(owner)] != '/') return -1;
  snprintf(r->repo, sizeof r->repo, "%s", full);
  if (hub__json_int(e, "stargazers_count", 0, INT32_MAX, &r->stars) < 0) r->stars = 0;
  if (hub__json_int(e, "forks_count", 0, INT32_MAX, &r->forks) < 0) r->forks = 0;
  r->fork = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fork"));
  r->archived = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "archived"));
  if (pushed && hub__parse_iso8601(pushed, &t) == 0 && t > 0) r->pushed_at = t * 1000;
  r->description = clip(jstr(e, "description"), DESC_MAX);
  r->language = clip(jstr(e, "language"), 64);
  if (html && hub__url_parse(html, &u) == 0 && u.https) r->html_url = hub__strdup(html);
  return 0;
}

int hubd_repos_parse(const char *login, const char *json, size_t len, hubd_repo **out, size_t *n, char *err,
                     size_t errlen) {
  char *clean = NULL;
  cJSON *arr = NULL;
  const cJSON *e;
  hubd_repo *r = NULL;
  size_t k = 0;
  int rc = -1, cl;
  *out = NULL;
  *n = 0;
  cl = hub__json_clean(json, len, &clean);
  if (cl < 0) goto oom;
  arr = cJSON_ParseWithLength(clean ? clean : json, clean ? strlen(clean) : len);
  if (!cJSON_IsArray(arr)) {
    snprintf(err, errlen, "the repositories answer is not a JSON array");
    goto done;
  }
  r = calloc(HUBD_REPOS_MAX, sizeof *r);
  if (!r) goto oom;
  cJSON_ArrayForEach(e, arr) {
    if (k == HUBD_REPOS_MAX) break;
    if (read_repo(login, e, &r[k]) == 0) k++;
  }
  *out = r;
  *n = k;
  r = NULL;
  rc = 0;
  goto done;
oom:
  snprintf(err, errlen, "out of memory");
done:
  free(r);
  cJSON_Delete(arr);
  hub_free(clean);
  return rc;
}

void hubd_repos_free(hubd_repo *r, size_t n) {
  size_t i;
  if (!r) return;
  for (i = 0; i < n; i++) {
    hub_free(r[i].description);
    hub_free(r[i].language);
    hub_free(r[i].html_url);
  }
  free(r);
}

/* ---- the rules --------------------------------------------------------------------------------------- */

static int eligible(const char *login, const hubd_repo *r) {
  const char *name = strchr(r->repo, '/');
  name = name ? name + 1 : r->repo;
  return !r->fork && !r->archived && !hub__ieq(name, login) && strcmp(name, ".github") != 0;
}

void hubd_repos_pick(const char *login, hubd_repo *r, size_t n, int64_t now) {
  size_t i, k;
  for (i = 0; i < n; i++) {
    double stars = 2.0 * log1p((double)r[i].stars), forks = log1p((double)r[i].forks), recent = 0, desc, lang;
    double age = r[i].pushed_at > 0 ? (double)(now - r[i].pushed_at) / DAY_MS : 1e9;
    if (age < 0) age = 0;
    recent = 2.0 * exp(-age / 180.0);
    desc = r[i].description && r[i].description[0] ? 0.5 : 0;
    lang = r[i].language && r[i].language[0] ? 0.25 : 0;
    r[i].highlight = 0;
    r[i].why[0] = 0;
    r[i].score = eligible(login, &r[i]) ? stars + forks + recent + desc + lang : 0;
    if (r[i].score <= 0) continue;
    snprintf(r[i].why, sizeof r[i].why, "%s",
             stars >= forks && stars >= recent && stars >= desc ? "stars"
             : forks >= recent && forks >= desc                  ? "forks"
             : recent >= desc                                    ? "recent"
                                                                 : "described");
  }
  for (k = 0; k < HUBD_HIGHLIGHTS; k++) { /* the best few, ties by name */
    hubd_repo *best = NULL;
    for (i = 0; i < n; i++)
      if (!r[i].highlight && r[i].score >= HUBD_HIGHLIGHT_MIN &&
          (!best || r[i].score > best->score || (r[i].score == best->score && strcmp(r[i].repo, best->repo) < 0)))
        best = &r[i];
    if (!best) break;
    best->highlight = 1;
  }
}

/* ---- the LLM's refinement ------------------------------------------------------------------------------- */

/* The rules' best eligible candidates (indexes into r), best first. Returns how many. */
static size_t candidates(const hubd_repo *r, size_t n, size_t *idx) {
  size_t k = 0, i, j;
  for (i = 0; i < n; i++) {
    if (r[i].score <= 0) continue;
    for (j = k; j > 0 && r[idx[j - 1]].score < r[i].score; j--)
      if (j < HUBD_HIGHLIGHT_CANDIDATES) idx[j] = idx[j - 1];
    if (j < HUBD_HIGHLIGHT_CANDIDATES) idx[j] = i;
    if (k < HUBD_HIGHLIGHT_CANDIDATES) k++;
  }
  return k;
}

int hubd_repos_apply_picks(const cJSON *answer, hubd_repo *r, size_t n) {
  const cJSON *picks = cJSON_GetObjectItemCaseSensitive(answer, "picks"), *p;
  size_t idx[HUBD_HIGHLIGHT_CANDIDATES], nc = candidates(r, n, idx), chosen[HUBD_HIGHLIGHTS], nch = 0, i, j;
  char why[HUBD_HIGHLIGHTS][HUBD_WHY_MAX];
  if (!cJSON_IsArray(picks)) return 0;
  cJSON_ArrayForEach(p, picks) {
    const char *repo = jstr(p, "repo"), *w = jstr(p, "why");
    size_t hit = nc;
    if (!repo || !w || nch == HUBD_HIGHLIGHTS) return 0;
    for (i = 0; i < nc; i++)
      if (strcmp(r[idx[i]].repo, repo) == 0) hit = i;
    for (j = 0; j < nch; j++)
      if (chosen[j] == idx[hit < nc ? hit : 0]) hit = nc; /* a repeat */
    if (hit == nc) return 0;
    chosen[nch] = idx[hit];
    {
      char *c = clip(w, HUBD_WHY_MAX - 6);
      size_t m;
      if (!c) return 0;
      for (m = 0; c[m]; m++)
        if ((unsigned char)c[m] < 0x20) c[m] = ' ';
      snprintf(why[nch], sizeof why[nch], "llm: %s", c);
      hub_free(c);
    }
    nch++;
  }
  if (nch == 0) return 0;
  for (i = 0; i < n; i++) r[i].highlight = 0;
  for (j = 0; j < nch; j++) {
    r[chosen[j]].highlight = 1;
    memcpy(r[chosen[j]].why, why[j], sizeof r[chosen[j]].why);
  }
  return 1;
}

static const char refine_system[] =
    "You choose which of a developer's public repositories best show their work to other developers "
    "browsing a feed. Prefer maintained, original, useful projects over toys and experiments. Pick at most 3, "
    "each with one short sentence saying why. " HUB_LLM_QUOTE_RULE;

/* The prompt: the login and each candidate, untrusted text quoted (hub_free). */
static char *refine_prompt(const char *login, const hubd_repo *r, const size_t *idx, size_t nc) {
  hub__buf b;
  size_t i;
  char *q = hub_llm_quote_untrusted(login, 64), line[160];
  hub__buf_init(&b, 64 * 1024);
  hub__buf_str(&b, "Developer: ");
  hub__buf_str(&b, q ? q : "");
  hub__buf_str(&b, "\nCandidates (repo, stars, forks, language, days since last push, description):\n");
  hub_free(q);
  for (i = 0; i < nc; i++) {
    const hubd_repo *x = &r[idx[i]];
    char *d = hub_llm_quote_untrusted(x->description, 300), *l = hub_llm_quote_untrusted(x->language, 40);
    snprintf(line, sizeof line, "- %s, %lld, %lld, ", x->repo, (long long)x->stars, (long long)x->forks);
    hub__buf_str(&b, line);
    hub__buf_str(&b, l ? l : "");
    snprintf(line, sizeof line, ", %lld, ", x->pushed_at ? (long long)((hub_now_ms() - x->pushed_at) / 86400000) : -1LL);
    hub__buf_str(&b, line);
    hub__buf_str(&b, d ? d : "");
    hub__buf_str(&b, "\n");
    hub_free(d);
    hub_free(l);
  }
  if (b.failed) {
    hub__buf_free(&b);
    return NULL;
  }
  return b.p;
}

/* Sleeps ms, in slices, giving up when hubd stops (stop: a const atomic_int *). */
static void stoppable_sleep(void *ud, int64_t ms) {
  const atomic_int *stop = ud;
  while (ms > 0 && !(stop && atomic_load(stop))) {
    int64_t step = ms > 100 ? 100 : ms;
    struct timespec ts = {0, (long)step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* {"picks":[{"repo": one of the candidates, "why": text}]} (new), or NULL. */
static cJSON *refine_schema(const hubd_repo *r, const size_t *idx, size_t nc) {
  const char *names[HUBD_HIGHLIGHT_CANDIDATES];
  cJSON *root = hub_llm_schema_object("the repositories chosen"), *item = hub_llm_schema_object(NULL);
  size_t i;
  for (i = 0; i < nc; i++) names[i] = r[idx[i]].repo;
  if (!root || !item || hub_llm_schema_add(item, "repo", hub_llm_schema_enum(names, nc, "owner/name"), 0) ||
      hub_llm_schema_add(item, "why", hub_llm_schema_scalar("string", "one short sentence"), 0) ||
      hub_llm_schema_add(root, "picks", hub_llm_schema_array(item, "at most 3, best first"), 0)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

int hubd_repos_refine(const void *llm, const char *login, hubd_repo *r, size_t n, const void *stop_flag, char *err,
                      size_t errlen) {
  size_t idx[HUBD_HIGHLIGHT_CANDIDATES], nc = candidates(r, n, idx);
  cJSON *schema = NULL;
  char *user = NULL;
  hub_llm_task t;
  hub_llm_result res;
  int used = 0;
  err[0] = 0;
  memset(&res, 0, sizeof res);
  if (!llm || nc < 2) goto done; /* nothing to choose between */
  schema = refine_schema(r, idx, nc);
  user = refine_prompt(login, r, idx, nc);
  if (!schema || !user) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  memset(&t, 0, sizeof t);
  t.system = refine_system;
  t.user = user;
  t.schema_name = "highlights";
  t.description = "the repositories that best show this developer's work";
  t.schema = schema;
  t.max_tokens = 600;
  hub_llm_call(llm, &t, stoppable_sleep, (void *)(uintptr_t)stop_flag, &res);
  if (res.kind != HUB_LLM_OK) snprintf(err, errlen, "%s", res.message);
  else if (!(used = hubd_repos_apply_picks(res.output, r, n))) snprintf(err, errlen, "the LLM's picks were unusable");
done:
  hub_llm_result_free(&res);
  cJSON_Delete(schema);
  hub_free(user);
  return used;
}

/* ---- storing and reading repositories -------------------------------------------------------------------- */

int hubd_repos_store(PGconn *c, const char *login, const hubd_repo *r, size_t n, hubd_pg_err *e) {
  size_t i;
  if (hubd_pg_do(c, e, NULL, "DELETE FROM hub_repos WHERE login = $1", "t", login)) return -1;
  for (i = 0; i < n; i++)
    if (hubd_pg_do(c, e, NULL,
                   "INSERT INTO hub_repos (login, repo, description, language, stars, forks, pushed_at, is_fork, "
                   "archived, html_url, highlight, score, why) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                   "$12, $13) ON CONFLICT (login, repo) DO NOTHING",
                   "ttttiiibbtbdt", login, r[i].repo, r[i].description, r[i].language, r[i].stars, r[i].forks,
                   r[i].pushed_at ? r[i].pushed_at : (int64_t)0, r[i].fork, r[i].archived, r[i].html_url,
                   r[i].highlight, r[i].score, r[i].why[0] ? r[i].why : NULL))
      return -1;
  return 0;
}

/* The effective highlight: the pick, or a gallery image marked is_highlight. */
#define GALLERY_PICK \
  "EXISTS (SELECT 1 FROM hub_gallery g WHERE g.login = r.login AND g.repo = r.repo AND g.is_highlight)"

cJSON *hubd_repos_json(PGconn *c, const char *login, hubd_pg_err *e) {
  PGresult *res = hubd_pg_run(c, e,
                              "SELECT repo, description, language, stars, forks, pushed_at, is_fork, archived, html_url, "
                              "highlight OR " GALLERY_PICK ", score, CASE WHEN NOT highlight AND " GALLERY_PICK
                              " THEN 'gallery' ELSE why END FROM hub_repos r WHERE login = $1 "
                              "ORDER BY 10 DESC, score DESC, repo",
                              "t", login);
  cJSON *arr;
  int i;
  if (!res) return NULL;
  arr = cJSON_CreateArray();
  for (i = 0; arr && i < PQntuples(res); i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "repo", hubd_pg_str(res, i, 0));
    if (hubd_pg_str(res, i, 1)) cJSON_AddStringToObject(o, "description", hubd_pg_str(res, i, 1));
    else cJSON_AddNullToObject(o, "description");
    if (hubd_pg_str(res, i, 2)) cJSON_AddStringToObject(o, "language", hubd_pg_str(res, i, 2));
    else cJSON_AddNullToObject(o, "language");
    cJSON_AddNumberToObject(o, "stars", (double)hubd_pg_int(res, i, 3));
    cJSON_AddNumberToObject(o, "forks", (double)hubd_pg_int(res, i, 4));
    if (hubd_pg_int(res, i, 5)) cJSON_AddNumberToObject(o, "pushed_at", (double)hubd_pg_int(res, i, 5));
    else cJSON_AddNullToObject(o, "pushed_at");
    cJSON_AddBoolToObject(o, "fork", hubd_pg_bool(res, i, 6));
    cJSON_AddBoolToObject(o, "archived", hubd_pg_bool(res, i, 7));
    if (hubd_pg_str(res, i, 8)) cJSON_AddStringToObject(o, "html_url", hubd_pg_str(res, i, 8));
    cJSON_AddBoolToObject(o, "is_highlight", hubd_pg_bool(res, i, 9));
    cJSON_AddNumberToObject(o, "score", round(hubd_pg_num(res, i, 10) * 1000) / 1000);
    if (hubd_pg_str(res, i, 11)) cJSON_AddStringToObject(o, "why", hubd_pg_str(res, i, 11));
    cJSON_AddItemToArray(arr, o);
  }
  PQclear(res);
  return arr;
}

/* ---- for you ---------------------------------------------------------------------------------------------- */

double hubd_fatigue(int64_t s, int64_t last_shown, int64_t now) {
  double age, eff;
  if (s <= 0) return 1.0;
  age = last_shown > 0 && now > last_shown ? (double)(now - last_shown) : 0;
  eff = (double)s * exp(-age / HUBD_FATIGUE_TAU_MS);
  return 1.0 / (1.0 + HUBD_FATIGUE_K * eff);
}

int64_t hubd_foryou_rebuild(PGconn *c, const char *viewer, int64_t now, hubd_pg_err *e) {
  int64_t n = 0;
  if (hubd_pg_do(c, e, NULL, "DELETE FROM hub_foryou WHERE viewer = $1", "t", viewer) ||
      hubd_pg_do(c, e, &n,
                 "INSERT INTO hub_foryou (viewer, author, repo, base, built_at) "
                 "SELECT $1, r.login, r.repo, r.score + CASE WHEN " GALLERY_PICK " THEN 1 ELSE 0 END, $2 "
                 "FROM hub_repos r WHERE r.login <> $1 AND (r.highlight OR " GALLERY_PICK ") "
                 "AND lower(split_part(r.repo, '/', 1)) <> $1 "
                 "AND NOT EXISTS (SELECT 1 FROM hub_repos m WHERE m.login = $1 AND lower(m.repo) = lower(r.repo)) "
                 "ORDER BY 4 DESC, r.repo LIMIT $3",
                 "tii", viewer, now, (int64_t)HUBD_FORYOU_CANDIDATES))
    return -1;
  return n;
}

typedef struct {
  char author[48], repo[144];
  double base, fatigue, score;
  int ghost, hidden;
  int64_t shown;
  int row;
} cand;

static int by_score(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return strcmp(x->repo, y->repo);
}

/* Up to 4 gallery images of author's repo as a JSON array (new). */
static cJSON *images(PGconn *c, const char *author, const char *repo) {
  hubd_pg_err e;
  PGresult *r = hubd_pg_run(c, &e,
                            "SELECT url, caption, taken_at, link FROM hub_gallery WHERE login = $1 AND repo = $2 "
                            "ORDER BY is_highlight DESC, position LIMIT 4",
                            "tt", author, repo);
  cJSON *arr = cJSON_CreateArray();
  int i;
  for (i = 0; r && arr && i < PQntuples(r); i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "url", hubd_pg_str(r, i, 0));
    if (hubd_pg_str(r, i, 1)) cJSON_AddStringToObject(o, "caption", hubd_pg_str(r, i, 1));
    if (hubd_pg_str(r, i, 2)) cJSON_AddNumberToObject(o, "taken_at", (double)hubd_pg_int(r, i, 2));
    if (hubd_pg_str(r, i, 3)) cJSON_AddStringToObject(o, "link", hubd_pg_str(r, i, 3));
    cJSON_AddItemToArray(arr, o);
  }
  PQclear(r);
  return arr;
}

/* One answer entry for candidate k of rows res. */
static cJSON *entry_json(PGconn *c, const PGresult *res, const cand *k) {
  cJSON *o = cJSON_CreateObject();
  int i = k->row;
  cJSON_AddStringToObject(o, "repo", k->repo);
  cJSON_AddStringToObject(o, "author", k->author);
  cJSON_AddBoolToObject(o, "is_ghost", k->ghost);
  cJSON_AddNumberToObject(o, "score", round(k->score * 1000) / 1000);
  cJSON_AddNumberToObject(o, "base", round(k->base * 1000) / 1000);
  cJSON_AddNumberToObject(o, "fatigue", round(k->fatigue * 1000) / 1000);
  cJSON_AddNumberToObject(o, "shown", (double)k->shown);
  if (hubd_pg_str(res, i, 4)) cJSON_AddStringToObject(o, "description", hubd_pg_str(res, i, 4));
  if (hubd_pg_str(res, i, 5)) cJSON_AddStringToObject(o, "language", hubd_pg_str(res, i, 5));
  cJSON_AddNumberToObject(o, "stars", (double)hubd_pg_int(res, i, 6));
  if (hubd_pg_str(res, i, 7)) cJSON_AddStringToObject(o, "html_url", hubd_pg_str(res, i, 7));
  if (hubd_pg_str(res, i, 8)) cJSON_AddStringToObject(o, "why", hubd_pg_str(res, i, 8));
  cJSON_AddItemToObject(o, "images", images(c, k->author, k->repo));
  return o;
}

/* Reads viewer's candidates with their exposures into a new array (free), scored as of now. */
static cand *score_all(const PGresult *res, int64_t now, size_t *n) {
  size_t rows = (size_t)PQntuples(res), i;
  cand *cs = calloc(rows ? rows : 1, sizeof *cs);
  *n = 0;
  for (i = 0; cs && i < rows; i++) {
    int r = (int)i;
    cand *k = &cs[*n];
    if (hubd_pg_bool(res, r, 12)) continue; /* hidden */
    snprintf(k->author, sizeof k->author, "%s", hubd_pg_str(res, r, 0));
    snprintf(k->repo, sizeof k->repo, "%s", hubd_pg_str(res, r, 1));
    k->base = hubd_pg_num(res, r, 2);
    k->ghost = hubd_pg_bool(res, r, 3);
    k->shown = hubd_pg_int(res, r, 11);
    k->fatigue = hubd_fatigue(hubd_pg_int(res, r, 9), hubd_pg_int(res, r, 10), now);
    k->score = k->base * k->fatigue;
    k->row = r;
    (*n)++;
  }
  if (cs) qsort(cs, *n, sizeof *cs, by_score);
  return cs;
}

cJSON *hubd_foryou_get(PGconn *c, const char *viewer, int limit, int64_t now, hubd_pg_err *e) {
  PGresult *res = hubd_pg_run(c, e,
                              "SELECT f.author, f.repo, f.base, u.kind = 'ghost', r.description, r.language, r.stars, "
                              "r.html_url, r.why, coalesce(x.since_reaction, 0), coalesce(x.last_shown_at, 0), "
                              "coalesce(x.shown, 0), coalesce(x.hidden, false), f.built_at "
                              "FROM hub_foryou f JOIN hub_users u ON u.login = f.author "
                              "LEFT JOIN hub_repos r ON r.login = f.author AND r.repo = f.repo "
                              "LEFT JOIN hub_exposures x ON x.viewer = f.viewer AND x.author = f.author AND x.repo = f.repo "
                              "WHERE f.viewer = $1",
                              "t", viewer);
  cJSON *out = NULL, *items;
  cand *cs = NULL;
  size_t n = 0, i, taken = 0, j;
  int64_t built = 0;
  if (!res) return NULL;
  cs = score_all(res, now, &n);
  if (!cs || hubd_pg_begin(c, e)) goto done;
  out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "viewer", viewer);
  items = cJSON_AddArrayToObject(out, "items");
  for (i = 0; i < (size_t)PQntuples(res); i++)
    if (hubd_pg_int(res, (int)i, 13) > built) built = hubd_pg_int(res, (int)i, 13);
  for (i = 0; i < n && (int)taken < limit; i++) {
    size_t same = 0;
    for (j = 0; j < i; j++)
      if (cs[j].row >= 0 && strcmp(cs[j].author, cs[i].author) == 0) same++;
    if (same >= HUBD_FORYOU_PER_AUTHOR) {
      cs[i].row = -cs[i].row - 1; /* skipped: not counted as shown */
      continue;
    }
    cJSON_AddItemToArray(items, entry_json(c, res, &cs[i]));
    if (hubd_pg_do(c, e, NULL,
                   "INSERT INTO hub_exposures (viewer, author, repo, shown, since_reaction, last_shown_at) "
                   "VALUES ($1, $2, $3, 1, 1, $4) ON CONFLICT (viewer, author, repo) DO UPDATE SET "
                   "shown = hub_exposures.shown + 1, since_reaction = hub_exposures.since_reaction + 1, last_shown_at = $4",
                   "ttti", viewer, cs[i].author, cs[i].repo, now))
      goto fail;
    taken++;
  }
  if (built) cJSON_AddNumberToObject(out, "built_at", (double)built);
  else cJSON_AddNullToObject(out, "built_at");
  cJSON_AddNumberToObject(out, "candidates", (double)n);
  if (hubd_pg_commit(c, e) == 0) goto done;
fail:
  hubd_pg_rollback(c);
  cJSON_Delete(out);
  out = NULL;
done:
  free(cs);
  PQclear(res);
  return out;
}

int hubd_foryou_react(PGconn *c, const char *viewer, const char *author, const char *repo, const char *reaction,
                      int64_t now, hubd_pg_err *e) {
  int64_t rows = 0;
  if (hubd_pg_do(c, e, &rows, "SELECT 1 FROM hub_foryou WHERE viewer = $1 AND author = $2 AND repo = $3", "ttt", viewer,
                 author, repo))
    return -1;
  if (rows == 0) return 0;
  if (hubd_pg_do(c, e, NULL,
                 "INSERT INTO hub_exposures (viewer, author, repo, reaction, reacted_at, hidden) "
                 "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (viewer, author, repo) DO UPDATE SET since_reaction = 0, "
                 "reaction = $4, reacted_at = $5, hidden = hub_exposures.hidden OR $6",
                 "ttttib", viewer, author, repo, reaction, now, strcmp(reaction, "hide") == 0))
    return -1;
  return 1;
}
