/*
 * brief_test.c — the briefing and the AI queue in the core (src/brief/), natively under ASan +
 * UBSan: the rules on fixed items (sections, reasons, headline), determinism (same items in
 * another order → the same bytes and hash), the hash and the refresh, the one schema refusing
 * every kind of bad reply (a table) while the served briefing stays byte for byte the same, the
 * LLM cache (served while fresh, 4 h, same items only), the queue (dedupe by content hash,
 * priorities, batches, retries up to 3, stale claims, release, gone entities, outputs in
 * `card`), meta, and failed allocations.
 *
 * usage: brief_test
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "brief/brief.h"

#define NOW 1763900000000LL /* 2025-11-23 12:13 UTC */
#define NOW_S (NOW / 1000)
#define DAY 86400LL
#define H_MS 3600000LL

/* tu_str that never returns NULL (a missing string reads as ""). */
static const char *S(const cJSON *o, const char *path) {
  const char *v = tu_str(o, path);
  return v ? v : "";
}

/* ---- fixed items ------------------------------------------------------------------------ */

typedef struct {
  const char *key, *kind, *title, *labels;
  int64_t comments, created_days, updated_days;
  int unread;
  const char *reason, *reason2, *detail, *state;
} fx;

static void put(hub *h, const fx *f) {
  hub__item it;
  char repo[128], url[256];
  const char *hash = strchr(f->key, '#'), *slash = strchr(f->key, '/');
  hub__upsert_result res;
  int i;
  snprintf(repo, sizeof repo, "%.*s", (int)(hash - slash - 1), slash + 1);
  snprintf(url, sizeof url, "https://github.com/%s/%s/%s", repo, strcmp(f->kind, "pull") ? "issues" : "pull", hash + 1);
  for (i = 0; i < 2; i++) {
    const char *r = i ? f->reason2 : f->reason;
    if (!r) continue;
    memset(&it, 0, sizeof it);
    it.has = HUB_F_KIND | HUB_F_TITLE | HUB_F_BODY | HUB_F_STATE | HUB_F_AUTHOR | HUB_F_LABELS | HUB_F_COMMENTS |
             HUB_F_CREATED | HUB_F_UPDATED | HUB_F_URL | HUB_F_UNREAD;
    it.key = f->key;
    it.source = "github";
    it.host = "github.com";
    it.repo = repo;
    it.number = atoll(hash + 1);
    it.kind = f->kind;
    it.title = f->title;
    it.body = "The body of the issue, with enough words to quote.";
    it.state = f->state ? f->state : "open";
    it.author = "someone";
    it.labels = f->labels ? f->labels : "[]";
    it.comments = f->comments;
    it.created_at = NOW_S - f->created_days * DAY;
    it.updated_at = NOW_S - f->updated_days * DAY;
    it.url = url;
    it.unread = f->unread;
    it.reason = hub__reason_find(r);
    it.detail = strcmp(r, "gfi") == 0 ? f->detail : NULL;
    CHECK(hub__items_put(h, &it, NOW_S, &res, NULL) == 0, "put %s: %s", f->key, h->errmsg);
  }
}

static const fx scene[] = {
    {"github.com/o/a#1", "pull", "Add the parser", NULL, 2, 5, 1, 0, "review_requested", NULL, NULL, NULL},
    {"github.com/o/a#2", "pull", "Fix the lexer", NULL, 0, 2, 2, 0, "review_requested", NULL, NULL, NULL},
    {"github.com/o/b#3", "issue", "What about tabs?", NULL, 4, 9, 1, 1, "mentioned", NULL, NULL, NULL},
    {"github.com/o/b#4", "issue", "Crash on empty input", "[\"bug\"]", 1, 6, 3, 0, "assigned", NULL, NULL, NULL},
    {"github.com/me/x#5", "pull", "My feature", NULL, 1, 4, 0, 1, "authored", NULL, NULL, NULL},
    {"github.com/me/x#6", "issue", "My old bug", "[\"bug\"]", 3, 30, 10, 0, "authored", NULL, NULL, NULL},
    {"github.com/me/x#7", "issue", "My quiet idea", NULL, 0, 30, 10, 0, "authored", NULL, NULL, NULL},
    {"github.com/o/c#8", "issue", "Long discussion", NULL, 12, 20, 2, 0, "subscribed", NULL, NULL, NULL},
    {"github.com/o/c#9", "issue", "Small thing", NULL, 1, 20, 2, 0, "subscribed", NULL, NULL, NULL},
    {"github.com/o/d#10", "issue", "Typo in README", "[\"good first issue\"]", 0, 3, 3, 0, "gfi", NULL, "o/d (C, Rust)", NULL},
    {"github.com/me/x#11", "issue", "My own starter", "[\"good first issue\"]", 0, 40, 20, 0, "authored", "gfi", "me/x (Go)", NULL},
    {"github.com/o/e#12", "issue", "Add a test", "[\"good first issue\"]", 1, 4, 4, 0, "gfi_search", NULL, NULL, NULL},
    {"github.com/o/a#13", "pull", "Closed one", NULL, 0, 2, 1, 0, "review_requested", NULL, NULL, "closed"},
};
#define NSCENE (sizeof scene / sizeof scene[0])

static hub *scene_db(int reverse) {
  hub *h = tu_open_memory();
  size_t i;
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"me\"}}"));
  for (i = 0; i < NSCENE; i++) put(h, &scene[reverse ? NSCENE - 1 - i : i]);
  return h;
}

/* The "brief" member of the brief command's answer at now, printed (malloc'd). */
static char *brief_text(hub *h, int64_t now, const char *extra) {
  cJSON *r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld%s}", (long long)now, extra ? extra : "");
  char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "brief"));
  char *out = t ? strdup(t) : strdup("");
  cJSON_free(t);
  cJSON_Delete(r);
  return out;
}

