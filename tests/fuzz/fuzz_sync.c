/*
 * fuzz_sync.c — fuzz target "sync" (test layer): sync runs of every source (GitHub, tangled,
 * the good-first-issue list) whose every planned request is answered from the fuzz input,
 * driven only through hub_call. The scenario and the input format are in sync_drive.h.
 */
#include <string.h>
#include "sync_drive.h"

static int holds(const uint8_t *p, size_t n, const char *s) {
  size_t k = strlen(s), i;
  for (i = 0; i + k <= n; i++)
    if (memcmp(p + i, s, k) == 0) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in;
  /* an upstream that echoes the token is not a leak: the token rule holds when it is not in the input */
  int check = !holds(data, size, FZ_TOKEN);
  in.p = data;
  in.n = size;
  fz_sync_drive(&in, NULL, check);
  return 0;
}
