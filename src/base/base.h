/*
 * base.h — the bottom layer of hub's core: limits, the error table, the allocation door,
 * bounded buffers, JSON helpers that take numbers from outside safely, time, hashes, URLs
 * and a deterministic PRNG. Nothing here touches the database, the network or the clock,
 * and nothing here calls any other layer of the core.
 *
 * Ownership: functions returning char* return memory from the door (hub__malloc) that the
 * caller frees with hub_free, unless their comment says the result is borrowed. cJSON
 * objects follow cJSON's rules (cJSON's allocator is pointed at the same door).
 */
#ifndef HUB_BASE_H
#define HUB_BASE_H

#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"

/* ---- limits (every buffer has a ceiling) ------------------------------------------------- */
#ifndef HUB_MAX_BODY
#define HUB_MAX_BODY (16u * 1024u * 1024u)   /* largest response body fed to a source */
#endif
#ifndef HUB_MAX_REQUEST
#define HUB_MAX_REQUEST (HUB_MAX_BODY * 2u + 65536u) /* largest hub_call request (escaped body) */
#endif
#ifndef HUB_MAX_ITEMS_PER_PAGE
#define HUB_MAX_ITEMS_PER_PAGE 1000
#endif
#ifndef HUB_MAX_TASKS
#define HUB_MAX_TASKS 5000                   /* planned requests per run */
#endif
#ifndef HUB_MAX_FIELD
#define HUB_MAX_FIELD (256u * 1024u)         /* longest title/body/label string kept */
#endif
#ifndef HUB_MAX_URL
#define HUB_MAX_URL 2048                     /* longest URL planned or accepted */
#endif
#define HUB_CARDS_MAX 200

/* ---- errors: one list, one table ------------------------------------------------------- */
/* X(NAME, "code", "default message"). The codes are part of the command API: the page reads
 * them (through the meta command), never the English messages. */
#define HUB_ERRNO_MAP(X)                                           \
  X(OK, "ok", "ok")                                                \
  X(NOMEM, "nomem", "out of memory")                               \
  X(BAD_REQUEST, "bad_request", "bad request")                     \
  X(BAD_JSON, "bad_json", "malformed JSON")                        \
  X(BAD_TYPE, "bad_type", "a field has the wrong type")            \
  X(BAD_SETTING, "bad_setting", "a setting has a bad value")       \
  X(TOO_BIG, "too_big", "input over the size limit")               \
  X(DB, "db", "database error")                                    \
  X(READONLY, "readonly", "the database is read-only")             \
  X(STATE, "state", "command not valid in this state")             \
  X(NOT_FOUND, "not_found", "not found")                           \
  X(TOKEN_REJECTED, "token_rejected", "token rejected")            \
  X(RATE_LIMITED, "rate_limited", "rate-limited")                  \
  X(OFFLINE, "offline", "offline")                                 \
  X(UPSTREAM, "upstream", "unexpected upstream answer")            \
  X(BAD_QUERY, "bad_query", "the search query cannot be read")

typedef enum {
#define X(name, code, msg) HUB_E_##name,
  HUB_ERRNO_MAP(X)
#undef X
  HUB_E__COUNT
} hub_err;

/* The stable code ("bad_request") and default message of e; "unknown" when out of range. */
const char *hub__err_code(hub_err e);
const char *hub__err_msg(hub_err e);
/* {"error":{"code","message"}} with detail as message (the default message when detail is
 * NULL or empty). New object, NULL on OOM. */
cJSON *hub__error_json(hub_err e, const char *detail);
/* The same with "field": the name of the request field or setting at fault. */
cJSON *hub__error_field(hub_err e, const char *field, const char *detail);

/* ---- memory ---------------------------------------------------------------------------- */
void *hub__malloc(size_t n);
void *hub__realloc(void *p, size_t n);
char *hub__strdup(const char *s);
char *hub__strndup(const char *s, size_t n);
/* Formats into a new string (NULL on OOM). */
char *hub__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds item to object o under key k (or to array a), taking ownership: on any failure,
 * including a NULL o or a, the item is deleted. */
void hub__put(cJSON *o, const char *k, cJSON *item);
void hub__push(cJSON *a, cJSON *item);
/* Points cJSON's allocator at the door; idempotent. */
void hub__mem_init(void);

/* ---- growable byte buffer with a ceiling ----------------------------------------------- */
typedef struct {
  char *p;
  size_t len, cap, max;
  int failed; /* set once an append failed (OOM or over max); further appends are ignored */
} hub__buf;
void hub__buf_init(hub__buf *b, size_t max);
void hub__buf_add(hub__buf *b, const char *s, size_t n);
void hub__buf_str(hub__buf *b, const char *s);
void hub__buf_free(hub__buf *b);

/* ---- numbers from outside ------------------------------------------------------------ */
/* Every number that arrives from a request, a header or a body passes through one of these,
 * so no float→integer conversion or ×1000 can overflow. */
/* v as an integer when it is finite and lo ≤ v ≤ hi: stores it in *out and returns 0;
 * otherwise returns -1 and leaves *out alone. */
