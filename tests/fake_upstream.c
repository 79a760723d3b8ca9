/*
 * fake_upstream.c — a fake GitHub API on 127.0.0.1 (libmicrohttpd) that serves recorded
 * exchanges through replay.c, with CORS for browsers, stats and fault injection under /_fake/.
 *
 * usage: fake_upstream --dir D [--dir D2 ...] [--port N (0 = random)] [--port-file F] [--fresh]
 *   --fresh moves every recorded timestamp by one offset so the newest is an hour old (the
 *   demo of `make run`; tests replay the recordings as they are)
 * Control routes (never counted): GET /_fake/stats, POST /_fake/reset, POST /_fake/quit,
 * POST /_fake/fault?kind=K&count=N&path=PREFIX[&retry_after=S][&delay_ms=MS]
 * (see tests/exchanges/README.md). Runs until SIGTERM/SIGINT or POST /_fake/quit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"

#define MAX_DIRS 16
#define MAX_URI 8192
#define MAX_REQ_HEADERS 64
#define MAX_FAULTS 64
#define LOG_CAP 1000
#define LOG_PATH 512
#define LOG_BODY 256 /* bytes of a request body kept in the log */
#define MAX_RESOURCES 8
#define HUGE_SPACES (40UL * 1024 * 1024)
#define MAX_STATS_JSON (4UL * 1024 * 1024)

typedef enum { F_NONE, F_500, F_502, F_401, F_404, F_RATELIMIT, F_429, F_SLOW, F_TRUNCATE, F_BADJSON, F_HUGE } fault_kind;

static const struct {
  const char *name;
  fault_kind kind;
} fault_names[] = {{"500", F_500},           {"502", F_502},       {"401", F_401},
                   {"404", F_404},           {"ratelimit", F_RATELIMIT}, {"429", F_429},
                   {"slow", F_SLOW},         {"truncate", F_TRUNCATE}, {"badjson", F_BADJSON},
                   {"huge", F_HUGE}};

typedef struct {
  fault_kind kind;
  long count;
  char prefix[256];
  long retry_after; /* -1: default */
  long delay_ms;
} fault;

typedef struct {
  char method[12];
  char path[LOG_PATH];
  char body[LOG_BODY];
  int status;
  int charged;
} log_entry;

typedef struct {
  char name[32];
  long n;
} res_count;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static replay *rp;
static fault faults[MAX_FAULTS];
static size_t nfaults;
static long st_requests, st_charged, st_nm, st_unmatched;
static long st_preflights; /* CORS preflights (OPTIONS): not in requests, counted apart */
static res_count resources[MAX_RESOURCES];
static log_entry logbuf[LOG_CAP];
static size_t log_next, log_len;
static int wake_pipe[2] = {-1, -1};

/* Per-connection state: the raw request URI (with its query), captured by the URI logger. */
typedef struct {
  char *uri;
  char body[LOG_BODY]; /* the start of the request body (PATCH/PUT/POST), for the log */
  size_t body_len;
  int seen;
  int quit; /* POST /_fake/quit: wake main once the answer has been sent */
} conn_state;

static const char expose[] =
    "ETag, Link, Last-Modified, X-Poll-Interval, X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Reset, X-RateLimit-Used, X-RateLimit-Resource, Retry-After";

/* ---- stats (caller holds mu) ------------------------------------------------------------ */

static void count_resource(const char *res) {
  size_t i;
  for (i = 0; i < MAX_RESOURCES && resources[i].name[0]; i++)
    if (strcmp(resources[i].name, res) == 0) break;
  if (i == MAX_RESOURCES) return;
  if (!resources[i].name[0]) snprintf(resources[i].name, sizeof resources[i].name, "%.31s", res);
  resources[i].n++;
}

