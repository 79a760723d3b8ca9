/*
 * triage_test.c — tests of triage (src/triage/), its commands (src/api/inbox.c), the search
 * language wired into cards (src/api/select.c) and the outbox to GitHub (src/sources/outbox.c)
 * on the recorded demo account (tests/exchanges/demo + tests/exchanges/outbox), on a
 * simulated clock:
 *   every state transition, incl. return-on-update and snooze expiry; refused requests;
 *   undo of one action and of a bulk action; bulk by query (and its ceiling);
 *   a table of queries against the demo data through cards; malformed queries;
 *   the outbox after an offline period: exactly the expected requests, in order, coalesced,
 *   no duplicates, a 5xx retried, a 404 dropped with a note, a failure kept for the next sync,
 *   a token rejected, mark-all-read, never sent twice; undo after sending;
 *   tip feedback done → the card leaves the list; saved searches; the auto-done rule;
 *   GitHub's unread taking back a local read; migration 8 from the tip's item states.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "triage/triage.h"

#define T0 1763900000000LL /* 2025-11-23, the simulated clock's start (as fixture_test) */
#define HOUR 3600000LL

/* demo items (tests/golden/demo.txt) and their notification threads */
#define K_1347 "github.com/octocat/Hello-World#1347"   /* thread 17000000059, unread, assigned */
#define K_1351 "github.com/octocat/Hello-World#1351"   /* 17000000072, unread, pull */
#define K_1520 "github.com/octokit/octokit.rb#1520"    /* 17000000020, unread, review_requested */
#define K_1512 "github.com/octokit/octokit.rb#1512"    /* 17000000033, unread, mentioned */
#define K_6210 "github.com/github-linguist/linguist#6210" /* 17000000007, unread */
#define K_6215 "github.com/github-linguist/linguist#6215" /* 17000000046, unread, pull */
#define K_6198 "github.com/github-linguist/linguist#6198" /* 17000000085, unread */
#define K_1498 "github.com/octokit/octokit.rb#1498"    /* 17000000098, read */
#define K_21 "github.com/octocat/Spoon-Knife#21"       /* 17000000111, read, closed */
#define K_8101 "github.com/cli/cli#8101"               /* no thread (assignee search) */
#define API "https://api.github.com"

static replay *load(void) {
  const char *dirs[] = {"tests/exchanges/demo", "tests/exchanges/outbox"};
  char err[256];
  replay *r = replay_load(dirs, 2, API, err, sizeof err);
  if (!r) {
    fprintf(stderr, "replay_load: %s\n", err);
    exit(1);
  }
  return r;
}

static hub *open_at(const char *path) {
  hub *h = NULL;
  char err[256];
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

/* A database holding the demo account after one sync at *now. */
static hub *demo(replay *r, int64_t *now) {
  hub *h = open_at(":memory:");
  cJSON *run;
  *now = T0;
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"demo-token\"}}"));
  run = tu_sync(h, r, now, NULL, NULL, NULL);
  CHECK(run && strcmp(tu_str(run, "status"), "ok") == 0, "demo sync ok (%s)", run ? tu_str(run, "status") : "none");
  cJSON_Delete(run);
  replay_rewind(r);
  return h;
}

/* Runs a request given as a cJSON object (consumed). */
static cJSON *call(hub *h, cJSON *req) {
  char *in = cJSON_PrintUnformatted(req), *out;
  cJSON *res;
  cJSON_Delete(req);
  if (!in) abort();
  out = hub_call(h, in);
  cJSON_free(in);
  res = out ? cJSON_Parse(out) : NULL;
  hub_free(out);
  if (!res) abort();
  return res;
}

/* triage: keys is a comma-separated list (NULL: by query q); until 0: none. */
static cJSON *triage(hub *h, int64_t now, const char *action, const char *keys, const char *q, int64_t until) {
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "triage");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddStringToObject(req, "action", action);
  if (keys) {
    cJSON *a = cJSON_AddArrayToObject(req, "keys");
    char buf[2048], *save = NULL, *k;
    snprintf(buf, sizeof buf, "%s", keys);
    for (k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) cJSON_AddItemToArray(a, cJSON_CreateString(k));
  }
  if (q) cJSON_AddStringToObject(req, "query", q);
  if (until) cJSON_AddNumberToObject(req, "until", (double)until);
  return call(h, req);
}

/* changed count of a triage (or -1 on error, printed). */
static int act(hub *h, int64_t now, const char *action, const char *keys, const char *q, int64_t until) {
  cJSON *r = triage(h, now, action, keys, q, until);
  int n = tu_str(r, "error.code") ? -1 : (int)tu_num(r, "changed");
  if (n < 0) fprintf(stderr, "  triage %s: %s\n", action, tu_str(r, "error.message"));
  cJSON_Delete(r);
  return n;
}

static cJSON *cards(hub *h, int64_t now, const char *q) {
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)now);
  if (q) cJSON_AddStringToObject(req, "q", q);
  return call(h, req);
}

/* The number of cards q shows (its total), -1 on error. */
static int count(hub *h, int64_t now, const char *q) {
  cJSON *r = cards(h, now, q);
  int n = tu_str(r, "error.code") ? -1 : (int)tu_num(r, "total");
  if (!tu_str(r, "error.code") && n != cJSON_GetArraySize(cJSON_GetObjectItem(r, "cards"))) n = -2;
  cJSON_Delete(r);
  return n;
}

/* The card of key among those q shows, or NULL (a copy: free it). */
static cJSON *card_in(hub *h, int64_t now, const char *q, const char *key) {
  cJSON *r = cards(h, now, q), *c, *found = NULL;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "cards")) {
    if (tu_str(c, "key") && strcmp(tu_str(c, "key"), key) == 0) found = cJSON_Duplicate(c, 1);
  }
  cJSON_Delete(r);
  return found;
}

static int shows(hub *h, int64_t now, const char *q, const char *key) {
  cJSON *c = card_in(h, now, q, key);
  int yes = c != NULL;
  cJSON_Delete(c);
  return yes;
}

static int64_t item_id(hub *h, const char *key) { return hub__items_id(h, key); }

