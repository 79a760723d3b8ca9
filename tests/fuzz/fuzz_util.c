/*
 * fuzz_util.c — see fuzz.h: the splitter, the buffer and the invariants shared by the fuzz
 * targets (test layer). Uses only the public API of the core (hub.h) and of SQLite.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"
#include "fuzz.h"

/* ---- the splitter ---------------------------------------------------------------------- */

unsigned fz_u8(fz_in *in) {
  if (!in->n) return 0;
  in->n--;
  return in->p[in->n];
}

unsigned fz_u16(fz_in *in) {
  unsigned lo = fz_u8(in);
  return lo | fz_u8(in) << 8;
}

unsigned fz_front_u8(fz_in *in) {
  unsigned v;
  if (!in->n) return 0;
  v = in->p[0];
  in->p++;
  in->n--;
  return v;
}

unsigned fz_pick(fz_in *in, unsigned n) { return n ? fz_u8(in) % n : 0; }

int fz_empty(const fz_in *in) { return in->n == 0; }

char *fz_str(fz_in *in, size_t max, size_t *len) {
  char *s = malloc(max + 1);
  size_t k = 0, i = 0;
  if (!s) abort();
  while (i < in->n && k < max) {
    uint8_t c = in->p[i++];
    if (c == '\\' && i < in->n) {
      if (in->p[i] != '\\') { /* the terminator: a backslash and any other byte */
        i++;
        break;
      }
      i++;
    }
    s[k++] = (char)c;
  }
  in->p += i;
  in->n -= i;
  s[k] = 0;
  *len = k;
  return s;
}

/* ---- the buffer ------------------------------------------------------------------------ */

void fz_add(fz_buf *b, const void *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *p;
    while (cap < b->len + n + 1) cap *= 2;
    p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void fz_adds(fz_buf *b, const char *s) { fz_add(b, s, strlen(s)); }

void fz_addf(fz_buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) abort(); /* test code formats short things only */
  fz_add(b, tmp, (size_t)n);
}

void fz_add_json_str(fz_buf *b, const char *s, size_t n) {
  size_t i;
  fz_add(b, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      fz_add(b, e, 2);
    } else if (c < 0x20) {
      fz_addf(b, "\\u%04x", c);
    } else {
      fz_add(b, &s[i], 1);
    }
  }
  fz_add(b, "\"", 1);
}

