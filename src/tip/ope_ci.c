/*
 * ope_ci.c — bootstrap confidence intervals for the off-policy estimates (tip layer; pure:
 * no database, no clock). See tip/insight.h for the method.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tip/insight.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

double hub__quantile(const double *v, long n, double q) {
  double pos, frac;
  long i;
  if (n <= 1) return v[0];
  if (q <= 0) return v[0];
  if (q >= 1) return v[n - 1];
  pos = q * (double)(n - 1);
  i = (long)floor(pos);
  frac = pos - (double)i;
  return i + 1 < n ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

/* The interval of the m values in v (sorted here) at level. */
static hub__ci interval(double *v, long m, double level) {
  hub__ci c = {0, 0, 0};
  if (m < 1) return c;
  qsort(v, (size_t)m, sizeof *v, cmp_double);
  c.lo = hub__quantile(v, m, (1.0 - level) / 2.0);
  c.hi = hub__quantile(v, m, (1.0 + level) / 2.0);
  c.ok = 1;
  return c;
}

/* One resample of rows: its three estimates; a replay with no match is NaN. */
static void resample(const hub__ope_row *rows, long n, uint64_t *rng, double *rep, double *ipw, double *sn) {
  double sw = 0, swr = 0, mr = 0;
  long i, m = 0;
  for (i = 0; i < n; i++) {
    long j = (long)(hub__tip_unif(rng) * (double)n);
    const hub__ope_row *r = &rows[j < n ? j : n - 1];
    double w = r->pi / r->p;
    sw += w;
    swr += w * r->r;
    if (r->target == r->a) {
      m++;
      mr += r->r;
    }
  }
  *ipw = swr / (double)n;
  *sn = sw > 0 ? swr / sw : NAN;
  *rep = m ? mr / (double)m : NAN;
}

int hub__ope_bootstrap(const hub__ope_row *rows, long n, int resamples, double level, uint64_t seed,
                       hub__ope_ci *out) {
  double *v = NULL, *rep, *ipw, *sn;
  long b, nrep = 0, nipw = 0, nsn = 0, B;
  uint64_t rng;
  memset(out, 0, sizeof *out);
  if (resamples < 1 || resamples > HUB_BOOT_MAX_RESAMPLES || !(level > 0 && level < 1) || n < 0) return -1;
  if (n == 0) return 0;
  B = resamples;
  if ((double)B * (double)n > (double)HUB_BOOT_MAX_WORK) B = HUB_BOOT_MAX_WORK / n > 1 ? HUB_BOOT_MAX_WORK / n : 1;
  v = hub__malloc((size_t)B * 3 * sizeof *v);
  if (!v) return -1;
  rep = v;
  ipw = v + B;
  sn = v + 2 * B;
  rng = hub__mix64(seed) | 1u;
  for (b = 0; b < B; b++) {
    double r, i, s;
    resample(rows, n, &rng, &r, &i, &s);
    if (isfinite(r)) rep[nrep++] = r;
    if (isfinite(i)) ipw[nipw++] = i;
    if (isfinite(s)) sn[nsn++] = s;
  }
  out->replay = interval(rep, nrep, level);
  out->ipw = interval(ipw, nipw, level);
  out->snipw = interval(sn, nsn, level);
  out->resamples = (int)B;
  hub_free(v);
  return 0;
}
