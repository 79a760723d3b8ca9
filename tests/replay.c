/*
 * replay.c — in-process replay of recorded HTTP exchanges (see replay.h and
 * tests/exchanges/README.md for the file format and the matching rules).
 * Portable: stdio/stdlib/string only (also compiled to wasm). Every buffer has a ceiling.
 */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCRIPT (4L * 1024 * 1024) /* exchanges.txt */
#define MAX_BODY (8L * 1024 * 1024)   /* one body file */
#define MAX_LINE 8192
#define MAX_BLOCKS 20000
#define MAX_HEADERS 64
#define MAX_PARAMS 64
#define MAX_PATH 4096
#define MAX_BASE 512

typedef struct {
  char *key, *value; /* decoded */
} param;

typedef struct {
  char *method, *path;
  param *params;
  size_t nparams;
  replay_header *req, *resp; /* strings owned (malloc'd) */
  size_t nreq, nresp;
  int status;
  char *body;
  size_t body_len;
  int served;
  char where[160]; /* file:line, for messages */
} block;

struct replay {
  block *blocks;
  size_t nblocks;
  long requests, charged, not_modified, unmatched;
  char last_unmatched[MAX_PATH + 16];
};

static const char not_found_body[] = "{\"message\":\"Not Found\",\"documentation_url\":\"fake\"}";

/* ---- small helpers ---------------------------------------------------------------------- */

static void free_const(const char *p) {
  void *q;
  memcpy(&q, &p, sizeof q);
  free(q);
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower((unsigned char)*a) != lower((unsigned char)*b)) return 0;
  return *a == *b;
}

static int istarts(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++)
    if (lower((unsigned char)*s) != lower((unsigned char)*prefix)) return 0;
  return 1;
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static char *dup(const char *s) { return dupn(s, strlen(s)); }

static void set_err(char *err, size_t errlen, const char *what, const char *detail) {
  if (err && errlen) snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

/* Reads a whole file, at most cap bytes. Returns a NUL-terminated malloc'd buffer, or NULL
 * (*toobig set when the file exceeds cap). */
static char *read_file(const char *path, long cap, size_t *len, int *toobig) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL, *nb;
  size_t n = 0, size = 0, got;
  *toobig = 0;
  if (!f) return NULL;
  for (;;) {
    if (size - n < 65536) {
      size_t want = size ? size * 2 : 65536;
      if (want > (size_t)cap + 65537) want = (size_t)cap + 65537;
      if (want <= size) {
        *toobig = 1;
        goto fail;
      }
      nb = realloc(buf, want);
      if (!nb) goto fail;
      buf = nb;
      size = want;
    }
    got = fread(buf + n, 1, size - n - 1, f);
    n += got;
    if (n > (size_t)cap) {
      *toobig = 1;
      goto fail;
    }
    if (got == 0) break;
  }
  if (ferror(f)) goto fail;
  fclose(f);
  buf[n] = 0;
  *len = n;
  return buf;
fail:
  fclose(f);
  free(buf);
  return NULL;
}

/* Replaces every "{{base}}" in s[0..n) with base. Returns malloc'd NUL-terminated text. */
static char *subst_base(const char *s, size_t n, const char *base, size_t *outlen) {
  static const char tok[] = "{{base}}";
  size_t tl = sizeof tok - 1, bl = strlen(base), count = 0, i, o = 0;
  char *out;
  for (i = 0; i + tl <= n; i++)
    if (memcmp(s + i, tok, tl) == 0) {
      count++;
      i += tl - 1;
    }
  out = malloc(n + count * bl + 1);
  if (!out) return NULL;
  for (i = 0; i < n;) {
    if (i + tl <= n && memcmp(s + i, tok, tl) == 0) {
      memcpy(out + o, base, bl);
      o += bl;
      i += tl;
    } else {
      out[o++] = s[i++];
    }
  }
  out[o] = 0;
  if (outlen) *outlen = o;
  return out;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) ('+' is a space). Returns malloc'd text. */
