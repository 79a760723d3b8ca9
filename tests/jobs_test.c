/*
 * jobs_test.c — scheduled jobs (src/sync/jobs.c) on a simulated clock: schedules and their
 * slots, jitter, claims that never repeat a slot (crash, restart, clock backwards), missed
 * slots coalescing into one run, the jobs listing, the diagnose canary and pruning; plus the
 * core fixes that came with hubd's scheduler: sync_start "sources", runs left running by a
 * stopped process, caches dropped when another connection wrote (PRAGMA data_version), and
 * the allocation counters being per thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "sync/jobs.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

/* 2026-01-07T14:37:12.345Z, a Wednesday (2026-01-01 was a Thursday). */
static const int64_t T0 = 1767796632345LL;
static int64_t at(int64_t days_since_2026, int h, int m) { return 1767225600000LL + days_since_2026 * DAY + h * HOUR + m * MIN; }

static hub__sched sched(const char *spec) {
  hub__sched s;
  char err[300];
  if (hub__sched_parse(spec, &s, err, sizeof err)) {
    fprintf(stderr, "FAIL cannot parse %s: %s\n", spec, err);
    exit(1);
  }
  return s;
}

static void test_parse(void) {
  static const char *const good[] = {"off", "30s", "5m", "1h", "6h", "7d", "366d", "@hourly", "@daily", "@weekly",
                                     "0 4 * * 0", "*/15 * * * *", "0 9-17/2 * * 1-5", "5,35 * 1,15 * 7", "0 0 29 2 *"};
  static const char *const bad[] = {"", "0s", "1x", "h", "1h30m", "367d", "60 * * * *", "* * * *", "* * * * * *",
                                    "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "5-1 * * * *", "*/0 * * * *",
                                    "a * * * *", "every 1h"};
  hub__sched s;
  char err[300];
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) CHECK(hub__sched_parse(good[i], &s, err, sizeof err) == 0, "parses \"%s\" (%s)", good[i], err);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    CHECK(hub__sched_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "cron"), "refuses \"%s\"", bad[i]);
  }
  CHECK(hub__sched_parse(NULL, &s, err, sizeof err) == -1, "refuses NULL");
  s = sched("off");
  CHECK(hub__sched_slot(&s, T0) == -1 && hub__sched_next(&s, T0) == -1, "off has no slot");
}

static void test_interval(void) {
  hub__sched s = sched("1h");
  CHECK(hub__sched_slot(&s, T0) == at(6, 14, 0), "1h: the slot of 14:37 is 14:00 UTC");
  CHECK(hub__sched_next(&s, T0) == at(6, 15, 0), "1h: the next after 14:37 is 15:00");
  CHECK(hub__sched_next(&s, at(6, 14, 0)) == at(6, 15, 0), "1h: next is strictly after a slot");
  CHECK(hub__sched_slot(&s, at(6, 14, 0)) == at(6, 14, 0), "1h: a slot time is its own slot");
  s = sched("6h");
  CHECK(hub__sched_slot(&s, T0) == at(6, 12, 0) && hub__sched_next(&s, T0) == at(6, 18, 0), "6h: 12:00 then 18:00 UTC");
  s = sched("5m");
  CHECK(hub__sched_slot(&s, T0) == at(6, 14, 35), "5m: 14:35");
  s = sched("30s");
  CHECK(hub__sched_slot(&s, T0) == at(6, 14, 37) && hub__sched_next(&s, T0) == at(6, 14, 37) + 30000,
        "30s: 14:37:00 then 14:37:30");
}