/* An upstream update of key at updated_s (seconds), as a sync would write it. */
static void touch(hub *h, const char *key, int64_t updated_s) {
  hub__item it;
  hub__upsert_result res;
  memset(&it, 0, sizeof it);
  it.has = HUB_F_UPDATED;
  it.key = key;
  it.source = "github";
  it.updated_at = updated_s;
  it.reason = -1;
  CHECK(hub__items_put(h, &it, updated_s, &res, NULL) == 0 && res == HUB_UPSERT_UPDATED, "upstream update of %s", key);
}

static long pending(hub *h) { return tu_count(h, "SELECT count(*) FROM outbox WHERE state='pending'"); }

/* ---- every state transition --------------------------------------------------------------- */

static void test_transitions(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *c, *r;
  CHECK(count(h, now, "") == 34, "the inbox shows the 34 open items (%d)", count(h, now, ""));
  c = card_in(h, now, "", K_1347);
  CHECK(c && cJSON_IsTrue(cJSON_GetObjectItem(c, "unread")) && cJSON_IsFalse(cJSON_GetObjectItem(c, "read")) &&
            cJSON_IsFalse(cJSON_GetObjectItem(c, "done")) && cJSON_IsFalse(cJSON_GetObjectItem(c, "saved")) &&
            cJSON_IsNull(cJSON_GetObjectItem(c, "snoozed_until")) && cJSON_IsFalse(cJSON_GetObjectItem(c, "muted")),
        "a card carries its triage state (untouched: GitHub's unread)");
  cJSON_Delete(c);
  /* read / unread */
  now += 1000;
  r = triage(h, now, "read", K_1347, NULL, 0);
  CHECK(tu_num(r, "changed") == 1 && tu_num(r, "outbox") == 1 && tu_num(r, "batch") > 0 &&
            tu_str(r, "keys.0") && strcmp(tu_str(r, "keys.0"), K_1347) == 0,
        "read: changed 1, one outbox entry, the key back");
  cJSON_Delete(r);
  CHECK(!shows(h, now, "is:unread", K_1347) && shows(h, now, "is:read", K_1347) && shows(h, now, "", K_1347),
        "read: not is:unread, is:read, still in the inbox");
  CHECK(act(h, now, "read", K_1347, NULL, 0) == 0, "read twice: nothing changes");
  CHECK(act(h, now, "unread", K_1347, NULL, 0) == 1 && shows(h, now, "is:unread", K_1347),
        "unread: is:unread again");
  CHECK(pending(h) == 0, "unread withdrew the pending read (%ld pending)", pending(h));
  CHECK(act(h, now, "read", K_1498, NULL, 0) == 0, "read of an item GitHub has read: nothing changes");
  /* done, and its return when the item is updated after it was marked */
  now += 1000;
  CHECK(act(h, now, "done", K_1347, NULL, 0) == 1, "done: changed");
  CHECK(!shows(h, now, "", K_1347) && shows(h, now, "is:done", K_1347) && count(h, now, "") == 33,
        "done: leaves the inbox, is:done");
  c = card_in(h, now, "is:done", K_1347);
  CHECK(c && cJSON_IsTrue(cJSON_GetObjectItem(c, "done")), "a done card says done");
  cJSON_Delete(c);
  CHECK(act(h, now, "done", K_1347, NULL, 0) == 0, "done twice: nothing changes");
  touch(h, K_1347, (now - 5000) / 1000); /* an update older than the mark: still done */
  CHECK(!shows(h, now, "", K_1347), "an update from before the mark does not bring it back");
  now += 60000;
  touch(h, K_1347, now / 1000);
  CHECK(shows(h, now, "", K_1347) && !shows(h, now, "is:done", K_1347), "updated after done: back in the inbox");
  CHECK(act(h, now, "done", K_1347, NULL, 0) == 1, "done again after it came back");
  CHECK(act(h, now, "undone", K_1347, NULL, 0) == 1 && shows(h, now, "", K_1347), "undone: back");
  CHECK(act(h, now, "undone", K_1347, NULL, 0) == 0, "undone twice: nothing changes");
  /* snooze until a time; it returns then */
  CHECK(act(h, now, "snooze", K_1351, NULL, now + HOUR) == 1, "snooze: changed");
  CHECK(!shows(h, now, "", K_1351) && shows(h, now, "is:snoozed", K_1351), "snoozed: hidden, is:snoozed");
  c = card_in(h, now, "is:snoozed", K_1351);
  CHECK(c && tu_num(c, "snoozed_until") == (double)(now + HOUR), "a snoozed card says until when");
  cJSON_Delete(c);
  CHECK(!shows(h, now + HOUR - 1, "", K_1351), "still snoozed a millisecond before");
  CHECK(shows(h, now + HOUR, "", K_1351) && !shows(h, now + HOUR, "is:snoozed", K_1351), "back when the snooze ends");
  c = card_in(h, now + HOUR, "", K_1351);
  CHECK(c && cJSON_IsNull(cJSON_GetObjectItem(c, "snoozed_until")), "an ended snooze is not shown");
  cJSON_Delete(c);
  CHECK(act(h, now, "snooze", K_1351, NULL, now + 2 * HOUR) == 1 && act(h, now, "unsnooze", K_1351, NULL, 0) == 1 &&
            shows(h, now, "", K_1351),
        "snooze again, unsnooze: back at once");
  CHECK(act(h, now, "unsnooze", K_1351, NULL, 0) == 0, "unsnooze when not snoozed: nothing");
  /* save: a flag, stays in the inbox */
  CHECK(act(h, now, "save", K_6210, NULL, 0) == 1 && shows(h, now, "", K_6210) && shows(h, now, "is:saved", K_6210),
        "save: in the inbox and is:saved");
  c = card_in(h, now, "", K_6210);
  CHECK(c && cJSON_IsTrue(cJSON_GetObjectItem(c, "saved")), "a saved card says saved");
  cJSON_Delete(c);
  CHECK(act(h, now, "unsave", K_6210, NULL, 0) == 1 && !shows(h, now, "is:saved", K_6210), "unsave");
  /* mute: never returns for that thread, even when updated */
  CHECK(act(h, now, "mute", K_6198, NULL, 0) == 1 && !shows(h, now, "", K_6198) && shows(h, now, "is:muted", K_6198),
        "mute: hidden, is:muted");
  touch(h, K_6198, now / 1000 + 100);
  CHECK(!shows(h, now + 200000, "", K_6198), "a muted item does not return on update");
  CHECK(act(h, now, "unmute", K_6198, NULL, 0) == 1 && shows(h, now, "", K_6198), "unmute: back");
  /* dismiss (the tip page's): hidden like muted */
  CHECK(act(h, now, "dismiss", K_8101, NULL, 0) == 1 && !shows(h, now, "", K_8101) &&
            shows(h, now, "is:dismissed", K_8101),
        "dismiss: hidden, is:dismissed");
  CHECK(act(h, now, "dismiss", K_8101, NULL, 0) == 0, "dismiss twice: nothing");
  /* an item without a notification thread keeps its state locally */
  r = triage(h, now, "done", K_8101, NULL, 0);
  CHECK(tu_num(r, "changed") == 1 && tu_num(r, "outbox") == 0, "done of an item without a thread: no outbox entry");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- refused requests ---------------------------------------------------------------------- */

static void expect_code(hub *h, const char *req, const char *code, const char *what) {
  cJSON *r = tu_call(h, "%s", req);
  const char *got = tu_str(r, "error.code");
  CHECK(got && strcmp(got, code) == 0, "%s: %s (got %s: %s)", what, code, got ? got : "no error",
        tu_str(r, "error.message") ? tu_str(r, "error.message") : "");
  cJSON_Delete(r);
}

static void test_refusals(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *req, *a, *r;
  int i;
  expect_code(h, "{\"cmd\":\"triage\",\"action\":\"done\",\"keys\":[\"" K_1347 "\"]}", "bad_request", "no now");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"archive\",\"keys\":[\"" K_1347 "\"]}", "bad_request",
              "unknown action");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\"}", "bad_request", "neither keys nor query");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"keys\":[\"" K_1347 "\"],\"query\":\"\"}",
              "bad_request", "both keys and query");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"keys\":[]}", "bad_request", "no keys");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"keys\":\"" K_1347 "\"}", "bad_type",
              "keys not a list");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"keys\":[7]}", "bad_type", "a key not a string");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"keys\":[\"github.com/no/such#1\"]}", "not_found",
              "unknown key");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"snooze\",\"keys\":[\"" K_1347 "\"]}", "bad_request",
              "snooze without until");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":5,\"action\":\"snooze\",\"until\":5,\"keys\":[\"" K_1347 "\"]}",
              "bad_request", "snooze until now");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":5,\"action\":\"snooze\",\"until\":\"soon\",\"keys\":[\"" K_1347 "\"]}",
              "bad_type", "until not a number");
  expect_code(h, "{\"cmd\":\"triage\",\"now\":1,\"action\":\"done\",\"query\":\"lable:bug\"}", "bad_query",
              "a bulk action on a malformed query");
  expect_code(h, "{\"cmd\":\"undo\"}", "bad_request", "undo without now");
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "triage");
  cJSON_AddNumberToObject(req, "now", 1);
  cJSON_AddStringToObject(req, "action", "done");
  a = cJSON_AddArrayToObject(req, "keys");
  for (i = 0; i <= HUB_TRIAGE_MAX; i++) cJSON_AddItemToArray(a, cJSON_CreateString(K_1347));
  r = call(h, req);
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "too_big") == 0, "1001 keys: too_big");
  cJSON_Delete(r);
  CHECK(tu_count(h, "SELECT count(*) FROM triage") == 0 && tu_count(h, "SELECT count(*) FROM outbox") == 0,
        "refused requests changed nothing");
  hub_close(h);
}

