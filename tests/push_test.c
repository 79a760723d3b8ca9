/*
 * push_test.c — the core's Web Push decision (src/notify/) on a simulated clock: the first plan
 * sets a baseline and pushes the tip; a new review request in the day is one push (urgent,
 * its Topic, both payloads, one delivery per device); the threshold; quiet hours across
 * midnight and in other time zones (and retries held until they end); dedupe by item (the tip
 * already pushed as new, an unchanged item, an item that changed upstream); the hourly cap; the
 * tip changing; what each outcome of push_result does (delivered, retry at Retry-After, backoff,
 * gone, VAPID mismatch, attempts, expiry); subscription checks; the page's push_request.
 * Prints "push tests: N passed, N failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "notify/notify.h"

#define T0 1763900000000LL /* 2025-11-23 12:13:20 UTC */
#define MIN 60000LL
#define HOUR 3600000LL
#define P256 "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define EP "https://fcm.googleapis.com/fcm/send/device-"


static hub *fresh(void) {
  hub *h = NULL;
  char err[256];
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"me\",\"push_threshold\":2,"
                          "\"push_max_per_hour\":60,\"push_quiet_start\":22,\"push_quiet_end\":8}}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"tip_policies\",\"set\":{\"serve\":\"score_greedy\"}}"));
  return h;
}

/* An open pull request key with reason r, updated at updated_s (seconds), seen at now_s. */
static void put(hub *h, const char *key, int r, int64_t updated_s, int64_t now_s) {
  hub__item it;
  hub__upsert_result res;
  memset(&it, 0, sizeof it);
  it.has = HUB_F_TITLE | HUB_F_STATE | HUB_F_UPDATED | HUB_F_KIND;
  it.key = key;
  it.source = "github";
  it.repo = "o/r";
  it.number = atoi(strchr(key, '#') + 1);
  it.kind = "pull";
  it.title = "Please review ünïcode";
  it.state = "open";
  it.updated_at = updated_s;
  it.reason = r;
  CHECK(hub__items_put(h, &it, now_s, &res, NULL) == 0, "put %s", key);
}

static void subscribe(hub *h, int n, int tz, int64_t now) {
  cJSON *r = tu_call(h, "{\"cmd\":\"push_subscribe\",\"now\":%lld,\"endpoint\":\"" EP "%d\",\"p256dh\":\"" P256
                        "\",\"auth\":\"" AUTH "\",\"tz_offset_min\":%d,\"device\":\"phone %d\"}",
                     (long long)now, n, tz, n);
  CHECK(tu_num(r, "subscription.id") > 0, "device %d subscribed", n);
  cJSON_Delete(r);
}

static cJSON *plan(hub *h, int64_t now) { return tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld}", (long long)now); }

/* The keys of a plan's pushes, as "kind:key," text (for messages and comparisons). */
static const char *keys_of(const cJSON *p, char *buf, size_t n) {
  const cJSON *e;
  size_t used = 0;
  buf[0] = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "pushes"))
    used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s:%s,", tu_str(e, "kind"), tu_str(e, "key"));
  return buf;
}

/* Reports every delivery of a plan with outcome o. */
static void answer_all(hub *h, const cJSON *p, const char *o, int64_t now) {
  const cJSON *e, *d;
  cJSON *req = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(req, "results"), *r;
  char *text;
  cJSON_AddStringToObject(req, "cmd", "push_result");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "pushes")) {
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(e, "deliveries")) {
      r = cJSON_CreateObject();
      cJSON_AddNumberToObject(r, "push", tu_num(e, "id"));
      cJSON_AddNumberToObject(r, "sub", tu_num(d, "sub"));
      cJSON_AddStringToObject(r, "outcome", o);
      cJSON_AddNumberToObject(r, "status", strcmp(o, "delivered") == 0 ? 201 : 500);
      cJSON_AddItemToArray(arr, r);
    }
  }
  text = cJSON_PrintUnformatted(req);
  r = tu_call(h, "%s", text);
  CHECK(!cJSON_GetObjectItemCaseSensitive(r, "error"), "push_result %s accepted", o);
  cJSON_Delete(r);
  cJSON_Delete(req);
  hub_free(text);
}