static char *url_decode(const char *s, size_t n) {
  char *d = malloc(n + 1);
  size_t i, o = 0;
  if (!d) return NULL;
  for (i = 0; i < n; i++) {
    int h1, h2;
    if (s[i] == '+') {
      d[o++] = ' ';
    } else if (s[i] == '%' && i + 2 < n && (h1 = hexval((unsigned char)s[i + 1])) >= 0 &&
               (h2 = hexval((unsigned char)s[i + 2])) >= 0) {
      d[o++] = (char)(h1 * 16 + h2);
      i += 2;
    } else {
      d[o++] = s[i];
    }
  }
  d[o] = 0;
  return d;
}

static void free_params(param *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(p[i].key);
    free(p[i].value);
  }
  free(p);
}

/* Splits a raw query into decoded pairs. Returns 0, -1 on OOM, -2 on too many pairs. */
static int parse_query(const char *q, param **out, size_t *nout) {
  param *p = NULL;
  size_t n = 0;
  *out = NULL;
  *nout = 0;
  if (!q || !*q) return 0;
  p = calloc(MAX_PARAMS, sizeof *p);
  if (!p) return -1;
  while (*q) {
    const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q), *eq;
    if (end > q) {
      if (n == MAX_PARAMS) {
        free_params(p, n);
        return -2;
      }
      eq = memchr(q, '=', (size_t)(end - q));
      if (eq) {
        p[n].key = url_decode(q, (size_t)(eq - q));
        p[n].value = url_decode(eq + 1, (size_t)(end - eq - 1));
      } else {
        p[n].key = url_decode(q, (size_t)(end - q));
        p[n].value = dup("");
      }
      n++;
      if (!p[n - 1].key || !p[n - 1].value) {
        free_params(p, n);
        return -1;
      }
    }
    q = amp ? amp + 1 : end;
  }
  *out = p;
  *nout = n;
  return 0;
}

/* Splits "path?query" (or a full URL) into a malloc'd path and a pointer to the raw query. */
static char *split_target(const char *target, const char **query) {
  const char *p = target, *scheme = strstr(target, "://"), *q, *hash;
  size_t plen;
  if (scheme && scheme < target + 16 && !memchr(target, '/', (size_t)(scheme - target))) {
    p = strchr(scheme + 3, '/');
    if (!p) p = "/";
  }
  q = strchr(p, '?');
  hash = strchr(p, '#');
  plen = q ? (size_t)(q - p) : hash ? (size_t)(hash - p) : strlen(p);
  *query = q ? q + 1 : "";
  return dupn(p, plen);
}

/* Multiset equality of decoded pairs. */
static int params_equal(const param *a, size_t na, const param *b, size_t nb) {
  char used[MAX_PARAMS];
  size_t i, j;
  if (na != nb) return 0;
  memset(used, 0, sizeof used);
  for (i = 0; i < na; i++) {
    for (j = 0; j < nb; j++)
      if (!used[j] && strcmp(a[i].key, b[j].key) == 0 && strcmp(a[i].value, b[j].value) == 0) break;
    if (j == nb) return 0;
    used[j] = 1;
  }
  return 1;
}

static const char *hdr(const replay_header *h, size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n; i++)
    if (ieq(h[i].name, name)) return h[i].value;
  return NULL;
}

static void free_headers(replay_header *h, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free_const(h[i].name);
    free_const(h[i].value);
  }
  free(h);
}

static void free_block(block *b) {
  free(b->method);
  free(b->path);
  free_params(b->params, b->nparams);
  free_headers(b->req, b->nreq);
  free_headers(b->resp, b->nresp);
  free(b->body);
  memset(b, 0, sizeof *b);
}

/* ---- loading ---------------------------------------------------------------------------- */

static char *trim(char *s) {
  char *e;
  while (*s == ' ' || *s == '\t') s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
  *e = 0;
  return s;
}