/* The reason given for key in the briefing b, or NULL; its section's kind in *kind. */
static const char *reason_of(const cJSON *b, const char *key, const char **kind) {
  const cJSON *sec, *it;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(b, "sections"))
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "items"))
      if (strcmp(S(it, "key"), key) == 0) {
        if (kind) *kind = S(sec, "kind");
        return S(it, "reason");
      }
  return NULL;
}

static void expect(const cJSON *b, const char *key, const char *kind, const char *reason) {
  const char *k = NULL, *r = reason_of(b, key, &k);
  if (!kind) {
    CHECK(r == NULL, "rules: %s is in no section (found in %s)", key, k ? k : "-");
    return;
  }
  CHECK(r && k && strcmp(k, kind) == 0 && strcmp(r, reason) == 0, "rules: %s in %s as \"%s\" (got %s \"%s\")", key,
        kind, reason, k ? k : "-", r ? r : "-");
}

static void test_rules(void) {
  hub *h = scene_db(0), *h2 = scene_db(1), *e = tu_open_memory();
  cJSON *r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
  const cJSON *b = cJSON_GetObjectItem(r, "brief");
  char *t1, *t2;
  CHECK(strcmp(S(b, "headline"), "2 reviews are waiting on you — the oldest opened 5 days ago, and 2 more items need your reply") == 0,
        "rules: headline from the facts: %s", S(b, "headline"));
  CHECK(strcmp(S(b, "source"), "rules") == 0 && cJSON_IsNull(cJSON_GetObjectItem(b, "model")) &&
            tu_num(b, "at") == (double)NOW,
        "rules: marked as assembled by rules, now");
  expect(b, "github.com/o/a#1", "reply", "Review requested · opened 5 days ago · 2 comments");
  expect(b, "github.com/o/a#2", "reply", "Review requested · opened 2 days ago");
  expect(b, "github.com/o/b#3", "reply", "You were mentioned · updated yesterday · 4 comments · unread");
  expect(b, "github.com/o/b#4", "reply", "Assigned to you · updated 3 days ago · 1 comment");
  expect(b, "github.com/me/x#5", "work", "Your pull request · unread activity · updated today · 1 comment");
  expect(b, "github.com/me/x#6", "look", "Bug you opened · updated 10 days ago · 3 comments");
  expect(b, "github.com/me/x#7", NULL, NULL);
  expect(b, "github.com/o/c#8", "look", "Busy thread · updated 2 days ago · 12 comments");
  expect(b, "github.com/o/c#9", NULL, NULL);
  expect(b, "github.com/o/d#10", "gfi", "Good first issue · C, Rust · updated 3 days ago");
  expect(b, "github.com/me/x#11", NULL, NULL); /* your own starter issue is not a pick for you */
  expect(b, "github.com/o/e#12", "gfi", "Good first issue from your search · updated 4 days ago");
  expect(b, "github.com/o/a#13", NULL, NULL); /* closed */
  CHECK(tu_num(b, "counts.reply") == 4 && tu_num(b, "counts.work") == 1 && tu_num(b, "counts.look") == 2 &&
            tu_num(b, "counts.gfi") == 2,
        "rules: counts per section");
  CHECK(strcmp(S(b, "sections.0.kind"), "reply") == 0 && strcmp(S(b, "sections.0.accent"), "red") == 0 &&
            strcmp(S(b, "sections.0.icon"), "reply") == 0 && tu_num(b, "sections.0.priority") == 1 &&
            strcmp(S(b, "sections.3.kind"), "gfi") == 0 && tu_num(b, "sections.3.priority") == 4,
        "rules: sections in priority order with accent and icon");
  {
    const cJSON *it = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "items"), "github.com/o/a#1");
    CHECK(strcmp(S(it, "title"), "Add the parser") == 0 && strcmp(S(it, "kind"), "pull") == 0 &&
              !cJSON_GetObjectItem(it, "excerpt"),
          "rules: item a#1 with title and kind, no excerpt unless asked");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(b, "items")) == 9, "rules: 9 items named");
  }
  cJSON_Delete(r);

  /* the same items inserted in the other order: the same bytes */
  t1 = brief_text(h, NOW, NULL);
  t2 = brief_text(h2, NOW, NULL);
  CHECK(strcmp(t1, t2) == 0, "rules: deterministic for the same items (insert order does not matter)");
  free(t1);
  free(t2);
  r = tu_call(e, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
  CHECK(strcmp(S(r, "brief.headline"), "Your inbox is empty") == 0 &&
            cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "brief"), "sections")) == 0,
        "rules: no items, no sections: %s", S(r, "brief.headline"));
  cJSON_Delete(r);
  r = tu_call(e, "{\"cmd\":\"brief\"}");
  CHECK(S(r, "error.code") && strcmp(S(r, "error.code"), "bad_request") == 0, "brief needs now");
  cJSON_Delete(r);
  r = tu_call(e, "{\"cmd\":\"brief\",\"now\":1,\"source\":\"llm\"}");
  CHECK(S(r, "error.field") && strcmp(S(r, "error.field"), "source") == 0, "source may only be rules");
  cJSON_Delete(r);
  hub_close(h);
  hub_close(h2);
  hub_close(e);
}