static void test_cron(void) {
  hub__sched s = sched("0 4 * * 0"); /* Sundays 04:00 UTC */
  CHECK(hub__sched_slot(&s, T0) == at(3, 4, 0), "weekly cron: the last Sunday 04:00 (2026-01-04) %lld",
        (long long)hub__sched_slot(&s, T0));
  CHECK(hub__sched_next(&s, T0) == at(10, 4, 0), "weekly cron: the next Sunday 04:00 (2026-01-11)");
  CHECK(hub__sched_slot(&s, at(3, 4, 0)) == at(3, 4, 0) && hub__sched_next(&s, at(3, 4, 0)) == at(10, 4, 0),
        "weekly cron: a slot time is its own slot; next is a week on");
  s = sched("@weekly");
  CHECK(hub__sched_slot(&s, T0) == at(3, 0, 0), "@weekly: Sunday 00:00");
  s = sched("*/15 * * * *");
  CHECK(hub__sched_slot(&s, T0) == at(6, 14, 30) && hub__sched_next(&s, T0) == at(6, 14, 45), "*/15: 14:30 then 14:45");
  s = sched("0 9-17/2 * * 1-5"); /* weekdays 9, 11, 13, 15, 17 */
  CHECK(hub__sched_slot(&s, T0) == at(6, 13, 0) && hub__sched_next(&s, T0) == at(6, 15, 0), "ranges with steps");
  CHECK(hub__sched_next(&s, at(8, 17, 0)) == at(11, 9, 0), "Friday 17:00 → Monday 09:00");
  s = sched("0 0 13 * 5"); /* the 13th, or any Friday: either day field matches, as in cron */
  CHECK(hub__sched_next(&s, T0) == at(8, 0, 0), "dom/dow: Friday 2026-01-09 comes first");
  CHECK(hub__sched_next(&s, at(8, 0, 0)) == at(12, 0, 0), "dom/dow: then Tuesday the 13th");
  s = sched("0 0 * * 7");
  CHECK(hub__sched_slot(&s, T0) == at(3, 0, 0), "weekday 7 is Sunday");
  s = sched("0 0 29 2 *");
  CHECK(hub__sched_slot(&s, at(59, 0, 0)) == 1709164800000LL, "Feb 29: the last one is 2024-02-29");
  CHECK(hub__sched_next(&s, at(59, 0, 0)) == 1835395200000LL, "Feb 29: the next one is 2028-02-29");
  s = sched("0 0 31 2 *");
  CHECK(hub__sched_slot(&s, T0) == -1 && hub__sched_next(&s, T0) == -1, "a date that never comes: no slot");
}

static void test_jitter(void) {
  hub__sched s = sched("1h"), m = sched("5m");
  int64_t slot = at(6, 14, 0), j = hub__sched_jitter(&s, "ingest", slot, 60000), k, spread = 0;
  int i;
  CHECK(j >= 0 && j <= 60000 && j == hub__sched_jitter(&s, "ingest", slot, 60000), "jitter is in range and fixed by (job, slot)");
  for (i = 0; i < 24; i++) spread |= hub__sched_jitter(&s, "ingest", slot + i * HOUR, 60000) != j;
  CHECK(spread, "jitter moves between slots");
  CHECK(hub__sched_jitter(&s, "gfi", slot, 60000) != j, "jitter differs between jobs");
  CHECK(hub__sched_jitter(&s, "ingest", slot, 0) == 0, "no jitter when max is 0");
  for (i = 0, k = 0; i < 100; i++) k |= hub__sched_jitter(&m, "diagnostics", at(6, 14, 0) + i * 5 * MIN, 600000) > 30000;
  CHECK(!k, "jitter is at most a tenth of the period (5m → 30 s)");
}

/* ---- claims on a simulated clock ---------------------------------------------------------- */

static cJSON *claim(hub *h, const char *job, const char *spec, int64_t now, int64_t jitter) {
  return tu_call(h, "{\"cmd\":\"job_claim\",\"job\":\"%s\",\"schedule\":\"%s\",\"now\":%lld,\"jitter_ms\":%lld}", job,
                 spec, (long long)now, (long long)jitter);
}

static int done(hub *h, const char *job, int64_t slot, int64_t now, const char *status) {
  cJSON *r = tu_call(h, "{\"cmd\":\"job_done\",\"job\":\"%s\",\"slot\":%lld,\"now\":%lld,\"status\":\"%s\",\"stats\":{\"n\":1}}",
                     job, (long long)slot, (long long)now, status);
  int ok = tu_str(r, "status") && strcmp(tu_str(r, "status"), status) == 0;
  cJSON_Delete(r);
  return ok;
}

static int claimed(const cJSON *r) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "claimed")); }