/* ---- undo ---------------------------------------------------------------------------------- */

static void test_undo(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *r;
  int n_rr, changed;
  now += 1000;
  r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now);
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(r, "batch")) && tu_num(r, "restored") == 0, "undo with nothing to undo");
  cJSON_Delete(r);
  /* one action */
  CHECK(act(h, now, "read", K_1520, NULL, 0) == 1, "read 1520");
  CHECK(act(h, now + 1, "done", K_1520, NULL, 0) == 1 && !shows(h, now, "", K_1520), "done 1520");
  CHECK(pending(h) == 1 && tu_count(h, "SELECT count(*) FROM outbox WHERE state='pending' AND action='done'") == 1,
        "read then done: only done is pending");
  r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now + 2);
  CHECK(tu_num(r, "restored") == 1 && tu_str(r, "action") && strcmp(tu_str(r, "action"), "done") == 0 &&
            tu_num(r, "not_undone_upstream") == 0 && tu_str(r, "keys.0") && strcmp(tu_str(r, "keys.0"), K_1520) == 0,
        "undo: the done on 1520, restored 1");
  cJSON_Delete(r);
  CHECK(shows(h, now, "", K_1520) && shows(h, now, "is:read", K_1520), "undo of done: back in the inbox, still read");
  CHECK(pending(h) == 1 && tu_count(h, "SELECT count(*) FROM outbox WHERE state='pending' AND action='read'") == 1,
        "undo of done: its entry cancelled, the read it had superseded pending again");
  r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now + 3);
  CHECK(tu_num(r, "restored") == 1 && strcmp(tu_str(r, "action"), "read") == 0, "a second undo: the read");
  cJSON_Delete(r);
  CHECK(shows(h, now, "is:unread", K_1520) && pending(h) == 0 &&
            tu_count(h, "SELECT count(*) FROM triage") == 0,
        "undo of read: unread, nothing pending, no triage row left");
  /* a bulk action by query, undone in one step */
  n_rr = count(h, now, "reason:review_requested");
  CHECK(n_rr == 3, "3 review requests (%d)", n_rr);
  r = triage(h, now + 10, "done", NULL, "reason:review_requested", 0);
  changed = (int)tu_num(r, "changed");
  CHECK(changed == 3 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "keys")) == 3 && tu_num(r, "outbox") == 2,
        "bulk done by query: 3 changed, 2 with a thread (%d changed, %g queued)", changed, tu_num(r, "outbox"));
  cJSON_Delete(r);
  CHECK(count(h, now + 10, "reason:review_requested") == 0 && count(h, now + 10, "is:done reason:review_requested") == 3,
        "bulk done: the query shows none; is:done shows them");
  r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now + 11);
  CHECK(tu_num(r, "restored") == 3 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "keys")) == 3, "undo a bulk action: 3");
  cJSON_Delete(r);
  CHECK(count(h, now + 11, "reason:review_requested") == 3 && pending(h) == 0, "bulk undone: all back, nothing pending");
  /* undo after GitHub received it */
  CHECK(act(h, now + 20, "done", K_1512, NULL, 0) == 1, "done 1512");
  {
    int64_t t = now + 30;
    cJSON *run = tu_sync(h, rp, &t, NULL, NULL, NULL);
    replay_rewind(rp);
    CHECK(run && tu_num(run, "sources.outbox.sent") == 1, "the sync sent the done");
    cJSON_Delete(run);
    r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)t);
  }
  CHECK(tu_num(r, "restored") == 1 && tu_num(r, "not_undone_upstream") == 1 && tu_str(r, "note"),
        "undo after sending: restored here, reported as not undone upstream");
  cJSON_Delete(r);
  CHECK(shows(h, now + 40, "", K_1512) &&
            tu_count(h, "SELECT count(*) FROM outbox WHERE state='sent' AND action='done'") == 1,
        "undone locally; the sent entry stays sent");
  hub_close(h);
}