static void test_headlines(void) {
  static const struct {
    fx items[3];
    const char *want;
  } cases[] = {
      {{{"github.com/o/a#1", "issue", "t", NULL, 0, 1, 1, 0, "assigned", NULL, NULL, NULL},
        {"github.com/o/a#2", "issue", "t", NULL, 0, 1, 1, 0, "mentioned", NULL, NULL, NULL}},
       "2 items need your reply — 1 assignment and 1 mention"},
      {{{"github.com/o/a#1", "pull", "t", NULL, 0, 0, 0, 0, "review_requested", NULL, NULL, NULL}},
       "A review is waiting on you — opened today"},
      {{{"github.com/me/x#1", "pull", "t", NULL, 0, 9, 1, 0, "authored", NULL, NULL, NULL},
        {"github.com/me/x#2", "pull", "t", NULL, 0, 9, 0, 0, "authored", NULL, NULL, NULL}},
       "2 of your open items have new activity"},
      {{{"github.com/o/d#1", "issue", "t", NULL, 0, 9, 9, 0, "gfi", NULL, "o/d (C)", NULL}},
       "Nothing waits on you — 1 good first issue to pick from"},
      {{{"github.com/o/c#1", "issue", "t", "[\"Type: Bug\"]", 0, 9, 9, 0, "subscribed", NULL, NULL, NULL}},
       "Nothing waits on you — 1 thread worth a look"},
      {{{"github.com/o/c#1", "issue", "t", NULL, 0, 9, 9, 0, "subscribed", NULL, NULL, NULL}},
       "Nothing needs you right now — 1 open item, all quiet"},
  };
  size_t i, j;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hub *h = tu_open_memory();
    cJSON *r;
    for (j = 0; j < 3 && cases[i].items[j].key; j++) put(h, &cases[i].items[j]);
    r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
    CHECK(S(r, "brief.headline") && strcmp(S(r, "brief.headline"), cases[i].want) == 0,
          "headline %zu: want \"%s\", got \"%s\"", i, cases[i].want, S(r, "brief.headline"));
    cJSON_Delete(r);
    hub_close(h);
  }
  {
    /* a list's language detail of 600 bytes is cut to the schema's 160 characters */
    hub *h = tu_open_memory();
    char detail[700];
    fx f = {"github.com/o/d#1", "issue", "t", NULL, 0, 1, 1, 0, "gfi", NULL, detail, NULL};
    cJSON *r;
    memset(detail, 0, sizeof detail);
    strcpy(detail, "o/d (");
    for (j = 0; j < 100; j++) strcat(detail, "Lång,");
    strcat(detail, ")");
    put(h, &f);
    r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
    {
      const char *reason = S(r, "brief.sections.0.items.0.reason");
      size_t chars = 0, k;
      for (k = 0; reason && reason[k]; k++) chars += ((unsigned char)reason[k] & 0xC0) != 0x80;
      CHECK(reason && chars <= 160 && strstr(reason, "…"), "a long language list is cut to %zu characters with …", chars);
    }
    cJSON_Delete(r);
    hub_close(h);
  }
}

/* Gives scene item key a new title. */
static void retitle(hub *h, const char *key, const char *title) {
  fx f;
  size_t i;
  memset(&f, 0, sizeof f);
  for (i = 0; i < NSCENE; i++)
    if (strcmp(scene[i].key, key) == 0) f = scene[i];
  f.title = title;
  put(h, &f);
}

static void test_hash_refresh(void) {
  hub *h = scene_db(0);
  cJSON *a = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", NOW), *b;
  char hash[17];
  snprintf(hash, sizeof hash, "%s", S(a, "brief.hash"));
  CHECK(strlen(hash) == 16 && cJSON_IsTrue(cJSON_GetObjectItem(a, "changed")), "refresh: first refresh stores (changed)");
  CHECK(tu_count(h, "SELECT count(*) FROM briefings WHERE kind='rule'") == 1, "refresh: one rule-built row");
  b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", NOW + H_MS);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(b, "changed")) && strcmp(S(b, "brief.hash"), hash) == 0 &&
            tu_num(b, "brief.at") == (double)NOW,
        "refresh: the same items an hour later: unchanged, assembled at the first time");
  CHECK(tu_count(h, "SELECT count(*) FROM briefings") == 1, "refresh: nothing new stored");
  cJSON_Delete(b);
  retitle(h, "github.com/me/x#7", "My quiet idea, renamed"); /* in no section */
  b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", NOW + H_MS);
  CHECK(strcmp(S(b, "brief.hash"), hash) == 0 && cJSON_IsFalse(cJSON_GetObjectItem(b, "changed")),
        "hash: an item the briefing does not name changed: same hash");
  cJSON_Delete(b);
  retitle(h, "github.com/o/a#1", "Add the parser (v2)");
  b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", NOW + H_MS);
  CHECK(strcmp(S(b, "brief.hash"), hash) != 0 && cJSON_IsTrue(cJSON_GetObjectItem(b, "changed")),
        "hash: a named item's title changed: new hash, stored");
  snprintf(hash, sizeof hash, "%s", S(b, "brief.hash"));
  cJSON_Delete(b);
  b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW + 24 * H_MS);
  CHECK(strcmp(S(b, "brief.hash"), hash) != 0, "hash: the next day (ages move): new hash");
  cJSON_Delete(b);
  cJSON_Delete(a);
  hub_close(h);
}

/* ---- the schema: every kind of bad reply ------------------------------------------------- */

#define K1 "github.com/o/a#1"
#define K2 "github.com/o/a#2"
#define ITEM(k, r) "{\"key\":\"" k "\",\"reason\":\"" r "\"}"
#define SEC_FULL(kind, title, accent, icon, prio, items) \
  "{\"kind\":\"" kind "\",\"title\":\"" title "\",\"accent\":\"" accent "\",\"icon\":\"" icon "\",\"priority\":" prio ",\"items\":[" items "]}"
#define SEC(kind, items) SEC_FULL(kind, "Waiting on you", "red", "reply", "1", items)
#define BRIEF(head, secs) "{\"headline\":" head ",\"sections\":[" secs "]}"
#define X10 "xxxxxxxxxx"
#define X40 X10 X10 X10 X10
#define X160 X40 X40 X40 X40
#define X200 X160 X40

