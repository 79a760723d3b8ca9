/*
 * http.c — libmicrohttpd glue for hubd: routing between the API and static files, the Bearer
 * key, CORS, limits, security headers and the request log (native driver layer; see http.h).
 *
 * libmicrohttpd's own URL unescaping is turned off (a no-op callback), so the path this file
 * sees is exactly what the client sent; static.c decodes it once and checks it, and routes.c
 * decodes query values. A request's state (struct req) is made on the first call of the access
 * handler and freed when libmicrohttpd reports the request completed, after its log line.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>
#include "hub.h"
#include "hubd_log.h"
#include "http.h"
#include "secrets.h"
#include "static.h"

#ifndef HUBD_ORIGINS_MAX
#define HUBD_ORIGINS_MAX 32 /* origins on the CORS allow-list */
#endif

struct hubd_http {
  struct MHD_Daemon *d;
  hubd_api *api;
  char root_real[PATH_MAX];
  int has_root;
  pthread_rwlock_t lock; /* guards the policy below (SIGHUP replaces it) */
  char *origins[HUBD_ORIGINS_MAX];
  size_t norigins;
  int has_key;
  unsigned char key_sha256[32];
  atomic_size_t body_bytes; /* request bodies held now, all connections */
  MHD_socket quiesced;      /* the listen socket after hubd_http_quiesce, closed after the stop */
  atomic_int active;        /* requests between their first call and their completion */
};

typedef enum { K_STATIC, K_PREFLIGHT, K_API } req_kind;

typedef struct {
  struct timespec t0;
  req_kind kind;
  int status;      /* the status answered (for the log) */
  int responded;   /* a response is queued */
  const hubd_route *rt;
  char *body;
  size_t len, cap, max;
  int too_big, over_budget;
  char method[16];
  char path[256];  /* raw path, cut for the log */
  char ip[INET6_ADDRSTRLEN];
} req;

/* ---- responses -------------------------------------------------------------------------------- */

/* The origin when it is on the allow-list, copied into out; else out is "". */
static void allowed_origin(hubd_http *h, struct MHD_Connection *c, char *out, size_t n) {
  const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
  size_t i;
  out[0] = 0;
  if (!origin) return;
  pthread_rwlock_rdlock(&h->lock);
  for (i = 0; i < h->norigins; i++)
    if (strcmp(h->origins[i], origin) == 0 && strlen(origin) < n) {
      memcpy(out, origin, strlen(origin) + 1);
      break;
    }
  pthread_rwlock_unlock(&h->lock);
}

static void add_common(hubd_http *h, struct MHD_Connection *c, struct MHD_Response *r, const char *vary) {
  char origin[512];
  MHD_add_response_header(r, "Content-Security-Policy", HUBD_CSP);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-site");
  MHD_add_response_header(r, "Vary", vary ? vary : "Origin");
  allowed_origin(h, c, origin, sizeof origin);
  if (origin[0]) MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
}

static enum MHD_Result queue(struct MHD_Connection *c, req *rq, unsigned status, struct MHD_Response *r) {
  enum MHD_Result ret;
  if (!r) return MHD_NO;
  ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  rq->status = (int)status;
  rq->responded = 1;
  return ret;
}

/* Answers JSON; takes ownership of body (released with hub_free). */
static enum MHD_Result reply_json(hubd_http *h, struct MHD_Connection *c, req *rq, unsigned status, char *body) {
  struct MHD_Response *r;
  if (!body) {
    static const char oom[] = "{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}";
    r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)(uintptr_t)oom, MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_SERVICE_UNAVAILABLE;
  } else {
    r = MHD_create_response_from_buffer_with_free_callback(strlen(body), body, hub_free);
    if (!r) hub_free(body);
  }
  if (!r) return MHD_NO;
  add_common(h, c, r, NULL);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (status == MHD_HTTP_UNAUTHORIZED) {
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            a ? "Bearer realm=\"hubd\", error=\"invalid_token\"" : "Bearer realm=\"hubd\"");
  }
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
  return queue(c, rq, status, r);
}

static enum MHD_Result reply_error(hubd_http *h, struct MHD_Connection *c, req *rq, unsigned status,
                                   const char *code, const char *message) {
  size_t n = strlen(code) + strlen(message) + 48; /* code and message are constants without quotes */
  char *body = malloc(n);
  if (body) snprintf(body, n, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
  return reply_json(h, c, rq, status, body);
}

static enum MHD_Result reply_text(hubd_http *h, struct MHD_Connection *c, req *rq, unsigned status, const char *text) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  add_common(h, c, r, NULL);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, OPTIONS");
  return queue(c, rq, status, r);
}

