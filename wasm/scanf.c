/*
 * scanf.c — sscanf() for the wasm build, in place of the C library's (wasm/ layer).
 *
 * musl's scanf (vfscanf over a string FILE, with its long-double float parser) is some 5 KB
 * of the gzipped module, for the few sscanf calls of the core (an HTTP date, an IPv4 address,
 * an outbox task) and cJSON's one (a double). Linked before the C library, this one keeps
 * musl's out (tests/wasm_size.sh checks it).
 *
 * The C standard's format, for what the callers use: white space (skips any), literal
 * characters, %%, and conversions with an optional '*' (assign nothing), a width and the
 * length modifiers hh h l ll j z t: d u (decimal), x (hexadecimal), i (decimal, 0x hex or 0
 * octal), s, c, n, and e f g (through strtod; a width is not applied to them). An integer
 * out of its type's range is clamped to it. Any other conversion is a matching failure:
 * sscanf returns what it assigned so far, as for input that does not match.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int digit(char c, int base) {
  int v = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10 : 99;
  return v < base ? v : -1;
}

/* Reads an integer of at most width characters (0: no limit) at *s in base (0: C's prefix
 * rule) into *v, clamped to [-UINTMAX_MAX, UINTMAX_MAX] as a sign and magnitude. 0, or -1
 * when no digit is there. */
static int read_int(const char **s, size_t width, int base, int *neg, uintmax_t *mag) {
  const char *p = *s;
  size_t left = width ? width : SIZE_MAX;
  int any = 0, d;
  *neg = 0;
  *mag = 0;
  if (left && (*p == '+' || *p == '-')) *neg = *p++ == '-', left--;
  if (base == 0 || base == 16) {
    if (left >= 2 && p[0] == '0' && (p[1] | 0x20) == 'x' && digit(p[2], 16) >= 0) p += 2, left -= 2, base = 16;
    else if (base == 0) base = p[0] == '0' ? 8 : 10;
  }
  for (; left && (d = digit(*p, base)) >= 0; p++, left--) {
    any = 1;
    *mag = *mag > (UINTMAX_MAX - (uintmax_t)d) / (uintmax_t)base ? UINTMAX_MAX : *mag * (uintmax_t)base + (uintmax_t)d;
  }
  if (!any) return -1;
  *s = p;
  return 0;
}

/* Stores a signed (sign = 1) or unsigned value at ptr for length len (-2 hh .. 3 z/t). */
static void store_int(void *ptr, int len, int sign, int neg, uintmax_t mag) {
  intmax_t sv;
  uintmax_t uv = neg ? (uintmax_t)0 - mag : mag;
  if (sign) {
    sv = neg ? (mag > (uintmax_t)INTMAX_MAX + 1 ? INTMAX_MIN : (intmax_t)(0 - mag)) : (mag > INTMAX_MAX ? INTMAX_MAX : (intmax_t)mag);
    if (len == -2) *(signed char *)ptr = (signed char)(sv < SCHAR_MIN ? SCHAR_MIN : sv > SCHAR_MAX ? SCHAR_MAX : sv);
    else if (len == -1) *(short *)ptr = (short)(sv < SHRT_MIN ? SHRT_MIN : sv > SHRT_MAX ? SHRT_MAX : sv);
    else if (len == 0) *(int *)ptr = (int)(sv < INT_MIN ? INT_MIN : sv > INT_MAX ? INT_MAX : sv);
    else if (len == 1) *(long *)ptr = (long)(sv < LONG_MIN ? LONG_MIN : sv > LONG_MAX ? LONG_MAX : sv);
    else if (len == 2) *(long long *)ptr = (long long)sv;
    else *(ptrdiff_t *)ptr = (ptrdiff_t)(sv < PTRDIFF_MIN ? PTRDIFF_MIN : sv > PTRDIFF_MAX ? PTRDIFF_MAX : sv);
    return;
  }
  if (len == -2) *(unsigned char *)ptr = (unsigned char)(mag > UCHAR_MAX && !neg ? UCHAR_MAX : uv);
  else if (len == -1) *(unsigned short *)ptr = (unsigned short)(mag > USHRT_MAX && !neg ? USHRT_MAX : uv);
  else if (len == 0) *(unsigned *)ptr = (unsigned)(mag > UINT_MAX && !neg ? UINT_MAX : uv);
  else if (len == 1) *(unsigned long *)ptr = (unsigned long)(mag > ULONG_MAX && !neg ? ULONG_MAX : uv);
  else if (len == 2) *(unsigned long long *)ptr = (unsigned long long)uv;
  else *(size_t *)ptr = (size_t)(mag > SIZE_MAX && !neg ? SIZE_MAX : uv);
}

/* The C library's contract: the number of conversions assigned, or EOF when the input ends
 * before the first conversion. */
int sscanf(const char *restrict str, const char *restrict fmt, ...) {
  va_list ap;
  const char *s = str;
  int assigned = 0, converted = 0;
  va_start(ap, fmt);
  while (*fmt) {
    int skip = 0, len = 0, neg;
    size_t width = 0;
    uintmax_t mag;
    char c = *fmt++;
    if (is_space(c)) {
      while (is_space(*s)) s++;
      continue;
    }
    if (c != '%' || *fmt == '%') {
      if (c == '%') fmt++;
      if (*s != c) break;
      s++;
      continue;
    }
    if (*fmt == '*') skip = 1, fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (size_t)(*fmt++ - '0');
    for (;; fmt++) {
      if (*fmt == 'h') len = len < 0 ? -2 : -1;
      else if (*fmt == 'l' || *fmt == 'L') len = len == 1 ? 2 : 1;
      else if (*fmt == 'j') len = 2;
      else if (*fmt == 'z' || *fmt == 't') len = 3;
      else break;
    }
    c = *fmt ? *fmt++ : 0;
    if (c == 'n') {
      if (!skip) *va_arg(ap, int *) = (int)(s - str);
      continue;
    }
    if (c != 'c')
      while (is_space(*s)) s++;
    if (!*s) {
      if (!converted) assigned = EOF;
      break;
    }
    if (c == 'd' || c == 'u' || c == 'x' || c == 'i') {
      if (read_int(&s, width, c == 'x' ? 16 : c == 'i' ? 0 : 10, &neg, &mag)) break;
      if (!skip) store_int(va_arg(ap, void *), len, c == 'd' || c == 'i', neg, mag);
    } else if (c == 's' || c == 'c') {
      char *out = skip ? NULL : va_arg(ap, char *);
      size_t n = 0, max = width ? width : c == 'c' ? 1 : SIZE_MAX;
      for (; n < max && *s && (c == 'c' || !is_space(*s)); n++, s++)
        if (out) out[n] = *s;
      if (c == 'c' && n < max) break;
      if (out && c == 's') out[n] = 0;
    } else if (c == 'e' || c == 'f' || c == 'g') {
      char *end;
      double d = strtod(s, &end);
      if (end == s) break;
      s = end;
      if (!skip) {
        if (len) *va_arg(ap, double *) = d;
        else *va_arg(ap, float *) = (float)d;
      }
    } else {
      break;
    }
    converted++;
    if (!skip) assigned++;
  }
  va_end(ap);
  return assigned;
}