static const struct {
  const char *name, *json, *where;
} bad[] = {
    {"not an object", "[]", "$: not an object"},
    {"no headline", "{\"sections\":[]}", "$.headline: missing"},
    {"no sections", "{\"headline\":\"x\"}", "$.sections: missing"},
    {"extra member", "{\"headline\":\"x\",\"sections\":[],\"mood\":\"sunny\"}", "$.mood: not a member"},
    {"member twice", "{\"headline\":\"a\",\"headline\":\"b\",\"sections\":[]}", "$.headline: appears twice"},
    {"headline a number", BRIEF("7", ""), "$.headline: not a string"},
    {"headline null", BRIEF("null", ""), "$.headline: null"},
    {"headline empty", BRIEF("\"\"", ""), "$.headline: 0 characters"},
    {"headline blank", BRIEF("\"   \"", ""), "$.headline: blank"},
    {"headline too long", BRIEF("\"" X200 "y\"", ""), "$.headline: 201 characters"},
    {"headline two lines", BRIEF("\"a\\nb\"", ""), "$.headline: holds a control character"},
    {"headline bad UTF-8", BRIEF("\"a\xff\"", ""), "$.headline: not valid UTF-8"},
    {"sections an object", "{\"headline\":\"x\",\"sections\":{}}", "$.sections: not an array"},
    {"five sections", BRIEF("\"x\"", SEC("reply", ITEM(K1, "r")) "," SEC("work", ITEM(K2, "r")) "," SEC("look", ITEM("github.com/o/b#3", "r")) "," SEC("gfi", ITEM("github.com/o/b#4", "r")) "," SEC("gfi", ITEM("github.com/o/c#8", "r"))),
     "$.sections: 5 elements"},
    {"unknown kind", BRIEF("\"x\"", SEC("urgent", ITEM(K1, "r"))), "$.sections[0].kind: not one of the allowed values"},
    {"kind twice", BRIEF("\"x\"", SEC("reply", ITEM(K1, "r")) "," SEC("reply", ITEM(K2, "r"))), "$.sections[1].kind: appears twice"},
    {"unknown accent", BRIEF("\"x\"", SEC_FULL("reply", "T", "pink", "reply", "1", ITEM(K1, "r"))), "$.sections[0].accent: not one of"},
    {"unknown icon", BRIEF("\"x\"", SEC_FULL("reply", "T", "red", "skull", "1", ITEM(K1, "r"))), "$.sections[0].icon: not one of"},
    {"priority 0", BRIEF("\"x\"", SEC_FULL("reply", "T", "red", "reply", "0", ITEM(K1, "r"))), "$.sections[0].priority: not a whole number"},
    {"priority 5", BRIEF("\"x\"", SEC_FULL("reply", "T", "red", "reply", "5", ITEM(K1, "r"))), "$.sections[0].priority: not a whole number"},
    {"priority 1.5", BRIEF("\"x\"", SEC_FULL("reply", "T", "red", "reply", "1.5", ITEM(K1, "r"))), "$.sections[0].priority: not a whole number"},
    {"priority a string", BRIEF("\"x\"", SEC_FULL("reply", "T", "red", "reply", "\"1\"", ITEM(K1, "r"))), "$.sections[0].priority: not a whole number"},
    {"title too long", BRIEF("\"x\"", SEC_FULL("reply", X40 "y", "red", "reply", "1", ITEM(K1, "r"))), "$.sections[0].title: 41 characters"},
    {"no items", BRIEF("\"x\"", SEC("reply", "")), "$.sections[0].items: 0 elements"},
    {"six items", BRIEF("\"x\"", SEC("reply", ITEM(K1, "r") "," ITEM(K2, "r") "," ITEM("github.com/o/b#3", "r") "," ITEM("github.com/o/b#4", "r") "," ITEM("github.com/o/c#8", "r") "," ITEM("github.com/me/x#5", "r"))),
     "$.sections[0].items: 6 elements"},
    {"invented item", BRIEF("\"x\"", SEC("reply", ITEM("github.com/evil/x#1", "r"))), "$.sections[0].items[0].key: not one of the given items"},
    {"an item the briefing does not name", BRIEF("\"x\"", SEC("reply", ITEM("github.com/me/x#7", "r"))), "$.sections[0].items[0].key: not one of the given items"},
    {"item twice", BRIEF("\"x\"", SEC("reply", ITEM(K1, "r")) "," SEC("work", ITEM(K1, "r"))), "$.sections[1].items[0].key: appears twice"},
    {"key with a control character", BRIEF("\"x\"", SEC("reply", ITEM(K1 "\\u0001", "r"))), "$.sections[0].items[0].key: holds a control character"},
    {"reason too long", BRIEF("\"x\"", SEC("reply", ITEM(K1, X160 "y"))), "$.sections[0].items[0].reason: 161 characters"},
    {"item with a url", BRIEF("\"x\"", SEC("reply", "{\"key\":\"" K1 "\",\"reason\":\"r\",\"url\":\"https://evil.example\"}")), "$.sections[0].items[0].url: not a member"},
    {"item without a reason", BRIEF("\"x\"", SEC("reply", "{\"key\":\"" K1 "\"}")), "$.sections[0].items[0].reason: missing"},
    {"item a string", BRIEF("\"x\"", SEC("reply", "\"" K1 "\"")), "$.sections[0].items[0]: not an object"},
};

