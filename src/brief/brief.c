/*
 * brief.c — the briefing (brief layer; see brief.h): assembled by rules from the ranked open
 * items, validated against the one schema (schema.c), hashed, cached in table `briefings`
 * (owned here), and served with the LLM-built one when hubd stored a fresh, valid one for the
 * same items.
 *
 * The rules: every open item among the HUB_BRIEF_SCAN best ranked (rank DESC, key) goes to
 * the first section it fits —
 *   reply  someone waits on you: a review or approval requested, a mention, an assignment,
 *          a security alert
 *   work   your own open work with new activity: unread, or updated within 3 days
 *   gfi    a good first issue you did not open
 *   look   worth a look: a bug or a busy thread (≥ 10 comments + reactions) among the rest,
 *          all of which are in repos you follow or own
 * — and each section shows its first HUB_BRIEF_PER_SECTION items with a one-line reason made
 * of facts. The headline is one sentence from the counts. Ages are whole calendar days (UTC)
 * between the item's time and now, so the same items on the same day give the same briefing,
 * byte for byte, natively and in wasm; the hash covers the briefing, the day and the content
 * hash of every item it names (so a changed title is a changed briefing).
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "items/items.h"
#include "brief/brief.h"
#include "triage/triage.h"

#define DAY_MS 86400000LL
#define RECENT_DAYS 3 /* "new activity" on your own work */
#define BUSY 10       /* comments + reactions that make a busy thread */
#define REASON_MAX 160
#define HEADLINE_MAX 200

enum { S_REPLY, S_WORK, S_LOOK, S_GFI, S__COUNT };
static const struct {
  const char *kind, *title, *accent, *icon;
  int priority;
} sections[S__COUNT] = {
    {"reply", "Needs your reply", "red", "reply", 1},
    {"work", "Your open work", "blue", "activity", 2},
    {"look", "Worth a look", "violet", "eye", 3},
    {"gfi", "Good first picks", "green", "sprout", 4},
};

/* One candidate item. Strings are owned. */
typedef struct {
  int64_t id, number, comments, reactions, created, updated;
  char *key, *repo, *kind, *title, *labels, *url, *source, *state, *hash, *gfi_detail;
  int unread;
  unsigned reasons; /* bit r set: the item has reason r (hub__reason) */
} cand;

typedef struct {
  cand *c;
  size_t n;
  int64_t day;                  /* now as whole UTC days */
  size_t pick[S__COUNT][HUB_BRIEF_PER_SECTION];
  size_t npick[S__COUNT];       /* shown */
  size_t total[S__COUNT];       /* fitting (shown or not) */
  size_t reviews, assigned, mentions, alerts;
  int64_t oldest_review;        /* days since the oldest review-requested item was opened */
} ctx;

static void ctx_free(ctx *x) {
  size_t i;
  for (i = 0; i < x->n; i++) {
    cand *c = &x->c[i];
    hub_free(c->key); hub_free(c->repo); hub_free(c->kind); hub_free(c->title); hub_free(c->labels);
    hub_free(c->url); hub_free(c->source); hub_free(c->state); hub_free(c->hash); hub_free(c->gfi_detail);
  }
  hub_free(x->c);
  memset(x, 0, sizeof *x);
}

/* ---- reading the items ------------------------------------------------------------------ */

/* The open items the briefing reads, best first: those the inbox shows (the triage rule —
 * nothing done, snoozed, muted or dismissed). Nothing else in this module reads items. */
static sqlite3_stmt *open_items(hub *h, int64_t now_ms) {
  return hub__db_q(h,
                   "SELECT i.id,i.key,i.repo,i.number,i.kind,i.title,i.labels,i.comments,i.reactions,i.created_at,"
                   "i.updated_at,i.url,i.unread,i.source,i.state,i.hash FROM items i LEFT JOIN triage t ON "
                   "t.item_id=i.id WHERE i.state='open' AND " HUB_TRIAGE_VISIBLE_SQL " ORDER BY i.rank DESC, i.key LIMIT ?",
                   "ii", now_ms, (int64_t)HUB_BRIEF_SCAN);
}

