/*
 * util.c — small pure helpers for the core: timestamps, hashes, URLs, Link headers, PRNG.
 * Nothing here touches the database, the network or the clock.
 */
#include <ctype.h>
#include <string.h>
#include "hub_int.h"

/* ---- time ------------------------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int64_t *out) {
  int64_t v = 0;
  int i;
  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int hub__parse_iso8601(const char *s, int64_t *out) {
  int64_t y, mo, d, hh, mm, ss, oh = 0, om = 0, t;
  const char *p;
  if (!s || strlen(s) < 19) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &hh) ||
      s[13] != ':' || digits(s + 14, 2, &mm) || s[16] != ':' || digits(s + 17, 2, &ss))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return -1;
  p = s + 19;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) p++;
  }
  t = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om)) return -1;
    t -= sign * (oh * 3600 + om * 60);
    p += 6;
  } else {
    return -1;
  }
  if (*p) return -1;
  *out = t;
  return 0;
}

void hub__fmt_iso8601(int64_t t, char *buf) {
  int64_t z = (t >= 0 ? t : t - 86399) / 86400, secs = t - z * 86400;
  int64_t era, doe, yoe, y, doy, mp, d, m;
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
  /* snprintf bound: fixed width output, 20 chars + NUL */
  {
    static const char dig[] = "0123456789";
    int64_t v[6];
    int i;
    v[0] = y; v[1] = m; v[2] = d; v[3] = secs / 3600; v[4] = secs / 60 % 60; v[5] = secs % 60;
    buf[0] = dig[(v[0] / 1000) % 10]; buf[1] = dig[(v[0] / 100) % 10];
    buf[2] = dig[(v[0] / 10) % 10]; buf[3] = dig[v[0] % 10];
    for (i = 1; i < 6; i++) {
      char *q = buf + 4 + (i - 1) * 3;
      q[0] = i == 1 || i == 2 ? '-' : (i == 3 ? 'T' : ':');
      q[1] = dig[(v[i] / 10) % 10];
      q[2] = dig[v[i] % 10];
    }
    buf[19] = 'Z';
    buf[20] = 0;
  }
}

/* ---- hashes ---------------------------------------------------------------------------- */

uint64_t hub__fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *s = p;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static void sha256_block(uint32_t st[8], const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[i * 4] << 24 | (uint32_t)p[i * 4 + 1] << 16 | (uint32_t)p[i * 4 + 2] << 8 |
           (uint32_t)p[i * 4 + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; hh = st[7];
  for (i = 0; i < 64; i++) {
    t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += hh;
}

void hub__sha256_hex(const void *data, size_t n, char hex[65]) {
  uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = data;
  unsigned char tail[128];
  size_t rest, tl, i;
  uint64_t bits = (uint64_t)n * 8;
  static const char hx[] = "0123456789abcdef";
  for (i = 0; i + 64 <= n; i += 64) sha256_block(st, p + i);
  rest = n - i;
  memset(tail, 0, sizeof tail);
  if (rest) memcpy(tail, p + i, rest);
  tail[rest] = 0x80;
  tl = rest + 9 <= 64 ? 64 : 128;
  for (i = 0; i < 8; i++) tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
  sha256_block(st, tail);
  if (tl == 128) sha256_block(st, tail + 64);
  for (i = 0; i < 32; i++) {
    unsigned char byte = (unsigned char)(st[i / 4] >> (24 - 8 * (i % 4)));
    hex[i * 2] = hx[byte >> 4];
    hex[i * 2 + 1] = hx[byte & 15];
  }
  hex[64] = 0;
}

/* ---- URLs and headers ------------------------------------------------------------------ */

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

uint64_t hub__rand(uint64_t *s) {
  uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1dULL;
}