static void record(const char *method, const char *uri, const char *body, int status, int charged,
                   int unmatched, const char *res) {
  log_entry *e = &logbuf[log_next];
  st_requests++;
  if (charged) {
    st_charged++;
    count_resource(res);
  }
  if (status == 304) st_nm++;
  if (unmatched) st_unmatched++;
  snprintf(e->method, sizeof e->method, "%.11s", method);
  snprintf(e->path, sizeof e->path, "%.511s", uri);
  snprintf(e->body, sizeof e->body, "%s", body ? body : "");
  e->status = status;
  e->charged = charged;
  log_next = (log_next + 1) % LOG_CAP;
  if (log_len < LOG_CAP) log_len++;
}

static void reset_stats(void) {
  st_requests = st_charged = st_nm = st_unmatched = st_preflights = 0;
  memset(resources, 0, sizeof resources);
  log_next = log_len = 0;
}

/* Appends s JSON-escaped to buf (cap). Returns the new length (stops at cap). */
static size_t json_str(char *buf, size_t len, size_t cap, const char *s) {
  if (len + 2 >= cap) return len;
  buf[len++] = '"';
  for (; *s && len + 8 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      buf[len++] = '\\';
      buf[len++] = (char)c;
    } else if (c < 0x20) {
      len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
    } else {
      buf[len++] = (char)c;
    }
  }
  buf[len++] = '"';
  buf[len] = 0;
  return len;
}

#define APPEND(...)                                                                  \
  do {                                                                               \
    int w_ = snprintf(buf + len, cap - len, __VA_ARGS__);                            \
    if (w_ < 0 || (size_t)w_ >= cap - len) goto fail;                                \
    len += (size_t)w_;                                                               \
  } while (0)

