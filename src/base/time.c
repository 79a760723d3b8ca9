/*
 * time.c — timestamps as GitHub, PDSes and HTTP write them (base layer). Pure functions: the
 * core never reads the clock; "now" is always passed in.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "base/base.h"

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


int hub__parse_http_date(const char *s, int64_t *out) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char mon[4], gmt[4], wd[4];
  int d, y, hh, mm, ss, n = 0, i;
  if (!s || strlen(s) > 64) return -1;
  /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
  if (sscanf(s, "%3s %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &d, mon, &y, &hh, &mm, &ss, gmt, &n) != 8 ||
      s[n] != 0 || strcmp(gmt, "GMT") != 0 || wd[2] == 0)
    return -1;
  for (i = 0; i < 12; i++)
    if (strncmp(months + i * 3, mon, 3) == 0) break;
  if (i == 12 || d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 || ss > 60) return -1;
  *out = days_from_civil(y, i + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
  return 0;
}
