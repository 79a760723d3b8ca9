/*
 * strtod_test.c — strtod(), snprintf() and sscanf() as the core and cJSON see them: the C
 * library's natively, and wasm/strtod.c, wasm/printf.c and wasm/scanf.c in the wasm build
 * (test layer). Both builds run this file; each checks values known to the bit (and texts
 * known to the byte), and writes every result for a large set of inputs to OUTDIR/strtod.txt
 * and OUTDIR/printf.txt, which run_tests.sh's same-rows suite compares between the builds (so
 * the wasm strtod must agree with the C library's bit for bit, and in where it stops, and the
 * wasm snprintf with the C library's byte for byte; strtod.txt's inputs are themselves
 * snprintf's floats).
 *
 * usage: strtod_test OUTDIR
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

#ifndef STRTOD_RANDOM
#define STRTOD_RANDOM 200000 /* random inputs written to the comparison file */
#endif

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Writes "input|bits|consumed" for s to f. */
static void record(FILE *f, const char *s) {
  char *end;
  double d = strtod(s, &end);
  fprintf(f, "%s|%016llx|%ld\n", s, (unsigned long long)bits(isnan(d) ? NAN : d), (long)(end - s));
}

static void known_values(void) {
  static const struct { const char *in; uint64_t bits; long used; } cases[] = {
      {"0", 0x0000000000000000ULL, 1},
      {"-0", 0x8000000000000000ULL, 2},
      {"1", 0x3ff0000000000000ULL, 1},
      {"0.1", 0x3fb999999999999aULL, 3},
      {"  -2.5e3xyz", 0xc0a3880000000000ULL, 8},
      {"9007199254740993", 0x4340000000000000ULL, 16},         /* a tie: to even */
      {"9007199254740995", 0x4340000000000002ULL, 16},         /* a tie: to even, upwards */
      {"1e23", 0x44b52d02c7e14af6ULL, 4},
      {"6.35226388254317e+16", 0x436c35b01c4c5452ULL, 20},     /* a tie after 15 digits */
      {"2.2250738585072011e-308", 0x000fffffffffffffULL, 23},  /* largest subnormal */
      {"4.9e-324", 0x0000000000000001ULL, 8},
      {"2.4703282292062327e-324", 0x0000000000000000ULL, 23}, /* just under half the least */
      {"1.7976931348623157e308", 0x7fefffffffffffffULL, 22},
      {"1e400", 0x7ff0000000000000ULL, 5},
      {"1e-400", 0x0000000000000000ULL, 6},
      {"123456789012345678901234567890", 0x45f8ee90ff6c373eULL, 30},
      {"0.500000000000000166533453693773481063544750213623046875", 0x3fe0000000000002ULL, 56},
      {".5", 0x3fe0000000000000ULL, 2},
      {"5.", 0x4014000000000000ULL, 2},
      {"1e", 0x3ff0000000000000ULL, 1},
      {"1e+", 0x3ff0000000000000ULL, 1},
      {"-inf", 0xfff0000000000000ULL, 4},
      {"Infinity!", 0x7ff0000000000000ULL, 8},
      {"x1", 0x0000000000000000ULL, 0},
      {"-", 0x0000000000000000ULL, 0},
      {".", 0x0000000000000000ULL, 0},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *end;
    double d = strtod(cases[i].in, &end);
    CHECK(bits(d) == cases[i].bits && end - cases[i].in == cases[i].used,
          "strtod(\"%s\") = %016llx after %ld bytes, want %016llx after %ld", cases[i].in,
          (unsigned long long)bits(d), (long)(end - cases[i].in), (unsigned long long)cases[i].bits,
          cases[i].used);
  }
  {
    char *end;
    double d = strtod("nan(123)z", &end);
    CHECK(isnan(d) && *end == 'z', "nan(123) is NaN and read whole");
  }
  {
    cJSON *j = cJSON_Parse("[0.1,1e23,9007199254740993,-2.5e-3,12345678901234567890]");
    char *out = j ? cJSON_PrintUnformatted(j) : NULL;
    /* (cJSON keeps 15 digits when they read back within DBL_EPSILON: 2^53 loses its last ones) */
    CHECK(out && strcmp(out, "[0.1,1e+23,9.00719925474099e+15,-0.0025,1.2345678901234567e+19]") == 0,
          "cJSON reads and prints numbers as natively (%s)", out ? out : "null");
    free(out);
    cJSON_Delete(j);
  }
}