static int load_reasons(hub *h, cand *c) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT code, detail FROM item_reasons WHERE item_id=? ORDER BY code", "i", c->id);
  int rc = 0;
  if (!st) return -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int r = hub__reason_find((const char *)sqlite3_column_text(st, 0));
    if (r < 0) continue;
    c->reasons |= 1u << r;
    if (r == HUB_R_gfi && !c->gfi_detail && !(c->gfi_detail = hub__db_col_dup(st, 1))) rc = -1;
  }
  hub__db_done(h, st);
  return rc;
}

static int load(hub *h, ctx *x, int64_t now_ms) {
  sqlite3_stmt *st = open_items(h, now_ms);
  int rc = 0;
  if (!st) return -1;
  x->c = hub__malloc(HUB_BRIEF_SCAN * sizeof *x->c);
  if (!x->c) rc = -1;
  while (rc == 0 && x->n < HUB_BRIEF_SCAN && sqlite3_step(st) == SQLITE_ROW) {
    cand *c = &x->c[x->n];
    memset(c, 0, sizeof *c);
    x->n++;
    c->id = sqlite3_column_int64(st, 0);
    c->key = hub__db_col_dup(st, 1);
    c->repo = hub__db_col_dup(st, 2);
    c->number = sqlite3_column_int64(st, 3);
    c->kind = hub__db_col_dup(st, 4);
    c->title = hub__db_col_dup(st, 5);
    c->labels = hub__db_col_dup(st, 6);
    c->comments = sqlite3_column_int64(st, 7);
    c->reactions = sqlite3_column_int64(st, 8);
    c->created = sqlite3_column_int64(st, 9);
    c->updated = sqlite3_column_int64(st, 10);
    c->url = hub__db_col_dup(st, 11);
    c->unread = sqlite3_column_int(st, 12);
    c->source = hub__db_col_dup(st, 13);
    c->state = hub__db_col_dup(st, 14);
    c->hash = hub__db_col_dup(st, 15);
    if (!c->key || !c->kind || !c->title || !c->hash) rc = -1;
  }
  hub__db_done(h, st);
  for (size_t i = 0; rc == 0 && i < x->n; i++) rc = load_reasons(h, &x->c[i]);
  if (rc) hub__set_err(h, "briefing: cannot read the items (%s)", h->errmsg[0] ? h->errmsg : "out of memory");
  return rc;
}

/* ---- the rules -------------------------------------------------------------------------- */

static int has_class(const cand *c, hub__rclass cls) {
  int r;
  for (r = 0; r < HUB_R__COUNT; r++)
    if ((c->reasons & (1u << r)) && hub__reasons[r].cls == cls) return 1;
  return 0;
}

/* Whole UTC days from t_s (seconds) to the context's day; 0 when in the future or unknown. */
static int64_t age_days(const ctx *x, int64_t t_s) {
  int64_t d = t_s > 0 ? x->day - t_s / 86400 : 0;
  return d > 0 ? d : 0;
}

static int is_bug(const cand *c) { return c->labels && hub__icontains(c->labels, "bug"); }
static int is_busy(const cand *c) { return c->comments + c->reactions >= BUSY; }

/* The section c belongs in, or -1. */
static int section_of(const ctx *x, const cand *c) {
  if (has_class(c, HUB_RC_REVIEW) || has_class(c, HUB_RC_ASSIGNED) || has_class(c, HUB_RC_MENTION) ||
      has_class(c, HUB_RC_SECURITY))
    return S_REPLY;
  if (has_class(c, HUB_RC_AUTHORED) && (c->unread || age_days(x, c->updated) <= RECENT_DAYS)) return S_WORK;
  if (has_class(c, HUB_RC_GFI) && !has_class(c, HUB_RC_AUTHORED)) return S_GFI;
  if (!has_class(c, HUB_RC_GFI) && (is_bug(c) || is_busy(c))) return S_LOOK;
  return -1;
}

/* A key the schema can carry (1..512 characters, one line). */
static int key_ok(const char *k) {
  size_t i, n = strlen(k);
  if (n == 0 || n > 512) return 0;
  for (i = 0; i < n; i++)
    if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f) return 0;
  return 1;
}

