/*
 * hubd_config.c — hubd's settings table, config file parser, environment capture and flags
 * (native driver layer; see hubd_config.h for the contract).
 *
 * File format: `key = value` lines; blank lines and lines starting with '#' are ignored; a value
 * may be wrapped in double quotes. A file that holds a secret (api_key, github_token,
 * secret_key) must not be readable by group or others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "hubd_config.h"

typedef enum { T_STR, T_UINT, T_LEVEL, T_APIKEY, T_APIKEY_HASH, T_SECRET_B64, T_TOKEN } vtype;

typedef struct {
  const char *key, *env, *flag, *def, *help;
  vtype type;
  size_t off; /* offset of the field in hubd_config (T_STR, T_TOKEN, T_UINT) */
} setting;

#define F(field) offsetof(hubd_config, field)

/* The one table of settings. */
static const setting settings[] = {
    {"listen", "HUBD_LISTEN", "--listen", "127.0.0.1:8080", "address and port (IPv4 or [IPv6]:port)", T_STR, F(listen)},
    {"db", "HUB_DB", "--db", "hub.db", "the SQLite database", T_STR, F(db)},
    {"root", "HUBD_ROOT", "--root", "build/web", "directory of the PWA's files", T_STR, F(root)},
    {"port_file", "HUBD_PORT_FILE", "--port-file", NULL, "write the bound port there (with port 0)", T_STR, F(port_file)},
    {"log_level", "HUBD_LOG_LEVEL", "--log-level", "info", "debug, info, warn or error", T_LEVEL, 0},
    {"api_key", "HUBD_API_KEY", NULL, NULL, "Bearer key for /api/ routes (>= 16 chars; only its hash is kept)", T_APIKEY, 0},
    {"api_key_sha256", "HUBD_API_KEY_SHA256", NULL, NULL, "the key's SHA-256 in hex, instead of api_key", T_APIKEY_HASH, 0},
    {"cors_origins", "HUBD_CORS_ORIGINS", NULL, NULL, "comma-separated origins allowed by CORS", T_STR, F(cors_origins)},
    {"github_token", "GITHUB_TOKEN", NULL, NULL, "upstream token (kept in memory only)", T_TOKEN, F(github_token)},
    {"github_token_file", "HUBD_GITHUB_TOKEN_FILE", NULL, NULL, "file with the token sealed by `hubd --seal`", T_STR, F(github_token_file)},
    {"github_api", "HUB_GITHUB_API", NULL, NULL, "GitHub API base URL", T_STR, F(github_api)},
    {"secret_key_file", "HUBD_SECRET_KEY_FILE", NULL, NULL, "0600 file with the at-rest key (default <db>.key)", T_STR, F(secret_key_file)},
    {"secret_key", "HUBD_SECRET_KEY", NULL, NULL, "the at-rest key, 32 bytes in base64, instead of the file", T_SECRET_B64, 0},
    {"max_connections", "HUBD_MAX_CONNECTIONS", NULL, "128", "concurrent connections (one thread each)", T_UINT, F(max_connections)},
    {"per_ip_connections", "HUBD_PER_IP_CONNECTIONS", NULL, "32", "concurrent connections per client address", T_UINT, F(per_ip_connections)},
    {"timeout_s", "HUBD_TIMEOUT_S", NULL, "15", "idle connection timeout in seconds", T_UINT, F(timeout_s)},
    {"readers", "HUBD_READERS", NULL, "4", "read-only database handles for HTTP readers", T_UINT, F(readers)},
    {"sync_max_wait_s", "HUBD_SYNC_MAX_WAIT_S", NULL, "60", "longest rate-limit wait inside one sync", T_UINT, F(sync_max_wait_s)},
    {"schedule_ingest", "HUBD_SCHEDULE_INGEST", NULL, "1h", "sync GitHub + tangled: off, 30s|5m|1h|7d, @daily or cron (UTC)", T_STR, F(schedule_ingest)},
    {"schedule_gfi", "HUBD_SCHEDULE_GFI", NULL, "6h", "sync the good-first-issue lists (same forms)", T_STR, F(schedule_gfi)},
    {"schedule_diagnostics", "HUBD_SCHEDULE_DIAGNOSTICS", NULL, "5m", "the canary: quick_check, tables, run health", T_STR, F(schedule_diagnostics)},
    {"schedule_cleanup", "HUBD_SCHEDULE_CLEANUP", NULL, "0 4 * * 0", "delete old run records (Sundays 04:00 UTC)", T_STR, F(schedule_cleanup)},
    {"sched_jitter_s", "HUBD_SCHED_JITTER_S", NULL, "60", "a run starts up to this late (at most a tenth of its period)", T_UINT, F(sched_jitter_s)},
    {"cleanup_keep_days", "HUBD_CLEANUP_KEEP_DAYS", NULL, "30", "cleanup deletes run records older than this", T_UINT, F(cleanup_keep_days)},
    {"cards_cache_ms", "HUBD_CARDS_CACHE_MS", NULL, "1000", "reuse a /api/cards.json answer this long (0: off)", T_UINT, F(cards_cache_ms)},
    {"push_hosts", "HUBD_PUSH_HOSTS", NULL, HUBD_PUSH_HOSTS_DEFAULT, "push services a subscription may name (*.domain: its subdomains; 127.0.0.1: a local test double)", T_STR, F(push_hosts)},
    {"vapid_subject", "HUBD_VAPID_SUBJECT", NULL, "mailto:hubd@localhost", "VAPID contact the push services see (mailto: or https:)", T_STR, F(vapid_subject)},
    {"vapid_key_file", "HUBD_VAPID_KEY_FILE", NULL, NULL, "0600 file with the VAPID key, sealed under the at-rest key (default <db>.vapid)", T_STR, F(vapid_key_file)},
    {"vapid_private_key", "HUBD_VAPID_PRIVATE_KEY", NULL, NULL, "the VAPID private key (base64url), instead of the file", T_TOKEN, F(vapid_private_key)},
    {"database_url", "HUBD_DATABASE_URL", "--database-url", NULL, "many users: PostgreSQL URL (postgres://...); unset: one user on SQLite", T_TOKEN, F(database_url)},
    {"node_id", "HUBD_NODE_ID", "--node-id", NULL, "this node's name in leases and logs (default host-pid)", T_STR, F(node_id)},
    {"state_dir", "HUBD_STATE_DIR", NULL, NULL, "many users: this node's image files (default <db>.users)", T_STR, F(state_dir)},
    {"workers", "HUBD_WORKERS", NULL, "2", "many users: job worker threads (one connection each)", T_UINT, F(workers)},
    {"pg_pool", "HUBD_PG_POOL", NULL, "4", "many users: PostgreSQL connections for HTTP requests", T_UINT, F(pg_pool)},
    {"lease_s", "HUBD_LEASE_S", NULL, "60", "many users: a claimed job's lease (renewed while it runs)", T_UINT, F(lease_s)},
    {"poll_ms", "HUBD_POLL_MS", NULL, "5000", "many users: longest idle wait without a NOTIFY", T_UINT, F(poll_ms)},
    {"sweep_s", "HUBD_SWEEP_S", NULL, "60", "many users: the leader's sweeps", T_UINT, F(sweep_s)},
    {"user_ingest_s", "HUBD_USER_INGEST_S", NULL, "3600", "many users: seconds between a user's ingests", T_UINT, F(user_ingest_s)},
    {"user_repos_s", "HUBD_USER_REPOS_S", NULL, "86400", "many users: seconds between repository reads", T_UINT, F(user_repos_s)},
    {"user_foryou_s", "HUBD_USER_FORYOU_S", NULL, "3600", "many users: seconds between for-you rebuilds", T_UINT, F(user_foryou_s)},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

struct hubd_env {
  size_t n;
  struct {
    const setting *s;
    char *value;
  } v[NSETTINGS];
};

static const setting *find_key(const char *key) {
  size_t i;
  for (i = 0; i < NSETTINGS; i++)
    if (strcmp(settings[i].key, key) == 0) return &settings[i];
  return NULL;
}

static void wipe_free(char *s) {
  if (s) sodium_memzero(s, strlen(s));
  free(s);
}

static int is_secret(const setting *s) {
  return s->type == T_APIKEY || s->type == T_TOKEN || s->type == T_SECRET_B64;
}

/* Applies one value. Returns 0, or -1 with a message in err (c unchanged then). */
static int apply(hubd_config *c, const setting *s, const char *value, char *err, size_t errlen) {
  char **sp = (char **)(void *)((char *)c + s->off);
  unsigned *up = (unsigned *)(void *)((char *)c + s->off);
  size_t len = strlen(value);
  if (len > HUBD_CONFIG_VALUE_MAX) {
    snprintf(err, errlen, "%s: value longer than %u bytes", s->key, (unsigned)HUBD_CONFIG_VALUE_MAX);
    return -1;
  }
  switch (s->type) {
  case T_STR:
  case T_TOKEN: {
    char *d = strdup(value);
    if (!d) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    if (s->type == T_TOKEN) wipe_free(*sp);
    else free(*sp);
    *sp = d;
    return 0;
  }
  case T_UINT: {
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(value, &end, 10);
    if (errno || end == value || *end || v > 1000000ul || *value == '-') {
      snprintf(err, errlen, "%s: \"%s\" is not a number from 0 to 1000000", s->key, value);
      return -1;
    }
    *up = (unsigned)v;
    return 0;
  }
  case T_LEVEL:
    if (hubd_log_parse_level(value, &c->log_level)) {
      snprintf(err, errlen, "%s: \"%s\" is not debug, info, warn or error", s->key, value);
      return -1;
    }
    return 0;
  case T_APIKEY:
    if (len < 16) {
      snprintf(err, errlen, "%s: an API key needs at least 16 characters", s->key);
      return -1;
    }
    crypto_hash_sha256(c->api_key_sha256, (const unsigned char *)value, len);
    c->has_api_key = 1;
    return 0;
  case T_APIKEY_HASH: {
    size_t bin = 0;
    unsigned char d[32];
    if (len != 64 || sodium_hex2bin(d, sizeof d, value, len, NULL, &bin, NULL) || bin != 32) {
      snprintf(err, errlen, "%s: expected 64 hex digits", s->key);
      return -1;
    }
    memcpy(c->api_key_sha256, d, 32);
    c->has_api_key = 1;
    return 0;
  }
  case T_SECRET_B64: {
    size_t bin = 0;
    unsigned char d[32];
    if (sodium_base642bin(d, sizeof d, value, len, " \n\r", &bin, NULL, sodium_base64_VARIANT_ORIGINAL) ||
        bin != 32) {
      snprintf(err, errlen, "%s: expected 32 bytes in base64", s->key);
      sodium_memzero(d, sizeof d);
      return -1;
    }
    memcpy(c->secret_key, d, 32);
    sodium_memzero(d, sizeof d);
    c->has_secret_key = 1;
    return 0;
  }
  }
  return -1;
}

hubd_env *hubd_env_capture(void) {
  hubd_env *e = calloc(1, sizeof *e);
  size_t i;
  if (!e) return NULL;
  for (i = 0; i < NSETTINGS; i++) {
    const char *v = getenv(settings[i].env);
    const setting *s = &settings[i];
    char *copy;
    if (!v || !*v) continue;
    if (s->type == T_APIKEY && strlen(v) >= 16) {
      /* keep only the digest: store it as api_key_sha256 */
      unsigned char d[32];
      char hex[65];
      crypto_hash_sha256(d, (const unsigned char *)v, strlen(v));
      sodium_bin2hex(hex, sizeof hex, d, sizeof d);
      copy = strdup(hex);
      s = find_key("api_key_sha256");
    } else {
      copy = strdup(v);
    }
    if (!copy) {
      hubd_env_free(e);
      return NULL;
    }
    e->v[e->n].s = s;
    e->v[e->n].value = copy;
    e->n++;
    if (is_secret(&settings[i])) unsetenv(settings[i].env);
  }
  return e;
}

void hubd_env_free(hubd_env *e) {
  size_t i;
  if (!e) return;
  for (i = 0; i < e->n; i++) wipe_free(e->v[i].value);
  free(e);
}

static char *trim(char *s) {
  char *end;
  while (*s == ' ' || *s == '\t') s++;
  end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = 0;
  return s;
}

/* Reads and applies the config file. Returns 0 or -1 with err set. */
static int load_file(hubd_config *c, const char *path, char *err, size_t errlen) {
  int fd = -1, rc = -1, lineno = 0, has_secret = 0;
  struct stat st;
  char *text = NULL, *line, *next;
  ssize_t got;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
    goto done;
  }
  if (!S_ISREG(st.st_mode) || (size_t)st.st_size > HUBD_CONFIG_FILE_MAX) {
    snprintf(err, errlen, "config file %s: not a regular file of at most %u bytes", path,
             (unsigned)HUBD_CONFIG_FILE_MAX);
    goto done;
  }
  text = malloc((size_t)st.st_size + 1);
  if (!text) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  got = read(fd, text, (size_t)st.st_size);
  if (got != (ssize_t)st.st_size) {
    snprintf(err, errlen, "cannot read config file %s", path);
    goto done;
  }
  text[got] = 0;
  for (line = text; line; line = next) {
    char *eq, *key, *val;
    const setting *s;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    lineno++;
    line = trim(line);
    if (!*line || *line == '#') continue;
    eq = strchr(line, '=');
    if (!eq) {
      snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
      goto done;
    }
    *eq = 0;
    key = trim(line);
    val = trim(eq + 1);
    if (val[0] == '"' && strlen(val) >= 2 && val[strlen(val) - 1] == '"') {
      val[strlen(val) - 1] = 0;
      val++;
    }
    s = find_key(key);
    if (!s) {
      snprintf(err, errlen, "%s:%d: unknown key \"%.64s\"", path, lineno, key);
      goto done;
    }
    if (is_secret(s)) has_secret = 1;
    if (apply(c, s, val, err, errlen)) {
      char msg[256];
      snprintf(msg, sizeof msg, "%s", err);
      snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
      goto done;
    }
  }
  if (has_secret && (st.st_mode & 077)) {
    snprintf(err, errlen, "config file %s holds a secret but is readable by group or others (chmod 600)", path);
    goto done;
  }
  rc = 0;
done:
  if (text) {
    sodium_memzero(text, (size_t)st.st_size);
    free(text);
  }
  if (fd >= 0) close(fd);
  return rc;
}

