/*
 * gfi.c — good-first-issue lists (placeholder until implemented:
 * plans nothing).
 */
#include "sync_int.h"

static int gfi_start(hub *h, hub__sync *s, int64_t now) {
  (void)h; (void)s; (void)now;
  return 0;
}

static int gfi_parse(hub *h, hub__sync *s, hub__task *t, const cJSON *body, const cJSON *headers,
                    int64_t now) {
  (void)s; (void)t; (void)body; (void)headers; (void)now;
  hub__set_err(h, "gfi: no task kinds yet");
  return -1;
}

const hub__source hub__gfi_source = {"gfi", gfi_start, gfi_parse, NULL, NULL, NULL};
