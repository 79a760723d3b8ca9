/*
 * gfi.c — the good-first-issue source (core layer, sans-I/O): curated lists of beginner-friendly
 * repositories, each listed repository's open beginner issues, and the user's own search.
 *
 * Lists are adapters in one table (`adapters[]` below): a list is fetched from the URL in its
 * setting and read into repositories (owner, name, label, technologies) by its read function;
 * adding a list is one function and one table row. up-for-grabs is the exception: a thousand
 * YAML files are read natively (src/server/upforgrabs.c) and pushed with the gfi_repos command.
 * Repositories are one row per (owner, name) across lists (table repos), recording every list
 * that names one and the last source that changed it; a repo's hash covers owner, name, its
 * ordered languages, its label and technologies, so an unchanged list writes nothing.
 *
 * Per repository (at most gfi_repo_limit per sync, a window that moves every gfi_rotate_hours):
 *   GET /repos/{o}/{r}/languages                     ordered languages (conditional)
 *   GET /search/issues?q=repo:{o}/{r} is:issue is:open label:"L" no:assignee -linked:pr
 *                                                    the open beginner issues (paginated,
 *                                                    conditional)
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
 * Issues become items through github.c's parser, keyed by html_url, so an issue that is also
 * a notification or a search hit is one row with all its reasons; the card's reason reads
 * "good first issue in owner/repo (C, Rust)". Table gfi_issues remembers which walk (a repo's
 * search or the user's query) and page listed an item: when a page no longer lists it (it was
 * assigned, got a linked pull request, or closed) the gfi reason goes, and the item too when
 * no other reason keeps it. The repo's activity factor (score.c, hub__gfi_activity) is stored
 * on the repo and on its items (items.activity).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync_int.h"

#ifndef HUB_GFI_MAX_REPOS
#define HUB_GFI_MAX_REPOS 20000 /* repositories in one list or one gfi_repos command */
#endif
#ifndef HUB_GFI_MAX_TECH
#define HUB_GFI_MAX_TECH 16 /* technologies kept per repository */
#endif
#ifndef HUB_GFI_MAX_LANGS
#define HUB_GFI_MAX_LANGS 100 /* languages read from one answer */
#endif
#define GFI_LABEL_MAX 100
#define GFI_TECH_MAX 40
#define GFI_REASON_LANGS 3
#define GFI_SEARCH_PER_PAGE_MAX 100
#define GFI_DEFAULT_LABEL "good first issue"
#define GFI_REASON_PREFIX "good first issue in "
#define GFI_SEARCH_REASON "good first issue search"
#define GFI_QUERY_WALK "query"
#define GFI_RECENT_S (30 * 86400)

enum { T_LIST, T_QUERY, T_LANG, T_ISSUES };

/* What a list read or a gfi_repos command is doing. */
typedef struct {
  hub *h;
  hub__sync *s;       /* NULL outside a run (the gfi_repos command) */
  const char *source; /* the list's name */
  int64_t now_s;
  int64_t n_new, n_updated, n_unchanged, n_skipped;
  cJSON *skips;       /* command only: {"reason": n} */
} gfi_ctx;

/* One list adapter: its name (recorded in repos.lists/source), the setting holding its URL
 * (unset or empty: off), and its reader, which calls repo_put() per repository and returns 0,
 * or -1 with h->errmsg set when the whole answer is unusable (the batch rolls back). */
typedef struct {
  const char *name, *setting;
  int (*read)(gfi_ctx *c, const cJSON *body);
} gfi_adapter;

static int read_awesome(gfi_ctx *c, const cJSON *body);

static const gfi_adapter adapters[] = {
    {"awesome-for-beginners", "gfi_awesome_url", read_awesome},
};

/* ---- small SQL helpers ------------------------------------------------------------------ */

/* Prepares sql and binds args by the letters of types: 'i' int64, 't' text (NULL → NULL),
 * 'd' double. Returns the statement or NULL (h->errmsg set). */
static sqlite3_stmt *vprep(hub *h, const char *sql, const char *types, va_list ap) {
  sqlite3_stmt *st = NULL;
  int i;
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return NULL;
  }
  for (i = 0; types && types[i]; i++) {
    if (types[i] == 'i') sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    else if (types[i] == 'd') sqlite3_bind_double(st, i + 1, va_arg(ap, double));
    else {
      const char *v = va_arg(ap, const char *);
      if (v) sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
      else sqlite3_bind_null(st, i + 1);
    }
  }
  return st;
}