/* Builds the stats JSON (caller holds mu). Returns malloc'd text or NULL. */
static char *stats_json(void) {
  size_t cap = 256 + log_len * ((LOG_PATH + LOG_BODY) * 2 + 112), len = 0, i;
  char *buf;
  if (cap > MAX_STATS_JSON) cap = MAX_STATS_JSON;
  buf = malloc(cap);
  if (!buf) return NULL;
  APPEND("{\"requests\":%ld,\"charged\":%ld,\"not_modified\":%ld,\"unmatched\":%ld,\"preflights\":%ld,"
         "\"charged_by_resource\":{\"core\":",
         st_requests, st_charged, st_nm, st_unmatched, st_preflights);
  {
    long core = 0, search = 0;
    for (i = 0; i < MAX_RESOURCES && resources[i].name[0]; i++) {
      if (strcmp(resources[i].name, "core") == 0) core = resources[i].n;
      if (strcmp(resources[i].name, "search") == 0) search = resources[i].n;
    }
    APPEND("%ld,\"search\":%ld", core, search);
    for (i = 0; i < MAX_RESOURCES && resources[i].name[0]; i++) {
      if (strcmp(resources[i].name, "core") == 0 || strcmp(resources[i].name, "search") == 0) continue;
      APPEND(",");
      len = json_str(buf, len, cap, resources[i].name);
      APPEND(":%ld", resources[i].n);
    }
  }
  APPEND("},\"log\":[");
  for (i = 0; i < log_len; i++) {
    const log_entry *e = &logbuf[(log_next + LOG_CAP - log_len + i) % LOG_CAP];
    APPEND("%s{\"method\":", i ? "," : "");
    len = json_str(buf, len, cap, e->method);
    APPEND(",\"path\":");
    len = json_str(buf, len, cap, e->path);
    if (e->body[0]) {
      APPEND(",\"body\":");
      len = json_str(buf, len, cap, e->body);
    }
    APPEND(",\"status\":%d,\"charged\":%s}", e->status, e->charged ? "true" : "false");
  }
  APPEND("]}\n");
  return buf;
fail:
  free(buf);
  return NULL;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void add_cors(struct MHD_Response *resp) {
  MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
  MHD_add_response_header(resp, "Access-Control-Expose-Headers", expose);
}

static enum MHD_Result send_buf(struct MHD_Connection *c, int status, const char *body, size_t len,
                                const replay_header *h, size_t nh, const char *ctype) {
  struct MHD_Response *resp;
  enum MHD_Result ret;
  size_t i;
  int has_ctype = 0;
  void *data;
  memcpy(&data, &body, sizeof data); /* MUST_COPY: MHD only reads it */
  resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  for (i = 0; i < nh; i++) {
    if (strcasecmp(h[i].name, "Content-Length") == 0) continue;
    if (strcasecmp(h[i].name, "Content-Type") == 0) has_ctype = 1;
    MHD_add_response_header(resp, h[i].name, h[i].value);
  }
  if (!has_ctype && ctype) MHD_add_response_header(resp, "Content-Type", ctype);
  add_cors(resp);
  ret = MHD_queue_response(c, (unsigned int)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, const char *body) {
  return send_buf(c, status, body, strlen(body), NULL, 0, "application/json; charset=utf-8");
}

static long arg_long(struct MHD_Connection *c, const char *name, long dflt) {
  const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
  char *end;
  long n;
  if (!v || !*v) return dflt;
  n = strtol(v, &end, 10);
  return *end ? dflt : n;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  if (ms <= 0) return;
  if (ms > 600000) ms = 600000;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

static const char *resource_for(const char *uri) {
  return strncmp(uri, "/search/", 8) == 0 ? "search" : "core";
}

/* ---- streaming bodies (truncate, huge) ------------------------------------------------- */

typedef struct {
  char *body; /* truncate: the full body; huge: NULL */
  size_t len, cut, pos;
} stream;

static ssize_t truncate_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  stream *s = cls;
  size_t n;
  if (pos >= s->cut) return MHD_CONTENT_READER_END_WITH_ERROR;
  n = s->cut - (size_t)pos;
  if (n > max) n = max;
  memcpy(buf, s->body + pos, n);
  return (ssize_t)n;
}

static ssize_t huge_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  size_t i, total = HUGE_SPACES + 2;
  (void)cls;
  if (pos >= total) return MHD_CONTENT_READER_END_OF_STREAM;
  for (i = 0; i < max && pos + i < total; i++)
    buf[i] = (pos + i < HUGE_SPACES) ? ' ' : (pos + i == HUGE_SPACES ? '[' : ']');
  return (ssize_t)i;
}

static void stream_free(void *cls) {
  stream *s = cls;
  if (!s) return;
  free(s->body);
  free(s);
}

/* ---- request handling ------------------------------------------------------------------- */

typedef struct {
  replay_header h[MAX_REQ_HEADERS];
  size_t n;
} hdr_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  hdr_list *l = cls;
  (void)kind;
  if (l->n < MAX_REQ_HEADERS && key && value) {
    l->h[l->n].name = key;
    l->h[l->n].value = value;
    l->n++;
  }
  return MHD_YES;
}

static void wake_main(void) {
  char b = 'q';
  if (write(wake_pipe[1], &b, 1) < 0) {
  }
}

static enum MHD_Result control(struct MHD_Connection *c, conn_state *cs, const char *method,
                                const char *url) {
  char *s;
  enum MHD_Result ret;
  if (strcmp(url, "/_fake/stats") == 0 && strcmp(method, "GET") == 0) {
    pthread_mutex_lock(&mu);
    s = stats_json();
    pthread_mutex_unlock(&mu);
    if (!s) return send_json(c, 500, "{\"message\":\"stats too large or out of memory\"}");
    ret = send_json(c, 200, s);
    free(s);
    return ret;
  }
  if (strcmp(url, "/_fake/reset") == 0 && strcmp(method, "POST") == 0) {
    pthread_mutex_lock(&mu);
    reset_stats();
    nfaults = 0;
    pthread_mutex_unlock(&mu);
    return send_json(c, 200, "{\"ok\":true}");
  }
  if (strcmp(url, "/_fake/quit") == 0 && strcmp(method, "POST") == 0) {
    if (cs) cs->quit = 1;
    else wake_main();
    return send_json(c, 200, "{\"ok\":true}");
  }
  if (strcmp(url, "/_fake/fault") == 0 && strcmp(method, "POST") == 0) {
    const char *k = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
    const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "path");
    fault f;
    size_t i;
    memset(&f, 0, sizeof f);
    for (i = 0; k && i < sizeof fault_names / sizeof fault_names[0]; i++)
      if (strcmp(k, fault_names[i].name) == 0) f.kind = fault_names[i].kind;
    if (f.kind == F_NONE)
      return send_json(c, 400, "{\"message\":\"kind must be one of 500 502 401 404 ratelimit 429 slow "
                               "truncate badjson huge\"}");
    f.count = arg_long(c, "count", 1);
    f.retry_after = arg_long(c, "retry_after", -1);
    f.delay_ms = arg_long(c, "delay_ms", 2000);
    if (p && strlen(p) >= sizeof f.prefix) return send_json(c, 400, "{\"message\":\"path too long\"}");
    snprintf(f.prefix, sizeof f.prefix, "%s", p ? p : "");
    pthread_mutex_lock(&mu);
    if (nfaults == MAX_FAULTS) {
      pthread_mutex_unlock(&mu);
      return send_json(c, 400, "{\"message\":\"too many pending faults\"}");
    }
    faults[nfaults++] = f;
    pthread_mutex_unlock(&mu);
    return send_json(c, 200, "{\"ok\":true}");
  }
  return send_json(c, 404, "{\"message\":\"unknown control route\"}");
}