/* Three simulated days of an hourly job with jitter, waking only when told (next_at). */
static void test_three_days(hub *h) {
  int64_t now = T0, last = -1, end = T0 + 3 * DAY;
  int runs = 0, wakes = 0, early = 0, repeat = 0, late = 0;
  while (now < end && wakes < 1000) {
    cJSON *r = claim(h, "ingest", "1h", now, 60000);
    int64_t next = (int64_t)tu_num(r, "next_at");
    wakes++;
    if (claimed(r)) {
      int64_t slot = (int64_t)tu_num(r, "slot");
      runs++;
      repeat += slot <= last;
      early += now < slot || now < (int64_t)tu_num(r, "due_at");
      late += last >= 0 && slot != last + HOUR;
      last = slot;
      now += 1234; /* the run takes a second */
      if (!done(h, "ingest", slot, now, "ok")) late++;
    }
    CHECK(next > now || claimed(r), "next_at is ahead (%lld ≤ %lld)", (long long)next, (long long)now);
    if (next > now) now = next;
    cJSON_Delete(r);
  }
  CHECK(runs == 73 && !repeat && !early && !late, "3 days hourly: 73 runs, one per slot, none early (%d runs, %d wakes)", runs,
        wakes);
  CHECK(wakes <= 2 * runs + 1, "the driver wakes about once per run (%d)", wakes);
}

static void test_missed_and_crash(hub *h) {
  int64_t t = at(30, 10, 0) + 5000, slot;
  cJSON *r = claim(h, "gfi", "1h", t, 0), *r2;
  slot = (int64_t)tu_num(r, "slot");
  CHECK(claimed(r) && slot == at(30, 10, 0) && tu_num(r, "coalesced") == 0, "first claim runs at once");
  cJSON_Delete(r);
  CHECK(done(h, "gfi", slot, t + 100, "ok"), "job_done records the outcome");
  r = claim(h, "gfi", "1h", t + 1000, 0);
  CHECK(!claimed(r) && tu_num(r, "next_at") == (double)at(30, 11, 0), "the same slot is not claimed twice");
  cJSON_Delete(r);
  /* down for five and a half hours: one run for the latest slot */
  t = at(30, 15, 30);
  r = claim(h, "gfi", "1h", t, 0);
  CHECK(claimed(r) && tu_num(r, "slot") == (double)at(30, 15, 0) && tu_num(r, "coalesced") == 4,
        "missed slots coalesce: slot 15:00 once, 4 skipped (%g)", tu_num(r, "coalesced"));
  /* the process dies during that run: the claim after the restart marks it interrupted and
   * never reruns it */
  r2 = claim(h, "gfi", "1h", t + 60000, 0);
  CHECK(!claimed(r2) && tu_num(r2, "interrupted") == 1, "a run left running is interrupted, its slot not rerun");
  cJSON_Delete(r2);
  r2 = tu_call(h, "{\"cmd\":\"job_done\",\"job\":\"gfi\",\"slot\":%lld,\"now\":%lld,\"status\":\"ok\"}",
               (long long)tu_num(r, "slot"), (long long)t);
  CHECK(tu_str(r2, "error.code") && strcmp(tu_str(r2, "error.code"), "not_found") == 0, "job_done on an interrupted slot → not_found");
  cJSON_Delete(r2);
  cJSON_Delete(r);
  /* the clock goes back two hours: nothing runs again before the next new slot */
  r = claim(h, "gfi", "1h", at(30, 13, 30), 0);
  CHECK(!claimed(r) && tu_num(r, "next_at") == (double)at(30, 16, 0), "a clock moved back repeats no slot");
  cJSON_Delete(r);
  r = claim(h, "gfi", "1h", at(30, 16, 0), 0);
  CHECK(claimed(r) && tu_num(r, "coalesced") == 0, "the next slot runs");
  CHECK(done(h, "gfi", (int64_t)tu_num(r, "slot"), at(30, 16, 1), "partial"), "partial recorded");
  cJSON_Delete(r);
  r = claim(h, "cleanup", "off", t, 0);
  CHECK(!claimed(r) && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "next_at")), "an off job never runs");
  cJSON_Delete(r);
  r = claim(h, "Bad Name", "1h", t, 0);
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), "job") == 0, "a bad job name is refused");
  cJSON_Delete(r);
  r = claim(h, "x", "1q", t, 0);
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), "schedule") == 0, "a bad schedule is refused");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"job_done\",\"job\":\"gfi\",\"slot\":1,\"now\":1,\"status\":\"running\"}");
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), "status") == 0, "status running is not an outcome");
  cJSON_Delete(r);
}

