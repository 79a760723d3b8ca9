/*
 * hubd.c — hub's native server: start-up, configuration, signals and shutdown (native driver
 * layer). The pieces: http.c (libmicrohttpd: static files, API, auth, CORS, limits), routes.c
 * (routes → core commands), writer.c (the one writer thread), readers.c (read-only handles),
 * sched.c (the scheduler: ingest, good-first-issue lists, diagnostics, cleanup), secrets.c
 * (tokens at rest), push.c (Web Push: VAPID key, subscriptions, sending), hubd_config.c,
 * hubd_log.c.
 *
 *   hubd [--config FILE] [--listen ADDR:PORT] [--db PATH] [--root DIR] [--port-file F]
 *        [--log-level L]          serve
 *   hubd --seal < token > file    seal a token for github_token_file
 *   hubd --help | --version
 *
 * Signals: SIGTERM/SIGINT stop: no new connections, the writer's job in progress finishes (a
 * sync aborts its transfer and records the run as aborted), queued writes are refused, open
 * connections are closed; a watchdog ends the process at HUBD_STOP_DEADLINE_MS regardless
 * (SQLite rolls back an unfinished transaction at the next open). SIGHUP re-reads the config
 * file and applies the CORS list, the API key, the log level, the upstream token/API base and
 * the schedules without dropping connections; other changes need a restart and are logged as
 * such. Stopping order: no new connections, the scheduler's timer, the writer (its job in
 * progress ends), answers in flight, connections.
 *
 * Memory bound (defaults): max_connections (128) threads, each with a HUBD_THREAD_STACK
 * (512 KiB of address space; a request touches a few dozen KiB) and HUBD_CONN_MEMORY (32 KiB)
 * for its request head; + HUBD_BODY_BUDGET (8 MiB) of request bodies in flight, each at most
 * HUBD_CALL_BODY_MAX (1 MiB); + SQLite page caches: readers (4) × HUBD_READER_CACHE_KB (256 KiB)
 * and the writer's 2 MiB (released after every sync or scheduled job, with glibc's free heap);
 * + HUBD_CARDS_CACHE_SLOTS (8) cached cards answers and one answer per connection being sent
 * (≤ HUB_CARDS_MAX cards, ~90 KiB with 200 cards); malloc limited to two arenas. Measured with
 * 5,000 issues in the database (tests/bench_hubd.sh): RSS 14 MB idle after an ingest (3 MB
 * anonymous; the rest is shared libraries: libcrypto, gnutls, libc…), 18 MB at peak under
 * wrk -t2 -c20 on /api/cards.json (20.5 MB with the answer cache off).
 *
 * The LLM (briefing, AI queue) is configured by HUB_LLM_PROVIDER, HUB_LLM_BASE_URL,
 * HUB_LLM_MODEL, HUB_LLM_API_KEY (llm.h), read once at start-up (a change needs a restart); the
 * key is then wiped from the environment. Unset provider: no LLM, the rule-built briefing stands.
 * The scheduler runs hubd_brief_run / hubd_aiqueue_run (brief_llm.h) from its own thread with
 * hubd_api_ai_env(&api) (the writer as the door to the core) under api.ai_running, as POST
 * /api/brief and POST /api/ai do.
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>
#include "hub.h"
#include "sqlite3.h"
#include "brief_llm.h"
#include "http.h"
#include "hubd_config.h"
#include "hubd_log.h"
#include "push.h"
#include "readers.h"
#include "routes.h"
#include "sched.h"
#include "secrets.h"
#include "transport.h"
#include "users.h"
#include "writer.h"

#ifndef HUBD_VERSION
#define HUBD_VERSION "0.1.0"
#endif
#ifndef HUBD_STOP_DEADLINE_MS
#define HUBD_STOP_DEADLINE_MS 4500 /* SIGTERM → exit, at the latest */
#endif
#ifndef HUBD_DRAIN_MS
#define HUBD_DRAIN_MS 1500 /* on stop, how long answers in progress may take to go out */
#endif

