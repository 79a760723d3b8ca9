/*
 * fuzz_obd.c — fuzz target "obd" (test layer): the Open Bandit Dataset CSV evaluator through
 * the command API, {"cmd":"tip_eval","source":"obd","csv":...}.
 *
 * Input: the last four bytes choose the policy (uniform, affinity, item:K, or a policy string
 * from the input), "position", "seed" and "actions" (each absent or one value from a table,
 * odd ones included); the rest of the input is the CSV text. Checked: the reply is a JSON
 * object; a result's estimates are finite numbers and its counts agree (matched ≤ events).
 * tip_eval over an OBD CSV reads and writes no stored state, so one hub serves every input
 * (checked: the command changes no rows).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static const char *const positions[] = {NULL, "0", "1", "2", "3", "-1", "2.5", "1e300", "2147483648"};
static const char *const seeds[] = {NULL, "0", "1", "7", "-5", "1e300", "18446744073709551615", "0.5"};
static const char *const actions[] = {NULL, "1", "2", "34", "80", "1000", "1001", "0", "-1", "1e300"};
#define N(a) ((unsigned)(sizeof a / sizeof a[0]))

static void add_num(fz_buf *b, const char *key, const char *v) {
  if (v) fz_addf(b, ",\"%s\":%s", key, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in;
  fz_buf b = {0};
  unsigned pol, pos, seed, act;
  static hub *h;
  long long before;
  cJSON *r;
  in.p = data;
  in.n = size;
  pol = fz_u8(&in);
  pos = fz_pick(&in, N(positions));
  seed = fz_pick(&in, N(seeds));
  act = fz_pick(&in, N(actions));
  fz_adds(&b, "{\"cmd\":\"tip_eval\",\"source\":\"obd\",\"policy\":");
  switch (pol % 4) {
  case 0: fz_adds(&b, "\"uniform\""); break;
  case 1: fz_adds(&b, "\"affinity\""); break;
  case 2: fz_addf(&b, "\"item:%u\"", pol / 4); break;
  default: {
    size_t n;
    char *p = fz_str(&in, 64, &n);
    fz_add_json_str(&b, p, n);
    free(p);
  }
  }
  add_num(&b, "position", positions[pos]);
  add_num(&b, "seed", seeds[seed]);
  add_num(&b, "actions", actions[act]);
  fz_adds(&b, ",\"csv\":");
  fz_add_json_str(&b, (const char *)in.p, in.n);
  fz_adds(&b, "}");
  if (!h) h = fz_open();
  before = fz_changes();
  r = fz_call(h, b.p, b.len, NULL, NULL);
  if (fz_changes() != before) fz_fail("tip_eval over a CSV changed rows");
  if (!cJSON_GetObjectItemCaseSensitive(r, "error")) {
    static const char *const est[] = {"ipw", "snipw", "replay", "logged"};
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "events"), *m = cJSON_GetObjectItemCaseSensitive(r, "matched");
    size_t i;
    for (i = 0; i < N(est); i++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, est[i]);
      if (v && (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))) fz_fail("estimate %s is not a finite number", est[i]);
    }
    if (cJSON_IsNumber(ev) && cJSON_IsNumber(m) && (m->valuedouble > ev->valuedouble || m->valuedouble < 0))
      fz_fail("matched %g of %g events", m->valuedouble, ev->valuedouble);
  }
  cJSON_Delete(r);
  fz_buf_free(&b);
  return 0;
}
