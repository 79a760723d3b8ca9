/*
 * hubd_config.h — hubd's configuration: defaults < config file < environment < flags
 * (native driver layer).
 *
 * One table in hubd_config.c names every setting once with its file key, its environment
 * variable and its flag, so `--help`, the file parser and the environment agree. Secrets are
 * handled on the way in: an API key is hashed (SHA-256) as soon as it is read and the clear
 * text wiped, so only the digest lives in memory; the environment's secrets are captured once
 * at start-up (hubd_env_capture) and removed from the process environment, so a reload
 * (SIGHUP) re-reads the file and reuses that capture.
 *
 * Ownership: a hubd_config is filled by hubd_config_load and released by hubd_config_free,
 * which wipes the secrets it holds. A hubd_env is released by hubd_env_free.
 */
#ifndef HUBD_CONFIG_H
#define HUBD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "hubd_log.h"

#ifndef HUBD_CONFIG_FILE_MAX
#define HUBD_CONFIG_FILE_MAX (64u * 1024u) /* largest config file read */
#endif
#ifndef HUBD_PUSH_HOSTS_DEFAULT /* the big push services (webpush.h's default policy) */
#define HUBD_PUSH_HOSTS_DEFAULT \
  "fcm.googleapis.com, updates.push.services.mozilla.com, *.push.services.mozilla.com, *.notify.windows.com, web.push.apple.com"
#endif
#ifndef HUBD_CONFIG_VALUE_MAX
#define HUBD_CONFIG_VALUE_MAX 4096u        /* longest value (a CORS list, a path) */
#endif

typedef struct {
  char *listen;            /* "ADDR:PORT" (IPv4 or [IPv6]); default 127.0.0.1:8080 */
  char *db;                /* database path; default hub.db */
  char *root;              /* directory of the PWA's files; default build/web */
  char *port_file;         /* when set, the bound port is written there (for --listen …:0) */
  char *cors_origins;      /* comma-separated allowed origins; NULL = none */
  int has_api_key;         /* 0: every /api/ route refuses */
  unsigned char api_key_sha256[32];
  char *github_token;      /* clear upstream token (memory only); NULL = none */
  char *github_token_file; /* file holding the token sealed by `hubd --seal` */
  char *github_api;        /* GitHub API base (tests point it at the fake upstream) */
  char *secret_key_file;   /* 0600 file with the at-rest key; default "<db>.key" */
  int has_secret_key;      /* the key came from HUBD_SECRET_KEY / secret_key */
  unsigned char secret_key[32];
  hubd_log_level log_level;
  unsigned max_connections, per_ip_connections, timeout_s, readers;
  unsigned sync_max_wait_s;
  char *schedule_ingest, *schedule_gfi, *schedule_diagnostics, *schedule_cleanup; /* sched.h */
  unsigned sched_jitter_s, cleanup_keep_days, cards_cache_ms;
  char *push_hosts;        /* Web Push allow-list (push.h); "127.0.0.1" admits the test double */
  char *vapid_subject;     /* VAPID "sub" */
  char *vapid_key_file;    /* the VAPID key sealed under the at-rest key; default "<db>.vapid" */
  char *vapid_private_key; /* or the key itself (base64url; memory only) */
  /* many users (users.h): set database_url and hubd serves many users from PostgreSQL */
  char *database_url;      /* postgres://… (may hold a password: a secret); NULL = one user on SQLite */
  char *node_id;           /* this node's name in leases and logs; default host-pid */
  char *state_dir;         /* users' image files on this node; default "<db>.users" */
  unsigned workers, pg_pool, lease_s, poll_ms, sweep_s, user_ingest_s, user_repos_s, user_foryou_s;
  char *config_file;       /* the --config file, if any (kept for SIGHUP) */
} hubd_config;

/* A captured copy of the environment's hubd settings (secrets already hashed/decoded). */
typedef struct hubd_env hubd_env;

/* Reads every variable the table names from the process environment into a new hubd_env
 * and removes the secret ones (HUBD_API_KEY, GITHUB_TOKEN, HUBD_SECRET_KEY) from the
 * environment after wiping their text. Returns NULL on OOM. Free with hubd_env_free. */
hubd_env *hubd_env_capture(void);
void hubd_env_free(hubd_env *e);

/* Builds *c from defaults, the config file (--config, read again on every call), the captured
 * environment and the flags in argv[1..argc-1]. Returns 0; or -1 with a message in err (the
 * contents of *c are then released). Flags it does not know are an error, except --help,
 * --version and --seal, which the caller handles before. */
int hubd_config_load(hubd_config *c, int argc, char **argv, const hubd_env *env, char *err, size_t errlen);

/* Releases what *c owns, wiping secrets, and zeroes it. */
void hubd_config_free(hubd_config *c);

/* Writes the settings table (file key, environment variable, flag, default, meaning) to f as
 * part of --help. */
void hubd_config_usage(FILE *f);

#endif