/* The settings a sync reads, replaced on SIGHUP. */
typedef struct {
  pthread_mutex_t mu;
  char *token, *api;
  unsigned max_wait_s;
} upstream_live;

static void upstream_copy(void *ud, char **token, char **api, int64_t *max_wait_ms) {
  upstream_live *u = ud;
  pthread_mutex_lock(&u->mu);
  *token = u->token ? strdup(u->token) : NULL;
  *api = u->api ? strdup(u->api) : NULL;
  *max_wait_ms = (int64_t)u->max_wait_s * 1000;
  pthread_mutex_unlock(&u->mu);
}

/* Resolves the upstream token of cfg (clear, or unsealed from github_token_file). Returns 0 with
 * *token set (NULL = none), or -1 with err. */
static int load_token(const hubd_config *cfg, const unsigned char key[32], char **token, char *err, size_t errlen) {
  *token = NULL;
  if (cfg->github_token_file) {
    *token = hubd_secret_open_file(key, cfg->github_token_file, err, errlen);
    return *token ? 0 : -1;
  }
  if (cfg->github_token) {
    *token = strdup(cfg->github_token);
    if (!*token) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
  }
  return 0;
}

static void upstream_set(upstream_live *u, char *token, const hubd_config *cfg) {
  char *api = cfg->github_api ? strdup(cfg->github_api) : NULL;
  pthread_mutex_lock(&u->mu);
  hubd_secret_free(u->token);
  free(u->api);
  u->token = token;
  u->api = api;
  u->max_wait_s = cfg->sync_max_wait_s;
  pthread_mutex_unlock(&u->mu);
}

/* The at-rest key: from the configuration, or the key file (created on first start). */
static int load_key(hubd_config *cfg, unsigned char key[32], char *err, size_t errlen) {
  int created = 0;
  if (cfg->has_secret_key) {
    memcpy(key, cfg->secret_key, 32);
    return 0;
  }
  if (hubd_secret_key_load(cfg->secret_key_file, key, &created, err, errlen)) return -1;
  if (created) hubd_log(HUBD_LOG_INFO, "secret_key_created", "file", cfg->secret_key_file, (char *)NULL);
  return 0;
}

static void usage(FILE *f) {
  fputs("usage: hubd [--config FILE] [--listen ADDR:PORT] [--db PATH] [--root DIR] [--port-file F]\n"
        "            [--log-level debug|info|warn|error]\n"
        "       hubd --seal < token > sealed     seal a token for github_token_file\n"
        "       hubd --help | --version\n"
        "hub's native server: serves the PWA's files and a JSON API over the core's commands.\n"
        "API (all but /healthz need \"Authorization: Bearer <api_key>\"): GET /healthz, GET /api/cards.json,\n"
        "GET /api/stats.json, GET /api/runs, POST /api/call (one core command), POST /api/sync,\n"
        "POST /api/brief, POST /api/ai, DELETE /api/data, GET /api/push/key (public), POST /api/push/subscribe,\n"
        "POST /api/push/unsubscribe, GET /api/push; the per-user API (/users/{u}/..., /ghost-users/{u},\n"
        "/for-you/{v}): many users with database_url (PostgreSQL), else its one user. SIGTERM stops (within 5 s), SIGHUP reloads\n"
        "the configuration. The LLM: HUB_LLM_PROVIDER (openai|ollama|anthropic; unset: none),\n"
        "HUB_LLM_BASE_URL, HUB_LLM_MODEL, HUB_LLM_API_KEY, read at start-up only.\n",
        f);
  hubd_config_usage(f);
}