/* Walks the flags ("--x V" or "--x=V"). The first pass (apply_them 0) only notes --config; the
 * second applies every other flag. Returns 0, or -1 with err set for an unknown flag or a
 * missing value. */
static int parse_flags(hubd_config *c, int argc, char **argv, int apply_them, char *err, size_t errlen) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    const setting *s = NULL;
    size_t j, n;
    const char *eq = strchr(a, '=');
    n = eq ? (size_t)(eq - a) : strlen(a);
    if (strncmp(a, "--config", n) == 0 && n == 8) {
      val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if (!val) goto missing;
      if (!apply_them) {
        free(c->config_file);
        c->config_file = strdup(val);
      }
      continue;
    }
    for (j = 0; j < NSETTINGS; j++)
      if (settings[j].flag && strlen(settings[j].flag) == n && strncmp(settings[j].flag, a, n) == 0)
        s = &settings[j];
    if (!s) {
      snprintf(err, errlen, "unknown option %.64s (see hubd --help)", a);
      return -1;
    }
    val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!val) goto missing;
    if (apply_them && apply(c, s, val, err, errlen)) return -1;
    continue;
  missing:
    snprintf(err, errlen, "option %.64s needs a value", a);
    return -1;
  }
  return 0;
}

int hubd_config_load(hubd_config *c, int argc, char **argv, const hubd_env *env, char *err, size_t errlen) {
  size_t i;
  memset(c, 0, sizeof *c);
  for (i = 0; i < NSETTINGS; i++)
    if (settings[i].def && apply(c, &settings[i], settings[i].def, err, errlen)) goto fail;
  if (parse_flags(c, argc, argv, 0, err, errlen)) goto fail;
  if (!c->config_file && getenv("HUBD_CONFIG") && *getenv("HUBD_CONFIG")) c->config_file = strdup(getenv("HUBD_CONFIG"));
  if (c->config_file && load_file(c, c->config_file, err, errlen)) goto fail;
  for (i = 0; env && i < env->n; i++)
    if (apply(c, env->v[i].s, env->v[i].value, err, errlen)) {
      char msg[256];
      snprintf(msg, sizeof msg, "%s", err);
      snprintf(err, errlen, "environment %s: %s", env->v[i].s->env, msg);
      goto fail;
    }
  if (parse_flags(c, argc, argv, 1, err, errlen)) goto fail;
  if (!c->secret_key_file) {
    size_t n = strlen(c->db) + 5;
    c->secret_key_file = malloc(n);
    if (!c->secret_key_file) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    snprintf(c->secret_key_file, n, "%s.key", c->db);
  }
  if (!c->vapid_key_file) {
    size_t n = strlen(c->db) + 7;
    c->vapid_key_file = malloc(n);
    if (!c->vapid_key_file) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    snprintf(c->vapid_key_file, n, "%s.vapid", c->db);
  }
  if (!c->state_dir) {
    size_t n = strlen(c->db) + 7;
    c->state_dir = malloc(n);
    if (!c->state_dir) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    snprintf(c->state_dir, n, "%s.users", c->db);
  }
  if (c->readers == 0) c->readers = 1;
  if (c->max_connections == 0) c->max_connections = 1;
  return 0;
fail:
  hubd_config_free(c);
  return -1;
}

void hubd_config_free(hubd_config *c) {
  size_t i;
  for (i = 0; i < NSETTINGS; i++) {
    if (settings[i].type != T_STR && settings[i].type != T_TOKEN) continue;
    wipe_free(*(char **)(void *)((char *)c + settings[i].off));
  }
  free(c->config_file);
  sodium_memzero(c, sizeof *c);
}

void hubd_config_usage(FILE *f) {
  size_t i;
  fputs("settings (file key = value < environment < flag):\n", f);
  for (i = 0; i < NSETTINGS; i++) {
    const setting *s = &settings[i];
    fprintf(f, "  %-21s %-26s %-12s %s%s%s%s\n", s->key, s->env, s->flag ? s->flag : "", s->help,
            s->def ? " [" : "", s->def ? s->def : "", s->def ? "]" : "");
  }
}
