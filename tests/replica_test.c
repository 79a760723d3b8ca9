/*
 * replica_test.c — sync between two databases (src/replica/, tip/share.c, the triage and items
 * imports): a "hubd" database holding the recorded demo account and a "page" database that
 * follows it, two hub handles in one program, natively and in wasm. The page syncs through the
 * real engine and the hubd source; this test plays the network, answering its requests with
 * the hubd handle's own `changes` and `apply` commands, each side on its own simulated clock.
 *   the conflict rule on a table of cases (skewed clocks included);
 *   round trips: the page shows hubd's cards in hubd's order with hubd's scores, its LLM
 *   briefing, its deletions; a done in the page reaches hubd, which queues it for GitHub once;
 *   hubd's triage reaches the page; undo; both converge to the same state and stamps;
 *   concurrent actions and skewed clocks through the whole exchange; tip feedback once;
 *   paging and cursors (another database's cursor starts over);
 *   a malformed, truncated or oversized batch refused with everything kept, from a command or
 *   from hubd's answer inside a run; hubd unreachable: the run ends "offline", the page works on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "triage/triage.h"
#include "replica/replica.h"

#define T0 1763900000000LL /* the simulated clock's start (as fixture_test) */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL
#define KEY "s3cret-hubd-key"
#define HUBD "http://127.0.0.1:9"

#define K_1347 "github.com/octocat/Hello-World#1347"   /* thread 17000000059 */
#define K_1520 "github.com/octokit/octokit.rb#1520"    /* thread 17000000020 */
#define K_1512 "github.com/octokit/octokit.rb#1512"
#define K_6210 "github.com/github-linguist/linguist#6210"
#define K_6215 "github.com/github-linguist/linguist#6215"
#define K_6198 "github.com/github-linguist/linguist#6198"
#define K_1498 "github.com/octokit/octokit.rb#1498"
#define K_21 "github.com/octocat/Spoon-Knife#21"

/* hubd's database: the demo account after one sync at T0. */
static hub *hubd_db(void) {
  const char *dirs[] = {"tests/exchanges/demo"};
  char err[256];
  replay *r = replay_load(dirs, 1, "https://api.github.com", err, sizeof err);
  hub *h = tu_open_memory();
  int64_t now = T0;
  cJSON *run;
  if (!r) {
    fprintf(stderr, "replay_load: %s\n", err);
    exit(1);
  }
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"demo-token\"}}"));
  run = tu_sync(h, r, &now, NULL, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "hubd's demo sync ok");
  cJSON_Delete(run);
  replay_free(r);
  return h;
}

/* A page that follows hubd. */
static hub *page_db(void) {
  hub *h = tu_open_memory();
  cJSON *r = tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"hubd_url\":\"" HUBD "/\",\"hubd_key\":\"" KEY "\"}}");
  CHECK(!tu_str(r, "error.code"), "the page's hubd settings are taken (%s)", tu_str(r, "error.message"));
  cJSON_Delete(r);
  return h;
}

static int ok(cJSON *r, const char *what) {
  const char *e = tu_str(r, "error.message");
  if (e) fprintf(stderr, "  %s: %s\n", what, e);
  cJSON_Delete(r);
  return e == NULL;
}

static int act(hub *h, int64_t now, const char *action, const char *key) {
  cJSON *r = tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"%s\",\"keys\":[\"%s\"],\"until\":%lld}",
                     (long long)now, action, key, (long long)(now + DAY));
  int n = tu_str(r, "error.code") ? -1 : (int)tu_num(r, "changed");
  if (n < 0) fprintf(stderr, "  triage %s: %s\n", action, tu_str(r, "error.message"));
  cJSON_Delete(r);
  return n;
}

/* 1 when query q (at now) shows key. */
static int shows(hub *h, int64_t now, const char *q, const char *key) {
  cJSON *r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"q\":\"%s\",\"limit\":200}", (long long)now, q), *c;
  int yes = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "cards")) yes |= strcmp(tu_str(c, "key"), key) == 0;
  cJSON_Delete(r);
  return yes;
}

/* The cards at now, as "key rank" lines in the order shown. New string. */
static char *cards_text(hub *h, int64_t now) {
  cJSON *r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"limit\":200}", (long long)now), *c;
  hub__buf b;
  char line[400];
  hub__buf_init(&b, 1u << 20);
  hub__buf_str(&b, "");
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "cards")) {
    snprintf(line, sizeof line, "%s %.6f\n", tu_str(c, "key"), tu_num(c, "score"));
    hub__buf_str(&b, line);
  }
  cJSON_Delete(r);
  return b.p;
}