static const char good_llm[] =
    BRIEF("\"Two reviews wait on you; the parser first.\"",
          SEC_FULL("reply", "Reply first", "amber", "bell", "1", ITEM(K1, "The parser has waited 5 days") "," ITEM(K2, "Small lexer fix")) ","
          SEC_FULL("gfi", "Starters", "green", "star", "2", ITEM("github.com/o/d#10", "A typo")));

static cJSON *llm_put(hub *h, int64_t now, const char *hash, const char *briefing_json) {
  return tu_call(h, "{\"cmd\":\"brief_llm\",\"now\":%lld,\"hash\":\"%s\",\"prompt_hash\":\"p1\",\"model\":\"m-1\",\"briefing\":%s}",
                 (long long)now, hash, briefing_json);
}

static void test_schema_table(void) {
  hub *h = scene_db(0);
  cJSON *r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
  char hash[17], *before = brief_text(h, NOW, NULL), *after;
  size_t i;
  long rows;
  snprintf(hash, sizeof hash, "%s", S(r, "brief.hash"));
  cJSON_Delete(r);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rows = tu_count(h, "SELECT count(*) FROM briefings WHERE error_kind='invalid'");
    r = llm_put(h, NOW, hash, bad[i].json);
    CHECK(S(r, "error.code") && strcmp(S(r, "error.code"), "bad_request") == 0 &&
              strcmp(S(r, "error.field"), "briefing") == 0 && strstr(S(r, "error.message"), bad[i].where),
          "schema refuses %s: want \"%s\", got %s", bad[i].name, bad[i].where,
          S(r, "error.message") ? S(r, "error.message") : "no error");
    CHECK(tu_count(h, "SELECT count(*) FROM briefings WHERE error_kind='invalid'") == rows + 1,
          "schema: the refusal of %s is recorded with its kind", bad[i].name);
    cJSON_Delete(r);
  }
  after = brief_text(h, NOW, NULL);
  CHECK(strcmp(before, after) == 0, "schema: after %zu refused replies the briefing served is byte for byte the same",
        sizeof bad / sizeof bad[0]);
  free(after);
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "llm"), "ok")) &&
            strcmp(S(r, "llm.kind"), "invalid") == 0 && strstr(S(r, "llm.message"), "$.sections"),
        "schema: the latest attempt's refusal is visible as llm.kind");
  cJSON_Delete(r);
  /* and the good one passes */
  r = llm_put(h, NOW, hash, good_llm);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "stored")), "schema: a good LLM briefing is stored (%s)",
        S(r, "error.message") ? S(r, "error.message") : "ok");
  cJSON_Delete(r);
  free(before);
  hub_close(h);
}

static void test_other_schemas(void) {
  static const struct {
    const char *schema, *json, *where; /* where NULL: valid */
  } t[] = {
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":1,\"first_steps\":[\"Open README.md\"]}", NULL},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":0,\"first_steps\":[\"Open README.md\"]}", "$.difficulty"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":6,\"first_steps\":[\"Open README.md\"]}", "$.difficulty"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2.5,\"first_steps\":[\"Open README.md\"]}", "$.difficulty"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":\"2\",\"first_steps\":[\"Open README.md\"]}", "$.difficulty"},
      {"gfi_intro", "{\"intro\":\"Too short for an intro, really.\",\"difficulty\":2,\"first_steps\":[\"Open README.md\"]}", "$.intro: 31 characters"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2,\"first_steps\":[]}", "$.first_steps: 0 elements"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2,\"first_steps\":[\"Fork\"]}", "$.first_steps[0]: 4 characters"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2,\"first_steps\":[\"a step\",\"a step\",\"a step\",\"a step\",\"a step\",\"a step\"]}", "$.first_steps: 6 elements"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2}", "$.first_steps: missing"},
      {"gfi_intro", "{\"intro\":\"This issue asks for a typo fix in the README file. It is small.\",\"difficulty\":2,\"first_steps\":[\"Open README.md\"],\"time\":\"1h\"}", "$.time: not a member"},
      {"repo_summary", "{\"summary\":\"A parser generator written in C, with beginner issues about documentation.\"}", NULL},
      {"repo_summary", "{\"summary\":\"" X200 X200 X200 X200 "y\"}", "$.summary: 801 characters"},
      {"repo_summary", "{\"summary\":null}", "$.summary: null"},
  };
  size_t i;
  char err[300];
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    cJSON *v = cJSON_Parse(t[i].json);
    int rc = hub__schema_validate(hub__schema_find(t[i].schema), v, NULL, 0, err, sizeof err);
    if (!t[i].where) CHECK(rc == 0, "%s case %zu valid (%s)", t[i].schema, i, err);
    else CHECK(rc == -1 && strstr(err, t[i].where), "%s case %zu refused at %s (%s)", t[i].schema, i, t[i].where, err);
    cJSON_Delete(v);
  }
}

/* ---- the LLM briefing cache ------------------------------------------------------------- */