/* `hubd --seal`: reads a secret on stdin, prints it sealed. Returns the exit code. */
static int do_seal(hubd_config *cfg) {
  unsigned char key[32];
  char err[512], buf[HUBD_SECRET_MAX + 2], *sealed = NULL;
  size_t n = 0;
  ssize_t got;
  int rc = 1;
  if (load_key(cfg, key, err, sizeof err)) {
    fprintf(stderr, "hubd: %s\n", err);
    return 1;
  }
  while (n < sizeof buf && (got = read(STDIN_FILENO, buf + n, sizeof buf - n)) > 0) n += (size_t)got;
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
  if (n == 0 || n > HUBD_SECRET_MAX) {
    fprintf(stderr, "hubd: --seal reads one secret (1 to %u bytes) on stdin\n", (unsigned)HUBD_SECRET_MAX);
    goto done;
  }
  sealed = hubd_secret_seal(key, buf, n);
  if (!sealed) goto done;
  printf("%s\n", sealed);
  rc = 0;
done:
  sodium_memzero(buf, sizeof buf);
  sodium_memzero(key, sizeof key);
  free(sealed);
  return rc;
}

static void write_port_file(const char *path, unsigned port) {
  char tmp[4096];
  FILE *f;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  f = fopen(tmp, "w");
  if (!f) {
    hubd_log(HUBD_LOG_WARN, "port_file", "file", path, "message", strerror(errno), (char *)NULL);
    return;
  }
  fprintf(f, "%u\n", port);
  fclose(f);
  rename(tmp, path); /* atomic: a reader sees the whole number or nothing */
}

/* Watchdog: once stopping, the process ends at the deadline whatever still runs. */
static void *watchdog(void *arg) {
  struct timespec ts = {HUBD_STOP_DEADLINE_MS / 1000, (long)(HUBD_STOP_DEADLINE_MS % 1000) * 1000000L};
  (void)arg;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  hubd_log(HUBD_LOG_ERROR, "stop_forced", "message", "shutdown deadline reached", (char *)NULL);
  _exit(1);
  return NULL;
}

static void push_conf(const hubd_config *cfg, const unsigned char key[32], hubd_push_conf *pc) {
  pc->hosts = cfg->push_hosts;
  pc->subject = cfg->vapid_subject;
  pc->vapid_private_key = cfg->vapid_private_key;
  pc->vapid_key_file = cfg->vapid_key_file;
  pc->secret_key = key;
}

static void sched_conf(const hubd_config *cfg, hubd_sched_conf *sc) {
  sc->ingest = cfg->schedule_ingest;
  sc->gfi = cfg->schedule_gfi;
  sc->diagnostics = cfg->schedule_diagnostics;
  sc->cleanup = cfg->schedule_cleanup;
  sc->jitter_s = cfg->sched_jitter_s;
  sc->cleanup_keep_days = cfg->cleanup_keep_days;
}

/* SIGHUP: rebuilds the configuration and applies what can change live. */
static void reload(int argc, char **argv, const hubd_env *env, hubd_config *cur, hubd_http *http, upstream_live *u,
                   const unsigned char key[32], hubd_sched *sched, hubd_push *push) {
  hubd_sched_conf sc;
  hubd_push_conf pc;
  hubd_config next;
  char err[512], *token = NULL;
  const char *restart = NULL;
  if (hubd_config_load(&next, argc, argv, env, err, sizeof err)) {
    hubd_log(HUBD_LOG_ERROR, "reload_failed", "message", err, (char *)NULL);
    return;
  }
  if (load_token(&next, key, &token, err, sizeof err)) {
    hubd_config_free(&next);
    hubd_log(HUBD_LOG_ERROR, "reload_failed", "message", err, (char *)NULL);
    return;
  }
  sched_conf(&next, &sc);
  push_conf(&next, key, &pc);
  if ((sched && hubd_sched_set(sched, &sc, err, sizeof err)) || (push && hubd_push_set(push, &pc, err, sizeof err))) {
    hubd_secret_free(token);
    hubd_config_free(&next);
    hubd_log(HUBD_LOG_ERROR, "reload_failed", "message", err, (char *)NULL);
    return;
  }
  if (hubd_http_set_policy(http, next.cors_origins, next.has_api_key, next.api_key_sha256)) {
    hubd_secret_free(token);
    hubd_config_free(&next);
    hubd_log(HUBD_LOG_ERROR, "reload_failed", "message", "out of memory", (char *)NULL);
    return;
  }
  hubd_log_set_level(next.log_level);
  upstream_set(u, token, &next);
  if (strcmp(next.listen, cur->listen) || strcmp(next.db, cur->db) || strcmp(next.root, cur->root) ||
      (!next.database_url) != (!cur->database_url) ||
      (next.database_url && strcmp(next.database_url, cur->database_url)) ||
      next.max_connections != cur->max_connections || next.per_ip_connections != cur->per_ip_connections ||
      next.timeout_s != cur->timeout_s || next.readers != cur->readers)
    restart = "listen, db, root, database_url and connection limits change on restart only";
  hubd_config_free(cur);
  *cur = next;
  hubd_log(HUBD_LOG_INFO, "reload", "cors_origins", cur->cors_origins ? cur->cors_origins : "",
           "api_key", cur->has_api_key ? "set" : "none", "note", restart, (char *)NULL);
}