/* Every item's triage row and stamp, one line each. New string. */
static char *triage_text(hub *h) {
  sqlite3_stmt *st = NULL;
  hub__buf b;
  hub__buf_init(&b, 1u << 20);
  hub__buf_str(&b, "");
  sqlite3_prepare_v2(h->db,
                     "SELECT i.key, t.read, t.done_at, t.snoozed_until, t.saved, t.muted, t.dismissed, s.at, s.origin, s.ctr"
                     " FROM items i LEFT JOIN triage t ON t.item_id = i.id LEFT JOIN replica_stamps s ON s.item_id = i.id"
                     " ORDER BY i.key",
                     -1, &st, NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    int i;
    for (i = 0; i < 10; i++) {
      const char *t = (const char *)sqlite3_column_text(st, i);
      hub__buf_str(&b, i ? "|" : "");
      hub__buf_str(&b, t ? t : "-");
    }
    hub__buf_str(&b, "\n");
  }
  sqlite3_finalize(st);
  return b.p;
}

/* Both sides hold the same triage rows and stamps. */
static int converged(hub *a, hub *b) {
  char *x = triage_text(a), *y = triage_text(b);
  int same = x && y && strcmp(x, y) == 0;
  if (!same) fprintf(stderr, "--- hubd\n%s--- page\n%s", x ? x : "", y ? y : "");
  hub_free(x);
  hub_free(y);
  return same;
}

/* ---- the network between the page and hubd ---------------------------------------------------- */

typedef struct {
  int offline;       /* every request fails before an answer */
  int corrupt_pull;  /* the first GET's answer gets a malformed change */
  int pushes, pulls; /* requests answered */
  int key_ok;        /* every request carried the key */
  long status;       /* the last answer's status */
} net;

/* hubd's answer to one planned request, as the sync_feed command's members. */
static cJSON *answer(hub *hubd, int64_t hubd_now, net *n, const cJSON *f) {
  const char *url = tu_str(f, "url"), *method = tu_str(f, "method"), *auth = tu_str(f, "headers.Authorization");
  const char *q = strstr(url, "?");
  cJSON *req = cJSON_CreateObject(), *res, *feed = cJSON_CreateObject();
  char *in, *out, since[128] = "";
  int key_ok = auth && strcmp(auth, "Bearer " KEY) == 0;
  n->key_ok &= key_ok && strncmp(url, HUBD "/api/changes", strlen(HUBD) + 12) == 0;
  if (!key_ok) { /* hubd's 401 */
    cJSON_AddNumberToObject(feed, "status", 401);
    cJSON_AddItemToObject(feed, "headers", cJSON_CreateObject());
    cJSON_AddStringToObject(feed, "body", "{\"error\":{\"code\":\"unauthorized\",\"message\":\"a Bearer key is needed\"}}");
    cJSON_Delete(req);
    return feed;
  }
  cJSON_AddNumberToObject(req, "now", (double)hubd_now);
  if (strcmp(method, "POST") == 0) {
    cJSON *body = cJSON_Parse(tu_str(f, "body"));
    n->pushes++;
    cJSON_AddStringToObject(req, "cmd", "apply");
    cJSON_AddStringToObject(req, "scope", "actions");
    cJSON_AddStringToObject(req, "origin", tu_str(body, "origin"));
    cJSON_AddItemToObject(req, "changes", cJSON_DetachItemFromObject(body, "changes"));
    cJSON_Delete(body);
  } else {
    n->pulls++;
    cJSON_AddStringToObject(req, "cmd", "changes");
    if (q && sscanf(q, "?since=%127[^&]", since) == 1) cJSON_AddStringToObject(req, "since", since);
  }
  in = cJSON_PrintUnformatted(req);
  out = hub_call(hubd, in);
  res = cJSON_Parse(out);
  if (n->corrupt_pull && strcmp(method, "GET") == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(res, "changes")) > 1) {
    cJSON *item = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "changes"), 1), "item");
    if (item) cJSON_ReplaceItemInObject(item, "title", cJSON_CreateNumber(5));
    n->corrupt_pull = 0;
  }
  n->status = tu_str(res, "error.code") ? 400 : 200;
  cJSON_AddNumberToObject(feed, "status", (double)n->status);
  cJSON_AddItemToObject(feed, "headers", cJSON_CreateObject());
  {
    char *text = cJSON_PrintUnformatted(res);
    cJSON_AddStringToObject(feed, "body", text ? text : "");
    cJSON_free(text);
  }
  cJSON_free(in);
  hub_free(out);
  cJSON_Delete(req);
  cJSON_Delete(res);
  return feed;
}

