/*
 * pg.c — libpq glue for multi-user hubd: connect, bind, pool, migrate (native driver layer; see
 * pg.h for the tables and who owns them).
 *
 * Migrations are an ordered list applied in one transaction each, under a transaction-level
 * advisory lock, so three nodes started together apply each step once; add new steps at the
 * END, never edit an old one (as the core's db/schema.c does for SQLite).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pg.h"

/* ---- the schema ------------------------------------------------------------------------------ */

static const char *const migrations[] = {
    /* 1: users, their state, jobs, the cluster, repositories, for-you, gallery */
    "CREATE TABLE hub_users ("
    "  login text PRIMARY KEY,"          /* lower-case GitHub login */
    "  name text NOT NULL,"              /* as first given */
    "  kind text NOT NULL CHECK (kind IN ('user','ghost')),"
    "  status text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing','ready','error')),"
    "  key_sha256 bytea,"                /* the user's API key digest; NULL: none */
    "  created_at bigint NOT NULL,"
    "  activated_at bigint,"
    "  updated_at bigint NOT NULL);"
    "CREATE TABLE hub_user_state ("
    "  login text PRIMARY KEY REFERENCES hub_users ON DELETE CASCADE,"
    "  version bigint NOT NULL,"
    "  image bytea NOT NULL,"
    "  bytes bigint NOT NULL,"
    "  node text NOT NULL,"
    "  updated_at bigint NOT NULL);"
    "CREATE TABLE hub_jobs ("
    "  login text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  kind text NOT NULL,"
    "  due_at bigint NOT NULL,"          /* when it may run next (a retry moves it) */
    "  slot bigint NOT NULL,"            /* the run it stands for (hub_job_runs' key) */
    "  lease_until bigint,"
    "  lease_node text,"
    "  lease_token bigint,"
    "  attempts int NOT NULL DEFAULT 0,"
    "  runs int NOT NULL DEFAULT 0,"
    "  last_status text,"
    "  last_error text,"
    "  last_end_at bigint,"
    "  PRIMARY KEY (login, kind));"
    "CREATE INDEX hub_jobs_due ON hub_jobs (due_at);"
    "CREATE TABLE hub_job_runs ("
    "  id bigserial PRIMARY KEY,"
    "  login text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  kind text NOT NULL,"
    "  slot bigint NOT NULL,"
    "  node text NOT NULL,"
    "  attempt int NOT NULL,"
    "  started_at bigint NOT NULL,"
    "  ended_at bigint NOT NULL,"
    "  status text NOT NULL,"
    "  stats text,"
    "  error text,"
    "  UNIQUE (login, kind, slot));"
    "CREATE INDEX hub_job_runs_ended ON hub_job_runs (ended_at);"
    "CREATE TABLE hub_cluster ("
    "  id int PRIMARY KEY CHECK (id = 1),"
    "  leader text,"
    "  leader_since bigint,"
    "  last_sweep_at bigint,"
    "  sweeps bigint NOT NULL DEFAULT 0);"
    "INSERT INTO hub_cluster (id) VALUES (1);"
    "CREATE TABLE hub_repos ("
    "  login text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  repo text NOT NULL,"              /* owner/name as GitHub spells it */
    "  description text,"
    "  language text,"
    "  stars int NOT NULL DEFAULT 0,"
    "  forks int NOT NULL DEFAULT 0,"
    "  pushed_at bigint,"
    "  is_fork bool NOT NULL DEFAULT false,"
    "  archived bool NOT NULL DEFAULT false,"
    "  html_url text,"
    "  highlight bool NOT NULL DEFAULT false,"
    "  score double precision NOT NULL DEFAULT 0,"
    "  why text,"
    "  PRIMARY KEY (login, repo));"
    "CREATE INDEX hub_repos_highlight ON hub_repos (highlight) WHERE highlight;"
    "CREATE TABLE hub_foryou ("
    "  viewer text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  author text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  repo text NOT NULL,"
    "  base double precision NOT NULL,"
    "  built_at bigint NOT NULL,"
    "  PRIMARY KEY (viewer, author, repo));"
    "CREATE INDEX hub_foryou_author ON hub_foryou (author);"
    "CREATE TABLE hub_exposures ("
    "  viewer text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  author text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  repo text NOT NULL,"
    "  shown int NOT NULL DEFAULT 0,"
    "  since_reaction int NOT NULL DEFAULT 0,"
    "  last_shown_at bigint,"
    "  reaction text,"
    "  reacted_at bigint,"
    "  hidden bool NOT NULL DEFAULT false,"
    "  PRIMARY KEY (viewer, author, repo));"
    "CREATE INDEX hub_exposures_author ON hub_exposures (author);"
    "CREATE TABLE hub_gallery ("
    "  login text NOT NULL REFERENCES hub_users ON DELETE CASCADE,"
    "  repo text NOT NULL,"
    "  url text NOT NULL,"
    "  caption text,"
    "  is_highlight bool NOT NULL DEFAULT false,"
    "  taken_at bigint,"
    "  link text,"
    "  position int NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (login, repo, url));",
};

