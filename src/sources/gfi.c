/*
 * gfi.c — the good-first-issue source (sources layer, sans-I/O): curated lists of beginner-
 * friendly repositories, each listed repository's open beginner issues, and the user's own
 * search. Owns tables repos and gfi_issues; items are written through items/items.c.
 *
 * Lists are adapters in one table (`adapters[]` below): a list is fetched from the URL in its
 * setting and read into repositories (owner, name, labels, technologies) by its read function;
 * adding a list is one function and one table row. up-for-grabs is the exception: a thousand
 * YAML files are read natively (src/server/upforgrabs.c) and pushed with the gfi_repos command.
 * Repositories are one row per (owner, name) across lists (table repos), recording every list
 * that names one and the last source that changed it. A repository named twice in one list is
 * one entry with the labels and technologies of both. A repo's hash covers owner, name, its
 * ordered languages, its labels and technologies, so an unchanged list writes nothing; the
 * run's statistics count the lists' repositories (repos_new / repos_updated / repos_unchanged).
 *
 * Per repository (at most gfi_repo_limit per sync, a window that moves every gfi_rotate_hours):
 *   GET /repos/{o}/{r}/languages                     ordered languages (conditional)
 *   GET /search/issues?q=repo:{o}/{r} is:issue is:open label:"L1","L2" no:assignee -linked:pr
 *                                                    the open beginner issues (paginated,
 *                                                    conditional; labels separated by commas
 *                                                    are GitHub's OR)
 * Why search rather than GET /repos/{o}/{r}/issues?labels=L&assignee=none: the issues list can
 * hide assigned issues but cannot tell which already have a linked pull request (what users
 * of these lists ask for most); the timeline would cost one request per issue. Search does
 * both filters on GitHub's side in one request per page of a repo, against the 30/minute
 * search bucket the engine already paces; gfi_repo_limit caps it. Answers are still checked:
 * an assigned issue (stale index), a pull request or a closed issue is skipped with a reason.
 *
 * The user's query (setting gfi_query) is a search of its own, with -linked:pr and
 * no:assignee added unless it already says something about links or assignees.
 *
 * Issues become items through GitHub's issue reader (ghread.c), keyed by html_url, so an issue
 * that is also a notification or a search hit is one row with all its reasons; its reason is
 * code "gfi" with detail "owner/repo (C, Rust)" (or "gfi_search" for the user's query). Table
 * gfi_issues remembers which walk (a repo's search or the user's query) and page listed an
 * item: when a page no longer lists it (it was assigned, got a linked pull request, or closed)
 * the reason goes, and the item too when no other reason keeps it. The repo's activity factor
 * (rank/score.c, hub__gfi_activity) is stored on the repo and on its items.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "base/ids.h"
#include "sources/sources.h"

#ifndef HUB_GFI_MAX_REPOS
#define HUB_GFI_MAX_REPOS 20000 /* repositories in one list or one gfi_repos command */
#endif
#ifndef HUB_GFI_MAX_TECH
#define HUB_GFI_MAX_TECH 16 /* technologies kept per repository */
#endif
#ifndef HUB_GFI_MAX_LABELS
#define HUB_GFI_MAX_LABELS 4 /* labels searched per repository */
#endif
#ifndef HUB_GFI_MAX_LANGS
#define HUB_GFI_MAX_LANGS 100 /* languages read from one answer */
#endif
#define GFI_LABEL_MAX 100
#define GFI_TECH_MAX 40
#define GFI_REASON_LANGS 3
#define GFI_SEARCH_PER_PAGE_MAX 100
#define GFI_DEFAULT_LABEL "good first issue"
#define GFI_QUERY_WALK "query"
#define GFI_RECENT_S (30 * 86400)

enum { T_LIST, T_QUERY, T_LANG, T_ISSUES };

/* What a list read or a gfi_repos command is doing. */
typedef struct {
  hub *h;
  hub__run *r;        /* NULL outside a run (the gfi_repos command) */
  const char *source; /* the list's name */
  int64_t now_s;
  int64_t n_new, n_updated, n_unchanged, n_skipped;
  cJSON *skips;       /* command only: {"reason": n} */
  cJSON *pending;     /* {"owner/name" lower-case: {"owner","name","labels":[..],"techs":[..]}} */
  const cJSON *canon; /* technology spellings of the list being read, or NULL */
} gfi_ctx;

/* One list adapter: its name (recorded in repos.lists/source), the setting holding its URL
 * (unset or empty: off), and its reader, which calls put_entry() per repository and returns 0,
 * or -1 with h->errmsg set when the whole answer is unusable (the batch rolls back). */
typedef struct {
  const char *name, *setting;
  int (*read)(gfi_ctx *c, const cJSON *body);
} gfi_adapter;

static int read_awesome(gfi_ctx *c, const cJSON *body);

static const gfi_adapter adapters[] = {
    {"awesome-for-beginners", "gfi_awesome_url", read_awesome},
};

/* ---- names, labels, technologies -------------------------------------------------------- */

/* Reads "http(s)://(www.)github.com/OWNER/NAME[.git][/…]" (host in any case) into owner (40)
 * and name (101). Returns 0, -1 when the link is not on github.com, -2 when it names no single
 * repository (an org-wide search, a profile, a malformed path). */
static int github_link(const char *link, char owner[40], char name[101]) {
  static const char *const reserved[] = {"issues", "pulls", "orgs", "search", "topics", "settings",
                                         "marketplace", "sponsors", "collections", "explore"};
  hub__url u;
  const char *o, *n;
  size_t on, nn, i;
  while (*link == ' ' || *link == '\t') link++;
  if (hub__url_parse(link, &u)) return -1;
  if (strcmp(u.host, "github.com") != 0 && strcmp(u.host, "www.github.com") != 0) return -1;
  if (*u.path != '/') return -2;
  o = u.path + 1;
  on = strcspn(o, "/?#");
  if (o[on] != '/') return -2;
  n = o + on + 1;
  nn = strcspn(n, "/?# \t");
  if (nn > 4 && strncmp(n + nn - 4, ".git", 4) == 0) nn -= 4;
  if (!hub__gh_owner_ok(o, on) || !hub__gh_name_ok(n, nn)) return -2;
  for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strlen(reserved[i]) == on && strncmp(o, reserved[i], on) == 0) return -2;
  memcpy(owner, o, on);
  owner[on] = 0;
  memcpy(name, n, nn);
  name[nn] = 0;
  return 0;
}