/* ---- bulk by query, and its ceiling --------------------------------------------------------- */

static void test_bulk(replay *rp) {
  int64_t now, i;
  hub *h = demo(rp, &now);
  cJSON *r;
  now += 1000;
  CHECK(act(h, now, "save", NULL, "repo:octocat/Hello-World label:bug", 0) == count(h, now, "repo:octocat/Hello-World label:bug") &&
            count(h, now, "is:saved") == count(h, now, "repo:octocat/Hello-World label:bug"),
        "bulk save on a query: exactly what it shows");
  CHECK(act(h, now, "snooze", NULL, "org:octokit", now + HOUR) == 8 && count(h, now, "org:octokit") == 0 &&
            count(h, now + HOUR, "org:octokit") == 8,
        "bulk snooze of an org: gone, back at the hour");
  r = triage(h, now, "done", NULL, "is:open -is:pr", 0);
  CHECK(tu_num(r, "changed") == count(h, now, "is:done") && tu_num(r, "changed") > 0, "bulk done on a negation");
  cJSON_Delete(r);
  /* more than HUB_TRIAGE_MAX items shown: refused, nothing changed */
  for (i = 0; i < HUB_TRIAGE_MAX + 1; i++) {
    hub__item it;
    hub__upsert_result res;
    char key[64];
    memset(&it, 0, sizeof it);
    snprintf(key, sizeof key, "github.com/bulk/many#%lld", (long long)i + 1);
    it.has = HUB_F_TITLE | HUB_F_STATE;
    it.key = key;
    it.source = "github";
    it.repo = "bulk/many";
    it.number = i + 1;
    it.title = "many";
    it.state = "open";
    it.reason = HUB_R_watched;
    hub__items_put(h, &it, now / 1000, &res, NULL);
  }
  r = triage(h, now, "read", NULL, "repo:bulk/many", 0);
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "too_big") == 0, "a query over 1000 items: too_big");
  cJSON_Delete(r);
  CHECK(act(h, now, "read", NULL, "repo:bulk/many -\"many\"", 0) == 0, "a bulk action on nothing changes nothing");
  hub_close(h);
}

/* ---- the query language through cards ------------------------------------------------------- */