/* One whole sync of the page (clock page_now) with hubd (clock hubd_now). Returns the run. */
static cJSON *sync_with(hub *page, int64_t page_now, hub *hubd, int64_t hubd_now, net *n) {
  cJSON *res = tu_call(page, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)page_now), *run = NULL;
  int guard = 0;
  n->key_ok = 1;
  if (tu_str(res, "error.code")) {
    fprintf(stderr, "  sync_start: %s\n", tu_str(res, "error.message"));
    cJSON_Delete(res);
    return NULL;
  }
  cJSON_Delete(res);
  while (guard++ < 1000) {
    const cJSON *f;
    res = tu_call(page, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)page_now);
    if (cJSON_IsTrue(cJSON_GetObjectItem(res, "done")) || tu_str(res, "error.code")) break;
    if (cJSON_IsNumber(cJSON_GetObjectItem(res, "wait_until"))) page_now = (int64_t)tu_num(res, "wait_until");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(res, "fetch")) {
      cJSON *feed = n->offline ? cJSON_CreateObject() : answer(hubd, hubd_now, n, f);
      char *text, *out;
      cJSON_AddStringToObject(feed, "cmd", "sync_feed");
      cJSON_AddNumberToObject(feed, "id", tu_num(f, "id"));
      cJSON_AddNumberToObject(feed, "now", (double)page_now);
      if (n->offline) {
        cJSON_AddStringToObject(feed, "error", "offline: connection refused");
        cJSON_AddTrueToObject(feed, "offline");
      }
      text = cJSON_PrintUnformatted(feed);
      out = hub_call(page, text);
      ok(cJSON_Parse(out), "sync_feed");
      hub_free(out);
      cJSON_free(text);
      cJSON_Delete(feed);
    }
    cJSON_Delete(res);
    page_now += 5;
  }
  run = cJSON_DetachItemFromObject(res, "run");
  cJSON_Delete(res);
  return run;
}

/* ---- the rule on a table of cases ----------------------------------------------------------- */

static hub__stamp st(int64_t at, const char *origin, int64_t ctr) {
  hub__stamp s;
  memset(&s, 0, sizeof s);
  s.at = at;
  s.ctr = ctr;
  snprintf(s.origin, sizeof s.origin, "%s", origin);
  return s;
}

static void rule_table(void) {
  static const struct {
    const char *name;
    hub__scope scope;
    int has_local, pending;
    int64_t l_at, l_ctr, i_at, i_ctr, now;
    const char *l_origin, *i_origin;
    hub__verdict want;
    int64_t want_at;
  } cases[] = {
      /* hubd hears from a device (scope actions) */
      {"first action on an item", HUB_SCOPE_ACTIONS, 0, 0, 0, 0, 1000, 1, 2000, "", "aa", HUB_TAKE, 1000},
      {"a later action wins", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1500, 1, 2000, "bb", "aa", HUB_TAKE, 1500},
      {"an earlier action loses", HUB_SCOPE_ACTIONS, 1, 0, 1500, 4, 1000, 9, 2000, "bb", "aa", HUB_KEEP, 1000},
      {"same ms: the greater origin wins", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1000, 1, 2000, "aa", "bb", HUB_TAKE, 1000},
      {"same ms: the smaller origin loses", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1000, 9, 2000, "bb", "aa", HUB_KEEP, 1000},
      {"a clock a day ahead counts as hubd's now", HUB_SCOPE_ACTIONS, 1, 0, 1900, 4, 1000 + DAY, 1, 2000, "bb", "aa",
       HUB_TAKE, 2000},
      {"… and loses to what hubd took after its now", HUB_SCOPE_ACTIONS, 1, 0, 2100, 4, 1000 + DAY, 1, 2000, "bb", "aa",
       HUB_KEEP, 2000},
      {"a clock an hour behind loses a concurrent action", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1000 - HOUR, 2, 2000, "bb",
       "aa", HUB_KEEP, 1000 - HOUR},
      {"… but not one it saw (at = seen + 1)", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1001, 2, 2000, "bb", "aa", HUB_TAKE,
       1001},
      {"the same action again: nothing", HUB_SCOPE_ACTIONS, 1, 0, 1000, 4, 1000, 4, 2000, "aa", "aa", HUB_KEEP, 1000},
      {"the same action, bounded now: hubd keeps the smaller time", HUB_SCOPE_ACTIONS, 1, 0, 1500, 4, 1200, 4, 2000,
       "aa", "aa", HUB_RETIME, 1200},
      /* a device hears from hubd (scope all) */
      {"hubd's state when the device has none", HUB_SCOPE_ALL, 0, 0, 0, 0, 1000, 1, 0, "", "bb", HUB_TAKE, 1000},
      {"hubd's state over an acknowledged own action", HUB_SCOPE_ALL, 1, 0, 1500, 4, 1000, 1, 0, "aa", "bb", HUB_TAKE,
       1000},
      {"hubd's state over another device's", HUB_SCOPE_ALL, 1, 0, 1500, 4, 1000, 1, 0, "cc", "bb", HUB_TAKE, 1000},
      {"an own action hubd has not heard of yet stays", HUB_SCOPE_ALL, 1, 1, 1500, 4, 1000, 1, 0, "aa", "bb", HUB_KEEP,
       1000},
      {"… unless hubd's is later", HUB_SCOPE_ALL, 1, 1, 1500, 4, 1600, 1, 0, "aa", "bb", HUB_TAKE, 1600},
      {"the device adopts hubd's bound on its own action", HUB_SCOPE_ALL, 1, 0, 1000 + DAY, 4, 2000, 4, 0, "aa", "aa",
       HUB_RETIME, 2000},
      {"a device never bounds hubd's time by its own clock", HUB_SCOPE_ALL, 0, 0, 0, 0, 5000, 1, 1000, "", "bb", HUB_TAKE,
       5000},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hub__stamp l = st(cases[i].l_at, cases[i].l_origin, cases[i].l_ctr), in = st(cases[i].i_at, cases[i].i_origin, cases[i].i_ctr), out;
    hub__verdict v = hub__replica_decide(cases[i].scope, cases[i].has_local ? &l : NULL, cases[i].pending, &in, cases[i].now, &out);
    CHECK(v == cases[i].want && (v == HUB_KEEP || out.at == cases[i].want_at), "rule: %s (verdict %d, at %lld)",
          cases[i].name, (int)v, (long long)out.at);
  }
  {
    hub__stamp a = st(5, "aa", 1), b = st(5, "aa", 2), c = st(9, "aa", 1);
    CHECK(hub__stamp_cmp(&a, &b) < 0 && hub__stamp_cmp(&b, &a) > 0 && hub__stamp_cmp(&a, &c) == 0,
          "stamps: (ms, origin, counter) in order; origin and counter name one action");
  }
}