static void classify(ctx *x) {
  size_t i;
  for (i = 0; i < x->n; i++) {
    const cand *c = &x->c[i];
    int s = key_ok(c->key) ? section_of(x, c) : -1;
    if (s < 0) continue;
    x->total[s]++;
    if (x->npick[s] < HUB_BRIEF_PER_SECTION) x->pick[s][x->npick[s]++] = i;
    if (s != S_REPLY) continue;
    if (has_class(c, HUB_RC_REVIEW)) {
      int64_t a = age_days(x, c->created ? c->created : c->updated);
      if (x->reviews++ == 0 || a > x->oldest_review) x->oldest_review = a;
    } else if (has_class(c, HUB_RC_MENTION)) x->mentions++;
    else if (has_class(c, HUB_RC_ASSIGNED)) x->assigned++;
    else x->alerts++;
  }
}

/* ---- words ------------------------------------------------------------------------------ */

static void when(char *b, size_t n, int64_t days) {
  if (days == 0) snprintf(b, n, "today");
  else if (days == 1) snprintf(b, n, "yesterday");
  else snprintf(b, n, "%lld days ago", (long long)days);
}

/* Appends " · N comments" and " · N reactions" when not zero. */
static void counts(hub__buf *b, const cand *c) {
  char t[64];
  if (c->comments > 0) {
    snprintf(t, sizeof t, " · %lld comment%s", (long long)c->comments, c->comments == 1 ? "" : "s");
    hub__buf_str(b, t);
  }
  if (c->reactions > 0) {
    snprintf(t, sizeof t, " · %lld reaction%s", (long long)c->reactions, c->reactions == 1 ? "" : "s");
    hub__buf_str(b, t);
  }
}

/* The languages of a good-first reason's detail "owner/repo (Ruby, Shell)": a pointer into
 * detail and the length, or NULL. */
static const char *languages(const char *detail, size_t *len) {
  const char *open = detail ? strchr(detail, '(') : NULL, *close = open ? strrchr(open, ')') : NULL;
  if (!open || !close || close <= open + 1) return NULL;
  *len = (size_t)(close - open - 1);
  return open + 1;
}

static const char *reply_words(const cand *c) {
  if (c->reasons & (1u << HUB_R_review_requested)) return "Review requested";
  if (c->reasons & (1u << HUB_R_approval_requested)) return "Approval requested";
  if (c->reasons & (1u << HUB_R_mentioned)) return "You were mentioned";
  if (c->reasons & (1u << HUB_R_team_mentioned)) return "Your team was mentioned";
  if (c->reasons & (1u << HUB_R_assigned)) return "Assigned to you";
  return "Security alert";
}

static void reason_line(hub__buf *b, const ctx *x, const cand *c, int s) {
  char t[200], w[32];
  const char *lang;
  size_t lang_len = 0;
  int pull = c->kind && strcmp(c->kind, "pull") == 0;
  if (s == S_REPLY) {
    int review = has_class(c, HUB_RC_REVIEW);
    when(w, sizeof w, age_days(x, review ? (c->created ? c->created : c->updated) : c->updated));
    snprintf(t, sizeof t, "%s · %s %s", reply_words(c), review ? "opened" : "updated", w);
  } else if (s == S_WORK) {
    when(w, sizeof w, age_days(x, c->updated));
    snprintf(t, sizeof t, "Your %s · %supdated %s", pull ? "pull request" : "issue", c->unread ? "unread activity · " : "", w);
  } else if (s == S_LOOK) {
    when(w, sizeof w, age_days(x, c->updated));
    snprintf(t, sizeof t, "%s%s · updated %s", is_bug(c) ? "Bug" : "Busy thread",
             has_class(c, HUB_RC_AUTHORED) ? " you opened" : "", w);
  } else {
    /* the list's languages (text from outside: the whole line is cut to the schema later) */
    when(w, sizeof w, age_days(x, c->updated));
    lang = languages(c->gfi_detail, &lang_len);
    hub__buf_str(b, "Good first issue");
    if (lang) {
      hub__buf_str(b, " · ");
      hub__buf_add(b, lang, lang_len);
    } else if (c->reasons & (1u << HUB_R_gfi_search)) {
      hub__buf_str(b, " from your search");
    }
    snprintf(t, sizeof t, " · updated %s", w);
  }
  hub__buf_str(b, t);
  if (s != S_GFI) counts(b, c);
  if (c->unread && s == S_REPLY) hub__buf_str(b, " · unread");
}

/* Cuts s (valid UTF-8) to fewer than max characters ending in '…' when it has more than max
 * (max ≥ 3). In place: the kept text plus "…" never outgrows the text it replaces. */