static void test_pure(void) {
  CHECK(hub__push_quiet(23 * 60, 22 * 60, 8 * 60) && hub__push_quiet(3 * 60, 22 * 60, 8 * 60), "22-8: 23:00 and 03:00 quiet");
  CHECK(hub__push_quiet(22 * 60, 22 * 60, 8 * 60) && !hub__push_quiet(8 * 60, 22 * 60, 8 * 60), "22-8: start in, end out");
  CHECK(!hub__push_quiet(21 * 60 + 59, 22 * 60, 8 * 60) && !hub__push_quiet(12 * 60, 22 * 60, 8 * 60), "22-8: day not quiet");
  CHECK(hub__push_quiet(13 * 60, 12 * 60, 14 * 60) && !hub__push_quiet(11 * 60, 12 * 60, 14 * 60), "12-14 inside one day");
  CHECK(!hub__push_quiet(0, 0, 0) && !hub__push_quiet(600, 600, 600), "start == end: never quiet");
  CHECK(hub__push_local_minute(T0, 0) == 12 * 60 + 13, "T0 is 12:13 UTC");
  CHECK(hub__push_local_minute(T0, 600) == 22 * 60 + 13, "UTC+10: 22:13");
  CHECK(hub__push_local_minute(T0, -780) == 23 * 60 + 13, "UTC-13: 23:13 the day before");
  CHECK(hub__push_local_minute(-MIN, 0) == 1439 && hub__push_local_minute(0, -1) == 1439, "before the epoch wraps");
}