static enum MHD_Result preflight(hubd_http *h, struct MHD_Connection *c, req *rq) {
  struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
  char origin[512];
  if (!r) return MHD_NO;
  add_common(h, c, r, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  allowed_origin(h, c, origin, sizeof origin);
  if (origin[0]) {
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    MHD_add_response_header(r, "Access-Control-Max-Age", "600");
  }
  return queue(c, rq, MHD_HTTP_NO_CONTENT, r);
}

/* ---- static files ----------------------------------------------------------------------------- */

static enum MHD_Result serve_static(hubd_http *h, struct MHD_Connection *c, req *rq, const char *url,
                                    const char *method) {
  hubd_static_file f;
  struct MHD_Response *r;
  int st;
  const char *vary;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply_text(h, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
  if (!h->has_root) return reply_text(h, c, rq, MHD_HTTP_NOT_FOUND, "not found\n");
  st = hubd_static_open(h->root_real, url,
                        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING), &f);
  if (st != 200)
    return reply_text(h, c, rq, (unsigned)st, st == 400 ? "bad request\n" : "not found\n");
  vary = f.compressible ? "Origin, Accept-Encoding" : "Origin";
  if (hubd_static_etag_matches(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
                               f.etag)) {
    close(f.fd);
    r = MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    add_common(h, c, r, vary);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, f.etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return queue(c, rq, MHD_HTTP_NOT_MODIFIED, r);
  }
  r = MHD_create_response_from_fd(f.size, f.fd); /* takes the fd */
  if (!r) {
    close(f.fd);
    return MHD_NO;
  }
  add_common(h, c, r, vary);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f.type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, f.etag);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  if (f.encoding) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, f.encoding);
  return queue(c, rq, MHD_HTTP_OK, r);
}

/* ---- the API ---------------------------------------------------------------------------------- */

/* 1 when the request's Bearer digest (has: there is one) is hubd's key; constant time. */
static int authorized_digest(hubd_http *h, int has_bearer, const unsigned char got[32]) {
  unsigned char want[32];
  int has, ok;
  pthread_rwlock_rdlock(&h->lock);
  has = h->has_key;
  memcpy(want, h->key_sha256, 32);
  pthread_rwlock_unlock(&h->lock);
  ok = crypto_verify_32(got, want) == 0; /* digests of equal length, compared in constant time */
  sodium_memzero(want, sizeof want);
  return has && has_bearer && ok;
}

static int authorized(hubd_http *h, struct MHD_Connection *c) {
  unsigned char got[32] = {0};
  int has = hubd_bearer_digest(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), got);
  return authorized_digest(h, has, got);
}

static const char *get_arg(void *ud, const char *name) {
  return MHD_lookup_connection_value((struct MHD_Connection *)ud, MHD_GET_ARGUMENT_KIND, name);
}

/* The first call for an API path: method, key, declared body size. */
static enum MHD_Result api_begin(hubd_http *h, struct MHD_Connection *c, req *rq, const char *url,
                                 const char *method) {
  int known = 0;
  const char *cl;
  rq->rt = hubd_route_find(method, url, &known);
  if (!rq->rt)
    return known ? reply_error(h, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "bad_request", "method not allowed")
                 : reply_error(h, c, rq, MHD_HTTP_NOT_FOUND, "not_found", "no such route");
  if (hubd_route_needs_key(rq->rt) && !authorized(h, c))
    return reply_error(h, c, rq, MHD_HTTP_UNAUTHORIZED, "unauthorized", "a valid Bearer API key is required");
  rq->max = hubd_route_body_max(rq->rt);
  cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl && strtoull(cl, NULL, 10) > rq->max)
    return reply_error(h, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "too_big", "request body over the limit");
  return MHD_YES; /* the body (if any) follows; answered on the last call */
}