static void test_queries(replay *rp) {
  static const struct { const char *q; int n; } before[] = {
      {"", 34}, {"is:open", 34}, {"is:closed", 1}, {"is:unread", 7}, {"is:read", 27},
      {"repo:octocat/Hello-World", 8}, {"repo:hello-world", 8}, {"org:octokit", 8},
      {"reason:review_requested", 3}, {"reason:Review_Requested is:pr", 3}, {"label:bug", 13}, {"is:pr", 11},
      {"author:octocat", 24}, {"source:github", 34}, {"source:tangled", 0}, {"source:gfi", 0},
      {"is:done", 0}, {"-is:done", 34}, {"is:pr OR label:bug", 0 /* computed */}, {"Gleam", 1},
      {"\"Found a bug\"", 1}, {"sort:updated", 34}, {"is:saved", 0}, {"is:snoozed", 0},
  };
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *r;
  size_t k;
  int both = count(h, now, "is:pr label:bug");
  for (k = 0; k < sizeof before / sizeof before[0]; k++) {
    int want = strcmp(before[k].q, "is:pr OR label:bug") == 0 ? 11 + 13 - both : before[k].n;
    int got = count(h, now, before[k].q);
    CHECK(got == want, "cards q=[%s]: %d (want %d)", before[k].q, got, want);
  }
  /* the page's source filter maps onto the query language */
  r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"from\":\"github\"}", (long long)now);
  CHECK(tu_num(r, "total") == count(h, now, "source:github"), "from github = source:github");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"from\":\"github\",\"q\":\"is:pr OR label:bug\",\"limit\":3}",
              (long long)now);
  CHECK(tu_num(r, "total") == 11 + 13 - both && cJSON_GetArraySize(cJSON_GetObjectItem(r, "cards")) == 3,
        "from and q together (an OR inside stays inside); limit caps the list, not the total");
  cJSON_Delete(r);
  /* order: sort:updated is newest first */
  r = cards(h, now, "sort:updated");
  CHECK(tu_num(r, "cards.0.updated_at") >= tu_num(r, "cards.1.updated_at") &&
            tu_num(r, "cards.1.updated_at") >= tu_num(r, "cards.2.updated_at"),
        "sort:updated: newest first");
  cJSON_Delete(r);
  /* after triage */
  now += 1000;
  act(h, now, "read", K_1347, NULL, 0);
  act(h, now, "done", K_1520, NULL, 0);
  CHECK(count(h, now, "is:unread") == 5 && count(h, now, "is:read") == 28, "is:unread after a read and a done (%d, %d)",
        count(h, now, "is:unread"), count(h, now, "is:read"));
  CHECK(count(h, now, "reason:review_requested") == 2 && count(h, now, "is:done reason:review_requested") == 1,
        "reason:review_requested without the done one; is:done with it");
  CHECK(count(h, now, "-is:done") == 33 && count(h, now, "is:done") == 1 && count(h, now, "") == 33,
        "-is:done / is:done / the inbox");
  CHECK(count(h, now, "repo:octocat/Hello-World is:read") == 7, "repo: and is:read (%d)",
        count(h, now, "repo:octocat/Hello-World is:read"));
  /* malformed queries: the message and the byte position */
  {
    static const struct { const char *q; int pos; const char *msg; } bad[] = {
        {"lable:bug", 0, "unknown key"}, {"is:open lable:x", 8, "unknown key"},
        {"label:\"good first", 6, "unterminated quote"}, {"is:xyz", 3, "is: expects"},
        {"a OR", 2, NULL}, {"repo:", 0, "empty value"},
    };
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
      r = cards(h, now, bad[k].q);
      CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "bad_query") == 0 &&
                tu_num(r, "error.position") == bad[k].pos &&
                (!bad[k].msg || strstr(tu_str(r, "error.message"), bad[k].msg)) &&
                !strstr(tu_str(r, "error.message"), " at "),
            "bad query [%s]: bad_query at %d (%s at %g)", bad[k].q, bad[k].pos,
            tu_str(r, "error.message") ? tu_str(r, "error.message") : "?", tu_num(r, "error.position"));
      cJSON_Delete(r);
    }
  }
  r = tu_call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"q\":7}", (long long)now);
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.code"), "bad_type") == 0, "q must be a string");
  cJSON_Delete(r);
  /* first_screen composes cards: its counts follow the inbox filter */
  r = tu_call(h, "{\"cmd\":\"first_screen\",\"now\":%lld,\"limit\":5}", (long long)now);
  CHECK(tu_num(r, "counts.all") == 33 && tu_num(r, "total") == 33 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "cards")) == 5,
        "first_screen: the inbox's count excludes the done card (%g)", tu_num(r, "counts.all"));
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- the outbox, replayed after an offline period ------------------------------------------ */

typedef struct {
  int n502, n500_1351;
} faults;

/* thread …046 (6215): one 502, then fine; thread …072 (1351): 500 always in this sync; thread
 * …085 (6198): 404 (gone). */
static void outbox_faults(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  faults *f = ud;
  (void)n;
  (void)neterr;
  if (strstr(url, "/notifications/threads/17000000046") && f->n502 < 1) {
    f->n502++;
    resp->status = 502;
  } else if (strstr(url, "/notifications/threads/17000000072")) {
    f->n500_1351++;
    resp->status = 500;
  } else if (strstr(url, "/notifications/threads/17000000085")) {
    resp->status = 404;
  }
}

/* The non-GET requests of the log as "METHOD path[ body]" lines. New string (free()). */
static char *changes(const cJSON *log) {
  const cJSON *e;
  size_t cap = 8192, len = 0;
  char *s = malloc(cap);
  if (!s) abort();
  s[0] = 0;
  cJSON_ArrayForEach(e, log) {
    const char *m = tu_str(e, "method"), *u = tu_str(e, "url"), *b = tu_str(e, "body");
    if (strcmp(m, "GET") == 0) continue;
    len += (size_t)snprintf(s + len, cap - len, "%s %s%s%s %g\n", m, u + strlen(API), b ? " " : "", b ? b : "",
                            tu_num(e, "status"));
  }
  return s;
}

/* 1 when every non-GET request comes before the first GET. */
static int changes_first(const cJSON *log) {
  const cJSON *e;
  int seen_get = 0;
  cJSON_ArrayForEach(e, log) {
    if (strcmp(tu_str(e, "method"), "GET") == 0) seen_get = 1;
    else if (seen_get) return 0;
  }
  return 1;
}

