/*
 * jobs.h — scheduled jobs: when a job's runs fall due (pure slot arithmetic on UTC times) and
 * the record of every run, so one slot never runs twice, even after a crash (sync layer).
 *
 * A schedule is "off", an interval "<n>s|m|h|d" (slots at multiples of the interval since the
 * Unix epoch, UTC: "6h" → 00:00, 06:00, 12:00, 18:00), or a 5-field cron expression
 * "minute hour day-of-month month day-of-week" in UTC (numbers, "*", "a-b", lists "a,b" and
 * steps "*\/n" or "a-b/n"; day-of-week 0–7 with 0 and 7 Sunday; when both day fields are
 * restricted a day matching either runs, as in cron) or @hourly, @daily, @weekly.
 *
 * A slot is the scheduled time of one run. A job's run for slot S falls due at S + jitter,
 * where the jitter is a deterministic hash of (job, S) below min(jitter_ms, period / 10), so a
 * restart computes the same due time and many servers do not hit an upstream at once. Only
 * the latest slot at or before now is ever claimed, and only when it is after the job's last
 * claimed slot: slots missed while the server was down coalesce into one run ("coalesced"
 * counts the slots skipped), and a clock moved backwards never repeats a slot.
 *
 * Table owned here: job_runs (job, slot, status, started, finished, coalesced, stats, error).
 * Commands (api/commands.def): job_claim, job_done, jobs, diagnose.
 */
#ifndef HUB_JOBS_H
#define HUB_JOBS_H

#include "hub_int.h"

#ifndef HUB_JOB_NAME_MAX
#define HUB_JOB_NAME_MAX 32 /* a job's name: [a-z0-9_-], 1..32 bytes */
#endif
#ifndef HUB_SCHED_HORIZON_DAYS
#define HUB_SCHED_HORIZON_DAYS (366 * 8 + 2) /* a cron search looks this far (Feb 29 every 4 years) */
#endif

/* A parsed schedule. Cron fields are bit sets (minute 0–59, hour 0–23, day 1–31, month 1–12,
 * weekday 0–6 with Sunday 0). */
typedef struct {
  int kind; /* HUB_SCHED_OFF, HUB_SCHED_EVERY, HUB_SCHED_CRON */
  int64_t every_ms;
  uint64_t minute;
  uint32_t hour, mday;
  uint16_t month;
  uint8_t wday;
  int mday_any, wday_any; /* the field was "*" */
} hub__sched;
enum { HUB_SCHED_OFF, HUB_SCHED_EVERY, HUB_SCHED_CRON };

/* Parses spec into *s. Returns 0, or -1 with a one-line reason in err (s undefined). */
int hub__sched_parse(const char *spec, hub__sched *s, char *err, size_t errlen);
/* The latest slot at or before now_ms (ms since the epoch, UTC), or -1 when the schedule is
 * off or has no slot within HUB_SCHED_HORIZON_DAYS before now. */
int64_t hub__sched_slot(const hub__sched *s, int64_t now_ms);
/* The earliest slot strictly after after_ms, or -1 (off, or none within the horizon). */
int64_t hub__sched_next(const hub__sched *s, int64_t after_ms);
/* The jitter of job's run for slot: a value in [0, min(max_ms, (next slot - slot) / 10)]
 * fixed by (job, slot). */
int64_t hub__sched_jitter(const hub__sched *s, const char *job, int64_t slot, int64_t max_ms);

/* The commands. job_claim {job, schedule, now[, jitter_ms]} → {claimed, job, slot, due_at,
 * next_at, coalesced, interrupted}; job_done {job, slot, now, status[, stats][, error]};
 * jobs {[now][, schedules:{job: spec}][, jitter_ms][, limit]}; diagnose {now}. See jobs.c. */
cJSON *hub__job_claim_cmd(hub *h, const cJSON *req);
cJSON *hub__job_done_cmd(hub *h, const cJSON *req);
cJSON *hub__jobs_cmd(hub *h, const cJSON *req);
cJSON *hub__diagnose_cmd(hub *h, const cJSON *req);

/* Deletes job records finished before before_ms, keeping each job's latest. Returns the number
 * deleted or -1 (h->errmsg). */
int hub__jobs_prune(hub *h, int64_t before_ms);

#endif
