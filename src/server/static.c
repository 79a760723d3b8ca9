/*
 * static.c — safe path resolution, types, precompressed variants and ETags for the PWA's files
 * (native driver layer; see static.h).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "static.h"

static const struct {
  const char *ext, *type;
  int compressible;
} types[] = {
    {".html", "text/html; charset=utf-8", 1},
    {".js", "text/javascript; charset=utf-8", 1},
    {".mjs", "text/javascript; charset=utf-8", 1},
    {".css", "text/css; charset=utf-8", 1},
    {".wasm", "application/wasm", 1},
    {".json", "application/json", 1},
    {".webmanifest", "application/manifest+json", 1},
    {".svg", "image/svg+xml", 1},
    {".txt", "text/plain; charset=utf-8", 1},
    {".map", "application/json", 1},
    {".png", "image/png", 0},
    {".ico", "image/x-icon", 0},
    {".webp", "image/webp", 0},
    {".woff2", "font/woff2", 0},
    {".br", "application/octet-stream", 0},
    {".gz", "application/gzip", 0},
};

static int find_type(const char *name) {
  const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
  size_t i;
  if (!dot || (slash && dot < slash)) return -1;
  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return (int)i;
  return -1;
}

const char *hubd_static_type(const char *name) {
  int t = find_type(name);
  return t < 0 ? "application/octet-stream" : types[t].type;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 32;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes raw into out and checks it. Returns 0, or 400/404. */
static int decode_path(const char *raw, char *out, size_t n) {
  size_t o = 0;
  const char *seg;
  if (raw[0] != '/') return 400;
  for (; *raw; raw++) {
    int c = (unsigned char)*raw;
    if (c == '%') {
      int hi = hexval((unsigned char)raw[1]), lo = hi < 0 ? -1 : hexval((unsigned char)raw[2]);
      if (hi < 0 || lo < 0) return 400;
      c = hi * 16 + lo;
      raw += 2;
    }
    if (c == 0 || c < 0x20 || c == 0x7f || c == '\\') return 400;
    if (o + 1 >= n) return 404;
    out[o++] = (char)c;
  }
  out[o] = 0;
  /* segments: no "." or "..", no hidden names */
  for (seg = out; seg; seg = strchr(seg + 1, '/')) {
    const char *s = seg + 1;
    if (s[0] == '.' && (s[1] == '/' || s[1] == 0 || (s[1] == '.' && (s[2] == '/' || s[2] == 0)))) return 400;
    if (s[0] == '.') return 404;
  }
  return 0;
}

/* 1 when real (a realpath result) is root_real itself or lies under it. */
static int under_root(const char *root_real, const char *real) {
  size_t n = strlen(root_real);
  if (strncmp(real, root_real, n) != 0) return 0;
  return real[n] == 0 || real[n] == '/' || (n == 1 && root_real[0] == '/');
}

/* Resolves path; on success fills real (PATH_MAX) and st. Returns 0 or 404. */
static int resolve(const char *root_real, const char *path, char *real, struct stat *st) {
  if (!realpath(path, real)) return 404;
  if (!under_root(root_real, real)) return 404;
  if (stat(real, st) != 0) return 404;
  return 0;
}

/* 1 when the Accept-Encoding value lists coding with a non-zero q. */
static int accepts(const char *ae, const char *coding) {
  size_t n = strlen(coding);
  const char *p = ae;
  while (p && *p) {
    const char *end = strchr(p, ','), *semi;
    size_t len;
    while (*p == ' ' || *p == '\t') p++;
    len = end ? (size_t)(end - p) : strlen(p);
    semi = memchr(p, ';', len);
    {
      size_t tl = semi ? (size_t)(semi - p) : len;
      while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t')) tl--;
      if (tl == n && strncasecmp(p, coding, n) == 0) {
        const char *q = semi;
        if (!q) return 1;
        q++;
        while (q < p + len && (*q == ' ' || *q == '\t')) q++;
        if (q + 1 < p + len && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
          double v = strtod(q + 2, NULL);
          return v > 0;
        }
        return 1;
      }
    }
    p = end ? end + 1 : NULL;
  }
  return 0;
}

static void make_etag(const struct stat *st, char out[24]) {
  /* FNV-1a over the identity of the file version */
  uint64_t h = 1469598103934665603ULL, v[5];
  size_t i, b;
  v[0] = (uint64_t)st->st_dev;
  v[1] = (uint64_t)st->st_ino;
  v[2] = (uint64_t)st->st_size;
  v[3] = (uint64_t)st->st_mtim.tv_sec;
  v[4] = (uint64_t)st->st_mtim.tv_nsec;
  for (i = 0; i < 5; i++)
    for (b = 0; b < 8; b++) {
      h ^= (v[i] >> (b * 8)) & 0xff;
      h *= 1099511628211ULL;
    }
  snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

int hubd_static_open(const char *root_real, const char *raw_path, const char *accept_encoding,
                     hubd_static_file *out) {
  char dec[HUBD_PATH_MAX], path[PATH_MAX + 32], real[PATH_MAX], variant[PATH_MAX + 8], vreal[PATH_MAX];
  struct stat st;
  const char *served = real, *base;
  int rc, t;
  memset(out, 0, sizeof *out);
  out->fd = -1;
  rc = decode_path(raw_path, dec, sizeof dec);
  if (rc) return rc;
  if (snprintf(path, sizeof path, "%s%s%s", root_real, dec, dec[strlen(dec) - 1] == '/' ? "index.html" : "") >=
      (int)sizeof path)
    return 404;
  rc = resolve(root_real, path, real, &st);
  if (rc) return rc;
  if (S_ISDIR(st.st_mode)) {
    /* a directory: its index.html, never a listing */
    if (snprintf(path, sizeof path, "%s/index.html", real) >= (int)sizeof path) return 404;
    rc = resolve(root_real, path, real, &st);
    if (rc) return rc;
  }
  if (!S_ISREG(st.st_mode)) return 404;
  t = find_type(real);
  out->type = t < 0 ? "application/octet-stream" : types[t].type;
  out->compressible = t >= 0 && types[t].compressible;
  base = strrchr(real, '/');
  base = base ? base + 1 : real;
  out->no_cache = strcmp(base, "sw.js") == 0 || (t >= 0 && (strcmp(types[t].ext, ".html") == 0 ||
                                                            strcmp(types[t].ext, ".webmanifest") == 0));
  if (out->compressible && accept_encoding) {
    static const struct {
      const char *coding, *suffix;
    } codings[] = {{"br", ".br"}, {"gzip", ".gz"}};
    size_t i;
    for (i = 0; i < 2 && served == real; i++) {
      struct stat vst;
      if (!accepts(accept_encoding, codings[i].coding)) continue;
      snprintf(variant, sizeof variant, "%s%s", real, codings[i].suffix);
      if (resolve(root_real, variant, vreal, &vst) == 0 && S_ISREG(vst.st_mode)) {
        served = vreal;
        out->encoding = codings[i].coding;
      }
    }
  }
  out->fd = open(served, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (out->fd < 0) return 404;
  if (fstat(out->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(out->fd);
    out->fd = -1;
    return 404;
  }
  out->size = (size_t)st.st_size;
  make_etag(&st, out->etag);
  return 200;
}

int hubd_static_etag_matches(const char *inm, const char *etag) {
  size_t n = strlen(etag);
  const char *p = inm;
  while (p && *p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '*') return 1;
    if (p[0] == 'W' && p[1] == '/') p += 2;
    if (strncmp(p, etag, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' ' || p[n] == '\t')) return 1;
    p = strchr(p, ',');
  }
  return 0;
}
