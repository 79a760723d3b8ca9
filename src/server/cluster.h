/*
 * cluster.h — per-user jobs shared by every hubd node on one PostgreSQL: rows claimed with
 * FOR UPDATE SKIP LOCKED under a lease, one leader for the global sweeps by
 * pg_try_advisory_lock, wake-ups between nodes by LISTEN/NOTIFY (native driver layer; only with
 * database_url). Owns tables hub_jobs, hub_job_runs and hub_cluster.
 *
 * Jobs: one row per (user, kind) — ingest (the core's sync into the user's image), repos (the
 * user's public repositories and their highlights, foryou.c), foryou (the user's for-you
 * candidates, foryou.c). A row is due at due_at (its slot); a node claims it by setting
 * lease_until = now + lease, lease_node and a random lease_token, and keeps the lease alive
 * while it works (the control thread renews every lease/3). The job's outcome is committed in
 * one transaction that first re-reads the row FOR UPDATE and checks the token (fencing): the
 * results, a row in hub_job_runs (UNIQUE login, kind, slot) and the next slot. A node that dies
 * (kill -9) stops renewing; once its lease expires any node claims the row again (attempt 2),
 * and whatever the dead node had not committed is simply absent — so every slot commits once.
 * Execution is at least once (the dead node's upstream requests happened), commit exactly once.
 *
 * Missed slots coalesce: the next slot is the first one after now. A failed attempt (a database
 * error, an unreadable image) is retried after HUBD_JOB_BACKOFF_MS × 2^(attempt-1); after
 * HUBD_JOB_MAX_ATTEMPTS it is recorded as failed and waits for its next slot.
 *
 * Threads per node: `workers` workers (one PostgreSQL connection each) and one control thread
 * (one connection: LISTEN hub_jobs and hub_users, the leader lock, the sweeps, lease renewal). A worker with
 * nothing to claim sleeps until the earliest due time or lease expiry (at most poll_ms), or
 * until a NOTIFY arrives: hubd_jobs_schedule notifies inside the caller's transaction, so every
 * node hears of new work when it commits. The leader (whoever holds HUBD_PG_LOCK_LEADER on its
 * control connection; a dead node's session ends and frees it) sweeps every sweep_s: job runs
 * older than keep_days are deleted, stale exposures pruned, expired leases announced (NOTIFY),
 * hub_cluster stamped (leader, last_sweep_at, sweeps).
 *
 * Ownership: hubd_cluster_start copies its configuration; hubd_cluster_stop joins every thread
 * (call it after the transport's cancel flag is up, so a sync in progress ends quickly).
 */
#ifndef HUBD_CLUSTER_H
#define HUBD_CLUSTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"
#include "pg.h"

#ifndef HUBD_WORKERS_MAX
#define HUBD_WORKERS_MAX 16 /* worker threads per node */
#endif
#ifndef HUBD_JOB_MAX_ATTEMPTS
#define HUBD_JOB_MAX_ATTEMPTS 5 /* attempts at one slot before it is recorded as failed */
#endif
#ifndef HUBD_JOB_BACKOFF_MS
#define HUBD_JOB_BACKOFF_MS 2000 /* the first retry's delay (doubled per attempt) */
#endif
#ifndef HUBD_EXPOSURE_KEEP_DAYS
#define HUBD_EXPOSURE_KEEP_DAYS 90 /* the leader prunes exposures unseen and unanswered this long */
#endif

typedef enum { HUBD_JOB_INGEST, HUBD_JOB_REPOS, HUBD_JOB_FORYOU, HUBD_JOB__COUNT } hubd_job_kind;
#define HUBD_JOBS_ALL ((1u << HUBD_JOB__COUNT) - 1)

/* "ingest", "repos", "foryou". */
const char *hubd_job_name(hubd_job_kind k);

/* What a job body needs from hubd, supplied by users.c. */
typedef struct {
  /* Copies the upstream settings for one job (as hubd_api.upstream). */
  void (*upstream)(void *ud, char **token, char **api, int64_t *max_wait_ms);
  void *upstream_ud;
  const void *llm;          /* const hub_llm_config *, or NULL */
  const atomic_int *stop_flag; /* hubd is stopping (the transport's cancel flag) */
  /* Called on the control thread when any node announces a deleted user (NOTIFY hub_users):
   * drop what this node keeps of them (the image cache). May be NULL. */
  void (*forget)(void *ud, const char *login);
  void *forget_ud;
} hubd_cluster_env;

typedef struct {
  const char *url, *node, *state_dir;
  unsigned workers, lease_s, poll_ms, sweep_s, keep_days;
  unsigned every_s[HUBD_JOB__COUNT]; /* each kind's period */
  hubd_cluster_env env;
} hubd_cluster_conf;

typedef struct hubd_cluster hubd_cluster;

/* Starts the control thread and the workers. Returns the cluster, or NULL with err. */
hubd_cluster *hubd_cluster_start(const hubd_cluster_conf *c, char *err, size_t errlen);

/* Stops and joins every thread; a job in progress ends (a cancelled one gives its lease back).
 * NULL or a second call is a no-op. */
void hubd_cluster_stop(hubd_cluster *cl);
void hubd_cluster_free(hubd_cluster *cl);

/* 1 while this node holds the leader lock. */
int hubd_cluster_is_leader(hubd_cluster *cl);

/* Connections this node's cluster threads hold open (workers + control). */
unsigned hubd_cluster_connections(hubd_cluster *cl);

/* Within the caller's transaction: makes login's jobs in mask (bits 1 << kind) due at due
 * (creating missing rows); reset = 1 also drops their leases, attempts and run counts (a
 * restart: a job in progress elsewhere then fails its fencing and keeps nothing). Queues a
 * NOTIFY hub_jobs from node, delivered to every node at commit. Returns 0 or -1 with e. */
int hubd_jobs_schedule(PGconn *c, const char *login, unsigned mask, int64_t due, int reset, const char *node,
                       hubd_pg_err *e);

/* Within the caller's transaction: tells every node (at commit) that login was deleted, so each
 * drops what it caches of them. 0 or -1 with e. */
int hubd_users_announce_delete(PGconn *c, const char *login, hubd_pg_err *e);

/* login's jobs as a JSON array [{kind, due_at, running, lease_node, attempts, runs,
 * last_status, last_error, last_end_at}] (new, cJSON_Delete), or NULL with e. */
cJSON *hubd_jobs_progress(PGconn *c, const char *login, int64_t now, hubd_pg_err *e);

/* The next slot after a run of slot: the first slot + k × every_ms later than now. */
int64_t hubd_job_next_slot(int64_t slot, int64_t every_ms, int64_t now);

/* The delay before retry number attempt (1 = after the first failure). */
int64_t hubd_job_backoff(int attempt);

#endif