/* Loads the LLM configuration from the environment, then wipes and removes the key there.
 * Returns 0 (*have says whether one is configured), or -1 with err. */
static int load_llm(hub_llm_config *llm, int *have, char *err, size_t errlen) {
  hub_llm_cfg_status st = hub_llm_config_load(llm, hub_llm_getenv, NULL, err, errlen);
  char *key = getenv("HUB_LLM_API_KEY");
  if (key) {
    sodium_memzero(key, strlen(key));
    unsetenv("HUB_LLM_API_KEY");
  }
  *have = st == HUB_LLM_CFG_OK;
  return st == HUB_LLM_CFG_BAD ? -1 : 0;
}

/* Many users (database_url set): the users' API, the cluster's workers and control thread over
 * PostgreSQL (users.h). The node's own single-user scheduler is not started then: the per-user
 * jobs replace it. Returns 0, or -1 with err. */
static int start_users(const hubd_config *cfg, hubd_api *api, upstream_live *up, const hub_llm_config *llm,
                       char *err, size_t errlen) {
  hubd_users_conf uc;
  hubd_cluster_env env;
  char node[128], host[64] = "node";
  memset(&uc, 0, sizeof uc);
  memset(&env, 0, sizeof env);
  if (!cfg->node_id) {
    gethostname(host, sizeof host - 1);
    snprintf(node, sizeof node, "%s-%ld", host, (long)getpid());
  } else {
    snprintf(node, sizeof node, "%s", cfg->node_id);
  }
  uc.database_url = cfg->database_url;
  uc.node_id = node;
  uc.state_dir = cfg->state_dir;
  uc.workers = cfg->workers;
  uc.pool = cfg->pg_pool;
  uc.lease_s = cfg->lease_s;
  uc.poll_ms = cfg->poll_ms;
  uc.sweep_s = cfg->sweep_s;
  uc.keep_days = cfg->cleanup_keep_days;
  uc.every_s[HUBD_JOB_INGEST] = cfg->user_ingest_s;
  uc.every_s[HUBD_JOB_REPOS] = cfg->user_repos_s;
  uc.every_s[HUBD_JOB_FORYOU] = cfg->user_foryou_s;
  env.upstream = upstream_copy;
  env.upstream_ud = up;
  env.llm = llm;
  env.stop_flag = hubd_writer_stopping(api->writer);
  api->users = hubd_users_start(&uc, &env, err, errlen);
  if (!api->users) return -1;
  hubd_log(HUBD_LOG_INFO, "users", "node", node, "state_dir", cfg->state_dir, (char *)NULL);
  return 0;
}

/* Strips --help/--version/--seal from argv into flags; returns the new argc. */
static int take_modes(int argc, char **argv, int *help, int *version, int *seal) {
  int i, n = 1;
  *help = *version = *seal = 0;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) *help = 1;
    else if (strcmp(argv[i], "--version") == 0) *version = 1;
    else if (strcmp(argv[i], "--seal") == 0) *seal = 1;
    else argv[n++] = argv[i];
  }
  return n;
}