/* snprintf of one value checked against the C standard's text. */
#define FMT(want, ...)                                                                        \
  do {                                                                                        \
    char b_[400];                                                                             \
    int n_ = snprintf(b_, sizeof b_, __VA_ARGS__);                                            \
    CHECK(strcmp(b_, want) == 0 && n_ == (int)strlen(want), "snprintf(%s) = \"%s\" (%d), want \"%s\"", \
          #__VA_ARGS__, b_, n_, want);                                                        \
  } while (0)

static volatile size_t small_cap = 8; /* (not a constant: the truncation below is deliberate) */

static void known_formats(void) {
  char small[8], word[16], w2[40], c = 0;
  long long ll = 0;
  unsigned a = 0, b = 0, d = 0, e = 0;
  int i1 = 0, i2 = 0, n = 0, r;
  double x = 0;
  FMT("42|-42|+42| 42|   42|42   |00042|-0042|  042", "%d|%i|%+d|% d|%5d|%-5d|%05d|%05d|%5.3d", 42, -42, 42, 42, 42, 42, 42, -42, 42);
  FMT("||0|", "|%.0d|%d|", 0, 0);
  FMT("-9223372036854775808 18446744073709551615", "%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
  FMT("123 4294967295 -1 -7", "%zu %u %ld %hd", (size_t)123, 4294967295u, -1L, (short)-7);
  FMT("00000000deadbeef 00ff 0xff 0XFF 17 017 0", "%016llx %04x %#x %#X %o %#o %#o", 0xdeadbeefULL, 255, 255, 255, 15, 15, 0);
  FMT("abc|ab|  abc|abc  |(ab)|x|%", "%s|%.2s|%5s|%-5s|(%.*s)|%c|%%", "abc", "abc", "abc", "abc", 2, "abcdef", 'x');
  FMT("0.1 0.10000000000000001 1e+23 1.2345678901234567e+19", "%g %.17g %g %.17g", 0.1, 0.1, 1e23, 12345678901234567890.0);
  FMT("100000 1e+06 1e-05 0.0001 123457 0.000123457", "%g %g %g %g %g %g", 100000.0, 1000000.0, 0.00001, 0.0001, 123456.7, 0.00012345678);
  FMT("0.12 0.38 1.12 2 2.50 -0 inf -inf nan", "%.2g %.2g %.3g %.0f %.2f %g %g %g %g", 0.125, 0.375, 1.125, 2.5, 2.5, -0.0, HUGE_VAL, -HUGE_VAL, NAN);
  FMT("1.000000e+00 1.5E-07 1.E+02 1. 2.00000 +3.14 003.14 3.14  ", "%e %.1E %#.0E %#.0f %#g %+.2f %06.2f %-6.2f", 1.0, 1.5e-7, 100.0, 1.0, 2.0, 3.14159, 3.14159, 3.14159);
  FMT("179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000",
      "%.3f", 1.7976931348623157e308);
  FMT("4.9406564584124654e-324 2.2250738585072014e-308", "%.17g %.17g", 4.9406564584124654e-324, 2.2250738585072014e-308);
  FMT("1234567890123 1.23456789012346e+15 999999999999999", "%1.15g %1.15g %1.15g", 1234567890123.0, 1234567890123456.0, 999999999999999.0);
  /* near a tie but not on one (the wasm build takes the host's rounded digits for these),
     a carry into a new digit, the smallest subnormal */
  FMT("0.1 2.67 0.0001 1.0000000000000002 3.000000e-01 4.9406564584124654e-324 0.3 3.00e-07",
      "%.1g %.3g %1.15g %.17g %e %.16e %1.15g %.2e", 0.15, 2.675, 9.99999999999999995e-05, 1.0000000000000002, 0.3,
      5e-324, 0.1 + 0.2, 3e-7);
  r = snprintf(small, small_cap, "%s-%d", "abcdef", 12345);
  CHECK(r == 12 && strcmp(small, "abcdef-") == 0, "snprintf truncates and returns the whole length (%d, %s)", r, small);
  r = snprintf(NULL, 0, "%05.1f", 2.25);
  CHECK(r == 5, "snprintf(NULL, 0) counts (%d)", r);
  /* sscanf: the core's formats (an HTTP date, an IPv4 address, an outbox task) and cJSON's */
  r = sscanf("Sun 06 Nov 1994 08:49:37 GMT", "%3s %2d %3s %4d %2d:%2d:%2d %3s%n", word, &i1, w2, &i2, (int *)&a, (int *)&b,
             (int *)&d, small, &n);
  CHECK(r == 8 && strcmp(word, "Sun") == 0 && i1 == 6 && strcmp(w2, "Nov") == 0 && i2 == 1994 && a == 8 && b == 49 && d == 37 &&
            strcmp(small, "GMT") == 0 && n == 28, "sscanf reads a date (%d, n %d)", r, n);
  r = sscanf("Sun, 06 Nov 1994 08:49:37 GMT", "%3s %2d", word, &i1);
  CHECK(r == 1, "sscanf stops at a character the format does not match (%d)", r);
  r = sscanf("192.168.1.20", "%3u.%3u.%3u.%3u%c", &a, &b, &d, &e, &c);
  CHECK(r == 4 && a == 192 && b == 168 && d == 1 && e == 20, "sscanf reads a dotted quad (%d)", r);
  r = sscanf("10.0.0.1x", "%3u.%3u.%3u.%3u%c", &a, &b, &d, &e, &c);
  CHECK(r == 5 && c == 'x', "sscanf reads the character after it (%d)", r);
  r = sscanf("1234.1.1.1", "%3u.%3u.%3u.%3u%c", &a, &b, &d, &e, &c);
  CHECK(r == 1 && a == 123, "sscanf's width stops a number (%d, %u)", r, a);
  r = sscanf("17 done octocat/hub#3", "%lld %15s %39s", &ll, word, w2);
  CHECK(r == 3 && ll == 17 && strcmp(word, "done") == 0 && strcmp(w2, "octocat/hub#3") == 0, "sscanf reads a task (%d)", r);
  r = sscanf("17", "%lld %15s %39s", &ll, word, w2);
  CHECK(r == 1, "sscanf: input ends after the first conversion (%d)", r);
  r = sscanf("   ", "%lld", &ll);
  CHECK(r == EOF, "sscanf: EOF for input that ends before the first conversion (%d)", r);
  r = sscanf(" -2.5e3x", "%lg", &x);
  CHECK(r == 1 && x == -2500.0, "sscanf reads a double (%d, %g)", r, x);
  r = sscanf("x", "%lg", &x);
  CHECK(r == 0, "sscanf: no number is a matching failure (%d)", r);
}

/* Writes snprintf's text of random doubles and integers in many formats to f. */
static void record_formats(FILE *f) {
  static const char *const dfmts[] = {"%.17g", "%1.15g", "%g", "%.3g", "%.10g", "%e", "%.0e", "%#.3g", "%+.6E", "%12.4G",
                                      "%-12.2e|", "%010.3g", "%.0f", "%.2f", "%#.0f", "% .6f"};
  long i;
  char buf[480];
  for (i = 0; i < STRTOD_RANDOM / 4; i++) {
    uint64_t u = next(), r1 = next(), r2 = next();
    double d;
    const char *fm = dfmts[r1 % (sizeof dfmts / sizeof dfmts[0])];
    memcpy(&d, &u, sizeof d);
    if (r2 % 3 == 0) d = (double)(int64_t)(r2 >> (r1 % 64)) / (double)(1 + r1 % 1000); /* everyday magnitudes */
    if (r2 % 7 == 0) d = (double)(int64_t)(u >> (r1 % 64));                          /* whole numbers */
    if (fm[strlen(fm) - 1] == 'f' && fabs(d) > 1e30) d = 1e30 / d;
    snprintf(buf, sizeof buf, fm, d);
    fprintf(f, "%s|%016llx|%s\n", fm, (unsigned long long)bits(d), buf);
    snprintf(buf, sizeof buf, "%lld|%llx|%-8u|%08d|%.3d|%+d", (long long)u, (unsigned long long)r1, (unsigned)r2,
             (int)(int32_t)r1, (int)(r2 % 2000) - 1000, (int)(int16_t)u);
    fprintf(f, "%s\n", buf);
  }
}

int main(int argc, char **argv) {
  const char *outdir = argc > 1 ? argv[1] : "build/out";
  static const char *const fmts[] = {"%.17g", "%.16g", "%.15g", "%g", "%.3f", "%.20g", "%.25e", "%.1f"};
  char path[512], buf[400];
  FILE *f;
  long i;
  known_values();
  known_formats();
  snprintf(path, sizeof path, "%s/printf.txt", outdir);
  f = fopen(path, "w");
  CHECK(f != NULL, "cannot write %s", path);
  if (f) {
    record_formats(f);
    fclose(f);
  }
  snprintf(path, sizeof path, "%s/strtod.txt", outdir);
  f = fopen(path, "w");
  CHECK(f != NULL, "cannot write %s", path);
  if (f) {
    for (i = 0; i < STRTOD_RANDOM; i++) {
      uint64_t u = next();
      double d;
      memcpy(&d, &u, sizeof d);
      if (!isfinite(d)) d = 1.5;
      /* one draw per statement: the order of calls within an expression is unspecified */
      uint64_t r1 = next(), r2 = next(), r3 = next(), r4 = next(), r5 = next();
      switch (i % 4) {
      case 0: /* any finite double, in one of the formats */
        snprintf(buf, sizeof buf, fmts[r1 % 8], d);
        break;
      case 1: /* integers of every size */
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)(r1 >> (r2 % 64)));
        break;
      case 2: /* short decimals with exponents, signs and trailing text */
        snprintf(buf, sizeof buf, "%s%llu.%llue%d%s", r1 % 2 ? "-" : "", (unsigned long long)(r2 % 100000),
                 (unsigned long long)(r3 % 10000000), (int)(r4 % 700) - 350, r5 % 3 ? "" : ",]");
        break;
      default: { /* an integer exactly halfway between two doubles (a tie), or one off it */
        int e = 53 + (int)(r1 % 11);
        uint64_t m = (r2 >> 11) | (UINT64_C(1) << 52), mid = (2 * m + 1) << (e - 53);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)(mid + (uint64_t)(r3 % 3) - 1));
        break;
      }
      }
      record(f, buf);
    }
    fclose(f);
  }
  printf("strtod tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed != 0;
}