/* The label to search for, from one list entry's label text: trimmed, the first of a
 * comma-separated list ("Good First Issue, Difficulty/1:Easy" names two labels; the issues
 * carry either), the default when missing or empty. Appended to arr unless arr has it (a
 * repository named twice searches for the labels of both entries, at most HUB_GFI_MAX_LABELS).
 * Returns 0, or -1 when it cannot be searched for (too long, quotes, control characters). */
static int add_label(const char *in, cJSON *arr) {
  char buf[GFI_LABEL_MAX + 1];
  size_t n, i;
  const cJSON *e;
  if (!in) in = "";
  while (*in == ' ' || *in == '\t') in++;
  n = strcspn(in, ",");
  while (n && (in[n - 1] == ' ' || in[n - 1] == '\t')) n--;
  if (n > GFI_LABEL_MAX) return -1;
  for (i = 0; i < n; i++)
    if ((unsigned char)in[i] < 0x20 || in[i] == '"' || in[i] == '\\' || in[i] == 0x7f) return -1;
  if (!n) {
    in = GFI_DEFAULT_LABEL;
    n = strlen(in);
  }
  memcpy(buf, in, n);
  buf[n] = 0;
  cJSON_ArrayForEach(e, arr) if (hub__ieq(e->valuestring, buf)) return 0;
  if (cJSON_GetArraySize(arr) >= HUB_GFI_MAX_LABELS) return 0;
  return cJSON_AddItemToArray(arr, cJSON_CreateString(buf)) ? 0 : -1;
}

/* The labels as stored (comma-joined), the default when none. New string or NULL. */
static char *labels_text(const cJSON *arr) {
  hub__buf b;
  const cJSON *e;
  hub__buf_init(&b, 1024);
  cJSON_ArrayForEach(e, arr) {
    if (b.len) hub__buf_str(&b, ",");
    hub__buf_str(&b, e->valuestring);
  }
  if (!b.len) hub__buf_str(&b, GFI_DEFAULT_LABEL);
  if (b.failed) {
    hub__buf_free(&b);
    return NULL;
  }
  return b.p;
}

/* The technologies of one entry as JSON array text (new string, NULL on OOM): strings only,
 * trimmed, each spelled as canon says (a {"spelling": count} object over the whole list: the
 * most common spelling of the same word wins, "Javascript" → "JavaScript"), case-insensitive
 * duplicates dropped, at most HUB_GFI_MAX_TECH. canon may be NULL. */
static char *techs_json(const cJSON *arr, const cJSON *canon) {
  cJSON *out = cJSON_CreateArray(), *e, *k;
  char *txt;
  if (!out) return NULL;
  cJSON_ArrayForEach(e, arr) {
    const char *t, *best = NULL;
    double best_n = 0;
    char buf[GFI_TECH_MAX + 1];
    size_t n;
    int dup = 0;
    if (!cJSON_IsString(e)) continue;
    t = e->valuestring;
    while (*t == ' ') t++;
    n = strlen(t);
    while (n && t[n - 1] == ' ') n--;
    if (!n || n > GFI_TECH_MAX) continue;
    memcpy(buf, t, n);
    buf[n] = 0;
    cJSON_ArrayForEach(k, canon) {
      if (hub__ieq(k->string, buf) && k->valuedouble > best_n) {
        best = k->string;
        best_n = k->valuedouble;
      }
    }
    if (best) snprintf(buf, sizeof buf, "%s", best);
    cJSON_ArrayForEach(k, out) dup |= hub__ieq(k->valuestring, buf);
    if (dup) continue;
    if (cJSON_GetArraySize(out) >= HUB_GFI_MAX_TECH) break;
    if (!cJSON_AddItemToArray(out, cJSON_CreateString(buf))) break;
  }
  txt = cJSON_PrintUnformatted(out);
  cJSON_Delete(out);
  return txt;
}

/* ---- repositories ------------------------------------------------------------------------ */

static void hash_part(uint64_t *hv, const char *s, int lower) {
  static const char sep = 0x1f;
  for (; s && *s; s++) {
    char ch = lower ? (char)tolower((unsigned char)*s) : *s;
    *hv = hub__fnv1a(*hv, &ch, 1);
  }
  *hv = hub__fnv1a(*hv, &sep, 1);
}

/* The repo hash: owner and name (case-insensitive), ordered languages, label, technologies. */
static void repo_hash(const char *owner, const char *name, const char *langs, const char *label,
                      const char *techs, char out[17]) {
  uint64_t hv = HUB_FNV_INIT;
  hash_part(&hv, owner, 1);
  hash_part(&hv, name, 1);
  hash_part(&hv, langs, 0);
  hash_part(&hv, label, 0);
  hash_part(&hv, techs, 0);
  snprintf(out, 17, "%016llx", (unsigned long long)hv);
}

static void skip(gfi_ctx *c, const char *why) {
  c->n_skipped++;
  if (c->r) {
    hub__run_skip(c->r, why);
  } else if (c->skips) {
    cJSON *n = cJSON_GetObjectItemCaseSensitive(c->skips, why);
    if (cJSON_IsNumber(n)) cJSON_SetNumberValue(n, n->valuedouble + 1);
    else if (cJSON_GetArraySize(c->skips) < 50) cJSON_AddNumberToObject(c->skips, why, 1);
  }
}

