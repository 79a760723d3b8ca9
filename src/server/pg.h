/*
 * pg.h — hubd's PostgreSQL door (libpq): connections, one parameter binder, a small pool for
 * HTTP threads, and the ordered migrations of the multi-user schema (native driver layer; used
 * only when hubd runs with database_url — the core never sees PostgreSQL).
 *
 * Tables and their owners (one module writes each; DELETE FROM hub_users cascades to all):
 *   hub_schema                      pg.c        the migration applied last
 *   hub_users                       users.c     login, kind (user|ghost), status, key digest
 *   hub_user_state                  pgstore.c   each user's SQLite image (bytea) + version
 *   hub_jobs, hub_job_runs          cluster.c   per-user jobs (leases) and their recorded runs
 *   hub_cluster                     cluster.c   the leader and its sweeps
 *   hub_repos, hub_foryou,          foryou.c    users' repositories and highlights, the for-you
 *   hub_exposures                               candidates, exposure counts (fatigue)
 *   hub_gallery                     gallery.c   images of a user's repositories
 *
 * Binder: hubd_pg_run(c, &e, sql, types, ...) with one letter per parameter: 't' text
 * (const char *, NULL = SQL NULL), 'i' int64_t, 'd' double, 'b' bool (int), 'x' bytes sent
 * binary (const void *, size_t). Results come back as text, except with hubd_pg_run_bin
 * (binary: for bytea). SQL text is a literal; every value goes through a parameter.
 *
 * Ownership: connections from hubd_pg_connect are closed with PQfinish; results with PQclear.
 * A pool owns its connections; a connection taken with hubd_pgpool_get goes back with
 * hubd_pgpool_put (or is dropped with hubd_pgpool_put(p, c, 1) when it broke).
 */
#ifndef HUBD_PG_H
#define HUBD_PG_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#ifndef HUBD_PG_PARAMS_MAX
#define HUBD_PG_PARAMS_MAX 16 /* parameters of one statement */
#endif
#ifndef HUBD_PG_POOL_MAX
#define HUBD_PG_POOL_MAX 32 /* connections in an HTTP pool at most */
#endif
#ifndef HUBD_PG_WAIT_MS
#define HUBD_PG_WAIT_MS 5000 /* longest wait for a pooled connection (then "busy") */
#endif

/* Advisory lock keys (pg_advisory_*): one per purpose, in hubd's own range. */
#define HUBD_PG_LOCK_MIGRATE 0x68756201LL /* schema migrations, one node at a time */
#define HUBD_PG_LOCK_LEADER 0x68756202LL  /* the cluster's leader (global sweeps) */

/* An error from PostgreSQL: a message for the log and the SQLSTATE ("" when none). */
typedef struct {
  char msg[300];
  char state[6];
} hubd_pg_err;

/* Opens a connection to url (a postgres:// URI or key=value string) named app_name in
 * pg_stat_activity, with a connect timeout, statement and idle-transaction timeouts, and TCP
 * keepalives (so a dead peer is noticed). Returns the connection, or NULL with e set. */
PGconn *hubd_pg_connect(const char *url, const char *app_name, hubd_pg_err *e);

/* Runs one statement with parameters per the binder above. Returns the result (tuples or
 * command ok; PQclear it), or NULL with e set (e->state says which error). */
PGresult *hubd_pg_run(PGconn *c, hubd_pg_err *e, const char *sql, const char *types, ...);

/* The same with results in binary format (a bytea column arrives as its raw bytes). */
PGresult *hubd_pg_run_bin(PGconn *c, hubd_pg_err *e, const char *sql, const char *types, ...);

/* Runs a statement and returns 0, or -1 with e set; *rows gets the affected/returned row
 * count when rows is not NULL. */
int hubd_pg_do(PGconn *c, hubd_pg_err *e, int64_t *rows, const char *sql, const char *types, ...);

/* BEGIN / COMMIT / ROLLBACK. Return 0 or -1 (rollback never fails visibly). */
int hubd_pg_begin(PGconn *c, hubd_pg_err *e);
int hubd_pg_commit(PGconn *c, hubd_pg_err *e);
void hubd_pg_rollback(PGconn *c);

/* Column value helpers on row r: text (NULL for SQL NULL), int64 (0 for NULL), bool. */
const char *hubd_pg_str(const PGresult *res, int r, int col);
int64_t hubd_pg_int(const PGresult *res, int r, int col);
double hubd_pg_num(const PGresult *res, int r, int col);
int hubd_pg_bool(const PGresult *res, int r, int col);

/* Brings the schema up to date under an advisory lock (nodes starting together migrate once).
 * Returns 0, or -1 with e set. */
int hubd_pg_migrate(PGconn *c, hubd_pg_err *e);

/* The number of schema migrations this hubd knows. */
int hubd_pg_schema_version(void);

/* ---- the pool ------------------------------------------------------------------------------- */

typedef struct hubd_pgpool hubd_pgpool;

/* Opens n (1..HUBD_PG_POOL_MAX) connections lazily: none is made until asked for. Returns the
 * pool (NULL on OOM). url and app_name are copied. */
hubd_pgpool *hubd_pgpool_open(const char *url, const char *app_name, unsigned n);

/* Takes a connection, connecting (or reconnecting a broken one) as needed, waiting at most
 * HUBD_PG_WAIT_MS for a free one. Returns it, or NULL with e set. */
PGconn *hubd_pgpool_get(hubd_pgpool *p, hubd_pg_err *e);

/* Gives c back; broken = 1 closes it (the next get reconnects). */
void hubd_pgpool_put(hubd_pgpool *p, PGconn *c, int broken);

/* Connections currently open (for /healthz and the bench). */
unsigned hubd_pgpool_open_count(hubd_pgpool *p);

/* Closes every connection; none may be taken. NULL is a no-op. */
void hubd_pgpool_close(hubd_pgpool *p);

#endif