static void test_llm_cache(void) {
  hub *h = scene_db(0);
  cJSON *r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", NOW);
  char hash[17], *rules;
  snprintf(hash, sizeof hash, "%s", S(r, "brief.hash"));
  cJSON_Delete(r);
  rules = brief_text(h, NOW, NULL);
  r = llm_put(h, NOW, "0000000000000000", good_llm);
  CHECK(S(r, "error.code") && strcmp(S(r, "error.code"), "state") == 0 &&
            tu_count(h, "SELECT count(*) FROM briefings WHERE kind='llm'") == 0,
        "cache: a briefing for other items is refused, nothing stored");
  cJSON_Delete(r);
  cJSON_Delete(llm_put(h, NOW, hash, good_llm));
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW + H_MS);
  CHECK(strcmp(S(r, "brief.source"), "llm") == 0 && strcmp(S(r, "brief.model"), "m-1") == 0 &&
            tu_num(r, "brief.at") == (double)NOW &&
            strcmp(S(r, "brief.headline"), "Two reviews wait on you; the parser first.") == 0 &&
            strcmp(S(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "brief"), "items"), K1), "title"),
                   "Add the parser") == 0,
        "cache: an hour later the LLM's briefing is served, written by m-1 at its time, items from the database");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "llm"), "ok")) && strcmp(S(r, "llm.prompt_hash"), "p1") == 0,
        "cache: the latest attempt is the good one");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"source\":\"rules\"}", NOW + H_MS);
  CHECK(strcmp(S(r, "brief.source"), "rules") == 0, "cache: source rules asks for the rule-built one");
  cJSON_Delete(r);
  /* a failure after it leaves the good one served */
  cJSON_Delete(tu_call(h, "{\"cmd\":\"brief_llm\",\"now\":%lld,\"hash\":\"%s\",\"prompt_hash\":\"p2\",\"model\":\"m-1\","
                          "\"error\":{\"kind\":\"retryable\",\"message\":\"429 from the provider\"},\"retry_at\":%lld}",
                       NOW + 2 * H_MS, hash, NOW + 3 * H_MS));
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW + 2 * H_MS);
  CHECK(strcmp(S(r, "brief.source"), "llm") == 0 && strcmp(S(r, "llm.kind"), "retryable") == 0 &&
            tu_num(r, "llm.retry_at") == (double)(NOW + 3 * H_MS),
        "cache: a later failure is recorded with its kind and retry time; the fresh LLM briefing stays");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW + 4 * H_MS + 1);
  CHECK(strcmp(S(r, "brief.source"), "rules") == 0, "cache: after 4 h the LLM's briefing expires: rules again");
  cJSON_Delete(r);
  retitle(h, "github.com/o/a#2", "Fix the lexer, again");
  r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW + H_MS);
  CHECK(strcmp(S(r, "brief.source"), "rules") == 0, "cache: the items changed: the LLM's briefing no longer applies");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"brief_llm\",\"now\":1,\"hash\":\"%s\",\"prompt_hash\":\"p\",\"model\":\"m\",\"error\":{\"kind\":\"Bad Kind!\"}}", hash);
  CHECK(S(r, "error.code") != NULL, "cache: an error kind outside a-z_ is refused");
  cJSON_Delete(r);
  free(rules);
  hub_close(h);
}

/* ---- the AI queue -------------------------------------------------------------------------- */

static void gfi_scene(hub *h) {
  static const char *const repos[] = {"o/q1", "o/q2", "o/q3"};
  static const int per[] = {5, 4, 3};
  char key[64], title[64], detail[64];
  int r, i, n = 1;
  for (r = 0; r < 3; r++)
    for (i = 0; i < per[r]; i++, n++) {
      fx f = {key, "issue", title, "[\"good first issue\"]", 0, 10 + n, 1 + n % 5, 0, "gfi", NULL, detail, NULL};
      snprintf(key, sizeof key, "github.com/%s#%d", repos[r], n);
      snprintf(title, sizeof title, "Starter task %d", n);
      snprintf(detail, sizeof detail, "%s (C)", repos[r]);
      put(h, &f);
    }
  hub__db_exec(h, "INSERT INTO repos(owner,name,label,languages,technologies,source,hash,first_seen,changed)"
                  " VALUES('o','q1','good first issue','[\"C\",\"Rust\"]','[\"C\"]','test','h',1,1)");
}

static cJSON *claim(hub *h, int64_t now) { return tu_call(h, "{\"cmd\":\"ai_claim\",\"now\":%lld}", (long long)now); }

static int64_t entry_id(const cJSON *claimed, int i) {
  return (int64_t)tu_num(cJSON_GetArrayItem(cJSON_GetObjectItem(claimed, "entries"), i), "id");
}

static const char *state_of(hub *h, int64_t id, char *buf, size_t n) {
  char sql[96];
  sqlite3_stmt *st;
  snprintf(sql, sizeof sql, "SELECT state || ':' || attempts FROM ai_queue WHERE id=%lld", (long long)id);
  buf[0] = 0;
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return buf;
}

static cJSON *fail_entry(hub *h, int64_t id, int64_t now, int release) {
  return tu_call(h, "{\"cmd\":\"ai_done\",\"id\":%lld,\"now\":%lld,\"error\":{\"kind\":\"retryable\",\"message\":\"500\"}%s}",
                 (long long)id, (long long)now, release ? ",\"release\":true" : "");
}

#define GOOD_INTRO "{\"intro\":\"This issue asks for a small task in the parser. It is a good start.\",\"difficulty\":2,\"first_steps\":[\"Read the parser\",\"Write a test\"]}"