/* lists (JSON array text, sorted) with name added; new string or NULL on OOM. */
static char *lists_with(const char *lists, const char *name) {
  cJSON *arr = cJSON_Parse(lists ? lists : "[]"), *e, *item;
  char *txt;
  int at = 0, found = 0;
  if (!cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    arr = cJSON_CreateArray();
  }
  if (!arr) return NULL;
  cJSON_ArrayForEach(e, arr) {
    int cmp = cJSON_IsString(e) ? strcmp(e->valuestring, name) : -1;
    if (cmp == 0) found = 1;
    if (cmp >= 0) break;
    at++;
  }
  if (!found) {
    item = cJSON_CreateString(name);
    if (!item || (at < cJSON_GetArraySize(arr) ? !cJSON_InsertItemInArray(arr, at, item)
                                               : !cJSON_AddItemToArray(arr, item))) {
      cJSON_Delete(item);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  txt = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  return txt;
}

/* Adds or merges one listed repository; counts the outcome. Returns 0 or -1 (h->errmsg). */
static int repo_put(gfi_ctx *c, const char *owner, const char *name, const char *label, const char *techs) {
  hub *h = c->h;
  sqlite3_stmt *st;
  char hash[17], *lists = NULL;
  int rc = -1, step;
  st = hub__db_q(h, "SELECT id,languages,lists,hash FROM repos WHERE owner=? AND name=?", "tt", owner, name);
  if (!st) return -1;
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    const char *old_lists = (const char *)sqlite3_column_text(st, 2);
    const char *old_hash = (const char *)sqlite3_column_text(st, 3);
    int same_lists, same_hash;
    repo_hash(owner, name, (const char *)sqlite3_column_text(st, 1), label, techs, hash);
    lists = lists_with(old_lists, c->source);
    if (!lists) goto oom;
    same_lists = old_lists && strcmp(old_lists, lists) == 0;
    same_hash = old_hash && strcmp(old_hash, hash) == 0;
    hub__db_done(h, st);
    st = NULL;
    if (same_hash && same_lists) {
      c->n_unchanged++;
    } else if (same_hash) {
      if (hub__db_run(h, "UPDATE repos SET lists=? WHERE id=?", "ti", lists, id) < 0) goto done;
      c->n_updated++;
    } else {
      if (hub__db_run(h, "UPDATE repos SET label=?,technologies=?,lists=?,source=?,hash=?,changed=? WHERE id=?",
                      "tttttii", label, techs, lists, c->source, hash, c->now_s, id) < 0)
        goto done;
      c->n_updated++;
    }
  } else if (step == SQLITE_DONE) {
    hub__db_done(h, st);
    st = NULL;
    repo_hash(owner, name, "[]", label, techs, hash);
    lists = lists_with("[]", c->source);
    if (!lists) goto oom;
    if (hub__db_run(h,
                    "INSERT INTO repos(owner,name,label,technologies,lists,source,hash,first_seen,changed) "
                    "VALUES(?,?,?,?,?,?,?,?,?)",
                    "tttttttii", owner, name, label, techs, lists, c->source, hash, c->now_s, c->now_s) < 0)
      goto done;
    c->n_new++;
  } else {
    hub__db_fail(h);
    goto done;
  }
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  hub__db_done(h, st);
  hub_free(lists);
  return rc;
}

/* Checks one entry given as strings (any may be NULL) and merges it into c->pending, so a
 * repository named twice is one entry with the labels and technologies of both; odd entries
 * are skipped with a reason. Returns 0, or -1 on OOM. */
static int put_entry(gfi_ctx *c, const char *owner, const char *name, const char *label_in, const cJSON *tech_arr) {
  char key[160];
  cJSON *e, *labels, *techs;
  const cJSON *t;
  size_t i;
  if (!owner || !name || !hub__gh_owner_ok(owner, strlen(owner)) || !hub__gh_name_ok(name, strlen(name))) {
    skip(c, "not a valid GitHub owner/name");
    return 0;
  }
  snprintf(key, sizeof key, "%s/%s", owner, name);
  for (i = 0; key[i]; i++) key[i] = (char)tolower((unsigned char)key[i]);
  e = cJSON_GetObjectItemCaseSensitive(c->pending, key);
  if (!e) {
    e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToObject(c->pending, key, e)) {
      cJSON_Delete(e);
      goto oom;
    }
    if (!cJSON_AddStringToObject(e, "owner", owner) || !cJSON_AddStringToObject(e, "name", name) ||
        !cJSON_AddArrayToObject(e, "labels") || !cJSON_AddArrayToObject(e, "techs"))
      goto oom;
  }
  labels = cJSON_GetObjectItemCaseSensitive(e, "labels");
  techs = cJSON_GetObjectItemCaseSensitive(e, "techs");
  if (add_label(label_in, labels)) {
    skip(c, "label that cannot be searched for (quotes, control characters or too long)");
    if (cJSON_GetArraySize(labels) == 0) cJSON_DeleteItemFromObjectCaseSensitive(c->pending, key);
    return 0;
  }
  cJSON_ArrayForEach(t, tech_arr) {
    if (cJSON_IsString(t) && cJSON_GetArraySize(techs) < HUB_GFI_MAX_TECH * 2 &&
        !cJSON_AddItemToArray(techs, cJSON_CreateString(t->valuestring)))
      goto oom;
  }
  return 0;
oom:
  hub__set_err(c->h, "out of memory");
  return -1;
}

/* Writes every pending repository once; counts them in the run. Returns 0 or -1. */
static int flush(gfi_ctx *c) {
  const cJSON *e;
  int64_t n0 = c->n_new, u0 = c->n_updated, k0 = c->n_unchanged;
  cJSON_ArrayForEach(e, c->pending) {
    char *label = labels_text(cJSON_GetObjectItemCaseSensitive(e, "labels"));
    char *techs = techs_json(cJSON_GetObjectItemCaseSensitive(e, "techs"), c->canon);
    int rc = label && techs ? repo_put(c, hub__json_str(e, "owner"), hub__json_str(e, "name"), label, techs) : -1;
    if (!label || !techs) hub__set_err(c->h, "out of memory");
    hub_free(label);
    hub_free(techs);
    if (rc) return -1;
  }
  if (c->r) {
    hub__run_stat(c->r, "repos_new", c->n_new - n0);
    hub__run_stat(c->r, "repos_updated", c->n_updated - u0);
    hub__run_stat(c->r, "repos_unchanged", c->n_unchanged - k0);
  }
  return 0;
}

/* awesome-for-beginners data.json: {"repositories":[{"name","link","label","technologies",
 * "description"}]}. Non-GitHub links are skipped with a reason; a missing label means the
 * default one; technologies are spelled the way most of the list spells them. */