/* Takes a chunk of the request body, within the route's cap and the global budget. */
static void api_absorb(hubd_http *h, req *rq, const char *data, size_t n) {
  size_t held;
  if (rq->too_big || rq->over_budget) return;
  if (rq->len + n > rq->max) {
    rq->too_big = 1;
    return;
  }
  held = atomic_fetch_add(&h->body_bytes, n) + n;
  if (held > HUBD_BODY_BUDGET) {
    atomic_fetch_sub(&h->body_bytes, n);
    rq->over_budget = 1;
    return;
  }
  if (rq->len + n + 1 > rq->cap) {
    size_t cap = rq->cap ? rq->cap : 4096;
    char *p;
    while (cap < rq->len + n + 1) cap *= 2;
    p = realloc(rq->body, cap);
    if (!p) {
      atomic_fetch_sub(&h->body_bytes, n);
      rq->over_budget = 1;
      return;
    }
    rq->body = p;
    rq->cap = cap;
  }
  memcpy(rq->body + rq->len, data, n);
  rq->len += n;
  rq->body[rq->len] = 0;
}

static enum MHD_Result api_end(hubd_http *h, struct MHD_Connection *c, req *rq, const char *url, const char *method) {
  char *out = NULL;
  unsigned char bearer[32] = {0};
  hubd_req_info info;
  int status;
  if (rq->too_big) return reply_error(h, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, "too_big", "request body over the limit");
  if (rq->over_budget)
    return reply_error(h, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", "too many request bodies in flight; try again");
  info.method = method;
  info.path = url;
  info.bearer = hubd_bearer_digest(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), bearer)
                    ? bearer
                    : NULL;
  info.admin = authorized_digest(h, info.bearer != NULL, bearer);
  status = hubd_route_run(h->api, rq->rt, get_arg, c, &info, rq->body, rq->len, &out);
  sodium_memzero(bearer, sizeof bearer);
  return reply_json(h, c, rq, (unsigned)status, out);
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
  hubd_http *h = cls;
  req *rq = *state;
  (void)version;
  if (!rq) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    rq = calloc(1, sizeof *rq);
    if (!rq) return MHD_NO;
    *state = rq;
    atomic_fetch_add(&h->active, 1);
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    snprintf(rq->method, sizeof rq->method, "%s", method);
    snprintf(rq->path, sizeof rq->path, "%s", url);
    if (ci && ci->client_addr) {
      const struct sockaddr *sa = ci->client_addr;
      if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, rq->ip, sizeof rq->ip);
      else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, rq->ip, sizeof rq->ip);
    }
    /* Answer on the last call, not this one: libmicrohttpd closes a connection whose answer
     * was queued before the request was read in full (so keep-alive would be lost). Only
     * refusals before a body (401, 413) are queued early, on purpose. */
    if (strcmp(method, "OPTIONS") == 0) rq->kind = K_PREFLIGHT;
    else if (hubd_route_is_api(url)) {
      rq->kind = K_API;
      return api_begin(h, c, rq, url, method);
    }
    return MHD_YES;
  }
  if (*upload_size) {
    if (!rq->responded && rq->kind == K_API) api_absorb(h, rq, upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (rq->responded) return MHD_YES;
  if (rq->kind == K_PREFLIGHT) return preflight(h, c, rq);
  if (rq->kind == K_STATIC) return serve_static(h, c, rq, url, method);
  return api_end(h, c, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe) {
  hubd_http *h = cls;
  req *rq = *state;
  struct timespec t1;
  char status[8], ms[32];
  (void)c;
  if (!rq) return;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  snprintf(status, sizeof status, "%d", rq->status);
  snprintf(ms, sizeof ms, "%.2f",
           (double)(t1.tv_sec - rq->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e6);
  hubd_log(rq->status >= 500 ? HUBD_LOG_WARN : HUBD_LOG_INFO, "request", "method", rq->method, "path", rq->path,
           "status", status, "ms", ms, "ip", rq->ip,
           "end", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL
                  : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                  : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client_abort"
                  : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown" : "error",
           (char *)NULL);
  if (rq->len) atomic_fetch_sub(&h->body_bytes, rq->len);
  atomic_fetch_sub(&h->active, 1);
  free(rq->body);
  free(rq);
  *state = NULL;
}

/* Leaves the URL as sent: static.c and routes.c decode what they use. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls, (void)c;
  return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char msg[512];
  size_t n;
  (void)cls;
  vsnprintf(msg, sizeof msg, fmt, ap);
  n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
  hubd_log(HUBD_LOG_WARN, "http", "message", msg, (char *)NULL);
}

/* ---- start / policy / stop -------------------------------------------------------------------- */

/* Parses "ADDR:PORT" / "[ADDR6]:PORT" into ss. Returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, int *v6) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *colon, *port;
  char *end;
  unsigned long p;
  size_t n;
  memset(ss, 0, sizeof *ss);
  if (s[0] == '[') {
    const char *close_b = strchr(s, ']');
    if (!close_b || close_b[1] != ':') return -1;
    n = (size_t)(close_b - s - 1);
    port = close_b + 2;
    if (n >= sizeof host) return -1;
    memcpy(host, s + 1, n);
    *v6 = 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return -1;
    n = (size_t)(colon - s);
    port = colon + 1;
    if (n >= sizeof host) return -1;
    memcpy(host, s, n);
    *v6 = 0;
  }
  host[n] = 0;
  p = strtoul(port, &end, 10);
  if (!*port || *end || p > 65535) return -1;
  if (*v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)p);
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)p);
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
  }
}

hubd_http *hubd_http_start(const hubd_http_opts *o, unsigned *port, char *err, size_t errlen) {
  hubd_http *h = calloc(1, sizeof *h);
  struct sockaddr_storage ss;
  const union MHD_DaemonInfo *di;
  int v6 = 0;
  unsigned flags;
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_rwlock_init(&h->lock, NULL);
  atomic_init(&h->body_bytes, 0);
  atomic_init(&h->active, 0);
  h->quiesced = MHD_INVALID_SOCKET;
  h->api = o->api;
  if (parse_listen(o->listen, &ss, &v6)) {
    snprintf(err, errlen, "listen address \"%s\" is not ADDR:PORT or [ADDR6]:PORT", o->listen);
    goto fail;
  }
  if (realpath(o->root, h->root_real)) h->has_root = 1;
  else hubd_log(HUBD_LOG_WARN, "root_missing", "root", o->root, "message", strerror(errno), (char *)NULL);
  flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC | MHD_USE_ERROR_LOG |
          (v6 ? MHD_USE_IPv6 : 0);
  h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
                          MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, /* first, so it sees every message */
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->max_connections,
                          MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->per_ip_connections,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_s,
                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HUBD_CONN_MEMORY,
                          MHD_OPTION_THREAD_STACK_SIZE, (size_t)HUBD_THREAD_STACK,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                          MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, h,
                          MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                          MHD_OPTION_END);
  if (!h->d) {
    snprintf(err, errlen, "cannot listen on %s: %s", o->listen, strerror(errno));
    goto fail;
  }
  di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  *port = di ? di->port : 0;
  return h;
fail:
  pthread_rwlock_destroy(&h->lock);
  free(h);
  return NULL;
}

int hubd_http_set_policy(hubd_http *h, const char *cors_origins, int has_key, const unsigned char key_sha256[32]) {
  char *list[HUBD_ORIGINS_MAX];
  size_t n = 0, i;
  const char *p = cors_origins;
  while (p && *p && n < HUBD_ORIGINS_MAX) {
    const char *end = strchr(p, ','), *s = p, *e;
    e = end ? end : p + strlen(p);
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '/')) e--;
    if (e > s) {
      list[n] = strndup(s, (size_t)(e - s));
      if (!list[n]) goto oom;
      n++;
    }
    p = end ? end + 1 : NULL;
  }
  pthread_rwlock_wrlock(&h->lock);
  for (i = 0; i < h->norigins; i++) free(h->origins[i]);
  memcpy(h->origins, list, n * sizeof list[0]);
  h->norigins = n;
  h->has_key = has_key;
  if (has_key) memcpy(h->key_sha256, key_sha256, 32);
  else sodium_memzero(h->key_sha256, 32);
  pthread_rwlock_unlock(&h->lock);
  return 0;
oom:
  for (i = 0; i < n; i++) free(list[i]);
  return -1;
}

void hubd_http_quiesce(hubd_http *h) {
  if (!h || !h->d || h->quiesced != MHD_INVALID_SOCKET) return;
  h->quiesced = MHD_quiesce_daemon(h->d);
}

void hubd_http_drain(hubd_http *h, int ms) {
  struct timespec step = {0, 10 * 1000000L};
  for (; h && ms > 0 && atomic_load(&h->active) > 0; ms -= 10) nanosleep(&step, NULL);
}

void hubd_http_stop(hubd_http *h) {
  size_t i;
  if (!h) return;
  if (h->d) MHD_stop_daemon(h->d);
  if (h->quiesced != MHD_INVALID_SOCKET) close(h->quiesced); /* MHD leaves it to us */
  for (i = 0; i < h->norigins; i++) free(h->origins[i]);
  pthread_rwlock_destroy(&h->lock);
  sodium_memzero(h->key_sha256, 32);
  free(h);
}