static sqlite3_stmt *prep(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  va_start(ap, types);
  st = vprep(h, sql, types, ap);
  va_end(ap);
  return st;
}

/* Runs a statement without results; returns the rows changed, or -1. */
static int run(hub *h, const char *sql, const char *types, ...) {
  va_list ap;
  sqlite3_stmt *st;
  int rc;
  va_start(ap, types);
  st = vprep(h, sql, types, ap);
  va_end(ap);
  if (!st) return -1;
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    return -1;
  }
  return sqlite3_changes(h->db);
}

/* ---- names, labels, technologies -------------------------------------------------------- */

static int lower_eq(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

/* GitHub's rules: owner 1–39 of [A-Za-z0-9-]; repo 1–100 of [A-Za-z0-9._-], not "." or "..". */
static int valid_owner(const char *p, size_t n) {
  size_t i;
  if (n < 1 || n > 39) return 0;
  for (i = 0; i < n; i++)
    if (!isalnum((unsigned char)p[i]) && p[i] != '-') return 0;
  return 1;
}
static int valid_name(const char *p, size_t n) {
  size_t i;
  if (n < 1 || n > 100 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
  for (i = 0; i < n; i++)
    if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.') return 0;
  return 1;
}

/* Reads "http(s)://(www.)github.com/OWNER/NAME[.git][/…]" into owner (40) and name (101).
 * Returns 0, -1 when the link is not on github.com, -2 when it names no single repository
 * (an org-wide search, a profile, a malformed path). */
static int github_link(const char *link, char owner[40], char name[101]) {
  static const char *const reserved[] = {"issues", "pulls", "orgs", "search", "topics", "settings",
                                         "marketplace", "sponsors", "collections", "explore"};
  const char *p = link, *o, *n;
  size_t on, nn, i;
  while (*p == ' ' || *p == '\t') p++;
  if (strncmp(p, "https://", 8) == 0) p += 8;
  else if (strncmp(p, "http://", 7) == 0) p += 7;
  else return -1;
  if (strncmp(p, "www.", 4) == 0) p += 4;
  if (!(strncmp(p, "github.com", 10) == 0 || strncmp(p, "GitHub.com", 10) == 0) ||
      (p[10] != '/' && p[10] != 0))
    return -1;
  p += 10;
  if (*p != '/') return -2;
  o = ++p;
  on = strcspn(o, "/?#");
  if (o[on] != '/') return -2;
  n = o + on + 1;
  nn = strcspn(n, "/?# \t");
  if (nn > 4 && strncmp(n + nn - 4, ".git", 4) == 0) nn -= 4;
  if (!valid_owner(o, on) || !valid_name(n, nn)) return -2;
  for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strlen(reserved[i]) == on && strncmp(o, reserved[i], on) == 0) return -2;
  memcpy(owner, o, on);
  owner[on] = 0;
  memcpy(name, n, nn);
  name[nn] = 0;
  return 0;
}

/* The label to search for: trimmed, the first of a comma-separated list ("Good First Issue,
 * Difficulty/1:Easy" names two labels; the issues carry either), the default when missing or
 * empty. Returns 0, or -1 when it cannot be searched for (too long, quotes, control chars). */
static int norm_label(const char *in, char out[GFI_LABEL_MAX + 1]) {
  size_t n, i;
  if (!in) in = "";
  while (*in == ' ' || *in == '\t') in++;
  n = strcspn(in, ",");
  while (n && (in[n - 1] == ' ' || in[n - 1] == '\t')) n--;
  if (!n) {
    snprintf(out, GFI_LABEL_MAX + 1, "%s", GFI_DEFAULT_LABEL);
    return 0;
  }
  if (n > GFI_LABEL_MAX) return -1;
  for (i = 0; i < n; i++)
    if ((unsigned char)in[i] < 0x20 || in[i] == '"' || in[i] == '\\' || in[i] == 0x7f) return -1;
  memcpy(out, in, n);
  out[n] = 0;
  return 0;
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
      if (lower_eq(k->string, buf) && k->valuedouble > best_n) {
        best = k->string;
        best_n = k->valuedouble;
      }
    }
    if (best) snprintf(buf, sizeof buf, "%s", best);
    cJSON_ArrayForEach(k, out) dup |= lower_eq(k->valuestring, buf);
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
  if (c->s) {
    hub__sync_skip(c->s, why);
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
static int repo_put(gfi_ctx *c, const char *owner, const char *name, const char *label,
                    const char *techs) {
  hub *h = c->h;
  sqlite3_stmt *st;
  char hash[17], *lists = NULL;
  int rc = -1, step;
  st = prep(h, "SELECT id,languages,lists,hash FROM repos WHERE owner=? AND name=?", "tt", owner, name);
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
    if (same_hash && same_lists) {
      c->n_unchanged++;
    } else if (same_hash) {
      if (run(h, "UPDATE repos SET lists=? WHERE id=?", "ti", lists, id) < 0) goto done;
      c->n_updated++;
    } else {
      if (run(h, "UPDATE repos SET label=?,technologies=?,lists=?,source=?,hash=?,changed=? WHERE id=?",
              "tttttii", label, techs, lists, c->source, hash, c->now_s, id) < 0)
        goto done;
      c->n_updated++;
    }
  } else if (step == SQLITE_DONE) {
    repo_hash(owner, name, "[]", label, techs, hash);
    lists = lists_with("[]", c->source);
    if (!lists) goto oom;
    if (run(h,
            "INSERT INTO repos(owner,name,label,technologies,lists,source,hash,first_seen,changed) "
            "VALUES(?,?,?,?,?,?,?,?,?)",
            "tttttttii", owner, name, label, techs, lists, c->source, hash, c->now_s, c->now_s) < 0)
      goto done;
    c->n_new++;
  } else {
    hub__set_err(h, "sqlite: %s", sqlite3_errmsg(h->db));
    goto done;
  }
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  sqlite3_finalize(st);
  hub_free(lists);
  return rc;
}

/* Checks and stores one entry given as strings (any may be NULL); skips odd ones. */
static int put_entry(gfi_ctx *c, const char *owner, const char *name, const char *label_in,
                     const cJSON *tech_arr, const cJSON *canon) {
  char label[GFI_LABEL_MAX + 1], *techs;
  int rc;
  if (!owner || !name || !valid_owner(owner, strlen(owner)) || !valid_name(name, strlen(name))) {
    skip(c, "not a valid GitHub owner/name");
    return 0;
  }
  if (norm_label(label_in, label)) {
    skip(c, "label that cannot be searched for (quotes, control characters or too long)");
    return 0;
  }
  techs = techs_json(tech_arr, canon);
  if (!techs) {
    hub__set_err(c->h, "out of memory");
    return -1;
  }
  rc = repo_put(c, owner, name, label, techs);
  hub_free(techs);
  return rc;
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
                  cJSON_GetObjectItemCaseSensitive(e, "technologies"), canon))
      goto done;
  }
  rc = 0;
  goto done;