/* The first plan, a new review request, the threshold, dedupe of the tip. */
static void test_day(void) {
  hub *h = fresh();
  int64_t now = T0, s = T0 / 1000;
  char buf[512];
  cJSON *p;
  put(h, "github.com/o/r#1", HUB_R_review_requested, s - 3600, s);
  put(h, "github.com/o/r#2", HUB_R_subscribed, s - 7200, s);
  p = plan(h, now);
  CHECK(strcmp(tu_str(p, "why"), "no_subscriptions") == 0 && tu_num(p, "decided") == 0, "nobody subscribed: nothing");
  cJSON_Delete(p);
  subscribe(h, 1, 0, now);
  subscribe(h, 2, 60, now);
  put(h, "github.com/o/r#3", HUB_R_review_requested, s - 60, s); /* new since the last plan */
  p = plan(h, now += MIN);
  CHECK(tu_num(p, "decided") == 1 && strcmp(keys_of(p, buf, sizeof buf), "new:github.com/o/r#3,") == 0,
        "new since the last plan: pushed once, though it is the tip too (%s)", buf);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "pushes"), 0), "deliveries")) == 2,
        "one delivery per device");
  answer_all(h, p, "delivered", now);
  cJSON_Delete(p);
  /* a new review request during the day: one push, urgent, with its topic */
  put(h, "github.com/o/r#4", HUB_R_review_requested, s + 100, s + 120);
  put(h, "github.com/o/r#5", HUB_R_subscribed, s - 86400 * 20, s + 120); /* new but scoring under 2 */
  p = plan(h, now += 2 * MIN);
  CHECK(strcmp(keys_of(p, buf, sizeof buf), "new:github.com/o/r#4,") == 0, "the new review request is one push (%s)", buf);
  {
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "pushes"), 0);
    cJSON *pl = cJSON_Parse(tu_str(e, "payload")), *sm = cJSON_Parse(tu_str(e, "payload_small"));
    const char *topic = HUB_PUSH_TOPIC;
    CHECK(strcmp(tu_str(e, "topic"), topic) == 0, "the one topic: a newer push replaces an older one (%s)", tu_str(e, "topic"));
    CHECK(strcmp(tu_str(e, "urgency"), "high") == 0 && tu_num(e, "ttl") == HUB_PUSH_TTL_S, "urgent, 12 h TTL");
    CHECK(pl && strcmp(tu_str(pl, "key"), "github.com/o/r#4") == 0 && strcmp(tu_str(pl, "why"), "review requested") == 0 &&
              strcmp(tu_str(pl, "title"), "Please review ünïcode") == 0 && strcmp(tu_str(pl, "topic"), topic) == 0,
          "payload: key, why, title, topic");
    CHECK(sm && strcmp(tu_str(sm, "key"), "github.com/o/r#4") == 0 && !cJSON_GetObjectItemCaseSensitive(sm, "why") &&
              strlen(tu_str(e, "payload_small")) < strlen(tu_str(e, "payload")),
          "the small payload keeps the key");
    cJSON_Delete(pl);
    cJSON_Delete(sm);
  }
  answer_all(h, p, "delivered", now);
  cJSON_Delete(p);
  /* nothing new: nothing; the tip (#4 now, already pushed as new) is not pushed again */
  p = plan(h, now += MIN);
  CHECK(tu_num(p, "decided") == 0 && strcmp(tu_str(p, "why"), "nothing_new") == 0 &&
            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "pushes")) == 0,
        "nothing new: no push (%s)", tu_str(p, "why"));
  cJSON_Delete(p);
  /* the tip changes (#4 done): the next one is pushed — #3 was pushed and did not change */
  cJSON_Delete(tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"keys\":[\"github.com/o/r#4\"]}", (long long)now));
  p = plan(h, now += MIN);
  CHECK(tu_num(p, "decided") == 0, "the tip is #3 again, pushed before and unchanged: deduped (%s)", keys_of(p, buf, sizeof buf));
  cJSON_Delete(p);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"keys\":[\"github.com/o/r#3\"]}", (long long)now));
  p = plan(h, now += MIN);
  CHECK(strcmp(keys_of(p, buf, sizeof buf), "tip:github.com/o/r#1,") == 0, "a new tip: pushed as the tip (%s)", buf);
  answer_all(h, p, "delivered", now);
  cJSON_Delete(p);
  /* #3 changes upstream: it is news again, pushed with the same topic */
  put(h, "github.com/o/r#3", HUB_R_review_requested, s + 600, s + 600);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"keys\":[\"github.com/o/r#1\"]}", (long long)now));
  p = plan(h, now += MIN);
  CHECK(strcmp(keys_of(p, buf, sizeof buf), "tip:github.com/o/r#3,") == 0, "an item that changed may be pushed again (%s)", buf);
  answer_all(h, p, "delivered", now);
  cJSON_Delete(p);
  p = tu_call(h, "{\"cmd\":\"push_subscriptions\",\"recent\":10}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "recent")) == 4 && tu_num(p, "pending") == 0 &&
            tu_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "subscriptions"), 0), "last_ok") == (double)now,
        "four pushes, all delivered, the device's last ok");
  CHECK(strcmp(tu_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "subscriptions"), 0), "host"), "fcm.googleapis.com") == 0,
        "a device shows its push service's host, not its endpoint");
  cJSON_Delete(p);
  hub_close(h);
}