int hub__num_in(double v, int64_t lo, int64_t hi, int64_t *out);
/* v clamped into [lo, hi] (NaN gives lo). */
int64_t hub__num_clamp(double v, int64_t lo, int64_t hi);
/* a + b and a × b saturated to [INT64_MIN, INT64_MAX]. */
int64_t hub__add_sat(int64_t a, int64_t b);
int64_t hub__mul_sat(int64_t a, int64_t b);
/* A decimal integer header value ("60", " 1700000000 "): 0 with *out set, or -1 when
 * missing, malformed or outside [lo, hi]. */
int hub__parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* Request fields: the number at key k of object o as an integer in [lo, hi]. Returns 1 when
 * present and valid (stored in *out), 0 when absent or null, -1 when present but of the
 * wrong type or out of range. */
int hub__json_int(const cJSON *o, const char *k, int64_t lo, int64_t hi, int64_t *out);
/* The string at key k, or NULL (borrowed). */
const char *hub__json_str(const cJSON *o, const char *k);

/* ---- text ------------------------------------------------------------------------------ */
/* Checks s[0..n) is valid UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF). Returns 1 or 0. */
int hub__utf8_valid(const char *s, size_t n);
/* A copy of s[0..n) with every invalid UTF-8 sequence replaced by U+FFFD and NUL bytes by
 * U+FFFD too, so the result is valid UTF-8 and its length is its strlen. New string. */
char *hub__utf8_clean(const char *s, size_t n);
/* Makes a JSON text from outside safe to parse and keep: invalid UTF-8 bytes become U+FFFD,
 * and inside strings the escapes \u0000 (which would cut a C string short) and lone UTF-16
 * surrogates (which would fail the whole document) become \ufffd. Returns 0 when s[0..n) needs
 * no change (*out NULL), 1 with a new NUL-terminated copy in *out, or -1 on OOM. */
int hub__json_clean(const char *s, size_t n, char **out);
/* ASCII case-insensitive equality; 1 or 0. */
int hub__ieq(const char *a, const char *b);
/* ASCII case-insensitive: 1 when needle occurs in hay. */
int hub__icontains(const char *hay, const char *needle);

/* ---- time ------------------------------------------------------------------------------ */
/* Parses an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±hh:mm)" into seconds since
 * the epoch; returns 0 and sets *out, or -1 if malformed. */
int hub__parse_iso8601(const char *s, int64_t *out);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void hub__fmt_iso8601(int64_t t, char *buf);
/* Parses an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT") into seconds; 0 or -1. */
int hub__parse_http_date(const char *s, int64_t *out);

/* ---- hashes ---------------------------------------------------------------------------- */
/* 64-bit FNV-1a, continued from h (start with HUB_FNV_INIT). */
#define HUB_FNV_INIT 0xcbf29ce484222325ULL
uint64_t hub__fnv1a(uint64_t h, const void *p, size_t n);
/* SHA-256 of p[0..n) as 64 lowercase hex digits + NUL into hex (65 bytes). */
void hub__sha256_hex(const void *p, size_t n, char hex[65]);

/* ---- URLs ------------------------------------------------------------------------------ */
/* An absolute http(s) URL taken apart. host is lower-case, without brackets for IPv6;
 * port is the explicit port or the scheme's default; path points into the parsed string at
 * the first '/', '?' or '#' after the authority ("" when none). */
typedef struct {
  int https;
  char host[256];
  int port;
  const char *path;
} hub__url;
/* Parses url (http:// or https:// only; no userinfo, no spaces or control characters, at
 * most HUB_MAX_URL bytes, a non-empty host of [A-Za-z0-9.-] or a bracketed IPv6 literal, a
 * port 1..65535). Returns 0, or -1 (u undefined). */
int hub__url_parse(const char *url, hub__url *u);
/* 1 when host (as parsed) is this machine: "localhost", 127.0.0.0/8 or ::1. */
int hub__host_loopback(const char *host);
/* 1 when host is this machine or an address of a private network (RFC 1918, link-local,
 * CGNAT, multicast, unique-local IPv6, *.localhost) — by its text; no DNS is consulted. */
int hub__host_private(const char *host);
/* 1 when url may receive requests: https://, or http:// to a loopback host (tests, a local
 * server). Compares the parsed host, never a prefix. */
int hub__url_usable(const char *url);
/* 1 when a and b parse and have the same scheme, host and port. */
int hub__url_same_origin(const char *a, const char *b);
/* Finds the rel="next" target in a Link header value; returns a new string or NULL. */
char *hub__link_next(const char *link);
/* Percent-encodes s for a query component (RFC 3986 unreserved kept). New string or NULL. */
char *hub__url_encode(const char *s);
/* Splits an absolute URL into host (without port) and the rest; returns 0 or -1. hostbuf
 * receives at most hostlen-1 bytes. *path points into url at the first '/' after the host.
 * (Lenient: use hub__url_parse where the host decides where a credential goes.) */
int hub__url_host(const char *url, char *hostbuf, size_t hostlen, const char **path);

/* ---- randomness ------------------------------------------------------------------------ */
/* Deterministic PRNG (xorshift64*); a zero state is replaced by a fixed seed. */
uint64_t hub__rand(uint64_t *state);
/* SplitMix64's finaliser: a well-mixed 64-bit value from z. */
uint64_t hub__mix64(uint64_t z);

#endif