/* Takes the first pending fault matching path (caller holds mu). */
static fault take_fault(const char *path) {
  fault none;
  size_t i;
  memset(&none, 0, sizeof none);
  for (i = 0; i < nfaults; i++) {
    if (faults[i].count <= 0 || strncmp(path, faults[i].prefix, strlen(faults[i].prefix)) != 0) continue;
    none = faults[i];
    if (--faults[i].count <= 0) {
      memmove(&faults[i], &faults[i + 1], (nfaults - i - 1) * sizeof faults[0]);
      nfaults--;
    }
    break;
  }
  return none;
}

static enum MHD_Result send_fault(struct MHD_Connection *c, const fault *f, const char *method,
                                  const char *uri, const char *req_body) {
  char body[512], reset[32], ra[32];
  const char *res = resource_for(uri);
  replay_header h[6];
  size_t nh = 0;
  int status = 500;
  long retry = f->retry_after >= 0 ? f->retry_after : 60;
  switch (f->kind) {
  case F_500:
    snprintf(body, sizeof body, "{\"message\":\"Server Error\"}");
    break;
  case F_502:
    status = 502;
    snprintf(body, sizeof body, "{\"message\":\"Server Error\"}");
    break;
  case F_401:
    status = 401;
    snprintf(body, sizeof body, "{\"message\":\"Bad credentials\",\"documentation_url\":\"https://docs.github.com/rest\"}");
    break;
  case F_404:
    status = 404;
    snprintf(body, sizeof body, "{\"message\":\"Not Found\",\"documentation_url\":\"fake\"}");
    break;
  case F_RATELIMIT:
    status = 403;
    snprintf(reset, sizeof reset, "%ld", (long)time(NULL) + retry);
    h[nh].name = "X-RateLimit-Limit";
    h[nh++].value = strcmp(res, "search") == 0 ? "30" : "5000";
    h[nh].name = "X-RateLimit-Remaining";
    h[nh++].value = "0";
    h[nh].name = "X-RateLimit-Used";
    h[nh++].value = strcmp(res, "search") == 0 ? "30" : "5000";
    h[nh].name = "X-RateLimit-Reset";
    h[nh++].value = reset;
    h[nh].name = "X-RateLimit-Resource";
    h[nh++].value = res;
    snprintf(body, sizeof body,
             "{\"message\":\"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for "
             "help, please include the request ID.\",\"documentation_url\":"
             "\"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api\"}");
    break;
  case F_429:
    status = 429;
    snprintf(ra, sizeof ra, "%ld", retry);
    h[nh].name = "Retry-After";
    h[nh++].value = ra;
    snprintf(body, sizeof body,
             "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes before you "
             "try again.\",\"documentation_url\":"
             "\"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits\"}");
    break;
  default:
    return MHD_NO;
  }
  pthread_mutex_lock(&mu);
  record(method, uri, req_body, status, 1, 0, res);
  pthread_mutex_unlock(&mu);
  return send_buf(c, status, body, strlen(body), h, nh, "application/json; charset=utf-8");
}