static int read_awesome(gfi_ctx *c, const cJSON *body) {
  const cJSON *repos = cJSON_GetObjectItemCaseSensitive(body, "repositories"), *e, *t;
  cJSON *canon = NULL;
  int rc = -1;
  if (!cJSON_IsObject(body) || !cJSON_IsArray(repos)) {
    hub__set_err(c->h, "%s: expected an object with a \"repositories\" array", c->source);
    return -1;
  }
  if (cJSON_GetArraySize(repos) > HUB_GFI_MAX_REPOS) {
    hub__set_err(c->h, "%s: more than %d repositories", c->source, HUB_GFI_MAX_REPOS);
    return -1;
  }
  canon = cJSON_CreateObject();
  if (!canon) goto oom;
  cJSON_ArrayForEach(e, repos) {
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e, "technologies")) {
      cJSON *n;
      if (!cJSON_IsString(t) || !*t->valuestring || strlen(t->valuestring) > GFI_TECH_MAX) continue;
      n = cJSON_GetObjectItemCaseSensitive(canon, t->valuestring);
      if (n) cJSON_SetNumberValue(n, n->valuedouble + 1);
      else if (!cJSON_AddNumberToObject(canon, t->valuestring, 1)) goto oom;
    }
  }
  c->canon = canon;
  cJSON_ArrayForEach(e, repos) {
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(e, "link");
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(e, "label");
    char owner[40], name[101];
    int r;
    if (!cJSON_IsObject(e)) {
      skip(c, "list entry is not an object");
      continue;
    }
    if (!cJSON_IsString(link)) {
      skip(c, "list entry without a link");
      continue;
    }
    r = github_link(link->valuestring, owner, name);
    if (r == -1) {
      skip(c, "not a GitHub repository (link elsewhere)");
      continue;
    }
    if (r == -2) {
      skip(c, "GitHub link that names no single repository");
      continue;
    }
    if (put_entry(c, owner, name, cJSON_IsString(label) ? label->valuestring : NULL,
                  cJSON_GetObjectItemCaseSensitive(e, "technologies")))
      goto done;
  }
  rc = flush(c);
  goto done;
oom:
  hub__set_err(c->h, "out of memory");
done:
  c->canon = NULL;
  cJSON_Delete(canon);
  return rc;
}

/* ---- planning --------------------------------------------------------------------------- */

/* The source's per-run state: GitHub's view (API base, token). */
typedef struct {
  hub__gh g;
} gfi_state;

static int per_page(hub *h) {
  double n = hub__setting_num(h, "page_size");
  return n > GFI_SEARCH_PER_PAGE_MAX ? GFI_SEARCH_PER_PAGE_MAX : (int)n;
}

/* The search URL of a repo's open, unassigned, unlinked issues with its labels (new string). */
static char *issues_url(hub *h, const gfi_state *gs, const char *owner, const char *name, const char *labels) {
  hub__buf q;
  const char *p = labels;
  char *enc = NULL, *url = NULL;
  hub__buf_init(&q, 2048);
  hub__buf_str(&q, "repo:");
  hub__buf_str(&q, owner);
  hub__buf_str(&q, "/");
  hub__buf_str(&q, name);
  hub__buf_str(&q, " is:issue is:open label:");
  for (;;) {
    size_t n = strcspn(p, ",");
    hub__buf_str(&q, "\"");
    hub__buf_add(&q, p, n);
    hub__buf_str(&q, "\"");
    if (!p[n]) break;
    hub__buf_str(&q, ",");
    p += n + 1;
  }
  hub__buf_str(&q, " no:assignee -linked:pr");
  if (!q.failed) enc = hub__url_encode(q.p);
  if (enc) url = hub__printf("%s/search/issues?q=%s&sort=created&order=asc&per_page=%d", gs->g.api, enc, per_page(h));
  hub__buf_free(&q);
  hub_free(enc);
  return url;
}

static int enqueue(hub *h, hub__run *r, int kind, const char *url, const char *arg, unsigned flags) {
  if (!url) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  return hub__run_enqueue(h, r, &hub__gfi_source, kind, url, arg, flags);
}

/* Plans the languages and issues of one repository of the window (or re-points the issues task
 * planned at start when the list has just changed its labels). */
static int plan_repo(hub *h, hub__run *r, const gfi_state *gs, const char *o, const char *nm, const char *labels,
                     int *planned) {
  char *iu = issues_url(h, gs, o, nm, labels), *lu = hub__printf("%s/repos/%s/%s/languages", gs->g.api, o, nm);
  char *arg = hub__printf("%s/%s", o, nm);
  int e = 0;
  if (!iu || !lu || !arg) {
    hub__set_err(h, "out of memory");
    e = -1;
  } else if (!hub__run_seen(r, iu)) {
    const hub__task *q = hub__run_find(r, &hub__gfi_source, T_ISSUES, arg);
    if (q) {
      e = hub__run_retarget(h, r, q, iu);
    } else {
      e = enqueue(h, r, T_LANG, lu, arg, HUB_TASK_GONE_OK) || enqueue(h, r, T_ISSUES, iu, arg, HUB_TASK_GONE_OK);
      (*planned)++;
    }
  }
  hub_free(iu);
  hub_free(lu);
  hub_free(arg);
  return e ? -1 : 0;
}

/* Plans languages + issues for the window of repositories due this sync: gfi_repo_limit of
 * them (default 30), starting where the window of this gfi_rotate_hours period (default 24)
 * begins, so every listed repo comes round. Repos already planned this run are not planned
 * twice and count against the limit. Returns 0 or -1. */
static int enqueue_window(hub *h, hub__run *r, const gfi_state *gs, int64_t now) {
  int64_t limit = (int64_t)hub__setting_num(h, "gfi_repo_limit"), n, start, period;
  double hours = hub__setting_num(h, "gfi_rotate_hours");
  int planned = hub__run_queued(r, &hub__gfi_source, T_ISSUES), pass, rc = -1;
  sqlite3_stmt *st = NULL;
  if (planned >= limit) return 0;
  n = hub__db_int(h, "SELECT count(*) FROM repos", NULL, 0);
  if (n <= 0) return 0;
  period = (int64_t)((double)now / (hours * 3600000.0));
  start = (int64_t)(((uint64_t)period * (uint64_t)limit) % (uint64_t)n);
  for (pass = 0; pass < 2 && planned < limit; pass++) {
    st = hub__db_q(h, "SELECT owner,name,label FROM repos ORDER BY id LIMIT ? OFFSET ?", "ii", pass ? start : n,
                   pass ? (int64_t)0 : start);
    if (!st) return -1;
    while (planned < limit && sqlite3_step(st) == SQLITE_ROW)
      if (plan_repo(h, r, gs, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                    (const char *)sqlite3_column_text(st, 2), &planned))
        goto done;
    hub__db_done(h, st);
    st = NULL;
  }
  rc = 0;
done:
  hub__db_done(h, st);
  return rc;
}