/* ---- round trips -------------------------------------------------------------------------------- */

static void round_trip(void) {
  hub *hubd = hubd_db(), *page = page_db();
  int64_t now = T0 + MIN;
  net n;
  cJSON *run, *r;
  char *a, *b;
  long items = tu_count(hubd, "SELECT count(*) FROM items");
  memset(&n, 0, sizeof n);

  /* the first sync: everything hubd has */
  run = sync_with(page, now, hubd, now, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0 && (long)tu_num(run, "new") == items,
        "first sync through hubd: ok, %ld new (%s, %.0f new)", items, run ? tu_str(run, "status") : "none", run ? tu_num(run, "new") : -1);
  CHECK(run && tu_num(run, "sources.hubd.requests") == 1 && n.pulls == 1 && n.pushes == 0 && n.key_ok,
        "one GET, no push (nothing of the page's own), the key sent to hubd");
  cJSON_Delete(run);
  a = tu_dump_items(hubd);
  b = tu_dump_items(page);
  CHECK(items > 5 && strcmp(a, b) == 0, "the page holds hubd's items: fields, reasons, hash, score");
  hub_free(a);
  hub_free(b);
  a = cards_text(hubd, now);
  b = cards_text(page, now);
  CHECK(strcmp(a, b) == 0 && strlen(a) > 100, "the page shows hubd's cards in hubd's order with hubd's scores");
  hub_free(a);
  hub_free(b);
  CHECK(tu_count(page, "SELECT count(*) FROM outbox") == 0 && tu_count(page, "SELECT count(*) FROM gh_threads") == 0,
        "the page has no GitHub threads and queues nothing for GitHub (hubd does)");

  /* a done in the page reaches hubd, which tells GitHub once */
  CHECK(act(page, now + 1000, "done", K_1347) == 1 && act(page, now + 2000, "save", K_1520) == 1, "page: done, save");
  run = sync_with(page, now + 3000, hubd, now + 3000, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0 && tu_num(run, "sources.hubd.pushed") == 2,
        "the next sync pushes the page's two actions (%s)", run ? tu_str(run, "status") : "none");
  cJSON_Delete(run);
  CHECK(shows(hubd, now + 4000, "is:done", K_1347) && shows(hubd, now + 4000, "is:saved", K_1520) &&
            !shows(hubd, now + 4000, "", K_1347),
        "hubd: the page's done and save are its state now");
  CHECK(tu_count(hubd, "SELECT count(*) FROM outbox WHERE state='pending' AND action='done' AND thread_id='17000000059'") == 1 &&
            tu_count(hubd, "SELECT count(*) FROM outbox WHERE state='pending'") == 1,
        "hubd queued the done for GitHub, once (a save is not GitHub's)");
  CHECK(converged(hubd, page), "both hold the same triage rows and stamps");
  run = sync_with(page, now + 5000, hubd, now + 5000, &n);
  CHECK(run && tu_num(run, "sources.hubd.pushed") <= 0 && tu_num(run, "new") == 0 && tu_num(run, "updated") == 0 &&
            tu_count(hubd, "SELECT count(*) FROM outbox") == 1,
        "a sync with nothing new: nothing pushed, nothing new or updated, nothing queued twice");
  cJSON_Delete(run);

  /* hubd's own triage reaches the page; undo in the page goes back */
  CHECK(act(hubd, now + 6000, "read", K_1512) == 1, "hubd: read");
  CHECK(tu_num(r = tu_call(page, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)(now + 7000)), "restored") == 1, "page: undo the save");
  cJSON_Delete(r);
  run = sync_with(page, now + 8000, hubd, now + 8000, &n);
  cJSON_Delete(run);
  CHECK(shows(page, now + 9000, "is:read", K_1512) && !shows(hubd, now + 9000, "is:saved", K_1520) &&
            shows(page, now + 9000, "is:done", K_1347),
        "the page has hubd's read; hubd lost the undone save; the done stays");
  CHECK(converged(hubd, page), "converged after actions on both sides");

  /* an LLM briefing written on hubd is the page's, for the same items */
  r = tu_call(hubd, "{\"cmd\":\"brief\",\"now\":%lld}", (long long)(now + 10000));
  {
    cJSON *br = cJSON_Duplicate(cJSON_GetObjectItem(r, "brief"), 1);
    char *text;
    cJSON *s;
    static const char *const dressing[] = {"source", "model", "at", "hash", "counts", "items"};
    size_t i;
    for (i = 0; i < 6; i++) cJSON_DeleteItemFromObject(br, dressing[i]);
    cJSON_ReplaceItemInObject(br, "headline", cJSON_CreateString("Written by the model on hubd."));
    text = cJSON_PrintUnformatted(br);
    s = tu_call(hubd, "{\"cmd\":\"brief_llm\",\"now\":%lld,\"hash\":\"%s\",\"prompt_hash\":\"p\",\"model\":\"m-1\",\"briefing\":%s}",
                (long long)(now + 10000), tu_str(r, "brief.hash"), text);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(s, "stored")), "hubd stores an LLM briefing (%s)", tu_str(s, "error.message"));
    cJSON_Delete(s);
    cJSON_free(text);
    cJSON_Delete(br);
  }
  cJSON_Delete(r);
  run = sync_with(page, now + 11000, hubd, now + 11000, &n);
  cJSON_Delete(run);
  r = tu_call(page, "{\"cmd\":\"brief\",\"now\":%lld}", (long long)(now + 12000));
  CHECK(tu_str(r, "brief.source") && strcmp(tu_str(r, "brief.source"), "llm") == 0 &&
            strcmp(tu_str(r, "brief.headline"), "Written by the model on hubd.") == 0,
        "the page serves hubd's LLM briefing (its items and scores are hubd's: same hash) (%s)", tu_str(r, "brief.source"));
  cJSON_Delete(r);

  /* an item deleted on hubd is deleted on the page */
  CHECK(hub__db_begin(hubd) == 0 && hub__items_forget(hubd, hub__items_id(hubd, K_21)) == 1 && hub__db_commit(hubd) == 0,
        "hubd forgets an item");
  run = sync_with(page, now + 13000, hubd, now + 13000, &n);
  CHECK(run && tu_num(run, "sources.hubd.gone") == 1 && hub__items_id(page, K_21) == 0, "… and so does the page");
  cJSON_Delete(run);

  /* tip feedback in the page teaches hubd, once */
  r = tu_call(page, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":1}", (long long)(now + 14000));
  {
    long dec = (long)tu_num(r, "decision");
    cJSON_Delete(r);
    r = tu_call(page, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"helpful\"}", dec,
                (long long)(now + 15000));
    CHECK(dec > 0 && cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "page: a tip and a reaction");
    cJSON_Delete(r);
  }
  run = sync_with(page, now + 16000, hubd, now + 16000, &n);
  cJSON_Delete(run);
  run = sync_with(page, now + 17000, hubd, now + 17000, &n);
  cJSON_Delete(run);
  CHECK(tu_count(hubd, "SELECT count(*) FROM tip_decisions WHERE origin IS NOT NULL") == 1 &&
            tu_count(hubd, "SELECT count(*) FROM tip_reactions r JOIN tip_decisions d ON d.id = r.decision_id"
                           " WHERE d.origin IS NOT NULL AND r.reaction = 'helpful'") == 1 &&
            tu_count(hubd, "SELECT count(*) FROM tip_models WHERE updates > 0") >= 1,
        "hubd logged the page's decision and reaction once and learned from it");

  hub_close(page);
  hub_close(hubd);
}

