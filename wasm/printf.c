/*
 * printf.c — snprintf(), vsnprintf() and sprintf() for the wasm build, in place of the C
 * library's (wasm/ layer).
 *
 * musl's printf (vfprintf with its 128-bit long-double float conversion) and the soft-float
 * arithmetic under it are some 10 KB of the gzipped module. The core, cJSON and the wasm glue
 * only format into buffers, so these three are all the module needs; linked before the C
 * library, they keep musl's from being linked at all (tests/wasm_size.sh checks it).
 *
 * The C standard's format: flags "-+ #0", a width and a precision (digits or '*'), the length
 * modifiers hh h l ll j z t, and the conversions d i u o x X c s p % e E f F g G. A float is
 * converted exactly and rounded half to even, as glibc and musl do: integers that %g or %f
 * print whole are converted here; any other finite number goes to the host's exact decimal
 * expansion (hub_js_format_double, wasm/number_lib.js), so the text is the C library's
 * byte for byte and the native and wasm builds print the same numbers. Precisions above
 * HUB_PRINTF_MAX_PREC are cut to it. %n, %a and long double (L) are not supported: the
 * conversion is copied to the output as written.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef HUB_PRINTF_MAX_PREC
#define HUB_PRINTF_MAX_PREC 100
#endif
/* A float converted with the largest precision: 309 integer digits, the point, the digits
 * after it, an exponent, the NUL. */
#define FLOAT_BUF (320 + HUB_PRINTF_MAX_PREC + 16)

/* wasm/number_lib.js: v (finite, >= 0) converted by conv ('e', 'f' or 'g', lower case) with
 * precision prec; alt is the '#' flag. Writes at most cap bytes to out (no NUL); returns the
 * number written. */
extern int hub_js_format_double(double v, int conv, int prec, int alt, char *out, int cap);