/* The user's query with -linked:pr and no:assignee added unless it speaks of them. */
static char *query_url(hub *h, const gfi_state *gs, const char *query) {
  char *q = hub__printf("%s%s%s", query, strstr(query, "linked:") ? "" : " -linked:pr",
                        strstr(query, "assignee") ? "" : " no:assignee");
  char *enc = q ? hub__url_encode(q) : NULL;
  char *url = enc ? hub__printf("%s/search/issues?q=%s&per_page=%d", gs->g.api, enc, per_page(h)) : NULL;
  hub_free(q);
  hub_free(enc);
  return url;
}

static int gfi_start(hub *h, hub__run *r, const cJSON *opts, int64_t now, void **state) {
  gfi_state *gs = hub__malloc(sizeof *gs);
  size_t i;
  char *q;
  int rc = 0;
  if (!gs) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  if (hub__gh_init(h, opts, &gs->g)) {
    hub_free(gs);
    return -1;
  }
  *state = gs;
  for (i = 0; i < sizeof adapters / sizeof adapters[0] && !rc; i++) {
    char *url = hub__setting_get(h, adapters[i].setting);
    if (url && *url) rc = hub__run_enqueue(h, r, &hub__gfi_source, T_LIST, url, adapters[i].name, 0);
    hub_free(url);
  }
  if (!rc) rc = enqueue_window(h, r, gs, now);
  q = rc ? NULL : hub__setting_get(h, "gfi_query");
  if (q && *q) {
    char *url = query_url(h, gs, q);
    rc = enqueue(h, r, T_QUERY, url, NULL, 0) ? -1 : 0;
    hub_free(url);
  }
  hub_free(q);
  return rc;
}

static void gfi_finish(void *state) {
  gfi_state *gs = state;
  if (!gs) return;
  hub__gh_free(&gs->g);
  hub_free(gs);
}

/* ---- languages -------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  double bytes;
} lang;

static int lang_cmp(const void *a, const void *b) {
  const lang *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* Splits "owner/name" (arg) into the two buffers. */
static void split_arg(const char *arg, char owner[40], char name[101]) {
  const char *sl = strchr(arg, '/');
  size_t on = sl ? (size_t)(sl - arg) : 0;
  if (on > 39) on = 39;
  memcpy(owner, arg, on);
  owner[on] = 0;
  snprintf(name, 101, "%s", sl ? sl + 1 : "");
}

/* Splits "owner/name" (arg) into the two buffers. */

/* The repo's languages changed: the card reasons name them, so its issue pages are fetched
 * again this run (their validators are forgotten). */
static int refetch_walk(hub *h, hub__run *r, const hub__task *t, const char *walk) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT DISTINCT page_url FROM gfi_issues WHERE walk=?", "t", walk);
  cJSON *urls = cJSON_CreateArray(), *u;
  int rc = 0;
  while (st && urls && sqlite3_step(st) == SQLITE_ROW)
    hub__push(urls, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
  hub__db_done(h, st);
  if (!st || !urls) {
    cJSON_Delete(urls);
    if (!urls) hub__set_err(h, "out of memory");
    return -1;
  }
  cJSON_ArrayForEach(u, urls) if (cJSON_IsString(u) && hub__run_forget(h, r, t, u->valuestring)) rc = -1;
  cJSON_Delete(urls);
  return rc;
}

static int parse_langs(hub *h, hub__run *r, const hub__task *t, const cJSON *body, int64_t now) {
  lang v[HUB_GFI_MAX_LANGS];
  int n = 0, i, rc = -1;
  const cJSON *e;
  cJSON *arr = NULL;
  char *txt = NULL, owner[40], name[101], hash[17], *walk = NULL, *label = NULL, *techs = NULL;
  int64_t id = 0;
  sqlite3_stmt *st;
  if (!cJSON_IsObject(body)) {
    hub__set_err(h, "languages: expected an object of byte counts");
    return -1;
  }
  cJSON_ArrayForEach(e, body) {
    if (!cJSON_IsNumber(e) || !(e->valuedouble >= 0)) {
      hub__set_err(h, "languages: \"%.60s\" is not a byte count", e->string);
      return -1;
    }
    if (n == HUB_GFI_MAX_LANGS || strlen(e->string) > GFI_TECH_MAX) continue;
    v[n].name = e->string;
    v[n].bytes = e->valuedouble;
    n++;
  }
  qsort(v, (size_t)n, sizeof v[0], lang_cmp);
  arr = cJSON_CreateArray();
  for (i = 0; arr && i < n; i++)
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v[i].name))) break;
  txt = arr ? cJSON_PrintUnformatted(arr) : NULL;
  if (!txt) goto oom;
  split_arg(t->arg, owner, name);
  st = hub__db_q(h, "SELECT id,label,technologies,hash FROM repos WHERE owner=? AND name=?", "tt", owner, name);
  if (!st) goto done;
  if (sqlite3_step(st) == SQLITE_ROW) {
    id = sqlite3_column_int64(st, 0);
    label = hub__db_col_dup(st, 1);
    techs = hub__db_col_dup(st, 2);
    repo_hash(owner, name, txt, label, techs, hash);
    if (strcmp(hash, (const char *)sqlite3_column_text(st, 3)) == 0) id = 0; /* unchanged */
  } else {
    hub__run_skip(r, "repository no longer listed");
  }
  hub__db_done(h, st);
  if (id) {
    walk = hub__printf("repo:%s", t->arg);
    if (!walk) goto oom;
    if (hub__db_run(h, "UPDATE repos SET languages=?,hash=?,source='github',changed=? WHERE id=?", "ttii", txt, hash,
                    now / 1000, id) < 0 ||
        refetch_walk(h, r, t, walk))
      goto done;
  }
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  cJSON_Delete(arr);
  hub_free(txt);
  hub_free(walk);
  hub_free(label);
  hub_free(techs);
  return rc;
}