/* ---- conflicts through the whole exchange ------------------------------------------------------- */

static void conflicts(void) {
  hub *hubd = hubd_db(), *page = page_db();
  int64_t t = T0 + HOUR; /* hubd's clock; the page's may differ */
  net n;
  cJSON *run;
  memset(&n, 0, sizeof n);
  cJSON_Delete(sync_with(page, t, hubd, t, &n));

  /* concurrent: hubd done at t+10 s, the page snoozes at t+20 s: the later (the page's) wins */
  CHECK(act(hubd, t + 10000, "done", K_6210) == 1 && act(page, t + 20000, "snooze", K_6210) == 1, "concurrent actions");
  cJSON_Delete(sync_with(page, t + 30000, hubd, t + 30000, &n));
  CHECK(shows(hubd, t + 40000, "is:snoozed", K_6210) && !shows(hubd, t + 40000, "is:done", K_6210) &&
            shows(page, t + 40000, "is:snoozed", K_6210) && !shows(page, t + 40000, "is:done", K_6210),
        "the later action (the page's snooze) wins on both sides");
  CHECK(converged(hubd, page), "converged (concurrent, page later)");

  /* concurrent the other way: the page at t+50 s, hubd at t+60 s: hubd's wins */
  CHECK(act(page, t + 50000, "done", K_6215) == 1 && act(hubd, t + 60000, "save", K_6215) == 1, "concurrent again");
  run = sync_with(page, t + 70000, hubd, t + 70000, &n);
  CHECK(run && tu_num(run, "sources.hubd.pushed_stale") == 1, "hubd refused the page's older action as stale");
  cJSON_Delete(run);
  CHECK(shows(page, t + 80000, "is:saved", K_6215) && !shows(page, t + 80000, "is:done", K_6215) &&
            !shows(hubd, t + 80000, "is:done", K_6215),
        "the later action (hubd's save) wins on both sides; the page's done is gone");
  CHECK(converged(hubd, page), "converged (concurrent, hubd later)");

  /* a page whose clock runs a day ahead: its action counts as when hubd heard of it, so hubd's
   * action a minute later wins, on both sides */
  CHECK(act(page, t + DAY + 90000, "done", K_6198) == 1, "page (a day ahead): done");
  cJSON_Delete(sync_with(page, t + DAY + 91000, hubd, t + 100000, &n));
  CHECK(shows(hubd, t + 101000, "is:done", K_6198) &&
            hub__db_int(hubd, "SELECT at FROM replica_stamps s JOIN items i ON i.id = s.item_id WHERE i.key = '" K_6198 "'",
                        NULL, -1) == t + 100000, /* (tu_count's long is 32 bits in wasm) */
        "hubd took it, stamped with hubd's now");
  CHECK(act(hubd, t + 160000, "undone", K_6198) == 1, "hubd: undone a minute later");
  cJSON_Delete(sync_with(page, t + DAY + 170000, hubd, t + 170000, &n));
  CHECK(!shows(page, t + DAY + 171000, "is:done", K_6198) && !shows(hubd, t + 171000, "is:done", K_6198),
        "hubd's later undone wins over the skewed clock on both sides");
  CHECK(converged(hubd, page), "converged (clock ahead)");

  /* a page whose clock runs an hour behind: an action it takes after seeing hubd's still wins */
  CHECK(act(hubd, t + 200000, "done", K_1498) == 1, "hubd: done");
  cJSON_Delete(sync_with(page, t - HOUR + 210000, hubd, t + 210000, &n));
  CHECK(shows(page, t - HOUR + 211000, "is:done", K_1498), "the page (an hour behind) has hubd's done");
  CHECK(act(page, t - HOUR + 220000, "undone", K_1498) == 1, "page: undone after seeing it");
  cJSON_Delete(sync_with(page, t - HOUR + 230000, hubd, t + 230000, &n));
  CHECK(!shows(hubd, t + 231000, "is:done", K_1498) && !shows(page, t - HOUR + 231000, "is:done", K_1498),
        "the page's undone wins although its clock is behind (its stamp is past the done it saw)");
  CHECK(converged(hubd, page), "converged (clock behind)");

  /* an own action not pushed yet stays when hubd's answer is older */
  CHECK(act(hubd, t + 300000, "read", K_1512) >= 0 && act(page, t + 310000, "mute", K_1512) == 1, "hubd read, page mute");
  cJSON_Delete(sync_with(page, t + 320000, hubd, t + 320000, &n));
  CHECK(shows(hubd, t + 321000, "is:muted", K_1512) && shows(page, t + 321000, "is:muted", K_1512), "the later mute wins");
  CHECK(converged(hubd, page), "converged (own action pending)");
  hub_close(page);
  hub_close(hubd);
}

