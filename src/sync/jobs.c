/*
 * jobs.c — scheduled jobs: schedules and their slots (pure), the job_runs record and the
 * diagnostics canary (sync layer; see jobs.h; the only writer of table job_runs).
 *
 * A driver (hubd's scheduler) asks job_claim for each job whenever it wakes: the answer says
 * whether to run now (the slot is then recorded as "running" in the same transaction, before
 * any work) and when to ask again. After the work it records the outcome with job_done. A row
 * still "running" when its job is claimed again was left by a process that stopped during the
 * run (one driver runs a job at a time): it becomes "interrupted" and its slot is not run
 * again. Statuses: running, ok, partial, error, aborted, skipped, offline, interrupted.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "sync/jobs.h"
#include "sync/sync.h"

#define MINUTE_MS 60000LL
#define DAY_MS 86400000LL
#define MAX_EVERY_MS (366LL * DAY_MS)
#define MAX_NOW_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define MAX_COALESCED 100000         /* slots counted between two claims, at most */
#define JOBS_LIST_MAX 500

/* ---- schedules (pure) ------------------------------------------------------------------------ */

/* Parses a decimal number at *p (advancing it) into [lo, hi]. 0 or -1. */
static int num_at(const char **p, int lo, int hi, int *out) {
  int v = 0, n = 0;
  while (**p >= '0' && **p <= '9' && n < 6) {
    v = v * 10 + (**p - '0');
    (*p)++;
    n++;
  }
  if (n == 0 || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Parses one cron field (text up to a space or NUL) into the bits of [lo, hi]. *any is set when
 * the field is "*". Returns 0 or -1. */
static int cron_field(const char **p, int lo, int hi, uint64_t *bits, int *any) {
  *bits = 0;
  *any = **p == '*' && ((*p)[1] == ' ' || (*p)[1] == 0);
  for (;;) {
    int a = lo, b = hi, step = 1, v;
    if (**p == '*') {
      (*p)++;
    } else {
      if (num_at(p, lo, hi, &a)) return -1;
      b = a;
      if (**p == '-') {
        (*p)++;
        if (num_at(p, lo, hi, &b) || b < a) return -1;
      }
    }
    if (**p == '/') {
      (*p)++;
      if (num_at(p, 1, hi - lo + 1, &step)) return -1;
      if (a == b) b = hi; /* "5/15" means 5-hi/15, as in cron */
    }
    for (v = a; v <= b; v += step) *bits |= 1ULL << v;
    if (**p != ',') break;
    (*p)++;
  }
  return **p == ' ' || **p == 0 ? 0 : -1;
}

static int parse_cron(const char *spec, hub__sched *s) {
  static const struct {
    int lo, hi;
  } range[5] = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
  uint64_t bits[5];
  int any[5], i;
  const char *p = spec;
  for (i = 0; i < 5; i++) {
    while (*p == ' ') p++;
    if (!*p || cron_field(&p, range[i].lo, range[i].hi, &bits[i], &any[i])) return -1;
  }
  while (*p == ' ') p++;
  if (*p) return -1;
  s->kind = HUB_SCHED_CRON;
  s->minute = bits[0];
  s->hour = (uint32_t)bits[1];
  s->mday = (uint32_t)bits[2];
  s->month = (uint16_t)bits[3];
  s->wday = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
  s->mday_any = any[2];
  s->wday_any = any[4];
  return 0;
}

int hub__sched_parse(const char *spec, hub__sched *s, char *err, size_t errlen) {
  static const struct {
    const char *alias, *cron;
  } aliases[] = {{"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"}, {"@weekly", "0 0 * * 0"}};
  size_t i, n;
  memset(s, 0, sizeof *s);
  if (!spec || !*spec || strlen(spec) > 200) goto bad;
  if (strcmp(spec, "off") == 0) return 0;
  for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(spec, aliases[i].alias) == 0) spec = aliases[i].cron;
  n = strlen(spec);
  if (n >= 2 && spec[0] >= '0' && spec[0] <= '9' && strchr("smhd", spec[n - 1]) && !strchr(spec, ' ')) {
    static const int64_t unit[] = {1000, 60000, 3600000, 86400000};
    const char *p = spec;
    int v;
    if (num_at(&p, 1, 999999, &v) || p != spec + n - 1) goto bad;
    s->kind = HUB_SCHED_EVERY;
    s->every_ms = (int64_t)v * unit[strchr("smhd", spec[n - 1]) - "smhd"];
    if (s->every_ms > MAX_EVERY_MS) goto bad;
    return 0;
  }
  if (parse_cron(spec, s) == 0) return 0;
bad:
  snprintf(err, errlen,
           "a schedule is \"off\", an interval like \"30s\", \"5m\", \"1h\" or \"7d\" (at most 366d), "
           "\"@hourly\", \"@daily\", \"@weekly\" or 5 cron fields in UTC like \"0 4 * * 0\"");
  return -1;
}

/* Month and weekday of day number d (days since 1970-01-01), by H. Hinnant's algorithm. */
static void civil(int64_t d, int *mon, int *mday, int *wday) {
  int64_t z = d + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  *mday = (int)(doy - (153 * mp + 2) / 5 + 1);
  *mon = (int)(mp < 10 ? mp + 3 : mp - 9);
  *wday = (int)(((d % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

static int day_matches(const hub__sched *s, int64_t day) {
  int mon, mday, wday, dm, wm;
  civil(day, &mon, &mday, &wday);
  if (!(s->month >> mon & 1)) return 0;
  dm = (int)(s->mday >> mday & 1);
  wm = s->wday >> wday & 1;
  if (s->mday_any || s->wday_any) return dm && wm;
  return dm || wm;
}

/* The matching minute of a day at or before (dir < 0) / at or after (dir > 0) minute m of the
 * day (0..1439); -1 when none. */
static int minute_in_day(const hub__sched *s, int m, int dir) {
  for (; m >= 0 && m < 1440; m += dir)
    if ((s->hour >> (m / 60) & 1) && (s->minute >> (m % 60) & 1)) return m;
  return -1;
}

/* The cron slot at or before (dir < 0) / at or after (dir > 0) the minute containing t. */
static int64_t cron_find(const hub__sched *s, int64_t t, int dir) {
  int64_t day = t / DAY_MS, k;
  int m = (int)((t % DAY_MS) / MINUTE_MS);
  for (k = 0; k <= HUB_SCHED_HORIZON_DAYS; k++, day += dir, m = dir < 0 ? 1439 : 0) {
    int found;
    if (day < 0 || !day_matches(s, day)) continue;
    found = minute_in_day(s, m, dir);
    if (found >= 0) return day * DAY_MS + found * MINUTE_MS;
  }
  return -1;
}

int64_t hub__sched_slot(const hub__sched *s, int64_t now_ms) {
  if (now_ms < 0 || now_ms > MAX_NOW_MS) return -1;
  if (s->kind == HUB_SCHED_EVERY) return now_ms / s->every_ms * s->every_ms;
  if (s->kind == HUB_SCHED_CRON) return cron_find(s, now_ms, -1);
  return -1;
}

int64_t hub__sched_next(const hub__sched *s, int64_t after_ms) {
  if (after_ms < -1 || after_ms > MAX_NOW_MS) return -1;
  if (s->kind == HUB_SCHED_EVERY) return (after_ms < 0 ? 0 : after_ms / s->every_ms * s->every_ms + s->every_ms);
  if (s->kind == HUB_SCHED_CRON) return cron_find(s, (after_ms < 0 ? 0 : after_ms / MINUTE_MS * MINUTE_MS + MINUTE_MS), 1);
  return -1;
}

int64_t hub__sched_jitter(const hub__sched *s, const char *job, int64_t slot, int64_t max_ms) {
  int64_t next = hub__sched_next(s, slot), cap = max_ms;
  uint64_t x;
  if (next > slot && (next - slot) / 10 < cap) cap = (next - slot) / 10;
  if (cap <= 0) return 0;
  x = hub__mix64(hub__fnv1a(HUB_FNV_INIT, job, strlen(job)) ^ (uint64_t)slot);
  return (int64_t)(x % (uint64_t)(cap + 1));
}

/* The number of slots strictly between a and b (a < b), at most MAX_COALESCED. */
static int64_t slots_between(const hub__sched *s, int64_t a, int64_t b) {
  int64_t n = 0, t = a;
  if (s->kind == HUB_SCHED_EVERY) return b > a ? (b - a) / s->every_ms - 1 : 0;
  while (n < MAX_COALESCED && (t = hub__sched_next(s, t)) > 0 && t < b) n++;
  return n;
}

/* ---- requests ------------------------------------------------------------------------------ */

/* 1 when j is a job name: [a-z0-9_-]{1,32}. */
static int valid_name(const char *j) {
  size_t i, n = j ? strlen(j) : 0;
  for (i = 0; i < n; i++)
    if (!((j[i] >= 'a' && j[i] <= 'z') || (j[i] >= '0' && j[i] <= '9') || j[i] == '_' || j[i] == '-')) return 0;
  return n > 0 && n <= HUB_JOB_NAME_MAX;
}

/* The job name of req, or NULL with *err set. */
static const char *job_name(const cJSON *req, cJSON **err) {
  const char *j = hub__json_str(req, "job");
  if (valid_name(j)) return j;
  *err = hub__error_field(HUB_E_BAD_REQUEST, "job", "\"job\" is a name of 1 to 32 of a-z 0-9 _ -");
  return NULL;
}

static int get_now(const cJSON *req, int64_t *now, cJSON **err) {
  if (hub__json_int(req, "now", 0, MAX_NOW_MS, now) == 1) return 0;
  *err = hub__error_field(HUB_E_BAD_REQUEST, "now", "\"now\" (ms since the epoch) is required");
  return -1;
}

static int get_sched(const char *spec, const char *field, hub__sched *s, cJSON **err) {
  char msg[300];
  if (hub__sched_parse(spec, s, msg, sizeof msg)) {
    *err = hub__error_field(HUB_E_BAD_REQUEST, field, msg);
    return -1;
  }
  return 0;
}

static int64_t get_jitter(const cJSON *req) {
  int64_t j = 0;
  hub__json_int(req, "jitter_ms", 0, DAY_MS, &j);
  return j;
}

/* ---- job_claim ----------------------------------------------------------------------------- */

/* Decides and records the claim inside the open transaction; fills res. 0 or -1 (h->errmsg). */
static int claim(hub *h, const char *job, const hub__sched *s, int64_t now, int64_t jitter, cJSON *res) {
  int64_t last, slot, due, next, coalesced = 0;
  int stale;
  stale = hub__db_run(h,
                      "UPDATE job_runs SET status='interrupted',finished=?,"
                      "error='the server stopped during the run' WHERE job=? AND status='running'",
                      "it", now, job);
  if (stale < 0) return -1;
  cJSON_AddNumberToObject(res, "interrupted", stale);
  last = hub__db_int(h, "SELECT coalesce(max(slot),-1) FROM job_runs WHERE job=?", "t", -1, job);
  slot = hub__sched_slot(s, now);
  cJSON_AddBoolToObject(res, "claimed", 0);
  if (slot < 0) {
    next = hub__sched_next(s, now);
  } else if (last >= slot) { /* done (or a clock gone backwards): the next slot after both */
    next = hub__sched_next(s, last > slot ? last : slot);
  } else if (now < (due = slot + hub__sched_jitter(s, job, slot, jitter))) {
    next = slot;
  } else {
    if (last >= 0) coalesced = slots_between(s, last, slot);
    if (hub__db_run(h, "INSERT INTO job_runs(job,slot,status,started,coalesced) VALUES(?,?,'running',?,?)",
                    "tiii", job, slot, now, coalesced) < 0)
      return -1;
    cJSON_ReplaceItemInObject(res, "claimed", cJSON_CreateTrue());
    cJSON_AddNumberToObject(res, "due_at", (double)due);
    cJSON_AddNumberToObject(res, "coalesced", (double)coalesced);
    next = hub__sched_next(s, slot);
  }
  if (slot >= 0) cJSON_AddNumberToObject(res, "slot", (double)slot);
  else cJSON_AddNullToObject(res, "slot");
  if (next >= 0) cJSON_AddNumberToObject(res, "next_at", (double)(next + hub__sched_jitter(s, job, next, jitter)));
  else cJSON_AddNullToObject(res, "next_at");
  return 0;
}

/* job_claim {job, schedule, now[, jitter_ms]}: claims the due slot of job, if any.
 * → {"job","claimed":true,"slot","due_at","coalesced","next_at","interrupted"} (run it now and
 *   report with job_done), or {"job","claimed":false,"slot"|null,"next_at"|null,"interrupted"}
 *   (ask again at next_at; null: the schedule is off or has no slot ahead). */
cJSON *hub__job_claim_cmd(hub *h, const cJSON *req) {
  cJSON *err = NULL, *res;
  const char *job = job_name(req, &err);
  hub__sched s;
  int64_t now;
  if (!job || get_now(req, &now, &err) || get_sched(hub__json_str(req, "schedule"), "schedule", &s, &err)) return err;
  res = cJSON_CreateObject();
  if (!res) return hub__error_json(HUB_E_NOMEM, NULL);
  cJSON_AddStringToObject(res, "job", job);
  if (hub__db_begin(h) || claim(h, job, &s, now, get_jitter(req), res) || hub__db_commit(h)) {
    hub__db_rollback(h);
    cJSON_Delete(res);
    return hub__error_json(HUB_E_DB, h->errmsg);
  }
  return res;
}

/* ---- job_done ------------------------------------------------------------------------------- */

/* job_done {job, slot, now, status[, stats][, error]}: records the outcome of a claimed run.
 * status is a word (ok, partial, error, aborted, skipped, offline); stats any JSON object
 * (≤ 64 KiB printed). → {"job","slot","status"}; not_found when that slot is not running. */
cJSON *hub__job_done_cmd(hub *h, const cJSON *req) {
  cJSON *err = NULL, *res;
  const char *job = job_name(req, &err), *status = hub__json_str(req, "status"), *msg = hub__json_str(req, "error");
  const cJSON *stats = cJSON_GetObjectItemCaseSensitive(req, "stats");
  char *stext = NULL;
  int64_t slot, now;
  int n;
  size_t i;
  if (!job || get_now(req, &now, &err)) return err;
  if (hub__json_int(req, "slot", 0, MAX_NOW_MS, &slot) != 1)
    return hub__error_field(HUB_E_BAD_REQUEST, "slot", "\"slot\" (ms) is required");
  for (i = 0; status && status[i] && status[i] >= 'a' && status[i] <= 'z'; i++) {
  }
  if (!status || i == 0 || status[i] || i > 16 || strcmp(status, "running") == 0)
    return hub__error_field(HUB_E_BAD_REQUEST, "status", "\"status\" is a word such as ok, partial, error, aborted");
  if (stats && !cJSON_IsObject(stats)) return hub__error_field(HUB_E_BAD_TYPE, "stats", "\"stats\" is an object");
  stext = stats ? cJSON_PrintUnformatted(stats) : hub__strdup("{}");
  if (!stext) return hub__error_json(HUB_E_NOMEM, NULL);
  if (strlen(stext) > 65536 || (msg && strlen(msg) > 4096)) {
    hub_free(stext);
    return hub__error_json(HUB_E_TOO_BIG, "stats over 64 KiB or error over 4 KiB");
  }
  n = hub__db_run(h,
                  "UPDATE job_runs SET status=?,finished=?,stats=?,error=? WHERE job=? AND slot=? AND status='running'",
                  "titt" "ti", status, now, stext, msg, job, slot);
  hub_free(stext);
  if (n < 0) return hub__error_json(HUB_E_DB, h->errmsg);
  if (n == 0) return hub__error_json(HUB_E_NOT_FOUND, "no running claim for that job and slot");
  res = cJSON_CreateObject();
  cJSON_AddStringToObject(res, "job", job);
  cJSON_AddNumberToObject(res, "slot", (double)slot);
  cJSON_AddStringToObject(res, "status", status);
  return res;
}

/* ---- jobs ---------------------------------------------------------------------------------- */

#define JOB_COLS "job,slot,status,started,finished,coalesced,stats,error"

static cJSON *row_json(sqlite3_stmt *st) {
  cJSON *o = cJSON_CreateObject(), *stats;
  const char *t;
  int i;
  static const char *const nums[] = {"slot", "started", "finished", "coalesced"};
  static const int cols[] = {1, 3, 4, 5};
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "job", (const char *)sqlite3_column_text(st, 0));
  cJSON_AddStringToObject(o, "status", (const char *)sqlite3_column_text(st, 2));
  for (i = 0; i < 4; i++) {
    if (sqlite3_column_type(st, cols[i]) == SQLITE_NULL) cJSON_AddNullToObject(o, nums[i]);
    else cJSON_AddNumberToObject(o, nums[i], (double)sqlite3_column_int64(st, cols[i]));
  }
  t = (const char *)sqlite3_column_text(st, 6);
  stats = t ? cJSON_Parse(t) : NULL;
  hub__put(o, "stats", stats ? stats : cJSON_CreateObject());
  t = (const char *)sqlite3_column_text(st, 7);
  if (t) cJSON_AddStringToObject(o, "error", t);
  else cJSON_AddNullToObject(o, "error");
  return o;
}

/* One entry of "jobs": the job's schedule (when given), its latest run and, with now, when it
 * is next due. 0, or -1 with *err. */
static int job_entry(hub *h, cJSON *arr, const char *job, const cJSON *spec, int64_t now, int64_t jitter,
                     cJSON **err) {
  cJSON *e = cJSON_CreateObject();
  sqlite3_stmt *st;
  char field[64];
  hub__sched s;
  if (!e) goto oom;
  hub__push(arr, e);
  cJSON_AddStringToObject(e, "job", job);
  st = hub__db_q(h, "SELECT " JOB_COLS " FROM job_runs WHERE job=? ORDER BY slot DESC LIMIT 1", "t", job);
  if (!st) {
    *err = hub__error_json(HUB_E_DB, h->errmsg);
    return -1;
  }
  if (sqlite3_step(st) == SQLITE_ROW) hub__put(e, "last", row_json(st));
  else cJSON_AddNullToObject(e, "last");
  hub__db_done(h, st);
  if (!spec) return 0;
  snprintf(field, sizeof field, "schedules.%.40s", job);
  if (!valid_name(job)) {
    *err = hub__error_field(HUB_E_BAD_REQUEST, field, "a job name is 1 to 32 of a-z 0-9 _ -");
    return -1;
  }
  if (get_sched(cJSON_GetStringValue(spec), field, &s, err)) return -1;
  cJSON_AddStringToObject(e, "schedule", spec->valuestring);
  if (now > 0 && s.kind != HUB_SCHED_OFF) {
    int64_t last = hub__db_int(h, "SELECT coalesce(max(slot),-1) FROM job_runs WHERE job=?", "t", -1, job);
    int64_t slot = hub__sched_slot(&s, now), next = slot > last ? slot : hub__sched_next(&s, last > now ? last : now);
    if (next >= 0) cJSON_AddNumberToObject(e, "next_at", (double)(next + hub__sched_jitter(&s, job, next, jitter)));
  }
  return 0;
oom:
  *err = hub__error_json(HUB_E_NOMEM, NULL);
  return -1;
}

/* jobs {[now][, schedules:{job: spec}][, jitter_ms][, limit]}: each scheduled job (and each job
 * with a record) with its latest run and, given now and its schedule, when it is next due;
 * plus the latest `limit` (20) records. Checks every schedule given: a bad one is an error
 * naming "schedules.<job>". → {"jobs":[{"job","schedule"?,"last","next_at"?}],"recent":[…]} */
cJSON *hub__jobs_cmd(hub *h, const cJSON *req) {
  const cJSON *scheds = cJSON_GetObjectItemCaseSensitive(req, "schedules"), *sp;
  cJSON *res = cJSON_CreateObject(), *arr, *recent, *err = NULL;
  sqlite3_stmt *st;
  int64_t now = 0, limit = 20;
  hub__json_int(req, "now", 0, MAX_NOW_MS, &now);
  hub__json_int(req, "limit", 1, JOBS_LIST_MAX, &limit);
  if (scheds && !cJSON_IsObject(scheds)) {
    cJSON_Delete(res);
    return hub__error_field(HUB_E_BAD_TYPE, "schedules", "\"schedules\" is an object of job: schedule");
  }
  arr = cJSON_AddArrayToObject(res, "jobs");
  recent = cJSON_AddArrayToObject(res, "recent");
  if (!arr || !recent) goto oom;
  cJSON_ArrayForEach(sp, scheds) {
    if (job_entry(h, arr, sp->string, sp, now, get_jitter(req), &err)) goto fail;
  }
  st = hub__db_q(h, "SELECT DISTINCT job FROM job_runs ORDER BY job", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *j = (const char *)sqlite3_column_text(st, 0);
    if (scheds && cJSON_GetObjectItemCaseSensitive(scheds, j)) continue;
    if (job_entry(h, arr, j, NULL, now, 0, &err)) {
      hub__db_done(h, st);
      goto fail;
    }
  }
  hub__db_done(h, st);
  st = hub__db_q(h, "SELECT " JOB_COLS " FROM job_runs ORDER BY started DESC, job LIMIT ?", "i", limit);
  while (st && sqlite3_step(st) == SQLITE_ROW) hub__push(recent, row_json(st));
  hub__db_done(h, st);
  return res;
oom:
  err = hub__error_json(HUB_E_NOMEM, NULL);
fail:
  cJSON_Delete(res);
  return err;
}

int hub__jobs_prune(hub *h, int64_t before_ms) {
  return hub__db_run(h,
                     "DELETE FROM job_runs WHERE finished IS NOT NULL AND finished<? "
                     "AND slot<(SELECT max(slot) FROM job_runs AS l WHERE l.job=job_runs.job)",
                     "i", before_ms);
}

/* ---- diagnose: the canary ----------------------------------------------------------------- */

/* Counts the rows of every table into tables. 0, or -1 with a problem added. */
static int count_tables(hub *h, cJSON *tables, cJSON *problems) {
  sqlite3_stmt *st = hub__db_q(h, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                                  "ORDER BY name", NULL);
  int rc = 0;
  if (!st) {
    hub__push(problems, cJSON_CreateString(h->errmsg));
    return -1;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    char sql[200];
    sqlite3_stmt *c;
    if (!name || strchr(name, '"') || strlen(name) > 100) continue;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", name);
    c = hub__db_q_dyn(h, sql, NULL);
    if (c && sqlite3_step(c) == SQLITE_ROW) {
      cJSON_AddNumberToObject(tables, name, (double)sqlite3_column_int64(c, 0));
    } else {
      char msg[400];
      snprintf(msg, sizeof msg, "table %.100s cannot be read: %.180s", name, c ? sqlite3_errmsg(h->db) : h->errmsg);
      hub__push(problems, cJSON_CreateString(msg));
      rc = -1;
    }
    hub__db_done(h, c);
  }
  hub__db_done(h, st);
  return rc;
}

/* The health of the latest sync runs and job runs: warnings for a run of failures. */
static void runs_health(hub *h, int64_t now, cJSON *res, cJSON *warnings) {
  cJSON *runs = cJSON_AddObjectToObject(res, "runs"), *jobs = cJSON_AddObjectToObject(res, "jobs");
  sqlite3_stmt *st = hub__db_q(h, "SELECT status,count(*) FROM (SELECT status FROM runs ORDER BY id DESC LIMIT 10) "
                                  "GROUP BY status", NULL);
  int64_t bad = 0, total = 0, last_ok;
  char msg[200];
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *s = (const char *)sqlite3_column_text(st, 0);
    int64_t n = sqlite3_column_int64(st, 1);
    cJSON_AddNumberToObject(runs, s ? s : "?", (double)n);
    total += n;
    if (s && strcmp(s, "ok") != 0 && strcmp(s, "partial") != 0 && strcmp(s, "running") != 0) bad += n;
  }
  hub__db_done(h, st);
  if (total && bad == total) {
    snprintf(msg, sizeof msg, "the last %lld sync runs all failed", (long long)total);
    hub__push(warnings, cJSON_CreateString(msg));
  }
  last_ok = hub__db_int(h, "SELECT max(finished) FROM runs WHERE status IN ('ok','partial')", NULL, 0);
  if (last_ok > 0) cJSON_AddNumberToObject(runs, "last_ok_age_ms", (double)(now - last_ok));
  st = hub__db_q(h, "SELECT job,status,error FROM job_runs AS j WHERE slot=(SELECT max(slot) FROM job_runs "
                    "WHERE job=j.job AND status<>'running') ORDER BY job", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *j = (const char *)sqlite3_column_text(st, 0), *s = (const char *)sqlite3_column_text(st, 1);
    cJSON_AddStringToObject(jobs, j, s);
    if (strcmp(s, "error") == 0 || strcmp(s, "interrupted") == 0) {
      snprintf(msg, sizeof msg, "job %s: last run %s", j, s);
      hub__push(warnings, cJSON_CreateString(msg));
    }
  }
  hub__db_done(h, st);
}

/* diagnose {now}: the canary — PRAGMA quick_check, a count of every table, the health of the
 * latest sync and job runs. Reads only. → {"ok": quick_check passed and every table was read,
 * "quick_check","tables":{name: rows},"runs":{status: n of the last 10, "last_ok_age_ms"},
 * "jobs":{job: last status},"problems":[…],"warnings":[…]} */
cJSON *hub__diagnose_cmd(hub *h, const cJSON *req) {
  cJSON *res = cJSON_CreateObject(), *tables, *problems, *warnings;
  char *qc;
  int64_t now = 0;
  int ok;
  hub__json_int(req, "now", 0, MAX_NOW_MS, &now);
  if (!res) return hub__error_json(HUB_E_NOMEM, NULL);
  problems = cJSON_CreateArray();
  warnings = cJSON_CreateArray();
  qc = hub__db_str(h, "PRAGMA quick_check", NULL);
  cJSON_AddStringToObject(res, "quick_check", qc ? qc : h->errmsg);
  ok = qc && strcmp(qc, "ok") == 0;
  if (!ok) hub__push(problems, cJSON_CreateString(qc ? qc : h->errmsg));
  hub_free(qc);
  tables = cJSON_AddObjectToObject(res, "tables");
  if (count_tables(h, tables, problems)) ok = 0;
  runs_health(h, now, res, warnings);
  cJSON_AddBoolToObject(res, "ok", ok);
  hub__put(res, "problems", problems);
  hub__put(res, "warnings", warnings);
  return res;
}