/* ---- issues ----------------------------------------------------------------------------- */

/* The detail of a repo's good-first reason: "owner/repo (C, Rust)" — up to three languages,
 * else technologies. New string or NULL. */
static char *repo_detail(hub *h, const char *owner, const char *name) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT owner,name,languages,technologies FROM repos WHERE owner=? AND name=?",
                          "tt", owner, name);
  hub__buf b;
  int i;
  char *r;
  hub__buf_init(&b, 4096);
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    cJSON *l = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
    if (cJSON_GetArraySize(l) == 0) {
      cJSON_Delete(l);
      l = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
    }
    hub__buf_str(&b, (const char *)sqlite3_column_text(st, 0));
    hub__buf_str(&b, "/");
    hub__buf_str(&b, (const char *)sqlite3_column_text(st, 1));
    for (i = 0; i < GFI_REASON_LANGS && i < cJSON_GetArraySize(l); i++) {
      const cJSON *x = cJSON_GetArrayItem(l, i);
      hub__buf_str(&b, i ? ", " : " (");
      hub__buf_str(&b, cJSON_IsString(x) ? x->valuestring : "?");
    }
    if (i) hub__buf_str(&b, ")");
    cJSON_Delete(l);
  } else {
    hub__buf_str(&b, owner);
    hub__buf_str(&b, "/");
    hub__buf_str(&b, name);
  }
  hub__db_done(h, st);
  r = b.failed ? NULL : hub__strndup(b.p, b.len);
  hub__buf_free(&b);
  return r;
}

/* Takes an item off a walk: drops the walk's reason and the item when nothing else keeps it. */
static int unlink_item(hub *h, hub__run *r, int64_t id, const char *walk) {
  int query = strcmp(walk, GFI_QUERY_WALK) == 0;
  if (hub__db_run(h, "DELETE FROM gfi_issues WHERE item_id=? AND walk=?", "it", id, walk) < 0) return -1;
  if (hub__items_drop_reason(h, id, query ? HUB_R_gfi_search : HUB_R_gfi, 1) < 0) return -1;
  hub__run_skip(r, "no longer listed (assigned, linked to a pull request, or closed)");
  return 0;
}

/* Unlinks the items of walk recorded on page_url (or, page_url NULL, on pages this run did not
 * reach) that are not in keep[0..nkeep). */
static int sweep(hub *h, hub__run *r, const char *walk, const char *page_url, const int64_t *keep, int nkeep) {
  sqlite3_stmt *st = page_url
                         ? hub__db_q(h, "SELECT item_id,page_url FROM gfi_issues WHERE walk=? AND page_url=?", "tt",
                                     walk, page_url)
                         : hub__db_q(h, "SELECT item_id,page_url FROM gfi_issues WHERE walk=?", "t", walk);
  int64_t *gone = NULL;
  int ngone = 0, cap = 0, i, rc = -1;
  if (!st) return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    const char *pu = (const char *)sqlite3_column_text(st, 1);
    int kept = 0;
    if (!page_url && hub__run_seen(r, pu)) continue;
    for (i = 0; i < nkeep && !kept; i++) kept = keep[i] == id;
    if (kept) continue;
    if (ngone == cap) {
      int64_t *g;
      if (cap >= HUB_MAX_ITEMS_PER_PAGE * 100) break;
      cap = cap ? cap * 2 : 16;
      g = hub__realloc(gone, (size_t)cap * sizeof *g);
      if (!g) {
        hub__set_err(h, "out of memory");
        goto done;
      }
      gone = g;
    }
    gone[ngone++] = id;
  }
  hub__db_done(h, st);
  st = NULL;
  for (i = 0; i < ngone; i++)
    if (unlink_item(h, r, gone[i], walk)) goto done;
  rc = 0;
done:
  hub__db_done(h, st);
  hub_free(gone);
  return rc;
}

/* The repo's activity: how many of its listed issues moved within 30 days of its newest. */
static int update_activity(hub *h, const char *walk, const char *owner, const char *name) {
  double a = hub__gfi_activity(hub__db_int(h,
                                           "WITH g AS (SELECT coalesce(i.updated_at,i.created_at,0) AS t FROM gfi_issues g "
                                           "JOIN items i ON i.id=g.item_id WHERE g.walk=?) "
                                           "SELECT count(*) FROM g WHERE t >= (SELECT max(t) FROM g) - ?",
                                           "ti", 0, walk, (int64_t)GFI_RECENT_S));
  sqlite3_stmt *st = hub__db_q(h, "SELECT item_id FROM gfi_issues WHERE walk=?", "t", walk);
  int64_t ids[HUB_MAX_ITEMS_PER_PAGE];
  int n = 0, i, rc = 0;
  if (!st) return -1;
  while (n < HUB_MAX_ITEMS_PER_PAGE && sqlite3_step(st) == SQLITE_ROW) ids[n++] = sqlite3_column_int64(st, 0);
  hub__db_done(h, st);
  for (i = 0; i < n && !rc; i++) rc = hub__items_set_activity(h, ids[i], a) < 0 ? -1 : 0;
  if (!rc && hub__db_run(h, "UPDATE repos SET activity=? WHERE owner=? AND name=? AND activity<>?", "dttd", a, owner,
                         name, a) < 0)
    rc = -1;
  return rc;
}

/* One listed issue: checked, stored with its reason, recorded on the walk's page. *id = 0 when
 * skipped. Returns 0 or -1. */