int main(int argc, char **argv) {
  hubd_config cfg;
  hubd_env *env = NULL;
  hubd_api api;
  upstream_live up;
  hub *wh = NULL;
  hubd_writer *writer = NULL;
  hubd_readers *readers = NULL;
  hubd_http *http = NULL;
  hubd_sched *sched = NULL;
  hubd_push *push = NULL;
  hubd_push_conf pc;
  hubd_sched_conf sc;
  hubd_http_opts ho;
  hub_llm_config llm;
  unsigned char key[32];
  char err[512], portbuf[16], *token = NULL;
  unsigned port = 0;
  int help, version, seal, rc = 1, sig = 0, have_cfg = 0, have_llm = 0;
  sigset_t sigs;
  pthread_t wd;

#ifdef __GLIBC__
  /* glibc gives each thread that allocates an arena of its own (up to 8 per core), and freed
   * memory stays in them: with a thread per connection that is most of the resident set under
   * load. Two arenas keep contention low and memory bounded. */
  mallopt(M_ARENA_MAX, 2);
#endif
  memset(&api, 0, sizeof api);
  memset(&up, 0, sizeof up);
  memset(&llm, 0, sizeof llm);
  pthread_mutex_init(&up.mu, NULL);
  argc = take_modes(argc, argv, &help, &version, &seal);
  if (help) {
    usage(stdout);
    return 0;
  }
  if (version) {
    printf("hubd %s (SQLite %s, libmicrohttpd %s, libsodium %s)\n", HUBD_VERSION, sqlite3_libversion(),
           MHD_get_version(), sodium_version_string());
    return 0;
  }
  if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fputs("hubd: cannot initialise libsodium or libcurl\n", stderr);
    return 1;
  }
  /* signals are taken by sigwait in this thread; every thread started later inherits the mask */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  env = hubd_env_capture();
  if (!env) goto oom;
  if (hubd_config_load(&cfg, argc, argv, env, err, sizeof err)) {
    hubd_log(HUBD_LOG_ERROR, "config", "message", err, (char *)NULL);
    rc = 2;
    goto done;
  }
  have_cfg = 1;
  hubd_log_set_level(cfg.log_level);
  if (seal) {
    rc = do_seal(&cfg);
    goto done;
  }
  if (sqlite3_threadsafe() == 0) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "message", "SQLite was built single-threaded (SQLITE_THREADSAFE=0)",
             (char *)NULL);
    goto done;
  }
  if (load_key(&cfg, key, err, sizeof err) || load_token(&cfg, key, &token, err, sizeof err)) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
    goto done;
  }
  upstream_set(&up, token, &cfg);
  token = NULL;
  if (load_llm(&llm, &have_llm, err, sizeof err)) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
    rc = 2;
    goto done;
  }
  /* the writer's handle first: it creates and migrates the database the readers then open */
  if (hub_open(cfg.db, NULL, &wh, err, sizeof err)) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "db", cfg.db, "message", err, (char *)NULL);
    goto done;
  }
  readers = hubd_readers_open(cfg.db, cfg.readers, err, sizeof err);
  if (!readers) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "db", cfg.db, "message", err, (char *)NULL);
    goto done;
  }
  writer = hubd_writer_start(wh);
  if (!writer) goto oom;
  wh = NULL;
  hub_transport_set_cancel(hubd_writer_stopping(writer));
  api.writer = writer;
  api.readers = readers;
  api.version = HUBD_VERSION;
  api.upstream = upstream_copy;
  api.upstream_ud = &up;
  atomic_init(&api.sync_running, 0);
  atomic_init(&api.ai_running, 0);
  api.llm = have_llm ? &llm : NULL;
  api.cards_cache_ms = cfg.cards_cache_ms;
  if (hubd_routes_init(&api)) goto oom;
  push_conf(&cfg, key, &pc);
  push = hubd_push_start(&api, &pc, err, sizeof err);
  if (!push) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
    rc = 2;
    goto done;
  }
  api.push = push;
  memset(&ho, 0, sizeof ho);
  ho.listen = cfg.listen;
  ho.root = cfg.root;
  ho.max_connections = cfg.max_connections;
  ho.per_ip_connections = cfg.per_ip_connections;
  ho.timeout_s = cfg.timeout_s;
  ho.api = &api;
  http = hubd_http_start(&ho, &port, err, sizeof err);
  if (!http) {
    hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
    goto done;
  }
  if (hubd_http_set_policy(http, cfg.cors_origins, cfg.has_api_key, cfg.api_key_sha256)) goto oom;
  if (cfg.database_url) {
    if (start_users(&cfg, &api, &up, have_llm ? &llm : NULL, err, sizeof err)) {
      hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
      goto done;
    }
  } else {
    sched_conf(&cfg, &sc);
    sched = hubd_sched_start(&api, &sc, err, sizeof err);
    if (!sched) {
      hubd_log(HUBD_LOG_ERROR, "start_failed", "message", err, (char *)NULL);
      rc = 2;
      goto done;
    }
    api.sched = sched;
  }
  if (cfg.port_file) write_port_file(cfg.port_file, port);
  snprintf(portbuf, sizeof portbuf, "%u", port);
  hubd_log(HUBD_LOG_INFO, "start", "version", HUBD_VERSION, "listen", cfg.listen, "port", portbuf, "db", cfg.db,
           "root", cfg.root, "api_key", cfg.has_api_key ? "set" : "none", "github_token",
           up.token ? "set" : "none", "llm", have_llm ? hub_llm_provider_name(llm.provider) : "none", "llm_model",
           have_llm ? llm.model : NULL, (char *)NULL);
  if (!cfg.has_api_key)
    hubd_log(HUBD_LOG_WARN, "no_api_key", "message", "HUBD_API_KEY is not set: every /api/ request is refused",
             (char *)NULL);

  for (;;) {
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) reload(argc, argv, env, &cfg, http, &up, key, sched, push);
    else break;
  }
  hubd_log(HUBD_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", (char *)NULL);
  if (pthread_create(&wd, NULL, watchdog, NULL) == 0) pthread_detach(wd);
  hubd_http_quiesce(http);  /* no new connections */
  hubd_sched_stop(sched);   /* no new scheduled jobs */
  hubd_writer_stop(writer); /* the job in progress ends (a sync aborts), queued ones are refused */
  hubd_push_stop(push);     /* a push round in progress abandons its transfers */
  hubd_users_stop(api.users); /* the flag above cancels the users' syncs too; their leases go back */
  hubd_http_drain(http, HUBD_DRAIN_MS); /* their answers go out */
  hubd_http_stop(http);     /* open connections end */
  http = NULL;
  hubd_log(HUBD_LOG_INFO, "stopped", (char *)NULL);
  rc = 0;
  goto done;
oom:
  hubd_log(HUBD_LOG_ERROR, "start_failed", "message", "out of memory", (char *)NULL);
done:
  hubd_http_stop(http);
  hubd_sched_stop(sched);
  hubd_writer_stop(writer);
  hubd_push_free(push);
  hubd_users_stop(api.users);
  hubd_users_free(api.users);
  hubd_sched_free(sched);
  hubd_writer_free(writer);
  hubd_readers_close(readers);
  hubd_routes_free(&api);
  hub_close(wh);
  hubd_secret_free(token);
  hubd_secret_free(up.token);
  free(up.api);
  hub_llm_config_free(&llm);
  pthread_mutex_destroy(&up.mu);
  if (have_cfg) hubd_config_free(&cfg);
  hubd_env_free(env);
  sodium_memzero(key, sizeof key);
  curl_global_cleanup();
  return rc;
}