static void cut_chars(char *s, size_t max) {
  size_t i, chars = 0, cut = 0;
  for (i = 0; s[i]; i++) {
    if (((unsigned char)s[i] & 0xC0) == 0x80) continue;
    if (chars == max - 2) cut = i;
    if (chars == max) {
      memcpy(s + cut, "\xE2\x80\xA6", 4); /* 3 characters remain from cut: ≥ 3 bytes + NUL */
      return;
    }
    chars++;
  }
}

static char *plural(size_t n, const char *one, const char *many) {
  return hub__printf("%zu %s", n, n == 1 ? one : many);
}

static char *headline(const ctx *x) {
  char w[32], *out = NULL, *a = NULL, *b = NULL, *c = NULL;
  size_t reply = x->total[S_REPLY], rest = reply - x->reviews;
  when(w, sizeof w, x->oldest_review);
  if (x->reviews) {
    if (x->reviews == 1) a = hub__printf("A review is waiting on you — opened %s", w);
    else a = hub__printf("%zu reviews are waiting on you — the oldest opened %s", x->reviews, w);
    if (a && rest) out = hub__printf("%s, and %zu more item%s need%s your reply", a, rest, rest == 1 ? "" : "s", rest == 1 ? "s" : "");
    else if (a) out = hub__strdup(a);
  } else if (reply) {
    a = x->assigned ? plural(x->assigned, "assignment", "assignments") : hub__strdup("");
    b = x->mentions ? plural(x->mentions, "mention", "mentions") : hub__strdup("");
    c = x->alerts ? plural(x->alerts, "security alert", "security alerts") : hub__strdup("");
    if (a && b && c)
      out = hub__printf("%zu item%s need%s your reply — %s%s%s%s%s", reply, reply == 1 ? "" : "s", reply == 1 ? "s" : "",
                        a, a[0] && (b[0] || c[0]) ? (b[0] && c[0] ? ", " : " and ") : "", b, b[0] && c[0] ? " and " : "", c);
  } else if (x->total[S_WORK]) {
    if (x->total[S_WORK] == 1) out = hub__strdup("One of your open items has new activity");
    else out = hub__printf("%zu of your open items have new activity", x->total[S_WORK]);
  } else if (x->total[S_LOOK]) {
    out = hub__printf("Nothing waits on you — %zu thread%s worth a look", x->total[S_LOOK], x->total[S_LOOK] == 1 ? "" : "s");
  } else if (x->total[S_GFI]) {
    out = hub__printf("Nothing waits on you — %zu good first issue%s to pick from", x->total[S_GFI],
                      x->total[S_GFI] == 1 ? "" : "s");
  } else if (x->n) {
    out = hub__printf("Nothing needs you right now — %zu open item%s, all quiet", x->n, x->n == 1 ? "" : "s");
  } else {
    out = hub__strdup("Your inbox is empty");
  }
  hub_free(a);
  hub_free(b);
  hub_free(c);
  if (out) cut_chars(out, HEADLINE_MAX);
  return out;
}

/* ---- building ------------------------------------------------------------------------------- */

static cJSON *section_json(const ctx *x, int s) {
  cJSON *o = cJSON_CreateObject(), *items = NULL;
  size_t i;
  if (o) {
    cJSON_AddStringToObject(o, "kind", sections[s].kind);
    cJSON_AddStringToObject(o, "title", sections[s].title);
    cJSON_AddStringToObject(o, "accent", sections[s].accent);
    cJSON_AddStringToObject(o, "icon", sections[s].icon);
    cJSON_AddNumberToObject(o, "priority", sections[s].priority);
    items = cJSON_AddArrayToObject(o, "items");
  }
  for (i = 0; items && i < x->npick[s]; i++) {
    const cand *c = &x->c[x->pick[s][i]];
    cJSON *e = cJSON_CreateObject();
    hub__buf b;
    hub__buf_init(&b, 1024);
    reason_line(&b, x, c, s);
    hub__buf_add(&b, "", 1);
    if (!b.failed) cut_chars(b.p, REASON_MAX);
    cJSON_AddStringToObject(e, "key", c->key);
    cJSON_AddStringToObject(e, "reason", b.failed ? "" : b.p);
    hub__buf_free(&b);
    hub__push(items, e);
  }
  return o;
}