static int put_listed(hub *h, hub__run *r, const hub__task *t, const cJSON *e, int idx, int repo_walk,
                      const char *detail, const char *walk, int64_t now, int64_t *id) {
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
  const cJSON *asg = cJSON_GetObjectItemCaseSensitive(e, "assignee");
  const cJSON *asgs = cJSON_GetObjectItemCaseSensitive(e, "assignees");
  hub__item it;
  hub__gh_issue own;
  hub__upsert_result res;
  int rc = -1;
  *id = 0;
  if (hub__gh_issue_read(h, e, idx, &it, &own)) return -1;
  if (strcmp(it.kind, "pull") == 0) {
    hub__run_skip(r, "a pull request, not an issue");
  } else if (cJSON_IsString(state) && strcmp(state->valuestring, "open") != 0) {
    hub__run_skip(r, "closed");
  } else if ((asg && !cJSON_IsNull(asg)) || cJSON_GetArraySize(asgs) > 0) {
    hub__run_skip(r, "assigned");
  } else if (repo_walk && !hub__ieq(own.ref.repo, t->arg)) {
    hub__run_skip(r, "an issue of another repository");
  } else {
    it.reason = repo_walk ? HUB_R_gfi : HUB_R_gfi_search;
    it.detail = repo_walk ? detail : NULL;
    if (hub__items_put(h, &it, now / 1000, &res, id)) goto done;
    hub__run_count(r, res, *id);
    if (hub__db_run(h,
                    "INSERT INTO gfi_issues(item_id,walk,page_url) VALUES(?,?,?) ON CONFLICT(item_id,walk) "
                    "DO UPDATE SET page_url=excluded.page_url WHERE page_url<>excluded.page_url",
                    "itt", *id, walk, t->url) < 0)
      goto done;
  }
  rc = 0;
done:
  hub__gh_issue_free(&own);
  return rc;
}

/* One page of a search (a repo's walk or the user's query). */
static int parse_search(hub *h, hub__run *r, const hub__task *t, const cJSON *body, const cJSON *headers, int64_t now) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(body, "items"), *e;
  char owner[40] = "", name[101] = "", *detail = NULL, *walk = NULL, *next = NULL;
  int64_t *keep = NULL;
  int nkeep = 0, idx = 0, rc = -1, repo_walk = t->kind == T_ISSUES;
  if (!cJSON_IsObject(body) || !cJSON_IsArray(items)) {
    hub__set_err(h, "good-first-issue search: expected an object with an \"items\" array");
    return -1;
  }
  if (cJSON_GetArraySize(items) > HUB_MAX_ITEMS_PER_PAGE) {
    hub__set_err(h, "good-first-issue search: more than %d items on one page", HUB_MAX_ITEMS_PER_PAGE);
    return -1;
  }
  if (repo_walk) {
    split_arg(t->arg, owner, name);
    detail = repo_detail(h, owner, name);
    walk = hub__printf("repo:%s", t->arg);
  } else {
    detail = hub__strdup("");
    walk = hub__strdup(GFI_QUERY_WALK);
  }
  keep = hub__malloc(sizeof *keep * (size_t)(cJSON_GetArraySize(items) + 1));
  if (!detail || !walk || !keep) goto oom;
  cJSON_ArrayForEach(e, items) {
    int64_t id;
    if (put_listed(h, r, t, e, ++idx, repo_walk, detail, walk, now, &id)) goto done;
    if (id) keep[nkeep++] = id;
  }
  if (sweep(h, r, walk, t->url, keep, nkeep)) goto done;
  {
    const cJSON *lk = cJSON_GetObjectItem(headers, "link"); /* header names in any case */
    next = hub__link_next(cJSON_IsString(lk) ? lk->valuestring : NULL);
  }
  if (!next && sweep(h, r, walk, NULL, keep, nkeep)) goto done; /* the last page: pages gone */
  if (repo_walk && update_activity(h, walk, owner, name)) goto done;
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  hub_free(detail);
  hub_free(walk);
  hub_free(keep);
  hub_free(next);
  return rc;
}

/* ---- the source ------------------------------------------------------------------------- */

static int gfi_parse(hub *h, hub__run *r, void *state, const hub__task *t, const cJSON *body, const cJSON *headers,
                     int64_t now) {
  size_t i;
  switch (t->kind) {
  case T_LIST:
    for (i = 0; i < sizeof adapters / sizeof adapters[0]; i++) {
      if (t->arg && strcmp(adapters[i].name, t->arg) == 0) {
        gfi_ctx c;
        int rc;
        memset(&c, 0, sizeof c);
        c.h = h;
        c.r = r;
        c.source = adapters[i].name;
        c.now_s = now / 1000;
        c.pending = cJSON_CreateObject();
        if (!c.pending) {
          hub__set_err(h, "out of memory");
          return -1;
        }
        rc = adapters[i].read(&c, body);
        cJSON_Delete(c.pending);
        if (rc) return -1;
        return enqueue_window(h, r, state, now);
      }
    }
    hub__set_err(h, "good-first-issue list \"%.60s\" has no adapter", t->arg ? t->arg : "");
    return -1;
  case T_LANG:
    return parse_langs(h, r, t, body, now);
  case T_ISSUES:
  case T_QUERY:
    return parse_search(h, r, t, body, headers, now);
  default:
    hub__set_err(h, "gfi: unknown task");
    return -1;
  }
}

/* GitHub's headers (and token, towards the API only) for API tasks; lists get plain JSON. */
static int gfi_headers(hub *h, hub__run *r, void *state, const hub__task *t, cJSON *hdrs) {
  (void)h;
  (void)r;
  if (t->kind != T_LIST) return hub__gh_headers(&((gfi_state *)state)->g, t->url, hdrs);
  return cJSON_AddStringToObject(hdrs, "Accept", "application/json") ? 0 : -1;
}

static void gfi_bucket(const hub__task *t, char *buf, size_t n) {
  if (t->kind == T_LIST) {
    hub__url u;
    snprintf(buf, n, "list:%.16s", hub__url_parse(t->url, &u) ? "?" : u.host);
  } else {
    snprintf(buf, n, "%s", t->kind == T_LANG ? "core" : "search");
  }
}

static int gfi_limits(const hub__task *t, const cJSON *headers, int64_t now, hub__limits_read *out) {
  return t->kind == T_LIST ? 0 : hub__gh_limits(headers, now, out);
}

static hub__refusal gfi_refused(void *state, const hub__task *t, int status, const cJSON *headers, const cJSON *body,
                                int64_t now, hub__refused *out) {
  if (t->kind == T_LIST) return HUB_REFUSE_DEFAULT;
  return hub__gh_refused(&((gfi_state *)state)->g, status, headers, body, now, out);
}

static void gfi_scope(void *state, const hub__task *t, char out[65]) {
  snprintf(out, 65, "%s", t->kind == T_LIST ? "anonymous" : ((gfi_state *)state)->g.scope);
}