static void test_outbox(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  faults f = {0, 0};
  cJSON *run, *r, *c;
  char *got;
  /* offline: several actions, no sync */
  now += 1000;
  CHECK(act(h, now, "read", K_1520, NULL, 0) == 1, "offline: read 1520");
  CHECK(act(h, now + 1, "done", K_1520, NULL, 0) == 1, "offline: done 1520 (the read is superseded)");
  CHECK(act(h, now + 2, "read", K_1512, NULL, 0) == 1, "offline: read 1512");
  CHECK(act(h, now + 3, "unread", K_1512, NULL, 0) == 1 && act(h, now + 4, "read", K_1512, NULL, 0) == 1,
        "offline: unread and read 1512 again (one read pending)");
  CHECK(act(h, now + 5, "done", K_1347, NULL, 0) == 1 && act(h, now + 6, "undone", K_1347, NULL, 0) == 1,
        "offline: done then undone 1347 (nothing to send)");
  CHECK(act(h, now + 7, "mute", K_6210, NULL, 0) == 1, "offline: mute 6210");
  CHECK(act(h, now + 8, "read", K_6215, NULL, 0) == 1, "offline: read 6215 (its PATCH will meet a 502 once)");
  CHECK(act(h, now + 9, "done", K_1351, NULL, 0) == 1, "offline: done 1351 (5xx all through this sync)");
  CHECK(act(h, now + 10, "done", K_6198, NULL, 0) == 1, "offline: done 6198 (the thread is gone: 404)");
  CHECK(act(h, now + 11, "save", K_1498, NULL, 0) == 1 && act(h, now + 12, "snooze", K_21, NULL, now + HOUR) == 1,
        "offline: save and snooze stay local");
  CHECK(pending(h) == 6, "6 entries pending (%ld)", pending(h));
  r = tu_call(h, "{\"cmd\":\"outbox\"}");
  CHECK(tu_num(r, "counts.pending") == 6 && tu_str(r, "entries.0.state") && strcmp(tu_str(r, "entries.0.state"), "pending") == 0 &&
            tu_str(r, "entries.0.method") && strcmp(tu_str(r, "entries.0.method"), "DELETE") == 0 &&
            tu_str(r, "entries.0.key") && strcmp(tu_str(r, "entries.0.key"), K_1520) == 0,
        "the outbox command lists pending entries first, in sending order");
  cJSON_Delete(r);
  /* the network returns: one sync */
  tu_requests = cJSON_CreateArray();
  run = tu_sync(h, rp, &now, outbox_faults, &f, NULL);
  replay_rewind(rp);
  got = changes(tu_requests);
  {
    static const char want[] =
        "DELETE /notifications/threads/17000000020 204\n"
        "PATCH /notifications/threads/17000000033 205\n"
        "PUT /notifications/threads/17000000007/subscription {\"ignored\":true} 200\n"
        "PATCH /notifications/threads/17000000046 502\n"
        "PATCH /notifications/threads/17000000046 205\n"
        "DELETE /notifications/threads/17000000072 500\n"
        "DELETE /notifications/threads/17000000072 500\n"
        "DELETE /notifications/threads/17000000072 500\n"
        "DELETE /notifications/threads/17000000072 500\n"
        "DELETE /notifications/threads/17000000085 404\n";
    CHECK(strcmp(got, want) == 0, "the sync sent exactly, in order:\n%s--- got:\n%s", want, got);
  }
  free(got);
  CHECK(changes_first(tu_requests), "the outbox is sent before anything is fetched");
  cJSON_Delete(tu_requests);
  tu_requests = NULL;
  CHECK(run && strcmp(tu_str(run, "status"), "partial") == 0 && tu_num(run, "sources.outbox.sent") == 4 &&
            tu_num(run, "sources.outbox.dropped") == 1 && tu_num(run, "sources.outbox.failed") == 1,
        "the run: partial, 4 sent, 1 dropped, 1 failed (%s)", run ? tu_str(run, "status") : "none");
  {
    int noted = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(run, "errors"))
      if (tu_str(e, "message") && strstr(tu_str(e, "message"), "17000000085") && strstr(tu_str(e, "message"), "404"))
        noted = 1;
    CHECK(noted, "the 404 is a note on the run naming the thread");
  }
  cJSON_Delete(run);
  CHECK(tu_count(h, "SELECT count(*) FROM outbox WHERE state='sent'") == 4 && pending(h) == 1 &&
            tu_count(h, "SELECT count(*) FROM outbox WHERE state='dropped' AND note LIKE '%404%'") == 1 &&
            tu_count(h, "SELECT count(*) FROM outbox WHERE state='pending' AND thread_id='17000000072'"
                        " AND last_error LIKE '%500%' AND attempts=1") == 1,
        "states: 4 sent, the 404 dropped with a note, the 5xx one pending with its error");
  c = card_in(h, now, "is:done", K_6198);
  CHECK(c && tu_str(c, "outbox.state") && strcmp(tu_str(c, "outbox.state"), "dropped") == 0 && tu_str(c, "outbox.note") &&
            strstr(tu_str(c, "outbox.note"), "404"),
        "the dropped entry shows on the item");
  cJSON_Delete(c);
  c = card_in(h, now, "is:done", K_1351);
  CHECK(c && tu_str(c, "outbox.state") && strcmp(tu_str(c, "outbox.state"), "pending") == 0 &&
            strstr(tu_str(c, "outbox.note"), "500"),
        "the failing entry shows on the item with its error");
  cJSON_Delete(c);
  /* the next sync: only what is still pending, once; nothing sent twice */
  tu_requests = cJSON_CreateArray();
  run = tu_sync(h, rp, &now, NULL, NULL, NULL);
  replay_rewind(rp);
  got = changes(tu_requests);
  CHECK(strcmp(got, "DELETE /notifications/threads/17000000072 204\n") == 0, "the next sync retries only the failed one:\n%s", got);
  free(got);
  cJSON_Delete(run);
  cJSON_Delete(tu_requests);
  tu_requests = cJSON_CreateArray();
  run = tu_sync(h, rp, &now, NULL, NULL, NULL);
  replay_rewind(rp);
  got = changes(tu_requests);
  CHECK(strcmp(got, "") == 0 && pending(h) == 0, "a third sync sends nothing (%s)", got);
  free(got);
  cJSON_Delete(run);
  cJSON_Delete(tu_requests);
  tu_requests = NULL;
  hub_close(h);
}

static void reject_all(void *ud, long n, const char *url, replay_response *resp, const char **neterr) {
  (void)ud;
  (void)n;
  (void)neterr;
  if (strstr(url, "/notifications/threads/")) resp->status = 401;
}

/* A rejected token keeps the entry; mark-all-read is one PUT with the time. */
static void test_outbox_more(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *run, *r;
  char *got, want[256], iso[24];
  int64_t t_all;
  now += 1000;
  act(h, now, "done", K_1347, NULL, 0);
  run = tu_sync(h, rp, &now, reject_all, NULL, NULL);
  replay_rewind(rp);
  CHECK(run && strcmp(tu_str(run, "status"), "error") == 0 && strcmp(tu_str(run, "code"), "token_rejected") == 0 &&
            pending(h) == 1 && tu_count(h, "SELECT count(*) FROM outbox WHERE last_error IS NOT NULL") == 1,
        "401: the run stops, the entry stays pending with the error");
  cJSON_Delete(run);
  /* read of the whole inbox: one mark-all-read, superseding the per-thread reads */
  now += 1000;
  act(h, now, "read", K_6210, NULL, 0);
  t_all = now + 1;
  r = triage(h, t_all, "read", NULL, "", 0);
  CHECK(tu_num(r, "changed") == 5 && tu_num(r, "outbox") == 1, "read everything: 5 changed, one entry (%g, %g)",
        tu_num(r, "changed"), tu_num(r, "outbox"));
  cJSON_Delete(r);
  CHECK(count(h, now + 1, "is:unread") == 0, "everything shown is read");
  tu_requests = cJSON_CreateArray();
  run = tu_sync(h, rp, &now, NULL, NULL, NULL);
  replay_rewind(rp);
  got = changes(tu_requests);
  hub__fmt_iso8601(t_all / 1000, iso); /* the body carries the time of the triage */
  snprintf(want, sizeof want,
           "DELETE /notifications/threads/17000000059 204\n"
           "PUT /notifications {\"last_read_at\":\"%s\",\"read\":true} 205\n",
           iso);
  CHECK(strcmp(got, want) == 0, "mark-all-read after the pending done:\n%s--- got:\n%s", want, got);
  free(got);
  cJSON_Delete(run);
  cJSON_Delete(tu_requests);
  tu_requests = NULL;
  hub_close(h);
}