oom:
  hub__set_err(c->h, "out of memory");
done:
  cJSON_Delete(canon);
  return rc;
}

/* ---- planning --------------------------------------------------------------------------- */

static int per_page(hub *h) {
  double n = hub__setting_num(h, "page_size", GFI_SEARCH_PER_PAGE_MAX);
  if (n < 1) n = 1;
  return n > GFI_SEARCH_PER_PAGE_MAX ? GFI_SEARCH_PER_PAGE_MAX : (int)n;
}

/* The search URL of a repo's open, unassigned, unlinked issues with its label (new string). */
static char *issues_url(hub *h, hub__sync *s, const char *owner, const char *name, const char *label) {
  char *q = hub__printf("repo:%s/%s is:issue is:open label:\"%s\" no:assignee -linked:pr", owner,
                        name, label);
  char *enc = q ? hub__url_encode(q) : NULL;
  char *url = enc ? hub__printf("%s/search/issues?q=%s&sort=created&order=asc&per_page=%d",
                                s->api_base, enc, per_page(h))
                  : NULL;
  hub_free(q);
  hub_free(enc);
  return url;
}

static int enqueue(hub *h, hub__sync *s, int kind, const char *url, const char *arg) {
  if (!url) {
    hub__set_err(h, "out of memory");
    return -1;
  }
  return hub__sync_enqueue(h, s, &hub__gfi_source, kind, url, arg, 0);
}