const hub__source hub__gfi_source = {"gfi", "good first issues", gfi_start, gfi_finish, gfi_parse, NULL,
                                     gfi_headers, gfi_bucket, gfi_limits, gfi_refused, gfi_scope, NULL};

/* ---- the gfi_repos command ---------------------------------------------------------------- */

static cJSON *list_repos(hub *h) {
  sqlite3_stmt *st = hub__db_q(h,
                          "SELECT owner,name,label,technologies,languages,lists,source,activity FROM repos "
                          "ORDER BY id",
                          NULL);
  cJSON *r = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(r, "repos");
  if (!st || !arr) {
    hub__db_done(h, st);
    cJSON_Delete(r);
    return hub__error_json(st ? HUB_E_NOMEM : HUB_E_DB, h->errmsg);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    cJSON *o = cJSON_CreateObject();
    int i;
    static const char *const names[] = {"owner", "name", "label", "technologies", "languages", "lists", "source"};
    for (i = 0; o && i < 7; i++) {
      const char *v = (const char *)sqlite3_column_text(st, i);
      if (i >= 3 && i <= 5) {
        cJSON *j = cJSON_Parse(v ? v : "[]");
        hub__put(o, names[i], j ? j : cJSON_CreateArray());
      } else {
        cJSON_AddStringToObject(o, names[i], v ? v : "");
      }
    }
    cJSON_AddNumberToObject(o, "activity", sqlite3_column_double(st, 7));
    hub__push(arr, o);
  }
  hub__db_done(h, st);
  return r;
}

static int valid_source_name(const char *s) {
  size_t n = strlen(s), i;
  if (n < 1 || n > 40) return 0;
  for (i = 0; i < n; i++)
    if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
      return 0;
  return 1;
}


/* Reads the command's repos into c (merged); skips odd entries with a reason. */
static void read_command(gfi_ctx *c, const cJSON *repos, int *oom) {
  const cJSON *e;
  cJSON_ArrayForEach(e, repos) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "owner"), *n = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "label"), *tags = cJSON_GetObjectItemCaseSensitive(e, "tags");
    if (!cJSON_IsObject(e)) {
      skip(c, "list entry is not an object");
      continue;
    }
    if ((l && !cJSON_IsString(l) && !cJSON_IsNull(l)) || (tags && !cJSON_IsArray(tags) && !cJSON_IsNull(tags))) {
      skip(c, "label or tags of the wrong type");
      continue;
    }
    if (put_entry(c, cJSON_IsString(o) ? o->valuestring : NULL, cJSON_IsString(n) ? n->valuestring : NULL,
                  cJSON_IsString(l) ? l->valuestring : NULL, tags)) {
      *oom = 1;
      return;
    }
  }
}

/* Adds the counts the native reader skipped files for. */
static void add_preskipped(gfi_ctx *c, const cJSON *pre) {
  const cJSON *e;
  cJSON_ArrayForEach(e, pre) {
    cJSON *have;
    int64_t n;
    if (!cJSON_IsNumber(e) || hub__num_in(e->valuedouble, 0, 1000000000, &n)) continue;
    have = cJSON_GetObjectItemCaseSensitive(c->skips, e->string);
    c->n_skipped += n;
    if (cJSON_IsNumber(have)) cJSON_SetNumberValue(have, have->valuedouble + (double)n);
    else if (cJSON_GetArraySize(c->skips) < 50) cJSON_AddNumberToObject(c->skips, e->string, (double)n);
  }
}

cJSON *hub__gfi_repos_cmd(hub *h, const cJSON *req) {
  const cJSON *repos = cJSON_GetObjectItemCaseSensitive(req, "repos");
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(req, "source");
  const cJSON *pre = cJSON_GetObjectItemCaseSensitive(req, "skipped");
  gfi_ctx c;
  cJSON *res = NULL;
  int64_t now = 0;
  int oom = 0;
  char msg[200];
  if (!repos) return list_repos(h);
  if (!cJSON_IsString(src) || !valid_source_name(src->valuestring))
    return hub__error_json(HUB_E_BAD_REQUEST, "gfi_repos needs \"source\": a list name of a-z, 0-9, '-', '.', '_'");
  if (hub__json_int(req, "now", 0, INT64_MAX / 4, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "gfi_repos needs \"now\" (ms)");
  if (!cJSON_IsArray(repos)) return hub__error_json(HUB_E_BAD_TYPE, "gfi_repos: \"repos\" must be an array");
  if (pre && !cJSON_IsObject(pre)) return hub__error_json(HUB_E_BAD_TYPE, "gfi_repos: \"skipped\" must be an object");
  if (cJSON_GetArraySize(repos) > HUB_GFI_MAX_REPOS) {
    snprintf(msg, sizeof msg, "gfi_repos: more than %d repositories", HUB_GFI_MAX_REPOS);
    return hub__error_json(HUB_E_TOO_BIG, msg);
  }
  memset(&c, 0, sizeof c);
  c.h = h;
  c.source = src->valuestring;
  c.now_s = now / 1000;
  c.skips = cJSON_CreateObject();
  c.pending = cJSON_CreateObject();
  if (!c.skips || !c.pending) goto nomem;
  read_command(&c, repos, &oom);
  if (oom) goto nomem;
  if (hub__db_begin(h)) {
    res = hub__error_json(HUB_E_DB, h->errmsg);
    goto done;
  }
  if (flush(&c) || hub__db_commit(h)) {
    snprintf(msg, sizeof msg, "gfi_repos: %.150s; nothing stored", h->errmsg);
    hub__db_rollback(h);
    res = hub__error_json(HUB_E_DB, msg);
    goto done;
  }
  add_preskipped(&c, pre);
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "source", c.source);
  cJSON_AddNumberToObject(res, "new", (double)c.n_new);
  cJSON_AddNumberToObject(res, "updated", (double)c.n_updated);
  cJSON_AddNumberToObject(res, "unchanged", (double)c.n_unchanged);
  cJSON_AddNumberToObject(res, "skipped", (double)c.n_skipped);
  hub__put(res, "skip_reasons", c.skips);
  c.skips = NULL;
  goto done;
nomem:
  res = hub__error_json(HUB_E_NOMEM, NULL);
done:
  cJSON_Delete(c.skips);
  cJSON_Delete(c.pending);
  return res;
}
