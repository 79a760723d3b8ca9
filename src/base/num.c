/*
 * num.c — numbers that come from outside (requests, headers, bodies), taken safely (base
 * layer). A JSON number is a double; casting one that is NaN, infinite or out of range to an
 * integer is undefined behaviour, and so is a signed ×1000 that overflows. Every such number
 * in the core passes through these helpers.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "base/base.h"

int hub__num_in(double v, int64_t lo, int64_t hi, int64_t *out) {
  if (!isfinite(v) || v < (double)lo || v > (double)hi) return -1;
  /* (double)hi may round up past hi (e.g. INT64_MAX): guard the conversion itself */
  if (v >= 9223372036854775807.0) {
    *out = hi;
    return 0;
  }
  *out = (int64_t)v;
  if (*out < lo) *out = lo;
  if (*out > hi) *out = hi;
  return 0;
}

int64_t hub__num_clamp(double v, int64_t lo, int64_t hi) {
  int64_t r;
  if (isnan(v) || v <= (double)lo) return lo;
  if (v >= (double)hi) return hi;
  r = (int64_t)v;
  return r < lo ? lo : (r > hi ? hi : r);
}

int64_t hub__add_sat(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

int64_t hub__mul_sat(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
            : (b > 0 ? a < INT64_MIN / b : a < INT64_MAX / b))
    return (a > 0) == (b > 0) ? INT64_MAX : INT64_MIN;
  return a * b;
}

int hub__parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  int64_t v = 0;
  int neg = 0, digits = 0;
  if (!s) return -1;
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  for (; isdigit((unsigned char)*s); s++, digits++) {
    int d = *s - '0';
    if (v > (INT64_MAX - d) / 10) return -1; /* beyond any sane bound */
    v = v * 10 + d;
  }
  while (*s == ' ' || *s == '\t') s++;
  if (!digits || *s) return -1;
  if (neg) v = -v;
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int hub__json_int(const cJSON *o, const char *k, int64_t lo, int64_t hi, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsNumber(v) || hub__num_in(v->valuedouble, lo, hi, out)) return -1;
  return 1;
}

const char *hub__json_str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}
