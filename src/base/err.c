/*
 * err.c — the error table and error objects (base layer).
 *
 * Codes and messages come from one X-macro list (HUB_ERRNO_MAP in base.h), so the codes the
 * page reads and the messages people read cannot drift apart. Error objects are built here,
 * at the bottom, so no layer has to call up to report a failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include "hub_int.h"

static const char *const err_codes[] = {
#define X(name, code, msg) code,
    HUB_ERRNO_MAP(X)
#undef X
};
static const char *const err_msgs[] = {
#define X(name, code, msg) msg,
    HUB_ERRNO_MAP(X)
#undef X
};

const char *hub__err_code(hub_err e) { return (unsigned)e < HUB_E__COUNT ? err_codes[e] : "unknown"; }
const char *hub__err_msg(hub_err e) { return (unsigned)e < HUB_E__COUNT ? err_msgs[e] : "unknown error"; }

cJSON *hub__error_field(hub_err e, const char *field, const char *detail) {
  cJSON *r = cJSON_CreateObject(), *err;
  if (!r) return NULL;
  err = cJSON_AddObjectToObject(r, "error");
  if (!err || !cJSON_AddStringToObject(err, "code", hub__err_code(e)) ||
      !cJSON_AddStringToObject(err, "message", detail && *detail ? detail : hub__err_msg(e)) ||
      (field && !cJSON_AddStringToObject(err, "field", field))) {
    cJSON_Delete(r);
    return NULL;
  }
  return r;
}

cJSON *hub__error_json(hub_err e, const char *detail) { return hub__error_field(e, NULL, detail); }

void hub__set_err(hub *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->errmsg, sizeof h->errmsg, fmt, ap);
  va_end(ap);
}