static void test_queue(void) {
  hub *h = tu_open_memory();
  cJSON *r, *c1, *c2;
  const cJSON *e;
  char st[64];
  int64_t a, b, c, d;
  long long now = NOW;
  int all_gfi = 1;
  gfi_scene(h);
  r = tu_call(h, "{\"cmd\":\"ai_enqueue\",\"now\":%lld}", now);
  CHECK(tu_num(r, "enqueued") == 15 && tu_num(r, "unchanged") == 0, "queue: 12 intros + 3 repositories enqueued (%g)", tu_num(r, "enqueued"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"ai_enqueue\",\"now\":%lld}", now + 1000);
  CHECK(tu_num(r, "enqueued") == 0 && tu_num(r, "unchanged") == 15 && tu_count(h, "SELECT count(*) FROM ai_queue") == 15,
        "queue: unchanged content is not enqueued again, one entry per entity");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"ai_claim\",\"now\":%lld,\"limit\":11}", now);
  CHECK(S(r, "error.field") && strcmp(S(r, "error.field"), "limit") == 0, "queue: batches of 10 at most");
  cJSON_Delete(r);
  c1 = claim(h, now);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c1, "entries")) == 10, "queue: a batch of 10");
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(c1, "entries")) all_gfi &= strcmp(S(e, "kind"), "gfi_intro") == 0 && tu_num(e, "attempts") == 1;
  CHECK(all_gfi, "queue: intros first (priority), each on its first attempt");
  c2 = claim(h, now);
  {
    const cJSON *q11 = NULL;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(c1, "entries")) if (strcmp(S(e, "entity"), "github.com/o/q1#1") == 0) q11 = e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(c2, "entries")) if (strcmp(S(e, "entity"), "github.com/o/q1#1") == 0) q11 = e;
    CHECK(q11 && strcmp(S(q11, "input.title"), "Starter task 1") == 0 && strcmp(S(q11, "input.languages.1"), "Rust") == 0 &&
              strstr(S(q11, "input.excerpt"), "The body"),
          "queue: an intro's input has title, the repo's languages and an excerpt");
    a = (int64_t)tu_num(q11, "id");
  }
  {
    const cJSON *q1 = NULL;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(c2, "entries")) if (strcmp(S(e, "entity"), "github.com/o/q1") == 0) q1 = e;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c2, "entries")) == 5 && strcmp(S(c2, "entries.4.kind"), "repo_summary") == 0 &&
              q1 && cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(q1, "input"), "issues")) == 5 &&
              strcmp(S(q1, "input.technologies.0"), "C") == 0,
          "queue: then the rest; a repository's input lists its issues' titles and technologies");
  }
  r = claim(h, now);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r, "entries")) == 0, "queue: nothing is claimed twice");
  cJSON_Delete(r);

  {
    int64_t others[3];
    int i, n = 0;
    for (i = 0; i < 10 && n < 3; i++)
      if (entry_id(c1, i) != a) others[n++] = entry_id(c1, i);
    b = others[0], c = others[1], d = others[2];
  }
  r = tu_call(h, "{\"cmd\":\"ai_done\",\"id\":%lld,\"now\":%lld,\"hash\":\"abc\",\"model\":\"m-1\",\"output\":" GOOD_INTRO "}",
              (long long)a, now);
  CHECK(strcmp(S(r, "state"), "completed") == 0, "queue: a valid output completes the entry");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"card\",\"now\":%lld,\"key\":\"github.com/o/q1#1\"}", now);
  CHECK(tu_num(r, "card.ai.difficulty") == 2 && strcmp(S(r, "card.ai.first_steps.1"), "Write a test") == 0 &&
            strcmp(S(r, "card.ai.model"), "m-1") == 0,
        "queue: the good-first card carries its intro, difficulty and first steps");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"ai\",\"entity\":\"github.com/o/q1#1\"}");
  CHECK(tu_num(r, "outputs.0.output.difficulty") == 2, "queue: the ai command returns the output");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"ai_done\",\"id\":%lld,\"now\":%lld,\"hash\":\"x\",\"model\":\"m\",\"output\":{\"intro\":\"short\",\"difficulty\":9,\"first_steps\":[]}}",
              (long long)b, now);
  CHECK(S(r, "error.field") && strcmp(S(r, "error.field"), "output") == 0 && strcmp(state_of(h, b, st, sizeof st), "pending:1") == 0,
        "queue: an output breaking its schema is refused and counts as a failed attempt (%s)", st);
  cJSON_Delete(r);
  cJSON_Delete(fail_entry(h, c, now, 0));
  CHECK(strcmp(state_of(h, c, st, sizeof st), "pending:1") == 0, "queue: a failure sends it back to pending (%s)", st);
  cJSON_Delete(fail_entry(h, d, now, 1));
  CHECK(strcmp(state_of(h, d, st, sizeof st), "pending:0") == 0, "queue: a release does not count as an attempt (%s)", st);
  r = fail_entry(h, a, now, 0);
  CHECK(S(r, "error.code") && strcmp(S(r, "error.code"), "state") == 0, "queue: a completed entry takes no answer");
  cJSON_Delete(r);

  /* retries: at most 3 attempts */
  {
    int round;
    for (round = 2; round <= 3; round++) {
      cJSON *cl = claim(h, now);
      cJSON_ArrayForEach(e, cJSON_GetObjectItem(cl, "entries")) cJSON_Delete(fail_entry(h, (int64_t)tu_num(e, "id"), now, 0));
      cJSON_Delete(cl);
    }
    CHECK(strcmp(state_of(h, b, st, sizeof st), "failed:3") == 0 && strcmp(state_of(h, c, st, sizeof st), "failed:3") == 0,
          "queue: failed after 3 attempts (%s)", state_of(h, b, st, sizeof st));
    CHECK(strcmp(state_of(h, d, st, sizeof st), "pending:2") == 0, "queue: the released one has had 2 (%s)", st);
    r = claim(h, now);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r, "entries")) == 1 && entry_id(r, 0) == d, "queue: failed entries are not claimed again");
    cJSON_Delete(r);
  }

  /* stale claims: 30 minutes */
  r = claim(h, now + 29 * 60 * 1000);
  CHECK(tu_num(r, "reset") == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "entries")) == 0, "queue: a 29-minute claim is not stale");
  cJSON_Delete(r);
  r = claim(h, now + 31 * 60 * 1000);
  CHECK(tu_num(r, "reset") == 12, "queue: claims older than 30 minutes are reset (%g)", tu_num(r, "reset"));
  CHECK(strcmp(state_of(h, d, st, sizeof st), "failed:3") == 0, "queue: a stale claim on its third attempt fails (%s)", st);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r, "entries")) == 10 && tu_num(r, "entries.0.attempts") == 2,
        "queue: the others are claimed again on their second attempt");
  CHECK(tu_count(h, "SELECT count(*) FROM ai_queue WHERE error_kind='stale' AND state='failed'") == 1,
        "queue: the stale reset is recorded as the entry's last error");
  cJSON_Delete(r);

  /* a changed entity is queued again (same row, attempts cleared); a late answer is refused */
  {
    fx f = {"github.com/o/q1#1", "issue", "Starter task 1, clarified", "[\"good first issue\"]", 0, 11, 2, 0, "gfi", NULL, "o/q1 (C)", NULL};
    put(h, &f);
    r = tu_call(h, "{\"cmd\":\"ai_enqueue\",\"now\":%lld}", now + H_MS);
    CHECK(tu_num(r, "enqueued") == 2 && tu_count(h, "SELECT count(*) FROM ai_queue") == 15,
          "queue: a changed title queues its intro and its repository again (%g), still one row each", tu_num(r, "enqueued"));
    CHECK(strcmp(state_of(h, a, st, sizeof st), "pending:0") == 0, "queue: the changed entity is pending with attempts cleared (%s)", st);
    cJSON_Delete(r);
  }
  /* an entity gone (closed) is dropped when claimed */
  {
    fx f = {"github.com/o/q1#1", "issue", "Starter task 1, clarified", "[\"good first issue\"]", 0, 11, 2, 0, "gfi", NULL, "o/q1 (C)", "closed"};
    put(h, &f);
    r = claim(h, now + 2 * H_MS);
    CHECK(tu_count(h, "SELECT count(*) FROM ai_queue WHERE entity='github.com/o/q1#1' AND kind='gfi_intro'") == 0,
          "queue: a closed issue's entry is dropped at its claim");
    cJSON_Delete(r);
  }
  r = tu_call(h, "{\"cmd\":\"queue\"}");
  CHECK(tu_num(r, "counts.failed") == 3 && tu_num(r, "counts.processing") + tu_num(r, "counts.pending") + tu_num(r, "counts.completed") == 11,
        "queue: counts per state (%g failed)", tu_num(r, "counts.failed"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"last_run\"}");
  CHECK(tu_num(r, "queue.failed") == 3, "queue: the run status shows the queue");
  cJSON_Delete(r);
  cJSON_Delete(c1);
  cJSON_Delete(c2);
  hub_close(h);
}