static void test_listing_and_prune(hub *h) {
  cJSON *r = tu_call(h, "{\"cmd\":\"jobs\",\"now\":%lld,\"schedules\":{\"gfi\":\"1h\",\"diagnostics\":\"5m\"}}",
                     (long long)at(30, 16, 20)),
        *jobs = cJSON_GetObjectItemCaseSensitive(r, "jobs"), *e;
  int seen = 0;
  cJSON_ArrayForEach(e, jobs) {
    const char *j = tu_str(e, "job");
    if (strcmp(j, "gfi") == 0)
      seen += tu_num(e, "next_at") == (double)at(30, 17, 0) && strcmp(tu_str(e, "last.status"), "partial") == 0 &&
              strcmp(tu_str(e, "schedule"), "1h") == 0;
    if (strcmp(j, "diagnostics") == 0) seen += cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "last")) && tu_num(e, "next_at") == (double)at(30, 16, 20);
    if (strcmp(j, "ingest") == 0) seen += strcmp(tu_str(e, "last.status"), "ok") == 0 && !cJSON_GetObjectItemCaseSensitive(e, "schedule");
  }
  CHECK(seen == 3 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "recent")) == 20,
        "jobs lists scheduled and recorded jobs with last run and next due time (%d)", seen);
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"jobs\",\"schedules\":{\"ingest\":\"every hour\"}}");
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), "schedules.ingest") == 0, "a bad schedule names its job");
  cJSON_Delete(r);
  /* prune: everything finished before day 30 goes, except each job's latest */
  r = tu_call(h, "{\"cmd\":\"runs_prune\",\"before\":%lld}", (long long)at(30, 0, 0));
  CHECK(tu_num(r, "jobs_deleted") == 72, "runs_prune deletes old job records (%g)", tu_num(r, "jobs_deleted"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"runs_prune\",\"before\":%lld}", (long long)at(40, 0, 0));
  CHECK(tu_num(r, "jobs_deleted") == 2, "… keeping the latest of each job (%g)", tu_num(r, "jobs_deleted"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"jobs\"}");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "recent")) == 2, "one record left per job");
  cJSON_Delete(r);
}

static void test_diagnose(hub *h) {
  cJSON *r = tu_call(h, "{\"cmd\":\"diagnose\",\"now\":%lld}", (long long)T0);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) && strcmp(tu_str(r, "quick_check"), "ok") == 0,
        "diagnose: quick_check ok");
  CHECK(tu_num(r, "tables.items") == 0 && tu_num(r, "tables.job_runs") == 2 && tu_num(r, "tables.settings") >= 0,
        "diagnose counts every table");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "problems")) == 0, "no problems");
  CHECK(strcmp(tu_str(r, "jobs.gfi"), "partial") == 0, "the jobs' last statuses");
  cJSON_Delete(r);
}

/* ---- core fixes that came with the scheduler ----------------------------------------------- */

static void test_sources_option(hub *h) {
  cJSON *r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000,\"sources\":[\"gfi\",\"nope\"]}");
  CHECK(tu_str(r, "error.field") && strcmp(tu_str(r, "error.field"), "sources") == 0, "an unknown source is refused");
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000,\"sources\":[]}");
  CHECK(tu_str(r, "error.field") != NULL, "an empty list is refused");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"repos\":[\"o/r\"]}}"));
  r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000}");
  CHECK(tu_num(r, "planned") > 0, "all sources: GitHub plans requests (%g)", tu_num(r, "planned"));
  cJSON_Delete(r);
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_abort\"}"));
  r = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1000,\"sources\":[\"tangled\"]}");
  CHECK(tu_num(r, "planned") == 0, "sources:[tangled]: GitHub plans nothing (%g)", tu_num(r, "planned"));
  cJSON_Delete(r);
  r = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1001}");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "done")) && strcmp(tu_str(r, "run.status"), "ok") == 0,
        "… and the run completes");
  cJSON_Delete(r);
}

