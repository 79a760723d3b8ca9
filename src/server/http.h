/*
 * http.h — hubd's HTTP front: libmicrohttpd glue for the PWA's static files and the JSON API
 * (native driver layer).
 *
 * What it does on every request, in order: OPTIONS preflight (no auth); API routes (routes.c)
 * behind the Bearer key, with a request-body cap (413) and a global in-flight body budget
 * (503); everything else is a static file (static.c), GET/HEAD only. Every answer carries the
 * security headers (CSP = the PWA's meta policy + frame-ancestors, nosniff, no-referrer,
 * X-Frame-Options) and Vary: Origin; CORS echoes the Origin only when it is on the allow-list.
 * One logfmt line per request when it completes.
 *
 * Threads: libmicrohttpd runs one thread per connection (so a slow client holds only its own
 * thread; the idle timeout ends it), bounded by max_connections and per_ip_connections.
 *
 * Ownership: hubd_http_start returns a server released by hubd_http_stop; the hubd_api it is
 * given must outlive it.
 */
#ifndef HUBD_HTTP_H
#define HUBD_HTTP_H

#include <stddef.h>
#include "routes.h"

/* The Content-Security-Policy sent with every answer: web/index.html's meta policy (keep the two
 * identical; the hubd test compares them) plus frame-ancestors, which a meta tag cannot carry. */
#define HUBD_CSP                                                                                       \
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " \
  "connect-src 'self' https://api.github.com http://127.0.0.1:* http://localhost:*; worker-src 'self'; " \
  "manifest-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'"

#ifndef HUBD_CONN_MEMORY
#define HUBD_CONN_MEMORY (32u * 1024u) /* per-connection buffer: request line + headers (431 beyond) */
#endif
#ifndef HUBD_BODY_BUDGET
#define HUBD_BODY_BUDGET (8u * 1024u * 1024u) /* request bodies held at once, all connections */
#endif
#ifndef HUBD_THREAD_STACK
#if defined(__SANITIZE_ADDRESS__)
#define HUBD_THREAD_STACK 0 /* sanitizer builds: the system default (frames are larger) */
#else
#define HUBD_THREAD_STACK (512u * 1024u) /* stack of each connection thread */
#endif
#endif

typedef struct hubd_http hubd_http;

typedef struct {
  const char *listen;  /* "ADDR:PORT", IPv4 or [IPv6]; port 0 picks a free one */
  const char *root;    /* the static files' directory (may be missing: static answers 404) */
  unsigned max_connections, per_ip_connections, timeout_s;
  hubd_api *api;
} hubd_http_opts;

/* Starts listening. Returns the server (and the bound port in *port), or NULL with a message
 * in err. */
hubd_http *hubd_http_start(const hubd_http_opts *o, unsigned *port, char *err, size_t errlen);

/* Replaces the live policy: the CORS allow-list (comma-separated origins; NULL = none) and the
 * API key digest (has_key 0 = no key: every /api/ route refuses). Safe while serving (SIGHUP).
 * Returns 0, or -1 on OOM (the old policy stays). */
int hubd_http_set_policy(hubd_http *h, const char *cors_origins, int has_key, const unsigned char key_sha256[32]);

/* Stops accepting new connections; requests in progress continue. */
void hubd_http_quiesce(hubd_http *h);

/* Waits up to ms milliseconds for the requests in progress to be answered (after the writer
 * stopped, each waiting API request has its answer to send). Idle and half-sent connections
 * do not count. */
void hubd_http_drain(hubd_http *h, int ms);

/* Closes every connection, waits for their threads and frees the server. NULL is a no-op. */
void hubd_http_stop(hubd_http *h);

#endif