/* Quiet hours in the device's time zone, across midnight; retries held until they end. */
static void test_quiet(void) {
  hub *h = fresh();
  int64_t now = T0, s = T0 / 1000;
  char buf[256];
  cJSON *p;
  subscribe(h, 1, 600, now); /* UTC+10: T0 is 22:13 there */
  put(h, "github.com/o/r#1", HUB_R_review_requested, s - 3600, s);
  p = plan(h, now);
  CHECK(tu_num(p, "decided") == 0 && strcmp(tu_str(p, "why"), "quiet_hours") == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "quiet")),
        "22:13 local (UTC+10): quiet (%s)", tu_str(p, "why"));
  cJSON_Delete(p);
  p = tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"tz_offset_min\":-120}", (long long)now); /* 10:13 there */
  CHECK(tu_num(p, "decided") == 1, "the same moment at UTC-2 (10:13): pushed");
  cJSON_Delete(p);
  /* a new review request at 03:00 local: nothing; at 08:00 the tip rule brings it once */
  put(h, "github.com/o/r#2", HUB_R_review_requested, s + 5 * 3600, s + 5 * 3600);
  now = T0 + 4 * HOUR + 47 * MIN; /* 17:00 UTC = 03:00 local */
  p = plan(h, now);
  CHECK(tu_num(p, "decided") == 0 && strcmp(tu_str(p, "why"), "quiet_hours") == 0 && tu_num(p, "local_minute") == 180,
        "03:00 local: quiet across midnight");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "pushes")) == 0 && tu_num(p, "next_at") == T0 + 9 * HOUR + 47 * MIN - 20000,
        "the delivery pending since 10:13 is held until 08:00 local (next_at %.0f)", tu_num(p, "next_at"));
  cJSON_Delete(p);
  p = plan(h, now = T0 + 9 * HOUR + 47 * MIN); /* 08:00 local */
  CHECK(tu_num(p, "local_minute") == 480 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "quiet")), "08:00: quiet hours over");
  CHECK(strstr(keys_of(p, buf, sizeof buf), "tip:github.com/o/r#2,") != NULL,
        "the night's review request comes once, as the tip (%s)", buf);
  cJSON_Delete(p);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"push_quiet_start\":8,\"push_quiet_end\":8}}"));
  p = tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"tz_offset_min\":600}", (long long)(T0 + 47 * MIN + 4 * HOUR));
  CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "quiet")), "start == end: no quiet hours");
  cJSON_Delete(p);
  hub_close(h);
}

/* At most N an hour; push_enabled off. */
static void test_cap(void) {
  hub *h = fresh();
  int64_t now = T0, s = T0 / 1000;
  char buf[512], key[40];
  cJSON *p;
  int i;
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"push_max_per_hour\":2}}"));
  subscribe(h, 1, 0, now);
  put(h, "github.com/o/r#1", HUB_R_review_requested, s - 3600, s);
  p = plan(h, now);
  CHECK(strcmp(keys_of(p, buf, sizeof buf), "tip:github.com/o/r#1,") == 0 && strcmp(tu_str(p, "why"), "pushed") == 0,
        "the first plan ever: a baseline, no \"new\" items, the tip (%s)", buf);
  cJSON_Delete(p);
  for (i = 0; i < 3; i++) {
    snprintf(key, sizeof key, "github.com/o/r#%d", 10 + i);
    put(h, key, HUB_R_review_requested, s + 60 + i, s + 60);
  }
  p = plan(h, now += 10 * MIN);
  CHECK(tu_num(p, "decided") == 1 && strcmp(tu_str(p, "why"), "pushed") == 0, "cap 2 an hour, one used: one more (%s)",
        keys_of(p, buf, sizeof buf));
  cJSON_Delete(p);
  put(h, "github.com/o/r#20", HUB_R_review_requested, s + 900, s + 900);
  p = plan(h, now += 10 * MIN);
  CHECK(tu_num(p, "decided") == 0 && strcmp(tu_str(p, "why"), "rate_cap") == 0, "the hour's two used: rate_cap");
  cJSON_Delete(p);
  put(h, "github.com/o/r#21", HUB_R_review_requested, s + 3 * 3600, s + 3 * 3600);
  p = plan(h, now += HOUR);
  CHECK(strstr(keys_of(p, buf, sizeof buf), "new:github.com/o/r#21,") != NULL, "an hour later: pushes again (%s)", buf);
  cJSON_Delete(p);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"push_enabled\":false,\"push_max_per_hour\":60}}"));
  put(h, "github.com/o/r#30", HUB_R_review_requested, s + 4 * 3600, s + 4 * 3600);
  p = plan(h, now += HOUR);
  CHECK(strcmp(tu_str(p, "why"), "off") == 0 && tu_num(p, "decided") == 0, "push_enabled off: nothing");
  cJSON_Delete(p);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"push_enabled\":true}}"));
  p = plan(h, now += MIN);
  CHECK(!strstr(keys_of(p, buf, sizeof buf), "new:github.com/o/r#30"), "an item new while off is not announced later (%s)", buf);
  cJSON_Delete(p);
  hub_close(h);
}