static void test_stale_runs(const char *path) {
  hub *a = NULL, *b = NULL;
  char err[256];
  cJSON *r;
  CHECK(hub_open(path, NULL, &a, err, sizeof err) == 0, "open a: %s", err);
  cJSON_Delete(tu_call(a, "{\"cmd\":\"sync_start\",\"now\":5000,\"sources\":[\"tangled\"]}"));
  hub_close(a); /* as if the process died: the run stays "running" */
  CHECK(hub_open(path, NULL, &b, err, sizeof err) == 0, "open b: %s", err);
  r = tu_call(b, "{\"cmd\":\"last_run\"}");
  CHECK(strcmp(tu_str(r, "run.status"), "running") == 0, "the interrupted run is left running");
  cJSON_Delete(r);
  cJSON_Delete(tu_call(b, "{\"cmd\":\"sync_start\",\"now\":9000,\"sources\":[\"tangled\"]}"));
  cJSON_Delete(tu_call(b, "{\"cmd\":\"sync_next\",\"now\":9001}"));
  r = tu_call(b, "{\"cmd\":\"runs\",\"limit\":2}");
  CHECK(strcmp(tu_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "runs"), 1), "status"), "aborted") == 0 &&
            tu_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "runs"), 1), "finished") == 9000,
        "the next sync_start closes it as aborted");
  cJSON_Delete(r);
  hub_close(b);
}

static void test_data_version(const char *path) {
  hub *a = NULL, *b = NULL;
  char err[256];
  CHECK(hub_open(path, NULL, &a, err, sizeof err) == 0 && hub_open(path, NULL, &b, err, sizeof err) == 0, "open: %s", err);
  cJSON_Delete(tu_call(a, "{\"cmd\":\"stats\"}"));
  CHECK(hub__weights_get(a)->decay_days == 30, "a's weights: decay 30 days");
  cJSON_Delete(tu_call(b, "{\"cmd\":\"settings\",\"set\":{\"decay_days\":2}}"));
  cJSON_Delete(tu_call(a, "{\"cmd\":\"stats\"}"));
  CHECK(hub__weights_get(a)->decay_days == 2, "another connection's settings change reaches a's weights at its next call (%g)",
        hub__weights_get(a)->decay_days);
  cJSON_Delete(tu_call(a, "{\"cmd\":\"stats\"}"));
  CHECK(a->weights != NULL, "without a change, a's cache is kept");
  cJSON_Delete(tu_call(a, "{\"cmd\":\"settings\",\"set\":{\"decay_days\":30}}"));
  CHECK(hub__weights_get(a)->decay_days == 30, "a's own change too");
  hub_close(a);
  hub_close(b);
}

static void *other_thread(void *arg) {
  void *p, *q;
  (void)arg;
  hub_alloc_fail_at(1);
  p = hub__malloc(16);
  q = hub__malloc(16);
  hub_alloc_fail_at(0);
  hub_free(q);
  return p == NULL && q != NULL ? (void *)1 : NULL;
}

static void test_alloc_per_thread(void) {
  pthread_t t;
  void *ok = NULL, *p;
  long before = hub_alloc_count();
  hub_alloc_fail_at(3);
  pthread_create(&t, NULL, other_thread, NULL);
  pthread_join(t, &ok);
  CHECK(ok == (void *)1, "another thread's failure point is its own");
  CHECK(hub_alloc_count() == before, "another thread's allocations are not counted here");
  p = hub__malloc(8);
  hub_free(p);
  p = hub__malloc(8);
  hub_free(p);
  p = hub__malloc(8);
  CHECK(p == NULL, "this thread's third allocation fails as set");
  hub_alloc_fail_at(0);
}

int main(void) {
  hub *h = NULL;
  char err[256], path[64];
  hub__mem_init();
  test_parse();
  test_interval();
  test_cron();
  test_jitter();
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "FAIL open: %s\n", err);
    return 1;
  }
  test_three_days(h);
  test_missed_and_crash(h);
  test_listing_and_prune(h);
  test_diagnose(h);
  test_sources_option(h);
  hub_close(h);
  snprintf(path, sizeof path, "/tmp/hub-jobs-test-%d.db", (int)getpid());
  test_stale_runs(path);
  test_data_version(path);
  unlink(path);
  strcat(path, "-wal");
  unlink(path);
  path[strlen(path) - 4] = 0;
  strcat(path, "-shm");
  unlink(path);
  test_alloc_per_thread();
  printf("jobs tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
