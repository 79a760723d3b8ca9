/*
 * fuzz_call.c — fuzz target "call" (test layer): arbitrary bytes into hub_call_n.
 *
 * The input is split at newlines into up to FZ_CALL_MAX requests, run in order on one
 * fresh ":memory:" hub, so one input can build state (settings, gfi_repos, tip feedback, a
 * sync run) and then read it. Each request is handed over in a buffer of exactly its length
 * (not NUL-terminated, as hub_call_n allows), so a read past its end is caught by ASan.
 * Checked on every request (fuzz.h): the reply is a JSON object, and read-only commands
 * change no rows. Long tip_simulate runs are skipped (see too_slow).
 *
 * FUZZ_CALL_REUSE=N (environment) keeps one hub for N inputs instead of one per input:
 * faster, but a crash may then depend on earlier inputs (not reproducible alone).
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

#ifndef FZ_CALL_MAX
#define FZ_CALL_MAX 32 /* requests per input */
#endif

/* tip_simulate is a CPU-bound simulator (its default run takes seconds under ASan; its cost
 * ceiling is issue 9 item 3): it is run only with small explicit sizes, so the fuzzer spends
 * its time on parsing rather than on simulations: it runs with explicit "steps" ≤ 20,
 * "users" ≤ 3 and "candidates" ≤ 20 (out-of-range values still reach the argument checks). */
static int too_slow(const char *req, size_t len) {
  char *copy = malloc(len + 1);
  cJSON *j, *cmd, *st, *us, *ca;
  int slow = 0;
  if (!copy) abort();
  memcpy(copy, req, len);
  copy[len] = 0;
  j = cJSON_ParseWithLength(copy, len); /* as hub_call_n reads it: NULs inside included */
  cmd = cJSON_GetObjectItemCaseSensitive(j, "cmd");
  if (cJSON_IsObject(j) && cJSON_IsString(cmd) && strcmp(cmd->valuestring, "tip_simulate") == 0) {
    st = cJSON_GetObjectItemCaseSensitive(j, "steps");
    us = cJSON_GetObjectItemCaseSensitive(j, "users");
    ca = cJSON_GetObjectItemCaseSensitive(j, "candidates");
    slow = !(cJSON_IsNumber(st) && st->valuedouble <= 20) || !(cJSON_IsNumber(us) && us->valuedouble <= 3) ||
           !(cJSON_IsNumber(ca) && ca->valuedouble <= 20);
  }
  cJSON_Delete(j);
  free(copy);
  return slow;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static hub *kept;
  static long reuse = -1, used;
  const uint8_t *p = data, *end = data + size;
  hub *h;
  int n = 0;
  if (reuse < 0) {
    const char *e = getenv("FUZZ_CALL_REUSE");
    reuse = e ? atol(e) : 1;
    if (reuse < 1) reuse = 1;
  }
  if (kept && used >= reuse) {
    hub_close(kept);
    kept = NULL;
  }
  if (!kept) {
    kept = fz_open();
    used = 0;
  }
  h = kept;
  used++;
  while (p < end && n < FZ_CALL_MAX) {
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((nl ? nl : end) - p);
    if (len && !too_slow((const char *)p, len)) {
      /* exactly len bytes, no terminator to lean on; while the one-byte over-read of cJSON
       * 1.7.15 is open (findings/call/cjson-object-overread), fuzz runs add a NUL after them */
      int pad = fz_open_ok("unterminated-request");
      char *req = malloc(len + (size_t)pad);
      if (!req) abort();
      memcpy(req, p, len);
      if (pad) req[len] = 0;
      cJSON_Delete(fz_call(h, req, len, NULL, NULL));
      free(req);
      n++;
    }
    p += len + 1;
  }
  if (reuse == 1) {
    hub_close(kept);
    kept = NULL;
  }
  return 0;
}