/* ---- the tip shares the state --------------------------------------------------------------- */

static void test_tip(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *r;
  char key[256];
  long dec;
  now += 1000;
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":1}", (long long)now);
  snprintf(key, sizeof key, "%s", tu_str(r, "tip.key") ? tu_str(r, "tip.key") : "");
  dec = (long)tu_num(r, "decision");
  cJSON_Delete(r);
  CHECK(*key && shows(h, now, "", key), "a tip (%s) that is in the inbox", key);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"done\"}", dec, (long long)now + 1);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "tip feedback done");
  cJSON_Delete(r);
  CHECK(!shows(h, now + 2, "", key) && shows(h, now + 2, "is:done", key), "a done tip leaves the list, is:done");
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":1}", (long long)now + 3);
  CHECK(tu_str(r, "tip.key") && strcmp(tu_str(r, "tip.key"), key) != 0 && tu_num(r, "candidates") == 33,
        "and leaves the tip's candidates (%g)", tu_num(r, "candidates"));
  dec = (long)tu_num(r, "decision");
  snprintf(key, sizeof key, "%s", tu_str(r, "tip.key") ? tu_str(r, "tip.key") : "");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"dismiss\"}", dec, (long long)now + 4);
  cJSON_Delete(r);
  CHECK(!shows(h, now + 5, "", key) && shows(h, now + 5, "is:dismissed", key), "a dismissed tip leaves the list");
  r = tu_call(h, "{\"cmd\":\"undo\",\"now\":%lld}", (long long)now + 6);
  CHECK(tu_num(r, "restored") == 1 && strcmp(tu_str(r, "action"), "dismiss") == 0 && shows(h, now + 6, "", key),
        "the tip's reaction is undone like any triage");
  cJSON_Delete(r);
  act(h, now + 7, "snooze", key, NULL, now + HOUR);
  r = tu_call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":1}", (long long)now + 8);
  CHECK(tu_num(r, "candidates") == 32, "an item snoozed in the inbox is not a tip (%g)", tu_num(r, "candidates"));
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- saved searches ------------------------------------------------------------------------- */

static void test_searches(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *r;
  r = tu_call(h, "{\"cmd\":\"searches\"}");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "default")) && cJSON_GetArraySize(cJSON_GetObjectItem(r, "searches")) == 7 &&
            strcmp(tu_str(r, "searches.0.name"), "Inbox") == 0 && strcmp(tu_str(r, "searches.6.q"), "is:done") == 0,
        "seven default searches");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"Reviews\",\"q\":\"reason:review_requested\"},"
                 "{\"name\":\"Bugs \xc3\xa9t\xc3\xa9\",\"q\":\"label:bug -is:done\"}],\"now\":%lld}",
              (long long)now);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(r, "default")) && cJSON_GetArraySize(cJSON_GetObjectItem(r, "searches")) == 2 &&
            tu_num(r, "searches.0.count") == 3 && tu_num(r, "searches.1.count") == 13,
        "set two searches; with now, their counts");
  cJSON_Delete(r);
  expect_code(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"x\",\"q\":\"lable:bug\"}]}", "bad_query", "a search that does not parse");
  expect_code(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"\",\"q\":\"\"}]}", "bad_request", "an empty name");
  expect_code(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"12345678901234567890123456789012345678901\",\"q\":\"\"}]}",
              "bad_request", "a name of 41 characters");
  expect_code(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"a\",\"q\":\"\"},{\"name\":\"a\",\"q\":\"is:pr\"}]}",
              "bad_request", "two searches with one name");
  expect_code(h, "{\"cmd\":\"searches\",\"set\":{}}", "bad_type", "set not a list");
  r = tu_call(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"q\":\"\"}]}");
  CHECK(!tu_str(r, "error.code"), "a name of 40 two-byte characters is fine");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"searches\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r, "searches")) == 1, "the refused sets changed nothing");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"searches\",\"set\":[]}");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "default")), "an empty set restores the defaults");
  cJSON_Delete(r);
  hub_close(h);
}

/* ---- the auto-done rule, GitHub's unread, migration ----------------------------------------- */

static void test_rules(replay *rp) {
  int64_t now, id;
  hub *h = demo(rp, &now);
  cJSON *run;
  char *got;
  /* auto-done: the closed Spoon-Knife#21 (a notification) becomes done, and done on GitHub */
  CHECK(count(h, now, "is:closed is:done") == 0, "auto-done off by default");
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"auto_done_closed\":true}}"));
  now += 1000;
  tu_requests = cJSON_CreateArray();
  run = tu_sync(h, rp, &now, NULL, NULL, NULL);
  replay_rewind(rp);
  got = changes(tu_requests);
  CHECK(strcmp(got, "DELETE /notifications/threads/17000000111 204\n") == 0 && tu_num(run, "sources.outbox.auto_done") == 1,
        "auto-done: the closed item is done, and done on GitHub (%s)", got);
  CHECK(count(h, now, "is:closed is:done") == 1 && count(h, now, "is:done") == 1, "auto-done: is:done");
  free(got);
  cJSON_Delete(run);
  cJSON_Delete(tu_requests);
  tu_requests = NULL;
  /* GitHub reports new activity on a thread read here before it: unread again */
  id = item_id(h, K_1347);
  act(h, now, "read", K_1347, NULL, 0);
  CHECK(hub__triage_upstream_unread(h, id, now - 1) == 0 && !shows(h, now, "is:unread", K_1347),
        "activity from before the local read: stays read");
  CHECK(hub__triage_upstream_unread(h, id, now + 1) == 0 && shows(h, now, "is:unread", K_1347),
        "activity after the local read: GitHub's unread stands again");
  CHECK(tu_count(h, "SELECT count(*) FROM gh_threads") == 9, "nine notification threads remembered (%ld)",
        tu_count(h, "SELECT count(*) FROM gh_threads"));
  hub_close(h);
}