/* One interruption per plan: the best new item, and the tip of that moment settled with it. */
static void test_one(void) {
  hub *h = fresh();
  int64_t now = T0, s = T0 / 1000;
  char buf[512];
  cJSON *p;
  subscribe(h, 1, 0, now);
  put(h, "github.com/o/r#1", HUB_R_subscribed, s - 86400, s);
  p = plan(h, now); /* baseline, the tip #1 */
  answer_all(h, p, "delivered", now);
  cJSON_Delete(p);
  put(h, "github.com/o/r#12", HUB_R_review_requested, s + 200, s + 300);
  put(h, "github.com/o/r#11", HUB_R_review_requested, s + 300, s + 300);
  put(h, "github.com/o/r#13", HUB_R_review_requested, s + 100, s + 300);
  p = plan(h, now += 10 * MIN);
  CHECK(strcmp(keys_of(p, buf, sizeof buf), "new:github.com/o/r#11,") == 0, "three new review requests: one push, the best (%s)", buf);
  cJSON_Delete(p);
  p = plan(h, now += MIN);
  CHECK(tu_num(p, "decided") == 0 && strcmp(tu_str(p, "why"), "nothing_new") == 0,
        "the next plan: nothing (the tip of the moment was settled with the push) (%s)", keys_of(p, buf, sizeof buf));
  cJSON_Delete(p);
  hub_close(h);
}

/* push_result: what each outcome does. */
static void test_results(void) {
  hub *h = fresh();
  int64_t now = T0, s = T0 / 1000, push, sub;
  cJSON *p, *r;
  subscribe(h, 1, 0, now);
  subscribe(h, 2, 0, now);
  subscribe(h, 3, 0, now);
  put(h, "github.com/o/r#1", HUB_R_review_requested, s - 60, s);
  p = plan(h, now);
  push = (int64_t)tu_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "pushes"), 0), "id");
  cJSON_Delete(p);
  CHECK(push > 0, "a push to three devices");
  r = tu_call(h,
              "{\"cmd\":\"push_result\",\"now\":%lld,\"results\":[{\"push\":%lld,\"sub\":1,\"outcome\":\"retry\",\"status\":429,"
              "\"retry_at\":%lld},{\"push\":%lld,\"sub\":2,\"outcome\":\"gone\",\"status\":410},{\"push\":%lld,\"sub\":3,"
              "\"outcome\":\"vapid\",\"status\":403}]}",
              (long long)now, (long long)push, (long long)(now + 120000), (long long)push, (long long)push);
  CHECK(tu_num(r, "retrying") == 1 && tu_num(r, "removed") == 1 && tu_num(r, "failed") == 1 && tu_num(r, "next_at") == (double)(now + 120000),
        "429 retries at Retry-After, 410 removes, 403 fails");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"push_subscriptions\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "subscriptions")) == 2, "the gone device is deleted");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "vapid_mismatch")) &&
            tu_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "subscriptions"), 1), "failures") == 1,
        "403: a likely VAPID key mismatch is flagged");
  cJSON_Delete(r);
  p = tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"retries_only\":true}", (long long)(now + 119000));
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "pushes")) == 0 && tu_num(p, "next_at") == (double)(now + 120000),
        "before Retry-After: nothing due, next_at says when");
  cJSON_Delete(p);
  p = tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"retries_only\":true}", (long long)(now + 120000));
  r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "pushes"), 0), "deliveries"), 0);
  sub = (int64_t)tu_num(r, "sub");
  CHECK(sub == 1 && tu_num(r, "attempt") == 1 && strncmp(tu_str(r, "endpoint"), EP, strlen(EP)) == 0 &&
            strcmp(tu_str(r, "p256dh"), P256) == 0,
        "at Retry-After: the delivery again, attempt 1, with the device's keys");
  cJSON_Delete(p);
  /* a network error: backoff; then attempts run out */
  r = tu_call(h, "{\"cmd\":\"push_result\",\"now\":%lld,\"results\":[{\"push\":%lld,\"sub\":1,\"outcome\":\"failed\",\"status\":0}]}",
              (long long)(now + 120000), (long long)push);
  CHECK(tu_num(r, "retrying") == 1 && tu_num(r, "next_at") == (double)(now + 120000 + 60000), "a network error: backoff 30 s × 2");
  cJSON_Delete(r);
  for (int i = 2; i < HUB_PUSH_MAX_ATTEMPTS; i++) {
    r = tu_call(h, "{\"cmd\":\"push_result\",\"now\":%lld,\"results\":[{\"push\":%lld,\"sub\":1,\"outcome\":\"retry\",\"status\":503}]}",
                (long long)(now + 200000), (long long)push);
    CHECK(tu_num(r, i + 1 < HUB_PUSH_MAX_ATTEMPTS ? "retrying" : "failed") == 1, "attempt %d", i + 1);
    cJSON_Delete(r);
  }
  r = tu_call(h, "{\"cmd\":\"push_subscriptions\"}");
  CHECK(tu_num(r, "pending") == 0 && tu_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "recent"), 0), "failed") == 2,
        "after %d attempts: failed", HUB_PUSH_MAX_ATTEMPTS);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"push_result\",\"now\":%lld,\"results\":[{\"push\":%lld,\"sub\":1,\"outcome\":\"nonsense\"}]}",
              (long long)now, (long long)push);
  CHECK(tu_str(r, "error.code") && strcmp(tu_str(r, "error.field"), "results") == 0, "an unknown outcome is refused");
  cJSON_Delete(r);
  /* expiry: a delivery still pending after the TTL fails */
  put(h, "github.com/o/r#2", HUB_R_review_requested, s + 1000, s + 1000);
  p = plan(h, now += 10 * MIN);
  CHECK(tu_num(p, "decided") == 1, "another push");
  cJSON_Delete(p);
  p = tu_call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"retries_only\":true}", (long long)(now + HUB_PUSH_TTL_S * 1000LL));
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "pushes")) == 0, "past its TTL a push is not handed out");
  cJSON_Delete(p);
  hub_close(h);
}