/* Adds "Name: value" to a header array (cap MAX_HEADERS). 0 ok, -1 OOM, -2 malformed/full. */
static int add_header_line(replay_header **arr, size_t *n, char *line, const char *base) {
  char *colon = strchr(line, ':'), *name, *value, *v = NULL, *nm = NULL;
  if (!colon || *n >= MAX_HEADERS) return -2;
  *colon = 0;
  name = trim(line);
  value = trim(colon + 1);
  if (!*name) return -2;
  if (!*arr) {
    *arr = calloc(MAX_HEADERS, sizeof **arr);
    if (!*arr) return -1;
  }
  nm = dup(name);
  v = base ? subst_base(value, strlen(value), base, NULL) : dup(value);
  if (!nm || !v) goto fail;
  (*arr)[*n].name = nm;
  (*arr)[*n].value = v;
  (*n)++;
  return 0;
fail:
  free(nm);
  free(v);
  return -1;
}

/* Writes "dir/name" into buf. 0 ok, -1 if it does not fit. */
static int join_path(char *buf, size_t cap, const char *dir, const char *name) {
  size_t dl = strlen(dir), nl = strlen(name);
  if (dl + nl + 2 > cap) return -1;
  memcpy(buf, dir, dl);
  buf[dl] = '/';
  memcpy(buf + dl + 1, name, nl + 1);
  return 0;
}

/* Appends the block being built (if any) to r. 0 ok, -1 with err set. */
static int finish_block(replay *r, block *cur, int *have, char *err, size_t errlen) {
  block *nb;
  if (!*have) return 0;
  if (!cur->status) {
    set_err(err, errlen, "block without a '< STATUS' line", cur->where);
    return -1;
  }
  if (!cur->body) {
    cur->body = dup("");
    if (!cur->body) goto oom;
  }
  if (r->nblocks >= MAX_BLOCKS) {
    set_err(err, errlen, "too many blocks", cur->where);
    return -1;
  }
  nb = realloc(r->blocks, (r->nblocks + 1) * sizeof *nb);
  if (!nb) goto oom;
  r->blocks = nb;
  r->blocks[r->nblocks++] = *cur;
  memset(cur, 0, sizeof *cur);
  *have = 0;
  return 0;
oom:
  set_err(err, errlen, "out of memory", cur->where);
  return -1;
}

