/*
 * llm_curl.c — the libcurl driver of the LLM client: performs one planned request with the
 * per-call timeout, feeds the answer to hub_llm_read, and runs a whole call with the retry
 * policy. Native driver layer (src/server/); the sans-I/O half is llm.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "hub_int.h"
#include "llm.h"
#include "transport.h"

#define MAX_HEADER_LINE 8192
#define MAX_RESP_HEADERS 64

typedef struct {
  hub__buf body;
  int over;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  sink *s = ud;
  size_t add = size * n;
  if (s->body.len + add > HUB_LLM_MAX_BODY) {
    s->over = 1;
    return 0; /* aborts the transfer */
  }
  hub__buf_add(&s->body, data, add);
  return s->body.failed ? 0 : add;
}

/* Collects response headers as lowercase name -> value (the last one wins), forgetting those
 * of an earlier response (100-continue, redirects are off). */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  cJSON *headers = ud;
  size_t len = size * n, i, klen, vlen;
  const char *colon = memchr(data, ':', len), *v;
  char name[64], *value;
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    while (headers->child) cJSON_DeleteItemFromArray(headers, 0);
    return len;
  }
  if (!colon) return len;
  klen = (size_t)(colon - data);
  if (klen == 0 || klen >= sizeof name || cJSON_GetArraySize(headers) >= MAX_RESP_HEADERS) return len;
  for (i = 0; i < klen; i++) name[i] = (char)tolower((unsigned char)data[i]);
  name[klen] = 0;
  v = colon + 1;
  while (v < data + len && (*v == ' ' || *v == '\t')) v++;
  vlen = (size_t)(data + len - v);
  while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) vlen--;
  if (vlen > MAX_HEADER_LINE) return len;
  value = hub__strndup(v, vlen);
  if (!value) return 0;
  cJSON_DeleteItemFromObjectCaseSensitive(headers, name);
  cJSON_AddStringToObject(headers, name, value);
  hub_free(value);
  return len;
}

void hub_llm_perform(const hub_llm_config *cfg, const hub_llm_task *t, const hub_llm_request *rq,
                     hub_llm_result *out) {
  cJSON *rh = cJSON_CreateObject();
  const cJSON *h;
  struct curl_slist *list = NULL;
  CURL *c = NULL;
  sink s;
  char errbuf[CURL_ERROR_SIZE] = "", line[MAX_HEADER_LINE];
  long status = 0;
  CURLcode rc;
  hub__buf_init(&s.body, HUB_LLM_MAX_BODY);
  s.over = 0;
  if (!rh || !rq || !rq->url || !rq->body) {
    hub_llm_fail(out, HUB_LLM_NETWORK, 0, "out of memory or no request");
    goto done;
  }
  cJSON_ArrayForEach(h, rq->headers) {
    struct curl_slist *nl;
    if (!cJSON_IsString(h)) continue;
    snprintf(line, sizeof line, "%s: %s", h->string, h->valuestring);
    nl = curl_slist_append(list, line);
    memset(line, 0, sizeof line); /* may hold the key */
    if (!nl) {
      hub_llm_fail(out, HUB_LLM_NETWORK, 0, "out of memory");
      goto done;
    }
    list = nl;
  }
  c = curl_easy_init();
  if (!c) {
    hub_llm_fail(out, HUB_LLM_NETWORK, 0, "curl_easy_init failed");
    goto done;
  }
  curl_easy_setopt(c, CURLOPT_URL, rq->url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hubd/0.1 (+libcurl)");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, rh);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* never carry the key elsewhere */
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg && cfg->timeout_ms > 0 ? cfg->timeout_ms : (long)HUB_LLM_TIMEOUT_MS);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg && cfg->timeout_ms > 0 && cfg->timeout_ms < 10000 ? cfg->timeout_ms : 10000L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_WRITE_ERROR && s.over) {
    hub_llm_read(cfg, t, (int)status, rh, NULL, 0, hub_now_ms(), out);
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    char msg[HUB_LLM_MSG];
    snprintf(msg, sizeof msg, "%s: timeout: no answer within %ld ms", cfg ? hub_llm_provider_name(cfg->provider) : "llm",
             cfg ? cfg->timeout_ms : (long)HUB_LLM_TIMEOUT_MS);
    hub_llm_fail(out, HUB_LLM_TIMEOUT, 0, msg);
  } else if (rc != CURLE_OK || s.body.failed) {
    char msg[HUB_LLM_MSG];
    snprintf(msg, sizeof msg, "%s: network: %.200s", cfg ? hub_llm_provider_name(cfg->provider) : "llm",
             s.body.failed ? "out of memory" : errbuf[0] ? errbuf : curl_easy_strerror(rc));
    hub_llm_fail(out, HUB_LLM_NETWORK, 0, msg);
  } else {
    hub_llm_read(cfg, t, (int)status, rh, s.body.p ? s.body.p : "", s.body.len, hub_now_ms(), out);
  }
done:
  if (c) curl_easy_cleanup(c);
  curl_slist_free_all(list);
  cJSON_Delete(rh);
  hub__buf_free(&s.body);
}

static void sleep_real(void *ud, int64_t ms) {
  struct timespec ts;
  (void)ud;
  if (ms <= 0) return;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

int hub_llm_call(const hub_llm_config *cfg, const hub_llm_task *t, hub_llm_sleep_fn sleep, void *ud,
                 hub_llm_result *out) {
  hub_llm_request rq;
  char err[HUB_LLM_MSG];
  int attempt = 0;
  if (hub_llm_plan(cfg, t, &rq, err, sizeof err)) {
    hub_llm_fail(out, HUB_LLM_REQUEST, 0, err);
    return 0;
  }
  for (;;) {
    int64_t wait;
    hub_llm_perform(cfg, t, &rq, out);
    attempt++;
    wait = hub_llm_retry_delay(out, attempt);
    if (wait < 0) break;
    hub_llm_result_free(out);
    (sleep ? sleep : sleep_real)(ud, wait);
  }
  hub_llm_request_free(&rq);
  return attempt;
}