/* The queued issues task of repo "owner/name", or NULL. */
static hub__task *queued_issues(hub__sync *s, const char *arg) {
  hub__task *t;
  for (t = s->head; t; t = t->next)
    if (t->src == &hub__gfi_source && t->kind == T_ISSUES && t->arg && strcmp(t->arg, arg) == 0) return t;
  return NULL;
}

/* Plans languages + issues for the window of repositories due this sync: gfi_repo_limit of
 * them (default 30), starting where the window of this gfi_rotate_hours period (default 24)
 * begins, so every listed repo comes round. Repos already planned this run are not planned
 * twice and count against the limit. Returns 0 or -1. */
static int enqueue_window(hub *h, hub__sync *s, int64_t now) {
  double lim = hub__setting_num(h, "gfi_repo_limit", 30), hours = hub__setting_num(h, "gfi_rotate_hours", 24);
  int64_t limit, n, start, period, planned = 0;
  const hub__task *t;
  sqlite3_stmt *st = NULL;
  int pass, rc = -1;
  if (!(lim >= 0)) lim = 0;
  limit = lim > 1000 ? 1000 : (int64_t)lim;
  if (!(hours >= 0.0167)) hours = 24;
  for (t = s->head; t; t = t->next)
    if (t->src == &hub__gfi_source && t->kind == T_ISSUES) planned++;
  if (planned >= limit) return 0;
  st = prep(h, "SELECT count(*) FROM repos", NULL);
  if (!st) return -1;
  n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  st = NULL;
  if (n <= 0) return 0;
  period = (int64_t)((double)now / (hours * 3600000.0));
  start = (int64_t)(((uint64_t)period * (uint64_t)limit) % (uint64_t)n);
  for (pass = 0; pass < 2 && planned < limit; pass++) {
    st = prep(h, "SELECT owner,name,label FROM repos ORDER BY id LIMIT ? OFFSET ?", "ii",
              pass ? start : n, pass ? (int64_t)0 : start);
    if (!st) return -1;
    while (planned < limit && sqlite3_step(st) == SQLITE_ROW) {
      const char *o = (const char *)sqlite3_column_text(st, 0), *nm = (const char *)sqlite3_column_text(st, 1);
      char *iu = issues_url(h, s, o, nm, (const char *)sqlite3_column_text(st, 2));
      char *lu = hub__printf("%s/repos/%s/%s/languages", s->api_base, o, nm);
      char *arg = hub__printf("%s/%s", o, nm);
      int e = 0;
      if (!iu || !lu || !arg) {
        hub__set_err(h, "out of memory");
        e = -1;
      } else if (!cJSON_GetObjectItemCaseSensitive(s->seen, iu)) {
        hub__task *q = queued_issues(s, arg);
        if (q) { /* planned at start under the label the list has just changed */
          char *u = hub__strdup(iu);
          if (!u || !cJSON_AddTrueToObject(s->seen, iu)) {
            hub_free(u);
            hub__set_err(h, "out of memory");
            e = -1;
          } else {
            hub_free(q->url);
            q->url = u;
          }
        } else {
          e = enqueue(h, s, T_LANG, lu, arg) || enqueue(h, s, T_ISSUES, iu, arg);
          planned++;
        }
      }
      hub_free(iu);
      hub_free(lu);
      hub_free(arg);
      if (e) goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
  }
  rc = 0;
done:
  sqlite3_finalize(st);
  return rc;
}

/* The user's query with -linked:pr and no:assignee added unless it speaks of them. */
static char *query_url(hub *h, hub__sync *s, const char *query) {
  char *q = hub__printf("%s%s%s", query, strstr(query, "linked:") ? "" : " -linked:pr",
                        strstr(query, "assignee") ? "" : " no:assignee");
  char *enc = q ? hub__url_encode(q) : NULL;
  char *url = enc ? hub__printf("%s/search/issues?q=%s&per_page=%d", s->api_base, enc, per_page(h)) : NULL;
  hub_free(q);
  hub_free(enc);
  return url;
}

static int gfi_start(hub *h, hub__sync *s, int64_t now) {
  size_t i;
  char *q;
  int rc = 0;
  for (i = 0; i < sizeof adapters / sizeof adapters[0] && !rc; i++) {
    char *url = hub__setting_get(h, adapters[i].setting);
    if (url && *url) rc = hub__sync_enqueue(h, s, &hub__gfi_source, T_LIST, url, adapters[i].name, 0);
    hub_free(url);
  }
  if (!rc) rc = enqueue_window(h, s, now);
  q = rc ? NULL : hub__setting_get(h, "gfi_query");
  if (q && *q) {
    char *url = query_url(h, s, q);
    rc = enqueue(h, s, T_QUERY, url, NULL) ? -1 : 0;
    hub_free(url);
  }
  hub_free(q);
  return rc;
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

static int parse_langs(hub *h, hub__sync *s, hub__task *t, const cJSON *body, int64_t now) {
  lang v[HUB_GFI_MAX_LANGS];
  int n = 0, i, rc = -1;
  const cJSON *e;
  cJSON *arr = NULL;
  char *txt = NULL, owner[40], name[101], hash[17], *walk = NULL;
  sqlite3_stmt *st = NULL;
  if (!cJSON_IsObject(body)) {
    hub__set_err(h, "languages: expected an object of byte counts");
    return -1;
  }
  cJSON_ArrayForEach(e, body) {
    if (!cJSON_IsNumber(e) || e->valuedouble < 0) {
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
  st = prep(h, "SELECT id,label,technologies,hash FROM repos WHERE owner=? AND name=?", "tt", owner, name);
  if (!st) goto done;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hub__sync_skip(s, "repository no longer listed");
    rc = 0;
    goto done;
  }
  repo_hash(owner, name, txt, (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), hash);
  if (strcmp(hash, (const char *)sqlite3_column_text(st, 3)) != 0) {
    int64_t id = sqlite3_column_int64(st, 0);
    walk = hub__printf("repo:%s", t->arg);
    if (!walk) goto oom;
    if (run(h, "UPDATE repos SET languages=?,hash=?,source='github',changed=? WHERE id=?", "ttii", txt,
            hash, now / 1000, id) < 0)
      goto done;
    /* the card reasons name the languages: refetch the repo's issue pages this run */
    if (run(h,
            "DELETE FROM validators WHERE token_hash=? AND url IN "
            "(SELECT page_url FROM gfi_issues WHERE walk=?)",
            "tt", s->tok_hash, walk) < 0)
      goto done;
  }
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  sqlite3_finalize(st);
  cJSON_Delete(arr);
  hub_free(txt);
  hub_free(walk);
  return rc;
}

/* ---- issues ----------------------------------------------------------------------------- */

/* "good first issue in owner/repo (C, Rust)": up to three languages, else technologies. */
static char *repo_reason(hub *h, const char *owner, const char *name) {
  sqlite3_stmt *st = prep(h, "SELECT owner,name,languages,technologies FROM repos WHERE owner=? AND name=?",
                          "tt", owner, name);
  hub__buf b;
  int i;
  char *r;
  hub__buf_init(&b, 4096);
  hub__buf_str(&b, GFI_REASON_PREFIX);
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
  sqlite3_finalize(st);
  r = b.failed ? NULL : hub__strndup(b.p, b.len);
  hub__buf_free(&b);
  return r;
}

/* Reads "<scheme>://HOST/OWNER/REPO/(issues|pull)/N" into the item key and "OWNER/REPO". */
static int issue_key(const char *html, char key[400], char repo[160]) {
  char host[128];
  const char *path, *o, *r, *n;
  size_t on, rn;
  char *end;
  long long num;
  if (hub__url_host(html, host, sizeof host, &path) || *path != '/') return -1;
  o = path + 1;
  on = strcspn(o, "/");
  if (!o[on]) return -1;
  r = o + on + 1;
  rn = strcspn(r, "/");
  if (!r[rn] || on + rn + 2 > 160) return -1;
  n = r + rn + 1;
  if (strncmp(n, "issues/", 7) == 0) n += 7;
  else if (strncmp(n, "pull/", 5) == 0) n += 5;
  else return -1;
  num = strtoll(n, &end, 10);
  if (end == n || num <= 0) return -1;
  snprintf(repo, 160, "%.*s/%.*s", (int)on, o, (int)rn, r);
  snprintf(key, 400, "%s/%s#%lld", host, repo, num);
  return 0;
}

/* Takes an item off a walk: drops the walk's reason and the item when nothing else keeps it. */
static int unlink_item(hub *h, hub__sync *s, int64_t id, const char *walk) {
  int query = strcmp(walk, GFI_QUERY_WALK) == 0;
  if (run(h, "DELETE FROM gfi_issues WHERE item_id=? AND walk=?", "it", id, walk) < 0) return -1;
  if ((query ? run(h, "DELETE FROM item_reasons WHERE item_id=? AND reason=?", "it", id, GFI_SEARCH_REASON)
             : run(h, "DELETE FROM item_reasons WHERE item_id=? AND substr(reason,1,?)=?", "iit", id,
                   (int64_t)strlen(GFI_REASON_PREFIX), GFI_REASON_PREFIX)) < 0)
    return -1;
  if (run(h, "DELETE FROM items WHERE id=? AND NOT EXISTS (SELECT 1 FROM item_reasons WHERE item_id=?)",
          "ii", id, id) < 0)
    return -1;
  hub__sync_skip(s, "no longer listed (assigned, linked to a pull request, or closed)");
  return 0;
}

/* Unlinks the items of walk recorded on page_url (or, page_url NULL, on pages this run did not
 * reach) that are not in keep[0..nkeep). */
static int sweep(hub *h, hub__sync *s, const char *walk, const char *page_url, const int64_t *keep,
                 int nkeep) {
  sqlite3_stmt *st = page_url
                         ? prep(h, "SELECT item_id,page_url FROM gfi_issues WHERE walk=? AND page_url=?", "tt", walk, page_url)
                         : prep(h, "SELECT item_id,page_url FROM gfi_issues WHERE walk=?", "t", walk);
  int64_t *gone = NULL;
  int ngone = 0, cap = 0, i, rc = -1;
  if (!st) return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    const char *pu = (const char *)sqlite3_column_text(st, 1);
    int kept = 0;
    if (!page_url && cJSON_GetObjectItemCaseSensitive(s->seen, pu)) continue;
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
  sqlite3_finalize(st);
  st = NULL;
  for (i = 0; i < ngone; i++)
    if (unlink_item(h, s, gone[i], walk)) goto done;
  rc = 0;
done:
  sqlite3_finalize(st);
  hub_free(gone);
  return rc;
}

/* The repo's activity: how many of its listed issues moved within 30 days of its newest. */
static int update_activity(hub *h, const char *walk, const char *owner, const char *name) {
  sqlite3_stmt *st = prep(h,
                          "WITH g AS (SELECT coalesce(i.updated_at,i.created_at,0) AS t FROM gfi_issues g "
                          "JOIN items i ON i.id=g.item_id WHERE g.walk=?) "
                          "SELECT count(*) FROM g WHERE t >= (SELECT max(t) FROM g) - ?",
                          "ti", walk, (int64_t)GFI_RECENT_S);
  double a;
  if (!st) return -1;
  a = hub__gfi_activity(sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0);
  sqlite3_finalize(st);
  /* base and rank carry the factor too (base × a/old, rank + ln(a/old)), so cards rank by it */
  if (run(h, "UPDATE items SET base=base*?1/activity, rank=rank+ln(?1/activity), activity=?1 "
             "WHERE id IN (SELECT item_id FROM gfi_issues WHERE walk=?2) AND activity<>?3",
          "dtd", a, walk, a) < 0 ||
      run(h, "UPDATE repos SET activity=? WHERE owner=? AND name=? AND activity<>?", "dttd", a, owner, name, a) < 0)
    return -1;
  return 0;
}

/* One page of a search (a repo's walk or the user's query). */
static int parse_search(hub *h, hub__sync *s, hub__task *t, const cJSON *body, const cJSON *headers,
                        int64_t now) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(body, "items"), *e;
  char owner[40] = "", name[101] = "", *reason = NULL, *walk = NULL, *next = NULL;
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
    reason = repo_reason(h, owner, name);
    walk = hub__printf("repo:%s", t->arg);
  } else {
    reason = hub__strdup(GFI_SEARCH_REASON);
    walk = hub__strdup(GFI_QUERY_WALK);
  }
  keep = hub__malloc(sizeof *keep * (size_t)(cJSON_GetArraySize(items) + 1));
  if (!reason || !walk || !keep) goto oom;
  cJSON_ArrayForEach(e, items) {
    const cJSON *html = cJSON_GetObjectItemCaseSensitive(e, "html_url");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(e, "pull_request");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
    const cJSON *asg = cJSON_GetObjectItemCaseSensitive(e, "assignee");
    const cJSON *asgs = cJSON_GetObjectItemCaseSensitive(e, "assignees");
    char key[400], repo[160];
    sqlite3_stmt *st;
    int64_t id = 0;
    idx++;
    if (!cJSON_IsObject(e)) {
      hub__set_err(h, "item %d is not an object", idx);
      goto done;
    }
    if (!cJSON_IsString(html) || issue_key(html->valuestring, key, repo)) {
      hub__set_err(h, "item %d: \"html_url\" is missing or not an issue URL", idx);
      goto done;
    }
    if ((pr && !cJSON_IsNull(pr)) || strstr(html->valuestring, "/pull/")) {
      hub__sync_skip(s, "a pull request, not an issue");
      continue;
    }
    if (cJSON_IsString(state) && strcmp(state->valuestring, "open") != 0) {
      hub__sync_skip(s, "closed");
      continue;
    }
    if ((asg && !cJSON_IsNull(asg)) || cJSON_GetArraySize(asgs) > 0) {
      hub__sync_skip(s, "assigned");
      continue;
    }
    if (repo_walk && !lower_eq(repo, t->arg)) {
      hub__sync_skip(s, "an issue of another repository");
      continue;
    }
    if (hub__github_upsert_issue(h, s, e, reason, idx, now)) goto done;
    st = prep(h, "SELECT id FROM items WHERE key=?", "t", key);
    if (st && sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (!id) {
      hub__set_err(h, "item %d: stored row not found", idx);
      goto done;
    }
    keep[nkeep++] = id;
    if (run(h,
            "INSERT INTO gfi_issues(item_id,walk,page_url) VALUES(?,?,?) ON CONFLICT(item_id,walk) "
            "DO UPDATE SET page_url=excluded.page_url WHERE page_url<>excluded.page_url",
            "itt", id, walk, t->url) < 0)
      goto done;
    /* a repo reason that named other languages is replaced, not kept beside the new one */
    if (repo_walk &&
        run(h,
            "DELETE FROM item_reasons WHERE item_id=? AND reason<>? AND substr(reason,1,?)=?", "itit", id,
            reason, (int64_t)strlen(GFI_REASON_PREFIX), GFI_REASON_PREFIX) < 0)
      goto done;
  }
  if (sweep(h, s, walk, t->url, keep, nkeep)) goto done;
  next = hub__link_next(cJSON_IsString(cJSON_GetObjectItem(headers, "link"))
                            ? cJSON_GetObjectItem(headers, "link")->valuestring
                            : NULL);
  if (!next && sweep(h, s, walk, NULL, keep, nkeep)) goto done; /* the last page: pages gone */
  if (repo_walk && update_activity(h, walk, owner, name)) goto done;
  rc = 0;
  goto done;
oom:
  hub__set_err(h, "out of memory");
done:
  hub_free(reason);
  hub_free(walk);
  hub_free(keep);
  hub_free(next);
  return rc;
}

/* ---- the source ------------------------------------------------------------------------- */

static int gfi_parse(hub *h, hub__sync *s, hub__task *t, const cJSON *body, const cJSON *headers,
                     int64_t now) {
  size_t i;
  switch (t->kind) {
  case T_LIST:
    for (i = 0; i < sizeof adapters / sizeof adapters[0]; i++) {
      if (t->arg && strcmp(adapters[i].name, t->arg) == 0) {
        gfi_ctx c;
        memset(&c, 0, sizeof c);
        c.h = h;
        c.s = s;
        c.source = adapters[i].name;
        c.now_s = now / 1000;
        if (adapters[i].read(&c, body)) return -1;
        return enqueue_window(h, s, now);
      }
    }
    hub__set_err(h, "good-first-issue list \"%.60s\" has no adapter", t->arg ? t->arg : "");
    return -1;
  case T_LANG:
    return parse_langs(h, s, t, body, now);
  case T_ISSUES:
  case T_QUERY:
    return parse_search(h, s, t, body, headers, now);
  default:
    hub__set_err(h, "gfi: unknown task");
    return -1;
  }
}

/* GitHub's headers (and token, towards the API only) for API tasks; lists get plain JSON. */
static int gfi_headers(hub *h, hub__sync *s, const hub__task *t, cJSON *hdrs) {
  if (t->kind != T_LIST) return hub__github_source.headers(h, s, t, hdrs);
  return cJSON_AddStringToObject(hdrs, "Accept", "application/json") ? 0 : -1;
}

static const char *gfi_resource(const hub__task *t) {
  if (t->kind == T_LIST) return "gfi-list";
  return t->kind == T_LANG ? "core" : "search";
}

const hub__source hub__gfi_source = {"gfi", gfi_start, gfi_parse, NULL, gfi_headers, gfi_resource};

/* ---- the gfi_repos command ---------------------------------------------------------------- */

static cJSON *list_repos(hub *h) {
  sqlite3_stmt *st = prep(h,
                          "SELECT owner,name,label,technologies,languages,lists,source,activity FROM repos "
                          "ORDER BY id",
                          NULL);
  cJSON *r = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(r, "repos");
  if (!st || !arr) {
    sqlite3_finalize(st);
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
  sqlite3_finalize(st);
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

cJSON *hub__gfi_repos_cmd(hub *h, const cJSON *req) {
  const cJSON *repos = cJSON_GetObjectItemCaseSensitive(req, "repos");
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(req, "source");
  const cJSON *now = cJSON_GetObjectItemCaseSensitive(req, "now");
  const cJSON *pre = cJSON_GetObjectItemCaseSensitive(req, "skipped"), *e;
  gfi_ctx c;
  cJSON *res;
  int idx = 0;
  char msg[200];
  if (!repos) return list_repos(h);
  if (!cJSON_IsString(src) || !valid_source_name(src->valuestring))
    return hub__error_json(HUB_E_BAD_REQUEST, "gfi_repos needs \"source\": a list name of a-z, 0-9, '-', '.', '_'");
  if (!cJSON_IsNumber(now) || now->valuedouble < 0)
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
  c.now_s = (int64_t)(now->valuedouble / 1000);
  c.skips = cJSON_CreateObject();
  if (!c.skips) return hub__error_json(HUB_E_NOMEM, NULL);
  if (hub__store_begin(h)) {
    cJSON_Delete(c.skips);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  cJSON_ArrayForEach(e, repos) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "owner"), *n = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "label"), *tags = cJSON_GetObjectItemCaseSensitive(e, "tags");
    idx++;
    if (!cJSON_IsObject(e)) {
      skip(&c, "list entry is not an object");
      continue;
    }
    if ((l && !cJSON_IsString(l) && !cJSON_IsNull(l)) || (tags && !cJSON_IsArray(tags) && !cJSON_IsNull(tags))) {
      skip(&c, "label or tags of the wrong type");
      continue;
    }
    if (put_entry(&c, cJSON_IsString(o) ? o->valuestring : NULL, cJSON_IsString(n) ? n->valuestring : NULL,
                  cJSON_IsString(l) ? l->valuestring : NULL, tags, NULL)) {
      snprintf(msg, sizeof msg, "gfi_repos: entry %d: %.150s; nothing stored", idx, h->errmsg);
      hub__store_rollback(h);
      cJSON_Delete(c.skips);
      return hub__error_json(HUB_E_DB, msg);
    }
  }
  if (hub__store_commit(h)) {
    cJSON_Delete(c.skips);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  cJSON_ArrayForEach(e, pre) { /* reasons the native reader skipped files for */
    cJSON *have;
    if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1e9) continue;
    have = cJSON_GetObjectItemCaseSensitive(c.skips, e->string);
    c.n_skipped += (int64_t)e->valuedouble;
    if (cJSON_IsNumber(have)) cJSON_SetNumberValue(have, have->valuedouble + e->valuedouble);
    else if (cJSON_GetArraySize(c.skips) < 50) cJSON_AddNumberToObject(c.skips, e->string, e->valuedouble);
  }
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "source", c.source);
  cJSON_AddNumberToObject(res, "new", (double)c.n_new);
  cJSON_AddNumberToObject(res, "updated", (double)c.n_updated);
  cJSON_AddNumberToObject(res, "unchanged", (double)c.n_unchanged);
  cJSON_AddNumberToObject(res, "skipped", (double)c.n_skipped);
  hub__put(res, "skip_reasons", c.skips);
  return res;
}
