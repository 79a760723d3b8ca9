/*
 * strtod_test.c — strtod() as the core and cJSON see it: the C library's natively, and
 * wasm/strtod.c in the wasm build (test layer). Both builds run this file; each checks
 * values known to the bit, and writes every result for a large set of inputs to
 * OUTDIR/strtod.txt, which run_tests.sh's same-rows suite compares between the builds (so
 * the wasm strtod must agree with the C library's bit for bit, and in where it stops).
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

int main(int argc, char **argv) {
  const char *outdir = argc > 1 ? argv[1] : "build/out";
  static const char *const fmts[] = {"%.17g", "%.16g", "%.15g", "%g", "%.3f", "%.20g", "%.25e", "%.1f"};
  char path[512], buf[400];
  FILE *f;
  long i;
  known_values();
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