static cJSON *labels_json(const char *t) {
  cJSON *j = t ? cJSON_Parse(t) : NULL;
  return cJSON_IsArray(j) ? j : (cJSON_Delete(j), cJSON_CreateArray());
}

/* The item's first HUB_BRIEF_EXCERPT bytes of body, cut at a character boundary. */
static cJSON *excerpt_json(hub *h, int64_t id) {
  char *b = hub__db_str(h, "SELECT substr(body,1,?) FROM items WHERE id=?", "ii", (int64_t)HUB_BRIEF_EXCERPT, id);
  size_t n = b ? strlen(b) : 0;
  cJSON *j;
  if (n > HUB_BRIEF_EXCERPT) {
    n = HUB_BRIEF_EXCERPT;
    while (n > 0 && ((unsigned char)b[n] & 0xC0) == 0x80) n--;
    b[n] = 0;
  }
  j = cJSON_CreateString(b ? b : "");
  hub_free(b);
  return j;
}

static cJSON *item_json(hub *h, const cand *c, int texts) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "title", c->title);
  if (c->repo) cJSON_AddStringToObject(o, "repo", c->repo);
  cJSON_AddNumberToObject(o, "number", (double)c->number);
  cJSON_AddStringToObject(o, "kind", c->kind);
  if (c->url) cJSON_AddStringToObject(o, "url", c->url);
  if (c->source) cJSON_AddStringToObject(o, "source", c->source);
  if (c->state) cJSON_AddStringToObject(o, "state", c->state);
  hub__put(o, "labels", labels_json(c->labels));
  if (texts) hub__put(o, "excerpt", excerpt_json(h, c->id));
  return o;
}

/* The hash: the briefing's text, the day, and the content hash of every item it names. */
static void hash_of(const ctx *x, const char *text, char out[17]) {
  uint64_t hv = hub__fnv1a(HUB_FNV_INIT, text, strlen(text));
  char day[24];
  int s;
  size_t i;
  snprintf(day, sizeof day, "|%lld", (long long)x->day);
  hv = hub__fnv1a(hv, day, strlen(day));
  for (s = 0; s < S__COUNT; s++)
    for (i = 0; i < x->npick[s]; i++) {
      const cand *c = &x->c[x->pick[s][i]];
      hv = hub__fnv1a(hv, "|", 1);
      hv = hub__fnv1a(hv, c->key, strlen(c->key));
      hv = hub__fnv1a(hv, "=", 1);
      hv = hub__fnv1a(hv, c->hash, strlen(c->hash));
    }
  snprintf(out, 17, "%016llx", (unsigned long long)hv);
}

/* The keys the briefing names, borrowed from x, into keys (at most max). */
static size_t keys_of(const ctx *x, const char **keys, size_t max) {
  size_t n = 0, i;
  int s;
  for (s = 0; s < S__COUNT; s++)
    for (i = 0; i < x->npick[s] && n < max; i++) keys[n++] = x->c[x->pick[s][i]].key;
  return n;
}

/* Builds the briefing from a loaded and classified context; checks it against the schema. */
static cJSON *build(hub *h, ctx *x, int texts, cJSON **items_out, char hash[17]) {
  cJSON *b = cJSON_CreateObject(), *secs = NULL, *items = NULL;
  char *head = headline(x), *text = NULL, err[300];
  const char *keys[S__COUNT * HUB_BRIEF_PER_SECTION];
  size_t nkeys = keys_of(x, keys, S__COUNT * HUB_BRIEF_PER_SECTION), i;
  int s;
  if (!b || !head) goto fail;
  cJSON_AddStringToObject(b, "headline", head);
  secs = cJSON_AddArrayToObject(b, "sections");
  for (s = 0; secs && s < S__COUNT; s++)
    if (x->npick[s]) hub__push(secs, section_json(x, s));
  if (hub__schema_validate(&hub__schema_brief, b, keys, nkeys, err, sizeof err)) {
    hub__set_err(h, "the rule-built briefing breaks its own schema: %s", err);
    goto fail;
  }
  text = cJSON_PrintUnformatted(b);
  if (!text) goto fail;
  hash_of(x, text, hash);
  if (items_out) {
    items = cJSON_CreateObject();
    for (s = 0; items && s < S__COUNT; s++)
      for (i = 0; i < x->npick[s]; i++) hub__put(items, x->c[x->pick[s][i]].key, item_json(h, &x->c[x->pick[s][i]], texts));
    if (!items) goto fail;
    *items_out = items;
  }
  cJSON_free(text);
  hub_free(head);
  return b;
fail:
  if (!h->errmsg[0]) hub__set_err(h, "out of memory");
  cJSON_free(text);
  hub_free(head);
  cJSON_Delete(b);
  return NULL;
}

