/*
 * text.c — text from outside made safe to keep and show (base layer): UTF-8 validation and
 * repair at the edge, so every string the core stores and every JSON it answers is valid
 * UTF-8; ASCII case-insensitive comparisons.
 */
#include <string.h>
#include "base/base.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is invalid. */
static size_t seq_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len, i;
  unsigned cp;
  if (c < 0x80) return c ? 1 : 0;
  if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
  else return 0;
  if (len > n) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3Fu);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

int hub__utf8_valid(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t k = seq_len((const unsigned char *)s + i, n - i);
    if (!k) return 0;
    i += k;
  }
  return 1;
}

char *hub__utf8_clean(const char *s, size_t n) {
  hub__buf b;
  size_t i = 0;
  char *r;
  hub__buf_init(&b, n * 3 + 1);
  while (i < n) {
    size_t k = seq_len((const unsigned char *)s + i, n - i);
    if (k) {
      hub__buf_add(&b, s + i, k);
      i += k;
    } else {
      hub__buf_add(&b, "\xEF\xBF\xBD", 3);
      i++;
    }
  }
  if (!b.p) hub__buf_add(&b, "", 0);
  r = b.failed ? NULL : b.p;
  if (!r) hub__buf_free(&b);
  return r;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

int hub__ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower((unsigned char)*a) != lower((unsigned char)*b)) return 0;
  return *a == *b;
}

int hub__icontains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i;
    for (i = 0; i < n; i++)
      if (!hay[i] || lower((unsigned char)hay[i]) != lower((unsigned char)needle[i])) break;
    if (i == n) return 1;
  }
  return n == 0;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The \uXXXX escape at p (6 bytes available) as a code unit, or -1. */
static long escape_unit(const char *p) {
  long v = 0;
  int i;
  if (p[0] != '\\' || p[1] != 'u') return -1;
  for (i = 2; i < 6; i++) {
    int d = hexval(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Copies s[from..to) into b (when b is not NULL). */
static void keep(hub__buf *b, const char *s, size_t from, size_t to) {
  if (b && to > from) hub__buf_add(b, s + from, to - from);
}

/* One walk of hub__json_clean: with b NULL, only says whether anything needs a change (1 at
 * the first such spot, else 0); with b, writes the cleaned text into b and returns whether it
 * changed anything. Plain runs of bytes are copied in one piece. */
static int json_walk(const char *s, size_t n, hub__buf *b) {
  size_t i = 0, run = 0; /* s[run..i) is copied as is, when the walk ends or at the next change */
  int in_str = 0, changed = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    const char *rep = NULL; /* the replacement of s[i..i+skip) */
    size_t skip = 0;
    if (c >= 0x80 || c == 0) {
      size_t k = seq_len((const unsigned char *)s + i, n - i);
      if (k) {
        i += k;
        continue;
      }
      rep = "\xEF\xBF\xBD";
      skip = 1;
    } else if (c == '"') {
      in_str = !in_str;
    } else if (in_str && c == '\\' && i + 1 < n) {
      long u = i + 6 <= n ? escape_unit(s + i) : -1;
      if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF)) { /* NUL, or a low surrogate alone */
        rep = "\\ufffd";
        skip = 6;
      } else if (u >= 0xD800 && u <= 0xDBFF) { /* a high surrogate must be followed by a low one */
        long lo = i + 12 <= n ? escape_unit(s + i + 6) : -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          i += 12;
          continue;
        }
        rep = "\\ufffd";
        skip = 6;
      } else {
        i += 2; /* any other escape: kept as it is */
        continue;
      }
    }
    if (!rep) {
      i++;
      continue;
    }
    if (!b) return 1;
    keep(b, s, run, i);
    hub__buf_add(b, rep, strlen(rep));
    changed = 1;
    i += skip;
    run = i;
  }
  keep(b, s, run, n);
  return changed;
}

int hub__json_clean(const char *s, size_t n, char **out) {
  hub__buf b;
  *out = NULL;
  if (!json_walk(s, n, NULL)) return 0; /* the common case: nothing to change, nothing copied */
  hub__buf_init(&b, n * 3 + 16);
  json_walk(s, n, &b);
  if (b.failed) {
    hub__buf_free(&b);
    return -1;
  }
  *out = b.p;
  return 1;
}
