/*
 * sched.h — hubd's scheduler: a timer thread that posts each job to the writer when the core
 * says it is due, and the downstream hooks that follow an ingest (native driver layer).
 *
 * Jobs (names as recorded in the core's job_runs table):
 *   ingest       sync of GitHub and tangled (sync_start sources ["github","tangled"])  [1h]
 *   gfi          sync of the good-first-issue lists (sources ["gfi"])                  [6h]
 *   diagnostics  the canary: the core's diagnose command (quick_check, every table counted,
 *                the health of the latest runs), recorded; a warning logged when not ok [5m]
 *   cleanup      runs_prune of run and job records older than cleanup_keep_days         [0 4 * * 0]
 * Schedules, jitter and slots are the core's (sync/jobs.h): every time is UTC; the timer only
 * asks job_claim and sleeps until the next_at it answers (at most HUBD_SCHED_TICK_MS, so a
 * clock step is noticed). The claim, the work and job_done run as one job on the writer
 * thread, so a slot is recorded as running before any work and nothing else writes meanwhile.
 *
 * No overlap: a job is never posted while its previous post is queued or running; the two sync
 * jobs also take the guard POST /api/sync uses (hubd_api.sync_running), and when a manual sync
 * holds it they are asked again after HUBD_SCHED_BUSY_RETRY_MS instead of waiting in line.
 *
 * Downstream steps, event-driven: the score is recomputed by the core inside the ingest itself
 * (each changed item's stored rank; the rank is time-free, so nothing needs a scheduled
 * rescore). After an ingest that changed something, the top HUBD_BRIEF_TOP cards are compared
 * with those before the run; when they differ, hubd_brief_hook runs (below).
 *
 * Ownership: hubd_sched_start copies the configuration; hubd_sched_stop joins the timer (no new
 * posts) and must come before hubd_writer_stop, hubd_sched_free after it (posted jobs call back
 * into the struct until the writer has answered them).
 */
#ifndef HUBD_SCHED_H
#define HUBD_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include "hub.h"
#include "routes.h"

#ifndef HUBD_SCHED_TICK_MS
#define HUBD_SCHED_TICK_MS 60000 /* the timer sleeps at most this long */
#endif
#ifndef HUBD_SCHED_BUSY_RETRY_MS
#define HUBD_SCHED_BUSY_RETRY_MS 1000 /* a sync job finding a manual sync running asks again then */
#endif
#ifndef HUBD_SCHED_ERROR_RETRY_MS
#define HUBD_SCHED_ERROR_RETRY_MS 30000 /* after a failed claim (database busy, out of memory) */
#endif
#ifndef HUBD_BRIEF_TOP
#define HUBD_BRIEF_TOP 10 /* the top cards whose change calls the brief hook */
#endif

/* The schedules ("off", "1h", cron …; see sync/jobs.h) and their parameters. */
typedef struct {
  const char *ingest, *gfi, *diagnostics, *cleanup;
  unsigned jitter_s;        /* the most a run may start after its slot (capped at a tenth of the period) */
  unsigned cleanup_keep_days; /* cleanup deletes run records finished longer ago */
} hubd_sched_conf;

typedef struct hubd_sched hubd_sched;

/* Checks c's schedules with the core (the jobs command, on a reader) and starts the timer
 * thread. Returns the scheduler, or NULL with a message in err (a bad schedule names its
 * setting). api must outlive the scheduler. */
hubd_sched *hubd_sched_start(hubd_api *api, const hubd_sched_conf *c, char *err, size_t errlen);

/* Replaces the schedules (SIGHUP) after checking them; every job is asked again at once.
 * Returns 0, or -1 with err (the old schedules stay). */
int hubd_sched_set(hubd_sched *s, const hubd_sched_conf *c, char *err, size_t errlen);

/* The jobs command for GET /api/jobs: {"cmd":"jobs","now":now,"schedules":{…},"jitter_ms":…}
 * as a new string (hub_free), NULL on OOM. */
char *hubd_sched_jobs_request(hubd_sched *s, int64_t now_ms);

/* Stops the timer thread; posted jobs still end (or are refused by a stopping writer). NULL or
 * a second call is a no-op. */
void hubd_sched_stop(hubd_sched *s);

/* Frees the scheduler, after hubd_writer_stop. NULL is a no-op. */
void hubd_sched_free(hubd_sched *s);

/* ---- the briefing hook ------------------------------------------------------------------------ */

/* What the brief hook is told. top_before/top_after are JSON arrays of card keys, best first. */
typedef struct {
  const char *job;      /* "ingest" */
  int64_t slot;         /* the job's slot (ms, UTC) */
  int64_t run;          /* the sync run's id (the runs table) */
  int64_t n_new, n_updated;
  const char *top_before, *top_after;
} hubd_brief_event;

/* Called on the writer thread after an ingest whose run changed something (new or updated
 * items) and changed the top HUBD_BRIEF_TOP cards (keys, order or an update to one of them).
 * h is the writer's read-write handle: the hook may run core commands on it synchronously (the
 * briefing issue's `brief` command goes here) and nothing else writes meanwhile — so it must
 * return quickly and must not call back into the writer queue (that would deadlock). Returns 0,
 * or -1 with a message in err (logged as brief_failed; the ingest's record is not changed).
 * Today a no-op that logs event=brief_due. */
int hubd_brief_hook(hub *h, const hubd_brief_event *ev, char *err, size_t errlen);

#endif