static enum MHD_Result send_stream(struct MHD_Connection *c, int status, stream *s, uint64_t total,
                                   MHD_ContentReaderCallback reader, const replay_header *h, size_t nh) {
  struct MHD_Response *resp = MHD_create_response_from_callback(total, 64 * 1024, reader, s, stream_free);
  enum MHD_Result ret;
  size_t i;
  if (!resp) {
    stream_free(s);
    return MHD_NO;
  }
  for (i = 0; i < nh; i++)
    if (strcasecmp(h[i].name, "Content-Length") != 0) MHD_add_response_header(resp, h[i].name, h[i].value);
  if (!nh) MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
  add_cors(resp);
  ret = MHD_queue_response(c, (unsigned int)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls) {
  conn_state *cs = *con_cls;
  const char *uri = cs && cs->uri ? cs->uri : url;
  fault f;
  hdr_list hl;
  replay_response resp;
  replay_info info;
  enum MHD_Result ret;
  int rc;
  (void)cls;
  (void)version;
  if (cs && !cs->seen) { /* first call: headers only */
    cs->seen = 1;
    return MHD_YES;
  }
  if (*upload_data_size) { /* request bodies: the start is kept for the log, the rest ignored */
    if (cs && cs->body_len + 1 < sizeof cs->body) {
      size_t n = *upload_data_size, room = sizeof cs->body - 1 - cs->body_len;
      memcpy(cs->body + cs->body_len, upload_data, n < room ? n : room);
      cs->body_len += n < room ? n : room;
      cs->body[cs->body_len] = 0;
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, "OPTIONS") == 0) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    pthread_mutex_lock(&mu);
    st_preflights++;
    pthread_mutex_unlock(&mu);
    if (!r) return MHD_NO;
    add_cors(r);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers",
                            "Authorization, If-None-Match, If-Modified-Since, Accept, X-GitHub-Api-Version, "
                            "Content-Type");
    MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    ret = MHD_queue_response(c, 204, r);
    MHD_destroy_response(r);
    return ret;
  }
  if (strncmp(url, "/_fake/", 7) == 0) return control(c, cs, method, url);

  pthread_mutex_lock(&mu);
  f = take_fault(url);
  pthread_mutex_unlock(&mu);
  if (f.kind == F_HUGE) {
    stream *s = calloc(1, sizeof *s);
    pthread_mutex_lock(&mu);
    record(method, uri, cs ? cs->body : NULL, 200, 1, 0, resource_for(url));
    pthread_mutex_unlock(&mu);
    if (!s) return MHD_NO;
    return send_stream(c, 200, s, HUGE_SPACES + 2, huge_reader, NULL, 0);
  }
  if (f.kind != F_NONE && f.kind != F_SLOW && f.kind != F_TRUNCATE && f.kind != F_BADJSON)
    return send_fault(c, &f, method, uri, cs ? cs->body : NULL);
  if (f.kind == F_SLOW) sleep_ms(f.delay_ms);

  memset(&hl, 0, sizeof hl);
  MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hl);
  pthread_mutex_lock(&mu);
  rc = replay_answer_info(rp, method, uri, hl.h, hl.n, &resp, &info);
  if (rc == 0) record(method, uri, cs ? cs->body : NULL, resp.status, info.charged, !info.matched, info.resource);
  pthread_mutex_unlock(&mu);
  if (rc) return send_json(c, 500, "{\"message\":\"fake_upstream: out of memory\"}");
  if (!info.matched) fprintf(stderr, "fake_upstream: unmatched %s %s\n", method, uri);

  if (f.kind == F_TRUNCATE && resp.body_len > 1) {
    stream *s = calloc(1, sizeof *s);
    if (!s) goto plain;
    s->body = resp.body;
    s->len = resp.body_len;
    s->cut = resp.body_len / 2;
    resp.body = NULL; /* now owned by the stream */
    ret = send_stream(c, resp.status, s, s->len, truncate_reader, resp.headers, resp.nheaders);
    replay_response_free(&resp);
    return ret;
  }
  if (f.kind == F_BADJSON) resp.body_len /= 2;