/* The output: at most cap - 1 bytes and a NUL go to buf; len counts the whole text. */
typedef struct {
  char *buf;
  size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n) {
  if (o->len < o->cap) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void pad(out *o, char c, size_t n) {
  while (n--) put(o, &c, 1);
}

/* The flags and sizes of one conversion. */
typedef struct {
  int left, plus, space, alt, zero;
  size_t width;
  int prec; /* -1: none */
} spec;

/* Writes sign (may be empty), zeros, then body, padded to the width as the flags say. */
static void field(out *o, const spec *f, const char *sign, size_t zeros, const char *body, size_t n) {
  size_t ns = strlen(sign), total = ns + zeros + n;
  size_t fill = f->width > total ? f->width - total : 0;
  if (!f->left && !f->zero) pad(o, ' ', fill);
  put(o, sign, ns);
  if (!f->left && f->zero) pad(o, '0', fill);
  pad(o, '0', zeros);
  put(o, body, n);
  if (f->left) pad(o, ' ', fill);
}

/* An unsigned integer in base (8, 10 or 16) with the precision's minimum digits. */
static void integer(out *o, const spec *f, const char *sign, uintmax_t v, unsigned base, int upper,
                    const char *prefix) {
  char digits[sizeof(uintmax_t) * 3 + 4], *p = digits + sizeof digits;
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char lead[4];
  size_t n, zeros = 0;
  spec g = *f;
  while (v) {
    *--p = set[v % base];
    v /= base;
  }
  n = (size_t)(digits + sizeof digits - p);
  if (f->prec < 0 && n == 0) *--p = '0', n = 1;
  if (f->prec >= 0) {
    g.zero = 0; /* C: with a precision, the 0 flag is ignored */
    if ((size_t)f->prec > n) zeros = (size_t)f->prec - n;
  }
  if (base == 8 && f->alt && zeros == 0 && (n == 0 || *p != '0')) zeros = 1;
  snprintf(lead, sizeof lead, "%s%s", sign, prefix);
  field(o, &g, lead, zeros, p, n);
}

/* Decimal digits of v (< 10^19) at the end of buf; returns where they start. */
static char *utoa(uint64_t v, char *end) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

/* A double by conv (e E f F g G). */
static void floating(out *o, const spec *f, double v, char conv) {
  char body[FLOAT_BUF];
  const char *sign = signbit(v) ? "-" : f->plus ? "+" : f->space ? " " : "";
  int upper = conv >= 'A' && conv <= 'Z', lower = conv | 0x20;
  int prec = f->prec < 0 ? 6 : f->prec > HUB_PRINTF_MAX_PREC ? HUB_PRINTF_MAX_PREC : f->prec;
  double a = fabs(v);
  size_t n;
  spec g = *f;
  if (!isfinite(v)) {
    g.zero = 0;
    field(o, &g, sign, 0, isnan(v) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3);
    return;
  }
  if (lower == 'g' && prec == 0) prec = 1;
  n = 0;
  if (!f->alt && a < 1e18 && a == floor(a)) {
    /* a whole number: %f and a %g with room for all its digits print it whole */
    char *p = utoa((uint64_t)a, body + 24);
    n = (size_t)(body + 24 - p);
    if (lower == 'e' || (lower == 'g' && n > (size_t)prec)) {
      n = 0;
    } else {
      memmove(body, p, n);
      if (lower == 'f' && prec > 0) {
        body[n++] = '.';
        memset(body + n, '0', (size_t)prec);
        n += (size_t)prec;
      }
    }
  }
  if (n == 0) {
    int w = hub_js_format_double(a, lower, prec, f->alt, body, (int)sizeof body);
    n = w > 0 ? (size_t)w : 0;
    if (upper) {
      size_t i;
      for (i = 0; i < n; i++)
        if (body[i] == 'e') body[i] = 'E';
    }
  }
  field(o, &g, sign, 0, body, n);
}

/* Reads a width or precision: digits, or '*' from the arguments. */
static int number(const char **fmt, va_list *ap) {
  int v = 0;
  if (**fmt == '*') {
    (*fmt)++;
    return va_arg(*ap, int);
  }
  while (**fmt >= '0' && **fmt <= '9') {
    if (v < INT_MAX / 10) v = v * 10 + (**fmt - '0');
    (*fmt)++;
  }
  return v;
}

/* One conversion starting after the '%' at *fmt; advances *fmt past it. */
static void convert(out *o, const char **fmt, va_list *ap) {
  const char *start = *fmt - 1;
  spec f = {0, 0, 0, 0, 0, 0, -1};
  int len = 0, w; /* len: -2 hh, -1 h, 0, 1 l, 2 ll/j, 3 z/t */
  char c;
  for (;; (*fmt)++) {
    c = **fmt;
    if (c == '-') f.left = 1;
    else if (c == '+') f.plus = 1;
    else if (c == ' ') f.space = 1;
    else if (c == '#') f.alt = 1;
    else if (c == '0') f.zero = 1;
    else break;
  }
  w = number(fmt, ap);
  if (w < 0) f.left = 1, w = w == INT_MIN ? INT_MAX : -w;
  f.width = (size_t)w;
  if (**fmt == '.') {
    (*fmt)++;
    f.prec = number(fmt, ap);
    if (f.prec < 0) f.prec = -1;
  }
  if (f.left) f.zero = 0;
  for (;; (*fmt)++) {
    c = **fmt;
    if (c == 'h') len = len < 0 ? -2 : -1;
    else if (c == 'l') len = len == 1 ? 2 : 1;
    else if (c == 'j') len = 2;
    else if (c == 'z' || c == 't') len = 3;
    else break;
  }
  c = **fmt;
  if (c) (*fmt)++;
  switch (c) {
  case 'd':
  case 'i': {
    intmax_t v = len == 2 ? va_arg(*ap, long long) : len == 1 ? va_arg(*ap, long) : len == 3 ? va_arg(*ap, ptrdiff_t) : va_arg(*ap, int);
    if (len == -1) v = (short)v;
    if (len == -2) v = (signed char)v;
    integer(o, &f, v < 0 ? "-" : f.plus ? "+" : f.space ? " " : "", v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v, 10, 0, "");
    break;
  }
  case 'u':
  case 'o':
  case 'x':
  case 'X': {
    uintmax_t v = len == 2 ? va_arg(*ap, unsigned long long) : len == 1 ? va_arg(*ap, unsigned long) : len == 3 ? va_arg(*ap, size_t) : va_arg(*ap, unsigned);
    if (len == -1) v = (unsigned short)v;
    if (len == -2) v = (unsigned char)v;
    integer(o, &f, "", v, c == 'o' ? 8 : c == 'u' ? 10 : 16, c == 'X',
            f.alt && v && c == 'x' ? "0x" : f.alt && v && c == 'X' ? "0X" : "");
    break;
  }
  case 'p':
    f.alt = 0;
    integer(o, &f, "", (uintmax_t)(uintptr_t)va_arg(*ap, void *), 16, 0, "0x");
    break;
  case 'c': {
    char ch = (char)va_arg(*ap, int);
    f.zero = 0;
    field(o, &f, "", 0, &ch, 1);
    break;
  }
  case 's': {
    const char *s = va_arg(*ap, const char *);
    size_t n;
    if (!s) s = "(null)";
    n = f.prec >= 0 ? strnlen(s, (size_t)f.prec) : strlen(s);
    f.zero = 0;
    field(o, &f, "", 0, s, n);
    break;
  }
  case 'e':
  case 'E':
  case 'f':
  case 'F':
  case 'g':
  case 'G':
    floating(o, &f, va_arg(*ap, double), c);
    break;
  case '%':
    put(o, "%", 1);
    break;
  default: /* not supported (or the format ends): copied as written */
    put(o, start, (size_t)(*fmt - start));
    break;
  }
}

/* The C library's contract: formats into buf (at most n - 1 bytes and a NUL when n > 0) and
 * returns the length of the whole text. */
int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap) {
  out o = {buf, n, 0};
  const char *p = fmt;
  va_list aq;
  va_copy(aq, ap);
  while (*p) {
    const char *pct = strchr(p, '%');
    size_t run = pct ? (size_t)(pct - p) : strlen(p);
    put(&o, p, run);
    p += run;
    if (!*p) break;
    p++;
    convert(&o, &p, &aq);
  }
  va_end(aq);
  if (n) buf[o.len < n ? o.len : n - 1] = 0;
  return o.len > INT_MAX ? -1 : (int)o.len;
}

/* The C library's contract, as vsnprintf. */
int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}

/* The C library's contract: buf must hold the whole text (cJSON's number buffers do). */
int sprintf(char *restrict buf, const char *restrict fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(buf, (size_t)INT_MAX, fmt, ap);
  va_end(ap);
  return r;
}

/* Emscripten's compiler turns calls to the functions above into calls to variants that a
 * smaller printf serves (i: no floats; __small_: no long double). Each is the same here: an
 * alias of the one above. */
int siprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((alias("sprintf")));
int __small_sprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((alias("sprintf")));
int sniprintf(char *restrict buf, size_t n, const char *restrict fmt, ...) __attribute__((alias("snprintf")));
int __small_snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...) __attribute__((alias("snprintf")));
int vsniprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap) __attribute__((alias("vsnprintf")));
int __small_vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap)
    __attribute__((alias("vsnprintf")));