/* Loads and classifies; the caller frees x with ctx_free. */
static int prepare(hub *h, int64_t now_ms, ctx *x) {
  memset(x, 0, sizeof *x);
  x->day = now_ms / DAY_MS;
  if (load(h, x, now_ms)) return -1;
  classify(x);
  return 0;
}

/* ---- the cache ------------------------------------------------------------------------------ */

static int prune(hub *h) {
  return hub__db_run(h, "DELETE FROM briefings WHERE id NOT IN (SELECT id FROM briefings ORDER BY id DESC LIMIT ?)",
                     "i", (int64_t)HUB_BRIEF_KEEP) < 0 ? -1 : 0;
}

static int store(hub *h, const char *kind, const char *hash, const char *prompt_hash, const char *json,
                 const char *model, int64_t now, const char *ekind, const char *emsg, int64_t retry_at) {
  if (hub__db_run(h,
                  "INSERT INTO briefings(kind,hash,prompt_hash,json,model,created_at,error_kind,error,retry_at)"
                  " VALUES(?,?,?,?,?,?,?,?,?)",
                  "tttttitti", kind, hash, prompt_hash, json, model, now, ekind, emsg, retry_at) < 0)
    return -1;
  return prune(h);
}

int hub__brief_import(hub *h, const char *hash, const char *prompt_hash, const char *json, const char *model,
                      int64_t created_at) {
  int64_t have = hub__db_int(h, "SELECT count(*) FROM briefings WHERE kind='llm' AND hash=? AND created_at=?", "ti", -1,
                             hash, created_at);
  if (have < 0) return -1;
  if (have > 0) return 0;
  return store(h, "llm", hash, prompt_hash, json, model, created_at, NULL, NULL, 0) ? -1 : 1;
}

/* The latest LLM attempt for hash, as the "llm" member: {prompt_hash, at, model, ok, kind,
 * message, retry_at}; cJSON null when there is none. */
static cJSON *llm_status(hub *h, const char *hash) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT prompt_hash,created_at,model,json IS NOT NULL,error_kind,error,retry_at FROM briefings"
                               " WHERE kind='llm' AND hash=? ORDER BY id DESC LIMIT 1",
                               "t", hash);
  cJSON *o = NULL;
  if (st && sqlite3_step(st) == SQLITE_ROW && (o = cJSON_CreateObject())) {
    const char *ph = (const char *)sqlite3_column_text(st, 0), *m = (const char *)sqlite3_column_text(st, 2);
    const char *ek = (const char *)sqlite3_column_text(st, 4), *em = (const char *)sqlite3_column_text(st, 5);
    cJSON_AddStringToObject(o, "hash", hash);
    if (ph) cJSON_AddStringToObject(o, "prompt_hash", ph); else cJSON_AddNullToObject(o, "prompt_hash");
    cJSON_AddNumberToObject(o, "at", (double)sqlite3_column_int64(st, 1));
    if (m) cJSON_AddStringToObject(o, "model", m); else cJSON_AddNullToObject(o, "model");
    cJSON_AddBoolToObject(o, "ok", sqlite3_column_int(st, 3));
    if (ek) cJSON_AddStringToObject(o, "kind", ek);
    if (em) cJSON_AddStringToObject(o, "message", em);
    if (sqlite3_column_type(st, 6) != SQLITE_NULL) cJSON_AddNumberToObject(o, "retry_at", (double)sqlite3_column_int64(st, 6));
  }
  hub__db_done(h, st);
  return o ? o : cJSON_CreateNull();
}