void fz_buf_free(fz_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* ---- the hub and its invariants ------------------------------------------------------- */

void fz_fail(const char *fmt, ...) {
  va_list ap;
  fputs("INVARIANT BROKEN: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

/* The connection hub_open made, caught as SQLite runs its automatic extensions on open. The
 * core keeps one connection per handle; a target has one handle open at a time.
 * Why sqlite3_total_changes64 for "read-only commands change no rows": it needs no internals
 * of the hub (only public SQLite API), works on ":memory:" (a second connection, as
 * PRAGMA data_version needs, cannot see a private in-memory database), costs nothing per
 * command (a checksum of every table would), and counts every row a statement inserts,
 * updates or deletes — also through triggers, in temp tables, and an UPDATE that writes the
 * same values — so it is stricter than a checksum. It does not see schema changes. */
static sqlite3 *last_db;

static int catch_db(sqlite3 *db, char **err, const void *api) {
  (void)err;
  (void)api;
  last_db = db;
  return SQLITE_OK;
}

hub *fz_open(void) {
  static int registered;
  hub *h = NULL;
  char err[256];
  if (!registered) {
    /* sqlite3_auto_extension takes void(*)(void) and calls it as an extension entry point */
    union { int (*entry)(sqlite3 *, char **, const void *); void (*generic)(void); } u;
    u.entry = catch_db;
    if (sqlite3_auto_extension(u.generic) != SQLITE_OK) fz_fail("sqlite3_auto_extension failed");
    registered = 1;
  }
  last_db = NULL;
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) fz_fail("hub_open(:memory:): %s", err);
  if (!last_db) fz_fail("the hub's SQLite connection was not caught");
  return h;
}

long long fz_changes(void) { return last_db ? (long long)sqlite3_total_changes64(last_db) : 0; }

int fz_open_ok(const char *id) {
  const char *open = getenv("FZ_OPEN"), *p;
  size_t n = strlen(id);
  for (p = open; p && (p = strstr(p, id)) != NULL; p += n)
    if ((p == open || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return 1;
  return 0;
}

/* ---- a JSON checker without a nesting limit ---- */

typedef struct {
  const char *p;
  int depth, max;
} jscan;

static void ws(jscan *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static int value(jscan *j);

static int string(jscan *j) {
  if (*j->p++ != '"') return -1;
  for (;;) {
    unsigned char c = (unsigned char)*j->p++;
    if (c == '"') return 0;
    if (c < 0x20) return -1;
    if (c == '\\') {
      c = (unsigned char)*j->p++;
      if (c == 'u') {
        int k;
        for (k = 0; k < 4; k++)
          if (!isxdigit((unsigned char)*j->p++)) return -1;
      } else if (!strchr("\"\\/bfnrt", c) || !c) {
        return -1;
      }
    }
  }
}

static int container(jscan *j, char close) {
  int first = 1;
  j->p++;
  if (++j->depth > j->max) j->max = j->depth;
  if (j->depth > 100000) return -1;
  ws(j);
  if (*j->p == close) {
    j->p++;
    j->depth--;
    return 0;
  }
  for (;;) {
    if (!first) {
      ws(j);
      if (*j->p == close) break;
      if (*j->p++ != ',') return -1;
    }
    first = 0;
    ws(j);
    if (close == '}') {
      if (string(j)) return -1;
      ws(j);
      if (*j->p++ != ':') return -1;
      ws(j);
    }
    if (value(j)) return -1;
  }
  j->p++;
  j->depth--;
  return 0;
}

static int value(jscan *j) {
  const char *p = j->p;
  if (*p == '{') return container(j, '}');
  if (*p == '[') return container(j, ']');
  if (*p == '"') return string(j);
  if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) return j->p += 4, 0;
  if (strncmp(p, "false", 5) == 0) return j->p += 5, 0;
  if (*p == '-') p++;
  if (!isdigit((unsigned char)*p)) return -1;
  while (isdigit((unsigned char)*p)) p++;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) p++;
  }
  j->p = p;
  return 0;
}

int fz_json_depth(const char *text) {
  jscan j;
  j.p = text;
  j.depth = j.max = 0;
  ws(&j);
  if (value(&j)) return -1;
  ws(&j);
  return *j.p ? -1 : j.max;
}

int fz_read_only(const cJSON *req) {
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
  const char *c;
  if (!cJSON_IsObject(req) || !cJSON_IsString(cmd)) return 0;
  c = cmd->valuestring;
  if (!strcmp(c, "cards") || !strcmp(c, "card") || !strcmp(c, "stats") || !strcmp(c, "last_run") ||
      !strcmp(c, "tip_stats"))
    return 1;
  if (!strcmp(c, "settings")) return cJSON_GetObjectItemCaseSensitive(req, "set") == NULL;
  if (!strcmp(c, "gfi_repos")) return cJSON_GetObjectItemCaseSensitive(req, "repos") == NULL;
  return 0;
}

cJSON *fz_call(hub *h, const char *req, size_t len, const char *token, const char *api) {
  char *copy = malloc(len + 1); /* a terminated copy for our own look at the request */
  cJSON *rq, *reply;
  int ro;
  sqlite3_int64 before = last_db ? sqlite3_total_changes64(last_db) : 0;
  const char *end = NULL;
  char *out;
  if (!copy) abort();
  if (len) memcpy(copy, req, len);
  copy[len] = 0;
  rq = cJSON_ParseWithLength(copy, len);
  ro = fz_read_only(rq);
  out = hub_call_n(h, req, len);
  if (!out) fz_fail("hub_call_n returned NULL (no allocation failure was injected)");
  reply = cJSON_ParseWithOpts(out, &end, 1);
  if (!reply && out[0] == '{' && fz_json_depth(out) > CJSON_NESTING_LIMIT) {
    /* valid JSON, deeper than the core's own cJSON reads back (hub_callj of the CLI fails) */
    if (!fz_open_ok("deep-json"))
      fz_fail("the reply nests %d deep, over CJSON_NESTING_LIMIT %d: %.200s", fz_json_depth(out),
              CJSON_NESTING_LIMIT, out);
    reply = cJSON_CreateObject();
  }
  if (!cJSON_IsObject(reply))
    fz_fail("the reply is not a JSON object: %.300s", out);
  if (ro && last_db && sqlite3_total_changes64(last_db) != before)
    fz_fail("read-only command changed %lld rows: %.200s", (long long)(sqlite3_total_changes64(last_db) - before),
            cJSON_GetObjectItemCaseSensitive(rq, "cmd")->valuestring);
  if (token) fz_check_token(out, reply, token, api);
  cJSON_Delete(rq);
  free(copy);
  hub_free(out);
  return reply;
}

cJSON *fz_calls(hub *h, const char *req, const char *token, const char *api) {
  return fz_call(h, req, strlen(req), token, api);
}

/* ---- markdown tree -------------------------------------------------------------------- */

static int http_url(const char *u) {
  return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

static void check_node(const cJSON *n, int depth) {
  static const char *const tags[] = {"blockquote", "ul", "ol", "li", "hr", "h1", "h2", "h3",
                                     "h4", "h5", "h6", "pre", "p", "table", "thead", "tbody",
                                     "tr", "th", "td", "em", "strong", "code", "del", "a",
                                     "img", "span", "br"};
  const cJSON *t, *c, *k, *e;
  size_t i;
  int ok = 0;
  if (depth > 200) fz_fail("markdown tree deeper than 200");
  if (cJSON_IsString(n)) return;
  if (!cJSON_IsObject(n)) fz_fail("markdown node is neither a string nor an object");
  t = cJSON_GetObjectItemCaseSensitive(n, "t");
  c = cJSON_GetObjectItemCaseSensitive(n, "c");
  if (!cJSON_IsString(t)) fz_fail("markdown node without a \"t\" string");
  for (i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (strcmp(t->valuestring, tags[i]) == 0) ok = 1;
  if (!ok) fz_fail("markdown node tag \"%.40s\" is not whitelisted", t->valuestring);
  if (!cJSON_IsArray(c)) fz_fail("markdown node <%s> without a \"c\" array", t->valuestring);
  cJSON_ArrayForEach(k, n) {
    const char *key = k->string;
    if (!strcmp(key, "t") || !strcmp(key, "c")) continue;
    if (!strcmp(key, "href") && !strcmp(t->valuestring, "a")) {
      if (!cJSON_IsString(k) || !http_url(k->valuestring)) fz_fail("a href is not http(s)");
      continue;
    }
    if (!strcmp(key, "src") && !strcmp(t->valuestring, "img")) {
      if (!cJSON_IsString(k) || !http_url(k->valuestring)) fz_fail("img src is not http(s)");
      continue;
    }
    if (!strcmp(key, "alt") && !strcmp(t->valuestring, "img") && cJSON_IsString(k)) continue;
    fz_fail("markdown node <%s> carries key \"%.40s\"", t->valuestring, key);
  }
  cJSON_ArrayForEach(e, c) check_node(e, depth + 1);
}

void fz_check_ast(const cJSON *ast) {
  const cJSON *e;
  if (!cJSON_IsArray(ast)) fz_fail("markdown tree is not an array");
  cJSON_ArrayForEach(e, ast) check_node(e, 1);
}

/* ---- the token ------------------------------------------------------------------------- */

/* scheme://host:port of url, lower-cased, default ports made explicit, userinfo dropped.
 * Empty when url has no "scheme://". */
static void origin_of(const char *url, char *out, size_t outlen) {
  const char *p = strstr(url, "://"), *a, *e, *at, *colon;
  char scheme[16], host[256];
  size_t i, sl;
  int port = -1;
  out[0] = 0;
  if (!p || (sl = (size_t)(p - url)) == 0 || sl >= sizeof scheme) return;
  for (i = 0; i < sl; i++) scheme[i] = (char)tolower((unsigned char)url[i]);
  scheme[sl] = 0;
  a = p + 3;
  e = a + strcspn(a, "/?#\\");
  at = NULL;
  for (p = a; p < e; p++)
    if (*p == '@') at = p;
  if (at) a = at + 1;
  colon = NULL;
  for (p = a; p < e; p++)
    if (*p == ':') colon = p;
  if (colon && *a != '[') port = atoi(colon + 1);
  else colon = e;
  if ((size_t)(colon - a) >= sizeof host) return;
  for (i = 0; a + i < colon; i++) host[i] = (char)tolower((unsigned char)a[i]);
  host[i] = 0;
  if (port < 0) port = strcmp(scheme, "https") == 0 ? 443 : 80;
  snprintf(out, outlen, "%s://%s:%d", scheme, host, port);
}

static long count_in(const char *hay, const char *needle) {
  long n = 0;
  size_t nl = strlen(needle);
  const char *p = hay;
  while (nl && (p = strstr(p, needle)) != NULL) {
    n++;
    p += nl;
  }
  return n;
}

void fz_check_token(const char *raw, const cJSON *reply, const char *token, const char *api) {
  long total = count_in(raw, token), allowed = 0;
  char api_origin[300];
  const cJSON *r;
  if (!total) return;
  origin_of(api, api_origin, sizeof api_origin);
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(reply, "fetch")) {
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(r, "url"), *hd;
    char o[300];
    if (!cJSON_IsString(url)) continue;
    if (strstr(url->valuestring, token)) fz_fail("the token is in a planned URL: %.200s", url->valuestring);
    origin_of(url->valuestring, o, sizeof o);
    cJSON_ArrayForEach(hd, cJSON_GetObjectItemCaseSensitive(r, "headers")) {
      if (!cJSON_IsString(hd) || !strstr(hd->valuestring, token)) continue;
      if (strcmp(hd->string, "Authorization") != 0)
        fz_fail("the token is in request header %.60s", hd->string);
      if (strcmp(o, api_origin) != 0)
        fz_fail("the token goes to %s, not to the API host %s (url %.200s)", o, api_origin, url->valuestring);
      allowed += count_in(hd->valuestring, token);
    }
  }
  if (total != allowed) fz_fail("the token appears %ld times in a reply outside an Authorization header", total - allowed);
}