static void expect_field(hub *h, const char *what, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void expect_field(hub *h, const char *what, const char *field, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  cJSON *r;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  r = tu_call(h, "%s", buf);
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), field) == 0, "%s: refused on %s (%s)", what, field,
        tu_str(r, "error.message") ? tu_str(r, "error.message") : "accepted");
  cJSON_Delete(r);
}

static void test_subscriptions(void) {
  hub *h = fresh();
  cJSON *r;
  int i;
  const char *sub = "{\"cmd\":\"push_subscribe\",\"now\":1,\"endpoint\":\"%s\",\"p256dh\":\"%s\",\"auth\":\"%s\"}";
  expect_field(h, "ftp", "endpoint", sub, "ftp://push.example/x", P256, AUTH);
  expect_field(h, "plain http elsewhere", "endpoint", sub, "http://push.example/x", P256, AUTH);
  expect_field(h, "no endpoint", "endpoint", "{\"cmd\":\"push_subscribe\",\"now\":1,\"p256dh\":\"" P256 "\",\"auth\":\"" AUTH "\"}");
  expect_field(h, "p256dh short", "p256dh", sub, EP "1", "BCVxsr7N", AUTH);
  expect_field(h, "p256dh compressed", "p256dh", sub, EP "1",
               "ACVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", AUTH);
  expect_field(h, "auth not base64url", "auth", sub, EP "1", P256, "BTBZMqHH6r4Tts7J/aSIgg");
  expect_field(h, "tz out of range", "tz_offset_min",
               "{\"cmd\":\"push_subscribe\",\"now\":1,\"endpoint\":\"" EP "1\",\"p256dh\":\"" P256 "\",\"auth\":\"" AUTH
               "\",\"tz_offset_min\":5000}");
  r = tu_call(h, "{\"cmd\":\"push_subscribe\",\"now\":1,\"endpoint\":\"" EP "1\",\"p256dh\":\"" P256 "=\",\"auth\":\"" AUTH "==\"}");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "created")), "padded base64url accepted");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"push_subscribe\",\"now\":2,\"endpoint\":\"" EP "1\",\"p256dh\":\"" P256 "\",\"auth\":\"" AUTH "\",\"tz_offset_min\":-300}");
  CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "created")) && tu_num(r, "subscription.tz_offset_min") == -300,
        "the same endpoint again: updated, not a second device");
  cJSON_Delete(r);
  for (i = 2; i <= HUB_PUSH_MAX_SUBS + 3; i++) subscribe(h, i, 0, 10 + i);
  CHECK(tu_count(h, "SELECT count(*) FROM push_subs") == HUB_PUSH_MAX_SUBS, "at most %d devices", HUB_PUSH_MAX_SUBS);
  CHECK(tu_count(h, "SELECT count(*) FROM push_subs WHERE endpoint='" EP "1'") == 0, "the oldest goes");
  r = tu_call(h, "{\"cmd\":\"push_unsubscribe\",\"endpoint\":\"" EP "5\"}");
  CHECK(tu_num(r, "deleted") == 1, "unsubscribe deletes the device");
  cJSON_Delete(r);
  hub_close(h);
}