/* The freshest valid LLM briefing for hash at now (its model and time in *model, *at), or NULL. */
static cJSON *llm_fresh(hub *h, ctx *x, const char *hash, int64_t now, char **model, int64_t *at) {
  sqlite3_stmt *st = hub__db_q(h,
                               "SELECT json, model, created_at FROM briefings WHERE kind='llm' AND hash=? AND json IS NOT NULL"
                               " AND created_at>? ORDER BY id DESC LIMIT 1",
                               "ti", hash, now - HUB_BRIEF_LLM_TTL_MS);
  const char *keys[S__COUNT * HUB_BRIEF_PER_SECTION];
  size_t nkeys = keys_of(x, keys, S__COUNT * HUB_BRIEF_PER_SECTION);
  cJSON *b = NULL;
  char err[200];
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    b = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    if (hub__schema_validate(&hub__schema_brief, b, keys, nkeys, err, sizeof err)) {
      cJSON_Delete(b);
      b = NULL;
    } else {
      *model = hub__db_col_dup(st, 1);
      *at = sqlite3_column_int64(st, 2);
    }
  }
  hub__db_done(h, st);
  return b;
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Adds what the page shows besides the validated briefing: source, model, time, hash, the items
 * named and the number of items each section has in all. Takes b. */
static cJSON *dress(cJSON *b, const ctx *x, const char *source, const char *model, int64_t at, const char *hash,
                    cJSON *items) {
  cJSON *counts = cJSON_CreateObject();
  int s;
  for (s = 0; counts && s < S__COUNT; s++) cJSON_AddNumberToObject(counts, sections[s].kind, (double)x->total[s]);
  cJSON_AddStringToObject(b, "source", source);
  if (model) cJSON_AddStringToObject(b, "model", model); else cJSON_AddNullToObject(b, "model");
  cJSON_AddNumberToObject(b, "at", (double)at);
  cJSON_AddStringToObject(b, "hash", hash);
  hub__put(b, "counts", counts);
  hub__put(b, "items", items);
  return b;
}

/* With refresh: stores the rule-built briefing when the latest stored one has another hash.
 * Returns 1 when it stored, 0 when not, -1 on error. */
static int refresh(hub *h, const cJSON *b, const char *hash, int64_t now) {
  char *last = hub__db_str(h, "SELECT hash FROM briefings WHERE kind='rule' ORDER BY id DESC LIMIT 1", NULL);
  char *text = NULL;
  int rc = 0;
  if (!last || strcmp(last, hash) != 0) {
    text = cJSON_PrintUnformatted(b);
    rc = text && store(h, "rule", hash, NULL, text, NULL, now, NULL, NULL, 0) == 0 ? 1 : -1;
  }
  cJSON_free(text);
  hub_free(last);
  return rc;
}

cJSON *hub__brief_cmd(hub *h, const cJSON *req) {
  int64_t now, at = 0;
  const char *src = hub__json_str(req, "source");
  int want_refresh = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "refresh"));
  int texts = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "texts")), changed = 0;
  char hash[17], *model = NULL;
  cJSON *rules = NULL, *items = NULL, *llm = NULL, *r = NULL;
  ctx x;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1)
    return hub__error_json(HUB_E_BAD_REQUEST, "brief needs \"now\" (ms)");
  if (src && strcmp(src, "rules") != 0) return hub__error_field(HUB_E_BAD_REQUEST, "source", "\"source\" may only be \"rules\"");
  if (prepare(h, now, &x) || !(rules = build(h, &x, texts, &items, hash))) goto fail;
  if (want_refresh && (changed = refresh(h, rules, hash, now)) < 0) goto fail;
  if (!src) llm = llm_fresh(h, &x, hash, now, &model, &at);
  if (!llm) /* when the rule-built one was first stored for these items, else now */
    at = hub__db_int(h, "SELECT created_at FROM briefings WHERE kind='rule' AND hash=? ORDER BY id DESC LIMIT 1", "t",
                     now, hash);
  r = cJSON_CreateObject();
  if (!r) goto fail;
  hub__put(r, "brief", llm ? dress(llm, &x, "llm", model, at, hash, items) : dress(rules, &x, "rules", NULL, at, hash, items));
  if (llm) cJSON_Delete(rules);
  rules = items = llm = NULL;
  hub__put(r, "llm", llm_status(h, hash));
  if (want_refresh) cJSON_AddBoolToObject(r, "changed", changed);
  ctx_free(&x);
  hub_free(model);
  return r;
fail:
  ctx_free(&x);
  hub_free(model);
  cJSON_Delete(rules);
  cJSON_Delete(items);
  cJSON_Delete(llm);
  return hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
}