static void test_meta(void) {
  hub *h = tu_open_memory();
  cJSON *m = tu_call(h, "{\"cmd\":\"meta\"}");
  const cJSON *b = cJSON_GetObjectItem(m, "brief");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(b, "accents")) == 6 && cJSON_GetArraySize(cJSON_GetObjectItem(b, "icons")) == 8 &&
            strcmp(S(b, "kinds.3"), "gfi") == 0,
        "meta: the briefing's accents, icons and kinds");
  {
    /* tu_str's path walk splits on dots only: keys here have none */
    static const char *const path[] = {"schemas", "briefing", "properties", "sections", "items", "properties", "items",
                                       "items", "properties", "key", "item_key"};
    const cJSON *v = b;
    size_t i;
    for (i = 0; i < sizeof path / sizeof path[0]; i++) v = cJSON_GetObjectItem(v, path[i]);
    CHECK(cJSON_IsTrue(v) && tu_num(b, "schemas.gfi_intro.properties.difficulty.max") == 5,
          "meta: the schemas as the core declares them");
  }
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "commands"), "brief_llm"), "writes")) &&
            strcmp(S(m, "commands.brief.writes_with"), "refresh") == 0,
        "meta: brief writes only with refresh");
  cJSON_Delete(m);
  hub_close(h);
}

/* Every allocation of brief, brief_llm, ai_enqueue and ai_claim failing in turn: never a crash,
 * a leak or a half-written answer (an error object or the full answer). */
static void test_oom(void) {
  static const char *const cmds[] = {
      "{\"cmd\":\"brief\",\"now\":1763900000000,\"refresh\":true,\"texts\":true}",
      "{\"cmd\":\"ai_enqueue\",\"now\":1763900000000}",
      "{\"cmd\":\"ai_claim\",\"now\":1763900000000}",
      "{\"cmd\":\"brief_llm\",\"now\":1763900000000,\"hash\":\"%s\",\"prompt_hash\":\"p\",\"model\":\"m\",\"briefing\":%s}",
  };
  size_t c;
  for (c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
    hub *h = scene_db(0);
    long n, fails = 0, oks = 0;
    char cmd[2048];
    cJSON *b;
    if (c == 1 || c == 2) gfi_scene(h); /* the queue's commands need good-first issues */
    b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", NOW);
    snprintf(cmd, sizeof cmd, cmds[c], S(b, "brief.hash"), good_llm); /* the others have no %s */
    cJSON_Delete(b);
    for (n = 1; n < 4000; n++) {
      char *out;
      cJSON *r;
      int ok;
      hub_alloc_fail_at(n);
      out = hub_call(h, cmd);
      hub_alloc_fail_at(0);
      r = out ? cJSON_Parse(out) : NULL;
      ok = r && !cJSON_GetObjectItem(r, "error");
      if (ok) oks++;
      else fails++;
      cJSON_Delete(r);
      hub_free(out);
      if (ok && oks > 3) break; /* past the last allocation that can fail */
    }
    CHECK(oks > 0 && fails > 0, "oom: %s survives failed allocations (%ld failed, %ld ok)", cmds[c], fails, oks);
    hub_close(h);
  }
}

int main(void) {
  test_rules();
  test_headlines();
  test_hash_refresh();
  test_schema_table();
  test_other_schemas();
  test_llm_cache();
  test_queue();
  test_meta();
  test_oom();
  printf("brief tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