/* ---- refusals and failures --------------------------------------------------------------------- */

static void refusals(void) {
  hub *hubd = hubd_db(), *page = page_db();
  int64_t now = T0 + MIN;
  net n;
  cJSON *r, *run, *feed;
  char *before, *after, *req, *text;
  int i;
  memset(&n, 0, sizeof n);

  /* a malformed page of hubd's answer: the run fails that request, the page keeps what it had,
   * the cursor stays, and the next sync takes everything */
  n.corrupt_pull = 1;
  run = sync_with(page, now, hubd, now, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") != 0 && tu_count(page, "SELECT count(*) FROM items") == 0 &&
            tu_count(page, "SELECT count(*) FROM settings WHERE k='replica.pull'") == 0,
        "a malformed change from hubd: nothing applied, the cursor kept (%s)", run ? tu_str(run, "status") : "none");
  CHECK(run && strstr(tu_str(run, "errors.0.message"), "changes[1].item: title"), "… and the run says which (%s)",
        run ? tu_str(run, "errors.0.message") : "");
  cJSON_Delete(run);
  run = sync_with(page, now + 1000, hubd, now + 1000, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0 &&
            tu_count(page, "SELECT count(*) FROM items") == tu_count(hubd, "SELECT count(*) FROM items"),
        "the next sync takes everything");
  cJSON_Delete(run);

  /* batches given to apply: refused whole, nothing changed */
  feed = tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"limit\":3}", (long long)now);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(feed, "changes")) == 3 && cJSON_IsTrue(cJSON_GetObjectItem(feed, "more")),
        "a page of 3 changes, more to come");
  before = tu_dump_items(page);
  {
    hub *fresh = page_db();
    char *empty = tu_dump_items(fresh);
    cJSON *changes = cJSON_GetObjectItem(feed, "changes"), *bad = cJSON_Duplicate(cJSON_GetArrayItem(changes, 1), 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bad, "item"), "body", cJSON_CreateNumber(1));
    cJSON_ReplaceItemInArray(changes, 1, bad);
    text = cJSON_PrintUnformatted(changes);
    r = tu_call(fresh, "{\"cmd\":\"apply\",\"now\":%lld,\"changes\":%s}", (long long)now, text);
    after = tu_dump_items(fresh);
    CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "bad_request") == 0 &&
              strstr(tu_str(r, "error.message"), "changes[1].item: body") && strcmp(after, empty) == 0,
          "a batch with one malformed change: refused, naming it, the valid change before it rolled back (%s)",
          tu_str(r, "error.message"));
    cJSON_Delete(r);
    hub_free(after);
    /* truncated: the request cut in the middle */
    req = hub__printf("{\"cmd\":\"apply\",\"now\":%lld,\"changes\":%s}", (long long)now, text);
    req[strlen(req) / 2] = 0;
    r = tu_call(fresh, "%s", req);
    after = tu_dump_items(fresh);
    CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "bad_json") == 0 && strcmp(after, empty) == 0,
          "a truncated batch: bad_json, nothing changed");
    cJSON_Delete(r);
    hub_free(after);
    hub_free(req);
    cJSON_free(text);
    /* oversized: more changes than a batch may hold */
    {
      cJSON *many = cJSON_CreateArray();
      for (i = 0; i < HUB_REPLICA_PAGE_MAX + 1; i++) cJSON_AddItemToArray(many, cJSON_Duplicate(cJSON_GetArrayItem(changes, 0), 1));
      text = cJSON_PrintUnformatted(many);
      r = tu_call(fresh, "{\"cmd\":\"apply\",\"now\":%lld,\"changes\":%s}", (long long)now, text);
      after = tu_dump_items(fresh);
      CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "too_big") == 0 && strcmp(after, empty) == 0,
            "a batch of 1001 changes: too_big, nothing changed");
      cJSON_Delete(r);
      hub_free(after);
      cJSON_free(text);
      cJSON_Delete(many);
    }
    /* what a scope does not carry, a bad stamp, an unknown state member */
    {
      static const char *const bads[] = {
          "[{\"key\":\"k\",\"item\":{},\"triage\":null}]",
          "[{\"key\":\"" K_1347 "\",\"triage\":{\"state\":null,\"stamp\":{\"at\":1,\"origin\":\"XY!\",\"ctr\":1}}}]",
          "[{\"key\":\"" K_1347 "\",\"triage\":{\"state\":{\"done_at\":\"soon\"},\"stamp\":{\"at\":1,\"origin\":\"ab\",\"ctr\":1}}}]",
          "[{\"key\":\"" K_1347 "\",\"triage\":{\"state\":{\"deleted\":1},\"stamp\":{\"at\":1,\"origin\":\"ab\",\"ctr\":1}}}]",
          "[{\"brief\":{\"hash\":\"h\",\"at\":1,\"briefing\":{}}}]",
          "[{\"key\":\"" K_1347 "\",\"brief\":{}}]",
          "{\"key\":\"" K_1347 "\"}",
      };
      size_t k;
      char *hb = triage_text(hubd), *ha;
      for (k = 0; k < sizeof bads / sizeof bads[0]; k++) {
        r = tu_call(hubd, "{\"cmd\":\"apply\",\"now\":%lld,\"scope\":\"actions\",\"origin\":\"ab\",\"changes\":%s}",
                    (long long)now, bads[k]);
        CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "bad_request") == 0, "refused: %s (%s)", bads[k],
              tu_str(r, "error.message"));
        cJSON_Delete(r);
      }
      ha = triage_text(hubd);
      CHECK(strcmp(ha, hb) == 0, "… and hubd's state is as it was");
      hub_free(ha);
      hub_free(hb);
    }
    hub_free(empty);
    hub_close(fresh);
  }
  hub_free(before);

  /* paging: every item comes once through pages of 2; a cursor of another database starts over */
  {
    cJSON *keys = cJSON_CreateObject(), *c, *pg;
    char cursor[128] = "";
    int pages = 0, more = 1;
    while (more && pages < 100) {
      pg = cursor[0] ? tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"limit\":2,\"since\":\"%s\"}", (long long)now, cursor)
                     : tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"limit\":2}", (long long)now);
      cJSON_ArrayForEach(c, cJSON_GetObjectItem(pg, "changes")) if (tu_str(c, "key") && !cJSON_GetObjectItem(keys, tu_str(c, "key")))
          cJSON_AddTrueToObject(keys, tu_str(c, "key"));
      more = cJSON_IsTrue(cJSON_GetObjectItem(pg, "more"));
      snprintf(cursor, sizeof cursor, "%s", tu_str(pg, "next"));
      pages++;
      cJSON_Delete(pg);
    }
    CHECK(cJSON_GetArraySize(keys) == tu_count(hubd, "SELECT count(*) FROM items") && pages > 3,
          "pages of 2: every item once (%d keys, %d pages)", cJSON_GetArraySize(keys), pages);
    cJSON_Delete(keys);
    pg = tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"since\":\"%s\"}", (long long)now, cursor);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(pg, "changes")) == 0 && !cJSON_IsTrue(cJSON_GetObjectItem(pg, "reset")),
          "at the end: nothing more");
    cJSON_Delete(pg);
    pg = tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"since\":\"r1.0123456789abcdef.3\"}", (long long)now);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(pg, "reset")) && cJSON_GetArraySize(cJSON_GetObjectItem(pg, "changes")) > 3,
          "another database's cursor: from the start, reset");
    cJSON_Delete(pg);
    pg = tu_call(hubd, "{\"cmd\":\"changes\",\"now\":%lld,\"since\":\"nope\"}", (long long)now);
    CHECK(tu_str(pg, "error.field") && strcmp(tu_str(pg, "error.field"), "since") == 0, "a malformed cursor is refused");
    cJSON_Delete(pg);
  }
  cJSON_Delete(feed);

  /* hubd unreachable: the run ends offline at once, the page works alone, then converges */
  n.offline = 1;
  run = sync_with(page, now + 5000, hubd, now + 5000, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "offline") == 0 && tu_num(run, "requests") <= 1,
        "hubd unreachable: the run ends as offline (%s)", run ? tu_str(run, "status") : "none");
  cJSON_Delete(run);
  CHECK(act(page, now + 6000, "done", K_1520) == 1 && shows(page, now + 7000, "is:done", K_1520) &&
            shows(page, now + 7000, "", K_1347),
        "… the page still shows its cards and takes a done");
  n.offline = 0;
  cJSON_Delete(sync_with(page, now + 8000, hubd, now + 8000, &n));
  CHECK(shows(hubd, now + 9000, "is:done", K_1520) && converged(hubd, page), "hubd back: the done made meanwhile reaches it");

  /* a wrong key stops the run, saying so */
  ok(tu_call(page, "{\"cmd\":\"settings\",\"set\":{\"hubd_key\":\"wrong\"}}"), "settings");
  run = sync_with(page, now + 10000, hubd, now + 10000, &n);
  CHECK(run && strcmp(tu_str(run, "status"), "error") == 0 && strcmp(tu_str(run, "code"), "token_rejected") == 0 &&
            strstr(tu_str(run, "errors.0.message"), "hubd_key"),
        "a key hubd refuses: the run stops, token_rejected, naming hubd_key (%s)", run ? tu_str(run, "status") : "none");
  cJSON_Delete(run);
  hub_close(page);
  hub_close(hubd);
}

int main(void) {
  rule_table();
  round_trip();
  conflicts();
  refusals();
  printf("replica tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