static int load_dir(replay *r, const char *dir, const char *base, char *err, size_t errlen) {
  char path[MAX_PATH], where[160] = "", *script = NULL, *line, *next;
  size_t len, lineno = 0;
  int toobig, rc;
  block cur;
  int have = 0;
  memset(&cur, 0, sizeof cur);
  if (strlen(dir) + 20 >= sizeof path) {
    set_err(err, errlen, "directory name too long", dir);
    return -1;
  }
  snprintf(path, sizeof path, "%s/exchanges.txt", dir);
  script = read_file(path, MAX_SCRIPT, &len, &toobig);
  if (!script) {
    set_err(err, errlen, toobig ? "exchanges file too large" : "cannot read", path);
    return -1;
  }
  for (line = script; line; line = next) {
    char *nl = strchr(line, '\n'), *t;
    next = nl ? nl + 1 : NULL;
    if (nl) *nl = 0;
    lineno++;
    if (strlen(line) > MAX_LINE) {
      snprintf(where, sizeof where, "%.140s:%zu", path, lineno);
      set_err(err, errlen, "line too long", where);
      goto fail;
    }
    t = trim(line);
    snprintf(where, sizeof where, "%.140s:%zu", path, lineno);
    if (*t == '#') continue;
    if (!*t) {
      if (finish_block(r, &cur, &have, err, errlen)) goto fail;
      continue;
    }
    if (t[0] == '>' && !cur.method) {
      /* request line */
      char *sp, *target, *query;
      const char *q;
      t = trim(t + 1);
      sp = strchr(t, ' ');
      if (!sp) {
        set_err(err, errlen, "expected '> METHOD /path'", where);
        goto fail;
      }
      *sp = 0;
      target = trim(sp + 1);
      if (!have) {
        memset(&cur, 0, sizeof cur);
        snprintf(cur.where, sizeof cur.where, "%s", where);
        have = 1;
      }
      cur.method = dup(t);
      if (!cur.method) goto oom;
      query = subst_base(target, strlen(target), "", NULL); /* a {{base}} prefix is tolerated */
      if (!query) goto oom;
      cur.path = split_target(query, &q);
      rc = cur.path ? parse_query(q, &cur.params, &cur.nparams) : -1;
      free(query);
      if (rc == -2) {
        set_err(err, errlen, "too many query parameters", where);
        goto fail;
      }
      if (rc) goto oom;
    } else if (t[0] == '>') {
      rc = add_header_line(&cur.req, &cur.nreq, t + 1, NULL);
      if (rc == -1) goto oom;
      if (rc) {
        set_err(err, errlen, "bad request header line (or more than 64)", where);
        goto fail;
      }
    } else if (t[0] == '<' && !cur.status) {
      char *end;
      long st = strtol(t + 1, &end, 10);
      if (!have || !cur.method) {
        set_err(err, errlen, "'<' before the '> METHOD /path' line", where);
        goto fail;
      }
      if (st < 100 || st > 599) {
        set_err(err, errlen, "bad status", where);
        goto fail;
      }
      cur.status = (int)st;
    } else if (t[0] == '<') {
      rc = add_header_line(&cur.resp, &cur.nresp, t + 1, base);
      if (rc == -1) goto oom;
      if (rc) {
        set_err(err, errlen, "bad response header line (or more than 64)", where);
        goto fail;
      }
    } else if (t[0] == '@') {
      char bpath[MAX_PATH], *raw;
      size_t blen;
      const char *name = trim(t + 1);
      if (!cur.status || cur.body) {
        set_err(err, errlen, "'@' needs a status line first, once per block", where);
        goto fail;
      }
      if (!*name || strstr(name, "..") || join_path(bpath, sizeof bpath, dir, name)) {
        set_err(err, errlen, "bad body file name", where);
        goto fail;
      }
      raw = read_file(bpath, MAX_BODY, &blen, &toobig);
      if (!raw) {
        set_err(err, errlen, toobig ? "body file larger than 8 MiB" : "cannot read body file", bpath);
        goto fail;
      }
      cur.body = subst_base(raw, blen, base, &cur.body_len);
      free(raw);
      if (!cur.body) goto oom;
    } else {
      set_err(err, errlen, "unrecognized line (want '>', '<', '@', '#' or blank)", where);
      goto fail;
    }
  }
  if (finish_block(r, &cur, &have, err, errlen)) goto fail;
  free(script);
  return 0;
oom:
  set_err(err, errlen, "out of memory", where);
fail:
  free_block(&cur);
  free(script);
  return -1;
}

replay *replay_load(const char *const *dirs, size_t ndirs, const char *base, char *err, size_t errlen) {
  replay *r;
  size_t i;
  if (err && errlen) err[0] = 0;
  if (!base) base = "";
  if (strlen(base) > MAX_BASE) {
    set_err(err, errlen, "base URL too long", NULL);
    return NULL;
  }
  r = calloc(1, sizeof *r);
  if (!r) {
    set_err(err, errlen, "out of memory", NULL);
    return NULL;
  }
  for (i = 0; i < ndirs; i++)
    if (load_dir(r, dirs[i], base, err, errlen)) goto fail;
  if (!r->nblocks) {
    set_err(err, errlen, "no exchanges found", ndirs ? dirs[0] : NULL);
    goto fail;
  }
  return r;
fail:
  replay_free(r);
  return NULL;
}

void replay_free(replay *r) {
  size_t i;
  if (!r) return;
  for (i = 0; i < r->nblocks; i++) free_block(&r->blocks[i]);
  free(r->blocks);
  free(r);
}

/* ---- answering -------------------------------------------------------------------------- */