plain:
  ret = send_buf(c, resp.status, resp.body, resp.body_len, resp.headers, resp.nheaders, NULL);
  replay_response_free(&resp);
  return ret;
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c) {
  conn_state *cs = calloc(1, sizeof *cs);
  (void)cls;
  (void)c;
  if (!cs) return NULL;
  if (uri && strlen(uri) < MAX_URI) cs->uri = strdup(uri);
  return cs;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  conn_state *cs = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (cs) {
    if (cs->quit) wake_main();
    free(cs->uri);
    free(cs);
    *con_cls = NULL;
  }
}

static void on_signal(int sig) {
  (void)sig;
  wake_main();
}

static int usage(void) {
  fprintf(stderr, "usage: fake_upstream --dir D [--dir D2 ...] [--port N (0 = random)] [--port-file F] [--fresh]\n");
  return 2;
}

/* Parses the options, serves until SIGTERM/SIGINT or POST /_fake/quit. Returns the exit code:
 * 0 after a clean stop, 1 on a load or listen failure, 2 on bad usage. */
int main(int argc, char **argv) {
  const char *dirs[MAX_DIRS], *port_file = NULL;
  size_t ndirs = 0;
  long port = 0;
  int i, rc = 1, fresh = 0;
  char base[64], err[512], b;
  struct sockaddr_in sa;
  struct MHD_Daemon *d = NULL;
  const union MHD_DaemonInfo *di;
  struct sigaction act;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      if (ndirs == MAX_DIRS) return usage();
      dirs[ndirs++] = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) return usage();
    } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
      port_file = argv[++i];
    } else if (strcmp(argv[i], "--fresh") == 0) {
      fresh = 1;
    } else {
      return usage();
    }
  }
  if (!ndirs) return usage();
  if (pipe(wake_pipe)) {
    perror("pipe");
    return 1;
  }
  memset(&act, 0, sizeof act);
  act.sa_handler = on_signal;
  sigemptyset(&act.sa_mask);
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);
  signal(SIGPIPE, SIG_IGN);

  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* Hold the lock until the recordings are loaded (they need the port for {{base}}). */
  pthread_mutex_lock(&mu);
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
                       (uint16_t)port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
                       (struct sockaddr *)&sa, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
                       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                       (unsigned int)120, MHD_OPTION_END);
  if (!d) {
    pthread_mutex_unlock(&mu);
    fprintf(stderr, "fake_upstream: cannot listen on 127.0.0.1:%ld\n", port);
    return 1;
  }
  di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (!di || !di->port) {
    pthread_mutex_unlock(&mu);
    fprintf(stderr, "fake_upstream: cannot learn the bound port\n");
    goto done;
  }
  port = di->port;
  snprintf(base, sizeof base, "http://127.0.0.1:%ld", port);
  rp = replay_load(dirs, ndirs, base, err, sizeof err);
  if (rp && fresh) replay_shift_times(rp, (long long)time(NULL) - 3600);
  pthread_mutex_unlock(&mu);
  if (!rp) {
    fprintf(stderr, "fake_upstream: %s\n", err);
    goto done;
  }
  if (port_file) {
    char tmp[4096];
    FILE *f;
    if (strlen(port_file) + 5 >= sizeof tmp) goto done;
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%ld\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
      fprintf(stderr, "fake_upstream: cannot write %s\n", port_file);
      goto done;
    }
  }
  printf("listening on %s\n", base);
  fflush(stdout);
  while (read(wake_pipe[0], &b, 1) < 0 && errno == EINTR) {
  }
  rc = 0;
done:
  MHD_stop_daemon(d);
  replay_free(rp);
  return rc;
}