int hubd_pg_schema_version(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

/* ---- connections and the binder ---------------------------------------------------------------- */

static void set_err(hubd_pg_err *e, const char *msg, const char *state) {
  size_t n;
  if (!e) return;
  snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "PostgreSQL error");
  n = strlen(e->msg);
  while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' ')) e->msg[--n] = 0;
  snprintf(e->state, sizeof e->state, "%s", state ? state : "");
}

PGconn *hubd_pg_connect(const char *url, const char *app_name, hubd_pg_err *e) {
  const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", "keepalives",
                        "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
  const char *vals[] = {url, app_name, "5",
                        "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000",
                        "1", "10", "5", "3", NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  if (!c) {
    set_err(e, "out of memory", NULL);
    return NULL;
  }
  if (PQstatus(c) != CONNECTION_OK) {
    set_err(e, PQerrorMessage(c), "08006");
    PQfinish(c);
    return NULL;
  }
  return c;
}

/* Runs sql with the parameters ap describes. */
static PGresult *vrun(PGconn *c, hubd_pg_err *e, int binary, const char *sql, const char *types, va_list ap) {
  const char *vals[HUBD_PG_PARAMS_MAX];
  int lens[HUBD_PG_PARAMS_MAX], fmts[HUBD_PG_PARAMS_MAX];
  char num[HUBD_PG_PARAMS_MAX][32];
  int n = 0;
  PGresult *res;
  ExecStatusType st;
  for (; types && types[n]; n++) {
    if (n >= HUBD_PG_PARAMS_MAX) {
      set_err(e, "too many parameters", NULL);
      return NULL;
    }
    lens[n] = 0;
    fmts[n] = 0;
    switch (types[n]) {
    case 't': vals[n] = va_arg(ap, const char *); break;
    case 'i': snprintf(num[n], sizeof num[n], "%lld", (long long)va_arg(ap, int64_t)); vals[n] = num[n]; break;
    case 'd': snprintf(num[n], sizeof num[n], "%.17g", va_arg(ap, double)); vals[n] = num[n]; break;
    case 'b': vals[n] = va_arg(ap, int) ? "true" : "false"; break;
    case 'x': {
      const void *p = va_arg(ap, const void *);
      size_t len = va_arg(ap, size_t);
      if (len > 0x7fffffffu) {
        set_err(e, "parameter too large", NULL);
        return NULL;
      }
      vals[n] = p ? (const char *)p : "";
      lens[n] = (int)len;
      fmts[n] = 1;
      break;
    }
    default: set_err(e, "bad parameter type", NULL); return NULL;
    }
  }
  res = PQexecParams(c, sql, n, NULL, vals, lens, fmts, binary);
  st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    if (res) set_err(e, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
    else set_err(e, PQerrorMessage(c), "08006");
    if (e && !e->msg[0]) set_err(e, PQerrorMessage(c), "08006");
    PQclear(res);
    return NULL;
  }
  return res;
}

PGresult *hubd_pg_run(PGconn *c, hubd_pg_err *e, const char *sql, const char *types, ...) {
  va_list ap;
  PGresult *r;
  va_start(ap, types);
  r = vrun(c, e, 0, sql, types, ap);
  va_end(ap);
  return r;
}

PGresult *hubd_pg_run_bin(PGconn *c, hubd_pg_err *e, const char *sql, const char *types, ...) {
  va_list ap;
  PGresult *r;
  va_start(ap, types);
  r = vrun(c, e, 1, sql, types, ap);
  va_end(ap);
  return r;
}

int hubd_pg_do(PGconn *c, hubd_pg_err *e, int64_t *rows, const char *sql, const char *types, ...) {
  va_list ap;
  PGresult *r;
  va_start(ap, types);
  r = vrun(c, e, 0, sql, types, ap);
  va_end(ap);
  if (!r) return -1;
  if (rows) {
    const char *t = PQcmdTuples(r);
    *rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : (t && *t ? strtoll(t, NULL, 10) : 0);
  }
  PQclear(r);
  return 0;
}

int hubd_pg_begin(PGconn *c, hubd_pg_err *e) { return hubd_pg_do(c, e, NULL, "BEGIN", NULL); }
int hubd_pg_commit(PGconn *c, hubd_pg_err *e) {
  if (hubd_pg_do(c, e, NULL, "COMMIT", NULL) == 0) return 0;
  hubd_pg_rollback(c);
  return -1;
}
void hubd_pg_rollback(PGconn *c) {
  if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
}

const char *hubd_pg_str(const PGresult *res, int r, int col) {
  return PQgetisnull(res, r, col) ? NULL : PQgetvalue(res, r, col);
}
int64_t hubd_pg_int(const PGresult *res, int r, int col) {
  return PQgetisnull(res, r, col) ? 0 : (int64_t)strtoll(PQgetvalue(res, r, col), NULL, 10);
}
double hubd_pg_num(const PGresult *res, int r, int col) {
  return PQgetisnull(res, r, col) ? 0 : strtod(PQgetvalue(res, r, col), NULL);
}
int hubd_pg_bool(const PGresult *res, int r, int col) {
  return !PQgetisnull(res, r, col) && PQgetvalue(res, r, col)[0] == 't';
}

/* ---- migrations --------------------------------------------------------------------------------- */

/* Runs a script of several statements (no parameters: the simple protocol). 0 or -1 with e. */
static int script(PGconn *c, hubd_pg_err *e, const char *sql) {
  PGresult *r = PQexec(c, sql);
  int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) set_err(e, r ? PQresultErrorMessage(r) : PQerrorMessage(c), r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
  PQclear(r);
  return ok ? 0 : -1;
}

int hubd_pg_migrate(PGconn *c, hubd_pg_err *e) {
  PGresult *r = NULL;
  int v, i, n = hubd_pg_schema_version(), rc = -1;
  if (hubd_pg_begin(c, e)) return -1;
  if (hubd_pg_do(c, e, NULL, "SELECT pg_advisory_xact_lock($1)", "i", (int64_t)HUBD_PG_LOCK_MIGRATE) ||
      hubd_pg_do(c, e, NULL, "CREATE TABLE IF NOT EXISTS hub_schema (version int NOT NULL)", NULL))
    goto done;
  r = hubd_pg_run(c, e, "SELECT coalesce(max(version), 0) FROM hub_schema", NULL);
  if (!r) goto done;
  v = (int)hubd_pg_int(r, 0, 0);
  if (v > n) {
    snprintf(e->msg, sizeof e->msg, "the database has schema %d, newer than this hubd (%d)", v, n);
    e->state[0] = 0;
    goto done;
  }
  for (i = v; i < n; i++)
    if (script(c, e, migrations[i])) goto done;
  if (hubd_pg_do(c, e, NULL, "DELETE FROM hub_schema", NULL) ||
      hubd_pg_do(c, e, NULL, "INSERT INTO hub_schema (version) VALUES ($1)", "i", (int64_t)n))
    goto done;
  rc = hubd_pg_commit(c, e);
done:
  PQclear(r);
  if (rc) hubd_pg_rollback(c);
  return rc;
}

/* ---- the pool --------------------------------------------------------------------------------------- */

struct hubd_pgpool {
  pthread_mutex_t mu;
  pthread_cond_t freed;
  char *url, *app;
  unsigned n, nfree, nopen;
  PGconn *free_list[HUBD_PG_POOL_MAX]; /* NULL entries: a slot not connected yet */
};

hubd_pgpool *hubd_pgpool_open(const char *url, const char *app_name, unsigned n) {
  hubd_pgpool *p = calloc(1, sizeof *p);
  pthread_condattr_t ca;
  if (!p) return NULL;
  p->url = strdup(url);
  p->app = strdup(app_name);
  if (!p->url || !p->app) {
    free(p->url);
    free(p->app);
    free(p);
    return NULL;
  }
  if (n < 1) n = 1;
  if (n > HUBD_PG_POOL_MAX) n = HUBD_PG_POOL_MAX;
  p->n = p->nfree = n;
  pthread_mutex_init(&p->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->freed, &ca);
  pthread_condattr_destroy(&ca);
  return p;
}

PGconn *hubd_pgpool_get(hubd_pgpool *p, hubd_pg_err *e) {
  struct timespec until;
  PGconn *c = NULL;
  int rc = 0, got = 0;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += HUBD_PG_WAIT_MS / 1000;
  until.tv_nsec += (long)(HUBD_PG_WAIT_MS % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&p->mu);
  while (p->nfree == 0 && rc == 0) rc = pthread_cond_timedwait(&p->freed, &p->mu, &until);
  if (p->nfree) {
    c = p->free_list[--p->nfree];
    got = 1;
  }
  pthread_mutex_unlock(&p->mu);
  if (!got) {
    set_err(e, "every PostgreSQL connection is busy; try again", "53300");
    return NULL;
  }
  if (c && PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    c = NULL;
    pthread_mutex_lock(&p->mu);
    p->nopen--;
    pthread_mutex_unlock(&p->mu);
  }
  if (!c) {
    c = hubd_pg_connect(p->url, p->app, e);
    pthread_mutex_lock(&p->mu);
    if (c) p->nopen++;
    else p->free_list[p->nfree++] = NULL; /* the slot stays, unconnected */
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
  }
  return c;
}

void hubd_pgpool_put(hubd_pgpool *p, PGconn *c, int broken) {
  if (!c) return;
  if (!broken && PQtransactionStatus(c) != PQTRANS_IDLE) {
    hubd_pg_rollback(c); /* never hand on a connection inside a transaction */
    broken = PQtransactionStatus(c) != PQTRANS_IDLE;
  }
  pthread_mutex_lock(&p->mu);
  if (broken || PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    p->nopen--;
    c = NULL;
  }
  p->free_list[p->nfree++] = c;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->mu);
}

unsigned hubd_pgpool_open_count(hubd_pgpool *p) {
  unsigned n;
  pthread_mutex_lock(&p->mu);
  n = p->nopen;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void hubd_pgpool_close(hubd_pgpool *p) {
  unsigned i;
  if (!p) return;
  for (i = 0; i < p->nfree; i++)
    if (p->free_list[i]) PQfinish(p->free_list[i]);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->freed);
  free(p->url);
  free(p->app);
  free(p);
}
