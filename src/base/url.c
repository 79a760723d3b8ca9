/*
 * url.c — URLs as the core plans and checks them (base layer): a strict parser for absolute
 * http(s) URLs, the rule for which hosts may receive requests, Link headers, percent-encoding.
 *
 * Where a credential may go is decided on the PARSED host and port, never on a prefix:
 * "http://localhost.attacker.example" is not localhost, "https://api.github.com@evil/" has
 * userinfo and is refused outright.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"

int hub__url_parse(const char *url, hub__url *u) {
  const char *p, *h, *e;
  size_t n, i;
  if (!url) return -1;
  n = strlen(url);
  if (n == 0 || n > HUB_MAX_URL) return -1;
  for (i = 0; i < n; i++)
    if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f || url[i] == '\\') return -1;
  memset(u, 0, sizeof *u);
  if (strncmp(url, "https://", 8) == 0) {
    u->https = 1;
    p = url + 8;
    u->port = 443;
  } else if (strncmp(url, "http://", 7) == 0) {
    p = url + 7;
    u->port = 80;
  } else {
    return -1;
  }
  e = p + strcspn(p, "/?#");
  if (memchr(p, '@', (size_t)(e - p))) return -1; /* userinfo: never */
  h = p;
  if (*h == '[') { /* IPv6 literal */
    const char *close = memchr(h, ']', (size_t)(e - h));
    if (!close || close == h + 1 || (size_t)(close - h - 1) >= sizeof u->host) return -1;
    for (p = h + 1; p < close; p++)
      if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') return -1;
    memcpy(u->host, h + 1, (size_t)(close - h - 1));
    u->host[close - h - 1] = 0;
    p = close + 1;
  } else {
    for (p = h; p < e && *p != ':'; p++)
      if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-') return -1;
    if (p == h || (size_t)(p - h) >= sizeof u->host) return -1;
    for (i = 0; h + i < p; i++) u->host[i] = (char)tolower((unsigned char)h[i]);
    u->host[i] = 0;
  }
  if (p < e) {
    long port = 0;
    if (*p != ':' || p + 1 == e) return -1;
    for (p++; p < e; p++) {
      if (!isdigit((unsigned char)*p)) return -1;
      port = port * 10 + (*p - '0');
      if (port > 65535) return -1;
    }
    if (port < 1) return -1;
    u->port = (int)port;
  }
  u->path = e;
  return 0;
}

/* 1 when s is a dotted-quad IPv4 address in 127.0.0.0/8. */
static int ipv4_loopback(const char *s) {
  int parts = 0;
  long v;
  const char *p = s;
  if (strncmp(s, "127.", 4) != 0) return 0;
  while (*p) {
    char *end;
    if (!isdigit((unsigned char)*p)) return 0;
    v = strtol(p, &end, 10);
    if (v > 255 || end - p > 3) return 0;
    parts++;
    p = end;
    if (*p == '.') p++;
    else if (*p) return 0;
  }
  return parts == 4 && p[-1] != '.';
}

int hub__host_loopback(const char *host) {
  return strcmp(host, "localhost") == 0 || ipv4_loopback(host) || strcmp(host, "::1") == 0 ||
         strcmp(host, "0:0:0:0:0:0:0:1") == 0;
}

int hub__url_usable(const char *url) {
  hub__url u;
  if (hub__url_parse(url, &u)) return 0;
  return u.https || hub__host_loopback(u.host);
}

int hub__url_same_origin(const char *a, const char *b) {
  hub__url x, y;
  if (hub__url_parse(a, &x) || hub__url_parse(b, &y)) return 0;
  return x.https == y.https && x.port == y.port && strcmp(x.host, y.host) == 0;
}

char *hub__link_next(const char *link) {
  const char *p = link;
  if (!link) return NULL;
  /* Link: <url>; rel="next", <url>; rel="last" */
  while ((p = strchr(p, '<')) != NULL) {
    const char *end = strchr(p, '>'), *params, *stop;
    if (!end) return NULL;
    params = end + 1;
    stop = strchr(params, ',');
    /* a URL may contain commas only inside <>; params end at the next ',' or the end */
    {
      size_t plen = stop ? (size_t)(stop - params) : strlen(params);
      const char *r = params;
      while ((r = strstr(r, "rel=")) != NULL && r < params + plen) {
        const char *v = r + 4;
        if (*v == '"') v++;
        /* rel may hold several space-separated values */
        while (v < params + plen && *v != '"' && *v != ';') {
          if (strncmp(v, "next", 4) == 0 && (v[4] == '"' || v[4] == ' ' || v[4] == ';' ||
                                              v + 4 == params + plen))
            return hub__strndup(p + 1, (size_t)(end - p - 1));
          while (v < params + plen && *v != ' ' && *v != '"' && *v != ';') v++;
          while (v < params + plen && *v == ' ') v++;
        }
        r += 4;
      }
    }
    p = end + 1;
  }
  return NULL;
}

char *hub__url_encode(const char *s) {
  static const char hx[] = "0123456789ABCDEF";
  size_t n = strlen(s), i, j = 0;
  char *r = hub__malloc(n * 3 + 1);
  if (!r) return NULL;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      r[j++] = (char)c;
    } else {
      r[j++] = '%';
      r[j++] = hx[c >> 4];
      r[j++] = hx[c & 15];
    }
  }
  r[j] = 0;
  return r;
}

int hub__url_host(const char *url, char *hostbuf, size_t hostlen, const char **path) {
  const char *p = strstr(url, "://"), *h, *e;
  size_t n;
  if (!p) return -1;
  h = p + 3;
  e = h;
  while (*e && *e != '/' && *e != ':' && *e != '?' && *e != '#') e++;
  n = (size_t)(e - h);
  if (n == 0 || n >= hostlen) return -1;
  memcpy(hostbuf, h, n);
  hostbuf[n] = 0;
  while (*e && *e != '/' && *e != '?') e++;
  if (path) *path = e;
  return 0;
}


int hub__host_private(const char *host) {
  unsigned a, b, c, d;
  char tail;
  if (hub__host_loopback(host)) return 1;
  if (sscanf(host, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 && c < 256 && d < 256)
    return a == 0 || a == 10 || (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) || (a == 169 && b == 254) ||
           (a == 100 && b >= 64 && b < 128) || a >= 224;
  if (strchr(host, ':')) { /* IPv6 literal: unique-local fc00::/7, link-local fe80::/10, :: */
    return (host[0] == 'f' || host[0] == 'F') && (host[1] == 'c' || host[1] == 'd' || host[1] == 'C' || host[1] == 'D' ||
                                                  ((host[1] == 'e' || host[1] == 'E') && strchr("89abAB", host[2]))) ;
  }
  {
    size_t n = strlen(host);
    return (n >= 10 && strcmp(host + n - 10, ".localhost") == 0) || strcmp(host, "::") == 0;
  }
}