/* A short one-line text field of req (1..max bytes, printable), or NULL. */
static const char *word(const cJSON *req, const char *k, size_t max) {
  const char *v = hub__json_str(req, k);
  size_t i, n = v ? strlen(v) : 0;
  if (n == 0 || n > max || !hub__utf8_valid(v, n)) return NULL;
  for (i = 0; i < n; i++)
    if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) return NULL;
  return v;
}

/* Records a failed attempt ({"error":{"kind","message"}, "retry_at"}). */
static cJSON *llm_failure(hub *h, const cJSON *req, const char *hash, const char *ph, const char *model, int64_t now) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(req, "error");
  const char *kind = word(e, "kind", 32), *msg = hub__json_str(e, "message");
  char *clean = NULL;
  cJSON *r;
  int64_t retry = 0;
  int rc;
  size_t i;
  for (i = 0; kind && kind[i]; i++)
    if (!((kind[i] >= 'a' && kind[i] <= 'z') || kind[i] == '_')) kind = NULL;
  if (!kind) return hub__error_field(HUB_E_BAD_REQUEST, "error.kind", "an error needs a \"kind\" of a-z and _");
  if (hub__json_int(req, "retry_at", 0, 9000000000000000LL, &retry) < 0)
    return hub__error_field(HUB_E_BAD_TYPE, "retry_at", "\"retry_at\" is a time in ms");
  clean = hub__utf8_clean(msg ? msg : "", msg ? (strlen(msg) > 300 ? 300 : strlen(msg)) : 0);
  if (clean) cut_chars(clean, 240);
  rc = clean ? store(h, "llm", hash, ph, NULL, model, now, kind, clean, retry) : -1;
  hub_free(clean);
  if (rc) return hub__error_json(HUB_E_DB, h->errmsg);
  r = cJSON_CreateObject();
  cJSON_AddTrueToObject(r, "stored");
  return r;
}

cJSON *hub__brief_llm_cmd(hub *h, const cJSON *req) {
  int64_t now, retry = 0;
  const char *hash = word(req, "hash", 16), *ph = word(req, "prompt_hash", 64), *model = word(req, "model", 200);
  const cJSON *cand_b = cJSON_GetObjectItemCaseSensitive(req, "briefing");
  const char *keys[S__COUNT * HUB_BRIEF_PER_SECTION];
  char cur[17], err[300], *text = NULL;
  cJSON *rules = NULL, *r = NULL;
  size_t nkeys;
  ctx x;
  if (hub__json_int(req, "now", 0, 9000000000000000LL, &now) != 1 || !hash || !ph || !model)
    return hub__error_json(HUB_E_BAD_REQUEST, "brief_llm needs \"now\", \"hash\", \"prompt_hash\" and \"model\"");
  if (prepare(h, now, &x) || !(rules = build(h, &x, 0, NULL, cur))) {
    r = hub__error_json(HUB_E_DB, h->errmsg);
    goto done;
  }
  if (strcmp(cur, hash) != 0) {
    r = hub__error_json(HUB_E_STATE, "the items changed since this briefing was asked for; nothing stored");
    goto done;
  }
  if (!cand_b) {
    r = llm_failure(h, req, hash, ph, model, now);
    goto done;
  }
  nkeys = keys_of(&x, keys, S__COUNT * HUB_BRIEF_PER_SECTION);
  if (hub__json_int(req, "retry_at", 0, 9000000000000000LL, &retry) < 0) retry = 0;
  if (hub__schema_validate(&hub__schema_brief, cand_b, keys, nkeys, err, sizeof err)) {
    /* refused: recorded like a failed call, with the driver's time to try again */
    r = store(h, "llm", hash, ph, NULL, model, now, "invalid", err, retry) ? hub__error_json(HUB_E_DB, h->errmsg)
                                                                      : hub__error_field(HUB_E_BAD_REQUEST, "briefing", err);
    goto done;
  }
  text = cJSON_PrintUnformatted(cand_b);
  if (!text || store(h, "llm", hash, ph, text, model, now, NULL, NULL, 0)) {
    r = hub__error_json(HUB_E_DB, h->errmsg[0] ? h->errmsg : "out of memory");
    goto done;
  }
  r = cJSON_CreateObject();
  cJSON_AddTrueToObject(r, "stored");
done:
  cJSON_free(text);
  cJSON_Delete(rules);
  ctx_free(&x);
  return r;
}