static int push_header(replay_response *out, size_t cap, const char *name, const char *value) {
  char *n, *v;
  if (out->nheaders >= cap) return 0;
  n = dup(name);
  v = dup(value);
  if (!n || !v) {
    free(n);
    free(v);
    return -1;
  }
  out->headers[out->nheaders].name = n;
  out->headers[out->nheaders].value = v;
  out->nheaders++;
  return 0;
}

static int block_matches(const block *b, const char *method, const char *path, const param *qp,
                         size_t nqp, const replay_header *req, size_t nreq) {
  size_t i;
  if (strcmp(b->method, method) != 0 || strcmp(b->path, path) != 0) return 0;
  if (!params_equal(b->params, b->nparams, qp, nqp)) return 0;
  for (i = 0; i < b->nreq; i++) {
    const char *v = req ? hdr(req, nreq, b->req[i].name) : NULL;
    if (!v || strcmp(v, b->req[i].value) != 0) return 0;
  }
  return 1;
}

static int is_304_header(const char *name) {
  return ieq(name, "ETag") || ieq(name, "Last-Modified") || ieq(name, "X-Poll-Interval") ||
         istarts(name, "X-RateLimit-");
}

int replay_answer_info(replay *r, const char *method, const char *path_and_query,
                       const replay_header *req_headers, size_t nreq, replay_response *out,
                       replay_info *info) {
  const char *query, *inm, *ims, *res = "core";
  char *path = NULL;
  param *qp = NULL;
  size_t nqp = 0, i, cap;
  block *hit = NULL;
  int nm = 0, rc;
  memset(out, 0, sizeof *out);
  if (info) memset(info, 0, sizeof *info);
  path = split_target(path_and_query ? path_and_query : "/", &query);
  if (!path) goto fail;
  rc = parse_query(query, &qp, &nqp);
  if (rc == -1) goto fail;
  if (rc == 0) {
    block *last = NULL;
    for (i = 0; i < r->nblocks; i++) {
      block *b = &r->blocks[i];
      if (!block_matches(b, method, path, qp, nqp, req_headers, nreq)) continue;
      last = b;
      if (!b->served) {
        hit = b;
        break;
      }
    }
    if (!hit) hit = last;
  }
  r->requests++;
  if (!hit) {
    r->unmatched++;
    r->charged++;
    snprintf(r->last_unmatched, sizeof r->last_unmatched, "%.15s %.4000s", method,
             path_and_query ? path_and_query : "");
    fprintf(stderr, "replay: unmatched %s\n", r->last_unmatched);
    out->status = 404;
    out->headers = calloc(2, sizeof *out->headers);
    out->body = dup(not_found_body);
    if (!out->headers || !out->body) goto fail;
    out->body_len = strlen(not_found_body);
    if (push_header(out, 2, "Content-Type", "application/json; charset=utf-8")) goto fail;
    if (info) {
      info->charged = 1;
      snprintf(info->resource, sizeof info->resource, "core");
    }
    goto done;
  }
  hit->served = 1;
  inm = req_headers ? hdr(req_headers, nreq, "If-None-Match") : NULL;
  ims = req_headers ? hdr(req_headers, nreq, "If-Modified-Since") : NULL;
  {
    const char *etag = hdr(hit->resp, hit->nresp, "ETag"), *lm = hdr(hit->resp, hit->nresp, "Last-Modified");
    const char *rs = hdr(hit->resp, hit->nresp, "X-RateLimit-Resource");
    if ((inm && etag && strcmp(inm, etag) == 0) || (ims && lm && strcmp(ims, lm) == 0)) nm = 1;
    if (rs && *rs) res = rs;
  }
  cap = hit->nresp + 1;
  out->headers = calloc(cap, sizeof *out->headers);
  if (!out->headers) goto fail;
  if (nm) {
    out->status = 304;
    for (i = 0; i < hit->nresp; i++)
      if (is_304_header(hit->resp[i].name) &&
          push_header(out, cap, hit->resp[i].name, hit->resp[i].value))
        goto fail;
    out->body = dup("");
    if (!out->body) goto fail;
    r->not_modified++;
  } else {
    out->status = hit->status;
    for (i = 0; i < hit->nresp; i++)
      if (push_header(out, cap, hit->resp[i].name, hit->resp[i].value)) goto fail;
    if (hit->body_len && !hdr(hit->resp, hit->nresp, "Content-Type") &&
        push_header(out, cap, "Content-Type", "application/json; charset=utf-8"))
      goto fail;
    out->body = dupn(hit->body, hit->body_len);
    if (!out->body) goto fail;
    out->body_len = hit->body_len;
    r->charged++;
  }
  if (info) {
    info->matched = 1;
    info->charged = !nm;
    snprintf(info->resource, sizeof info->resource, "%.31s", res);
  }
done:
  free(path);
  free_params(qp, nqp);
  return 0;
fail:
  free(path);
  free_params(qp, nqp);
  replay_response_free(out);
  return -1;
}