static void test_request(void) {
  hub *h = fresh();
  cJSON *r, *b;
  r = tu_call(h, "{\"cmd\":\"push_request\",\"op\":\"key\"}");
  CHECK(strcmp(tu_str(r, "error.field"), "hubd_url") == 0, "no hubd: push_request says so");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"hubd_url\":\"https://hub.example/\"}}"));
  r = tu_call(h, "{\"cmd\":\"push_request\",\"op\":\"key\"}");
  CHECK(strcmp(tu_str(r, "request.url"), "https://hub.example/api/push/key") == 0 && strcmp(tu_str(r, "request.method"), "GET") == 0 &&
            !tu_str(r, "request.headers.Authorization"),
        "the public key: a GET without the key");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"push_request\",\"op\":\"subscribe\",\"subscription\":{\"endpoint\":\"" EP "1\"}}");
  CHECK(strcmp(tu_str(r, "error.field"), "hubd_key") == 0, "no key: push_request says so");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"hubd_key\":\"k3y-0123456789abcdef\"}}"));
  r = tu_call(h, "{\"cmd\":\"push_request\",\"op\":\"subscribe\",\"tz_offset_min\":120,\"subscription\":{\"endpoint\":\"" EP
                 "1\",\"keys\":{\"p256dh\":\"" P256 "\",\"auth\":\"" AUTH "\"}}}");
  b = cJSON_Parse(tu_str(r, "request.body") ? tu_str(r, "request.body") : "");
  CHECK(strcmp(tu_str(r, "request.headers.Authorization"), "Bearer k3y-0123456789abcdef") == 0 &&
            strcmp(tu_str(r, "request.url"), "https://hub.example/api/push/subscribe") == 0 && b &&
            strcmp(tu_str(b, "keys.auth"), AUTH) == 0 && tu_num(b, "tz_offset_min") == 120,
        "subscribe: POST with the Bearer key and the PushSubscription");
  cJSON_Delete(b);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"push_request\",\"op\":\"settings\",\"settings\":{\"push_threshold\":6,\"github_token\":\"x\"}}");
  b = cJSON_Parse(tu_str(r, "request.body") ? tu_str(r, "request.body") : "");
  CHECK(b && tu_num(b, "set.push_threshold") == 6 && !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "set"), "github_token"),
        "settings: only push_* settings go to hubd");
  cJSON_Delete(b);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"settings\"}");
  {
    char *t = cJSON_PrintUnformatted(r);
    CHECK(t && !strstr(t, "0123456789abcdef") && strstr(t, "\"hubd_key_set\":true"), "the settings command never shows the key");
    hub_free(t);
  }
  cJSON_Delete(r);
  hub_close(h);
}

int main(void) {
  test_pure();
  test_day();
  test_quiet();
  test_cap();
  test_one();
  test_results();
  test_subscriptions();
  test_request();
  printf("push tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