extern const char *const hub__migrations[];

static void test_migration(void) {
  const char *path = "build/out/triage-migrate.db";
  hub *h;
  sqlite3 *db = NULL;
  int k, ok = 1;
  remove(path);
  /* a database as schema 7 left it (before triage), built from the real migrations */
  ok = sqlite3_open(path, &db) == SQLITE_OK;
  for (k = 0; ok && k < 7; k++) ok = sqlite3_exec(db, hub__migrations[k], NULL, NULL, NULL) == SQLITE_OK;
  ok = ok && sqlite3_exec(db,
                          "PRAGMA user_version=7;"
                          "INSERT INTO items(id,key,source,title,state,updated_at,first_seen,last_seen,hash) VALUES"
                          "(1,'github.com/o/r#1','github','x','open',1700000000,1700000000,1700000000,'h'),"
                          "(2,'github.com/o/r#2','github','x','open',1700000000,1700000000,1700000000,'h'),"
                          "(3,'github.com/o/r#3','github','x','open',1700000000,1700000000,1700000000,'h');"
                          "INSERT INTO tip_item_state VALUES('me',1,'done',NULL,'h',1700000001000),"
                          "('me',2,'snoozed',1800000000000,NULL,1700000002000),('me',3,'dismissed',NULL,NULL,1700000003000);",
                          NULL, NULL, NULL) == SQLITE_OK;
  sqlite3_close(db);
  CHECK(ok, "a schema-7 database with the tip's item states");
  h = open_at(path);
  CHECK(tu_count(h, "PRAGMA user_version") == hub__db_schema_version(), "migrated to the current schema");
  CHECK(tu_count(h, "SELECT count(*) FROM sqlite_master WHERE name='tip_item_state'") == 0, "tip_item_state dropped");
  CHECK(count(h, 1700000005000LL, "is:done") == 1 && count(h, 1700000005000LL, "is:snoozed") == 1 &&
            count(h, 1700000005000LL, "is:dismissed") == 1 && count(h, 1700000005000LL, "") == 0,
        "done, snoozed and dismissed became triage state");
  CHECK(count(h, 1800000000001LL, "") == 1, "the snooze ends as it would have");
  hub_close(h);
  remove(path);
}

/* ---- allocation failures ---------------------------------------------------------------- */

/* Every command answers under a failed allocation (or says nomem), leaks nothing (ASan), and
 * a refused batch leaves no half-written state: the rows logged always match the batches. */
static void test_alloc(replay *rp) {
  static const char *const reqs[] = {
      "{\"cmd\":\"triage\",\"now\":1763900100000,\"action\":\"done\",\"keys\":[\"" K_1520 "\",\"" K_1347 "\"]}",
      "{\"cmd\":\"triage\",\"now\":1763900100000,\"action\":\"read\",\"query\":\"org:octokit OR label:bug\"}",
      "{\"cmd\":\"triage\",\"now\":1763900100000,\"action\":\"read\",\"query\":\"\"}",
      "{\"cmd\":\"undo\",\"now\":1763900100000}",
      "{\"cmd\":\"cards\",\"now\":1763900100000,\"q\":\"is:unread -label:bug sort:updated\",\"limit\":3}",
      "{\"cmd\":\"first_screen\",\"now\":1763900100000,\"limit\":3}",
      "{\"cmd\":\"searches\",\"now\":1763900100000,\"set\":[{\"name\":\"a\",\"q\":\"is:pr\"}]}",
      "{\"cmd\":\"outbox\"}",
  };
  int64_t now;
  hub *h = demo(rp, &now);
  size_t q;
  long k;
  int answered = 1;
  for (q = 0; q < sizeof reqs / sizeof reqs[0]; q++)
    for (k = 1; k < 400; k++) {
      char *out;
      hub_alloc_fail_at(k);
      out = hub_call(h, reqs[q]);
      hub_alloc_fail_at(0);
      if (!out) answered = 0;
      hub_free(out);
    }
  CHECK(answered, "every triage command answers under allocation failure");
  CHECK(tu_count(h, "SELECT count(*) FROM triage_log l WHERE NOT EXISTS (SELECT 1 FROM triage t"
                    " WHERE t.item_id = l.item_id)") == 0,
        "no logged action without its row");
  CHECK(count(h, now, "") >= 0, "the database still answers");
  hub_close(h);
}

/* The briefing shows what the inbox shows: an item marked done leaves it too. */
static void test_brief(replay *rp) {
  int64_t now;
  hub *h = demo(rp, &now);
  cJSON *b = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", (long long)now), *b2;
  const char *key = tu_str(b, "brief.sections.0.items.0.key");
  char *k = key ? strdup(key) : NULL, *txt;
  CHECK(k != NULL, "a briefing with a first item");
  if (k) {
    cJSON_Delete(tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"keys\":[\"%s\"]}", (long long)now, k));
    b2 = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", (long long)now + 1000);
    txt = cJSON_PrintUnformatted(b2);
    CHECK(txt && !strstr(txt, k), "an item marked done leaves the briefing (%s)", k);
    cJSON_free(txt);
    cJSON_Delete(b2);
  }
  free(k);
  cJSON_Delete(b);
  hub_close(h);
}

int main(void) {
  replay *rp = load();
  test_transitions(rp);
  test_refusals(rp);
  test_undo(rp);
  test_bulk(rp);
  test_queries(rp);
  test_outbox(rp);
  test_outbox_more(rp);
  test_tip(rp);
  test_searches(rp);
  test_rules(rp);
  test_migration();
  test_brief(rp);
  test_alloc(rp);
  replay_free(rp);
  printf("triage tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