int replay_answer(replay *r, const char *method, const char *path_and_query,
                  const replay_header *req_headers, size_t nreq, replay_response *out) {
  return replay_answer_info(r, method, path_and_query, req_headers, nreq, out, NULL);
}

void replay_response_free(replay_response *resp) {
  if (!resp) return;
  free_headers(resp->headers, resp->nheaders);
  free(resp->body);
  memset(resp, 0, sizeof *resp);
}

const char *replay_response_header(const replay_response *resp, const char *name) {
  return hdr(resp->headers, resp->nheaders, name);
}

void replay_stats(const replay *r, long *requests, long *charged, long *not_modified, long *unmatched) {
  if (requests) *requests = r->requests;
  if (charged) *charged = r->charged;
  if (not_modified) *not_modified = r->not_modified;
  if (unmatched) *unmatched = r->unmatched;
}

const char *replay_last_unmatched(const replay *r) { return r->last_unmatched; }

void replay_reset_stats(replay *r) {
  r->requests = r->charged = r->not_modified = r->unmatched = 0;
  r->last_unmatched[0] = 0;
}

void replay_rewind(replay *r) {
  size_t i;
  for (i = 0; i < r->nblocks; i++) r->blocks[i].served = 0;
}

/* ---- moving recorded times (demo only) ------------------------------------------------- */

static int ts_at(const char *p, size_t left, long long *t) {
  static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
  long long y, mo, d, hh, mi, ss, era, yoe, doy, doe;
  size_t i;
  if (left < 20) return 0;
  for (i = 0; i < 20; i++) {
    if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i]) return 0;
  }
  y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  mo = (p[5] - '0') * 10 + (p[6] - '0');
  d = (p[8] - '0') * 10 + (p[9] - '0');
  hh = (p[11] - '0') * 10 + (p[12] - '0');
  mi = (p[14] - '0') * 10 + (p[15] - '0');
  ss = (p[17] - '0') * 10 + (p[18] - '0');
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return 0;
  y -= mo <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *t = (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mi * 60 + ss;
  return 1;
}

static void ts_write(char *p, long long t) {
  long long z = t / 86400, secs = t % 86400, era, doe, yoe, y, doy, mp, d, m;
  char buf[96];
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y % 10000, m, d, secs / 3600,
           secs / 60 % 60, secs % 60);
  memcpy(p, buf, 20);
}

long long replay_shift_times(replay *r, long long newest_s) {
  long long newest = 0, t, off;
  size_t b, i;
  for (b = 0; b < r->nblocks; b++)
    for (i = 0; i + 20 <= r->blocks[b].body_len; i++)
      if (ts_at(r->blocks[b].body + i, r->blocks[b].body_len - i, &t) && t > newest) newest = t;
  if (!newest) return 0;
  off = newest_s - newest;
  for (b = 0; b < r->nblocks; b++)
    for (i = 0; i + 20 <= r->blocks[b].body_len; i++)
      if (ts_at(r->blocks[b].body + i, r->blocks[b].body_len - i, &t)) {
        ts_write(r->blocks[b].body + i, t + off);
        i += 19;
      }
  return off;
}
