/*
 * fuzz_llm.c — fuzz target "llm" (test layer): what an LLM provider answers, through hubd's
 * reader (src/server/llm.c, hub_llm_read) and the core's briefing validator
 * (src/brief, hub__schema_validate), with the briefing's schema as hubd asks for it.
 *
 * Input: byte 0 picks the provider shape (OpenAI, Ollama, Anthropic) and the header's name
 * (Retry-After or retry-after-ms), bytes 1–2 the HTTP status, then that header's value up to
 * the first newline (no newline: no header), then the body (the rest, handed over with its
 * length and no NUL after it, as libcurl's buffer would be).
 * Checked on every input:
 *   - the result is one of the kinds, with a NUL-terminated message that never holds the key;
 *     retry_after_ms is -1 or within [0, HUB_LLM_RETRY_AFTER_MAX_MS]; token counts are -1 or ≥ 0;
 *   - HUB_LLM_OK comes with an object that satisfies the strict schema sent to the provider;
 *   - the body read as JSON, when it is an object: what the core's validator accepts (what
 *     brief_llm would store) also satisfies the schema sent to the provider — the two
 *     validators never disagree in the core's favour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "brief/brief.h"
#include "fuzz.h"
#include "server/brief_llm.h"
#include "server/llm.h"

#define FZ_LLM_KEY "sk-fuzz-SECRET-7f3a"

static const char *const keys[] = {"github.com/o/a#1", "github.com/o/a#2", "tangled.org/p/q#3"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static cJSON *schema;
  static const hub_llm_provider shapes[] = {HUB_LLM_OPENAI, HUB_LLM_OLLAMA, HUB_LLM_ANTHROPIC};
  hub_llm_config cfg;
  hub_llm_task t;
  hub_llm_result r;
  cJSON *headers = NULL, *direct;
  const uint8_t *nl;
  char err[256], *ra = NULL, *body;
  size_t n;
  int status, ms;
  if (size < 3) return 0;
  if (!schema && !(schema = hubd_llm_schema("briefing", keys, 3))) fz_fail("llm: no briefing schema");
  memset(&cfg, 0, sizeof cfg);
  cfg.provider = shapes[data[0] % 3];
  ms = data[0] / 3 % 2;
  cfg.base_url = (char *)"http://127.0.0.1:9";
  cfg.model = (char *)"m";
  cfg.api_key = (char *)FZ_LLM_KEY;
  cfg.timeout_ms = 1000;
  memset(&t, 0, sizeof t);
  t.system = "s";
  t.user = "u";
  t.schema_name = "briefing";
  t.schema = schema;
  t.max_tokens = 1000;
  status = (int)(data[1] | (unsigned)data[2] << 8) % 600;
  data += 3;
  size -= 3;
  nl = memchr(data, '\n', size);
  if (nl) {
    n = (size_t)(nl - data);
    ra = malloc(n + 1);
    if (!ra) abort();
    memcpy(ra, data, n);
    ra[n] = 0;
    headers = cJSON_CreateObject();
    if (!headers || !cJSON_AddStringToObject(headers, ms ? "retry-after-ms" : "Retry-After", ra)) abort();
    data += n + 1;
    size -= n + 1;
  }
  body = malloc(size ? size : 1); /* exactly the body: a read past it is caught by ASan */
  if (!body) abort();
  if (size) memcpy(body, data, size);
  memset(&r, 0, sizeof r);
  hub_llm_read(&cfg, &t, status, headers, body, size, 1764547200000LL, &r);

  if ((int)r.kind < 0 || r.kind >= HUB_LLM_KIND__COUNT) fz_fail("llm: kind %d out of range", (int)r.kind);
  if (!memchr(r.message, 0, sizeof r.message)) fz_fail("llm: message not terminated");
  if (strstr(r.message, FZ_LLM_KEY)) fz_fail("llm: the key is in the message: %s", r.message);
  if (r.retry_after_ms < -1 || r.retry_after_ms > HUB_LLM_RETRY_AFTER_MAX_MS)
    fz_fail("llm: retry_after_ms %lld", (long long)r.retry_after_ms);
  if (r.input_tokens < -1 || r.output_tokens < -1) fz_fail("llm: negative token counts");
  if ((r.kind == HUB_LLM_OK) != (r.output != NULL)) fz_fail("llm: kind %s with output %p", hub_llm_kind_code(r.kind), (void *)r.output);
  if (r.output) {
    if (!cJSON_IsObject(r.output)) fz_fail("llm: ok with an output that is not an object");
    if (hub_llm_schema_validate(schema, r.output, err, sizeof err) != 0)
      fz_fail("llm: ok with an output the schema refuses: %s", err);
  }
  hub_llm_result_free(&r);
  /* the body as the briefing itself: whatever the core accepts, the sent schema accepts */
  direct = cJSON_ParseWithLength(body, size);
  if (cJSON_IsObject(direct) &&
      hub__schema_validate(hub__schema_find("briefing"), direct, keys, 3, err, sizeof err) == 0 &&
      hub_llm_schema_validate(schema, direct, err, sizeof err) != 0)
    fz_fail("llm: the core accepts a briefing the schema refuses: %s", err);
  cJSON_Delete(direct);
  cJSON_Delete(headers);
  free(ra);
  free(body);
  return 0;
}
