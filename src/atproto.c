/*
 * atproto.c — the tangled.org source over AT Protocol (placeholder until implemented:
 * plans nothing).
 */
#include "sync_int.h"

static int tg_start(hub *h, hub__sync *s, int64_t now) {
  (void)h; (void)s; (void)now;
  return 0;
}

static int tg_parse(hub *h, hub__sync *s, hub__task *t, const cJSON *body, const cJSON *headers,
                    int64_t now) {
  (void)s; (void)t; (void)body; (void)headers; (void)now;
  hub__set_err(h, "tangled: no task kinds yet");
  return -1;
}

const hub__source hub__tangled_source = {"tangled", tg_start, tg_parse, NULL, NULL, NULL};
