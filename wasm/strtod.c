/*
 * strtod.c — strtod() for the wasm build, in place of the C library's (wasm/ layer).
 *
 * musl's decimal parser and the 128-bit long-double arithmetic under it are some 7 KB of
 * the gzipped module. Here a number whose significant digits form an integer of at most
 * 2^53 and whose power of ten is at most 22 in magnitude is computed with one IEEE
 * multiplication or division of exact doubles, which is correctly rounded; any other number
 * goes to the host's parseFloat (wasm/number_lib.js), also correctly rounded. So the result
 * equals the C library's bit for bit, as the native build's.
 *
 * The form read is C's decimal one: optional white space, an optional sign, digits with at
 * most one '.', at least one digit, an optional exponent ('e' or 'E', optional sign, at least
 * one digit); or "inf", "infinity", "nan", "nan(chars)" in any case. Hexadecimal floats are
 * not read ("0x1p3" reads as 0 and stops at 'x'): nothing the core parses has them. errno is
 * not set on overflow or underflow: no caller reads it.
 * (wasm/scanf.c's sscanf reads its floats, cJSON's "%lg" among them, with this strtod.)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* wasm/number_lib.js: the double nearest the decimal number in s[0..len). */
extern double hub_js_parse_float(const char *s, size_t len);

/* Exponents beyond this only ever mean 0 or infinity; keeps the sum from overflowing. */
#ifndef HUB_STRTOD_MAX_EXP
#define HUB_STRTOD_MAX_EXP 100000
#endif

#define EXACT_INT_MAX (UINT64_C(1) << 53)

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of word at s, compared without case (word is lower case), or 0. */
static size_t word_at(const char *s, const char *word) {
  size_t i;
  for (i = 0; word[i]; i++)
    if ((s[i] | 0x20) != word[i]) return 0;
  return i;
}

/* The C library's contract: the value of the longest prefix of s (after white space) that
 * has the form above; *end (if end is non-NULL) is set past it, or to s when there is none
 * (then 0 is returned). */
double strtod(const char *restrict s, char **restrict end) {
  const char *p = s, *num, *stop;
  uint64_t m = 0;
  int neg = 0, exact = 1;
  long e10 = 0;
  double r = 0.0;
  size_t n;
  while (is_space(*p)) p++;
  num = p;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (!is_digit(*p) && !(*p == '.' && is_digit(p[1]))) {
    if ((n = word_at(p, "inf")) != 0) {
      stop = p + n + word_at(p + n, "inity");
      r = INFINITY;
    } else if ((n = word_at(p, "nan")) != 0) {
      stop = p + n;
      if (*stop == '(') {
        const char *q = stop + 1;
        while (is_digit(*q) || ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') || *q == '_') q++;
        if (*q == ')') stop = q + 1;
      }
      r = NAN;
    } else {
      stop = s; /* no number: 0, unsigned */
      neg = 0;
    }
    goto done;
  }
  for (; is_digit(*p); p++) {
    if (m <= (EXACT_INT_MAX - 9) / 10) m = m * 10 + (uint64_t)(*p - '0');
    else exact = 0, e10++;
  }
  if (*p == '.')
    for (p++; is_digit(*p); p++) {
      if (m <= (EXACT_INT_MAX - 9) / 10) m = m * 10 + (uint64_t)(*p - '0'), e10--;
      else exact = 0;
    }
  stop = p;
  if ((*p == 'e' || *p == 'E') &&
      (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
    int eneg = 0;
    long x = 0;
    p++;
    if (*p == '+' || *p == '-') eneg = *p++ == '-';
    for (; is_digit(*p); p++)
      if (x < HUB_STRTOD_MAX_EXP) x = x * 10 + (*p - '0');
    e10 += eneg ? -x : x;
    stop = p;
  }
  if (m == 0 && exact) {
    r = 0.0;
  } else if (exact && e10 >= -22 && e10 <= 22) {
    r = (double)m; /* exact: m <= 2^53 */
    r = e10 >= 0 ? r * pow10_exact[e10] : r / pow10_exact[-e10];
  } else {
    r = hub_js_parse_float(num, (size_t)(stop - num));
    neg = 0; /* the sign went with the text */
  }
done:
  if (end) *end = (char *)(uintptr_t)stop;
  return neg ? -r : r;
}
