/*
 * fake_llm.c — a fake LLM provider on 127.0.0.1 (libmicrohttpd) for tests: answers the
 * OpenAI chat-completions, Ollama /api/chat and Anthropic Messages shapes, in a mode chosen
 * by the test, and records every provider request it receives.
 *
 * usage: fake_llm [--port N (0 = random)] [--port-file F]
 *   prints "listening on http://127.0.0.1:PORT" once ready; runs until SIGTERM/SIGINT.
 * Provider routes (POST): /v1/chat/completions and /chat/completions (openai), /api/chat
 * (ollama), /v1/messages (anthropic).
 * Control routes (never recorded):
 *   POST /_mode {"mode": M, "reply": {...}, "item": "key", "count": N, "hang_ms": MS,
 *                "retry_after": "2"}   sets the mode (and what it uses); with count the mode
 *                lasts N provider requests, then "good" comes back. Omitted fields keep
 *                their value, except count (default: until changed).
 *   GET /_log    {"requests": [{"method", "path", "headers": {lowercase name: value},
 *                "body": "raw text"}]}, oldest first
 *   POST /_reset clears the log and returns to mode good with the default reply
 * A request header "X-Fake-Mode: M" overrides the mode for that request only.
 * Modes: good (the reply object), violate_schema (the reply minus its first property plus
 * an unexpected one), invent_item (every "item"/"key" string of the reply replaced by the
 * given item key), truncate, refuse, prose (text instead of JSON), rate_limit (429 +
 * retry-after), server_error (500), overloaded (Anthropic 529 overloaded_error; 503 for the
 * others), quota (OpenAI 429 insufficient_quota; Anthropic 400 credit balance; Ollama 429
 * spend limit), auth (401; the OpenAI shape echoes the key it got, as a careless proxy
 * might), hang (sleeps hang_ms, default 10 s, before answering good), not_json (200 with an
 * HTML page).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#define MAX_BODY (4u * 1024u * 1024u) /* largest request body accepted */
#define LOG_CAP 500                    /* requests kept in the log */
#define MAX_MODE 32
#define MAX_ITEM 256

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char g_mode[MAX_MODE] = "good";
static cJSON *g_reply;            /* the object "good" answers with */
static char g_item[MAX_ITEM] = "invented/repo#999";
static char g_retry_after[64] = "2";
static long g_count = -1;         /* provider requests left in g_mode; -1: until changed */
static long g_hang_ms = 10000;
static cJSON *g_log;              /* array of recorded requests */
static volatile sig_atomic_t stopping;
static int wake_pipe[2] = {-1, -1};

static const char *const modes[] = {"good",        "violate_schema", "invent_item", "truncate", "refuse",
                                    "prose",       "rate_limit",     "server_error", "overloaded", "quota",
                                    "auth",        "hang",           "not_json"};

static int known_mode(const char *m) {
  size_t i;
  for (i = 0; m && i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp(m, modes[i]) == 0) return 1;
  return 0;
}

static cJSON *default_reply(void) { return cJSON_Parse("{\"answer\":\"ok\"}"); }

/* ---- per-connection state ------------------------------------------------------------ */

typedef struct {
  char *body;
  size_t len, cap;
  int too_big;
} conn;

static int conn_add(conn *c, const char *data, size_t n) {
  if (c->len + n > MAX_BODY) {
    c->too_big = 1;
    return 0;
  }
  if (c->len + n + 1 > c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    char *p;
    while (cap < c->len + n + 1) cap *= 2;
    p = realloc(c->body, cap);
    if (!p) return -1;
    c->body = p;
    c->cap = cap;
  }
  memcpy(c->body + c->len, data, n);
  c->len += n;
  c->body[c->len] = 0;
  return 0;
}

/* ---- responses ----------------------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *body, const char *ctype,
                                 const char *retry_after) {
  struct MHD_Response *r;
  enum MHD_Result ret;
  void *data;
  memcpy(&data, &body, sizeof data); /* MUST_COPY: MHD only reads it */
  r = MHD_create_response_from_buffer(strlen(body), data, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", ctype);
  if (retry_after) MHD_add_response_header(r, "Retry-After", retry_after);
  ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Sends o (deleted) as JSON. */
static enum MHD_Result send_obj(struct MHD_Connection *c, unsigned status, cJSON *o, const char *retry_after) {
  char *s = o ? cJSON_PrintUnformatted(o) : NULL;
  enum MHD_Result ret;
  cJSON_Delete(o);
  if (!s) return send_text(c, 500, "{\"error\":\"fake_llm: out of memory\"}", "application/json", NULL);
  ret = send_text(c, status, s, "application/json", retry_after);
  free(s);
  return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const char *json) {
  return send_text(c, status, json, "application/json", NULL);
}

/* ---- the three shapes ------------------------------------------------------------------ */

typedef enum { OPENAI, OLLAMA, ANTHROPIC } shape;

static cJSON *openai_answer(const char *model, const char *content, const char *refusal, const char *finish) {
  cJSON *o = cJSON_CreateObject(), *ch = cJSON_AddArrayToObject(o, "choices"), *c0 = cJSON_CreateObject(), *m, *u;
  cJSON_AddStringToObject(o, "id", "chatcmpl-fake");
  cJSON_AddStringToObject(o, "object", "chat.completion");
  cJSON_AddNumberToObject(o, "created", 1700000000);
  cJSON_AddStringToObject(o, "model", model);
  cJSON_AddItemToArray(ch, c0);
  cJSON_AddNumberToObject(c0, "index", 0);
  m = cJSON_AddObjectToObject(c0, "message");
  cJSON_AddStringToObject(m, "role", "assistant");
  if (content) cJSON_AddStringToObject(m, "content", content);
  else cJSON_AddNullToObject(m, "content");
  if (refusal) cJSON_AddStringToObject(m, "refusal", refusal);
  else cJSON_AddNullToObject(m, "refusal");
  cJSON_AddStringToObject(c0, "finish_reason", finish);
  u = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(u, "prompt_tokens", 42);
  cJSON_AddNumberToObject(u, "completion_tokens", 7);
  cJSON_AddNumberToObject(u, "total_tokens", 49);
  return o;
}

static cJSON *ollama_answer(const char *model, const char *content, const char *done_reason) {
  cJSON *o = cJSON_CreateObject(), *m;
  cJSON_AddStringToObject(o, "model", model);
  cJSON_AddStringToObject(o, "created_at", "2024-01-01T00:00:00Z");
  m = cJSON_AddObjectToObject(o, "message");
  cJSON_AddStringToObject(m, "role", "assistant");
  cJSON_AddStringToObject(m, "content", content);
  cJSON_AddTrueToObject(o, "done");
  cJSON_AddStringToObject(o, "done_reason", done_reason);
  cJSON_AddNumberToObject(o, "prompt_eval_count", 42);
  cJSON_AddNumberToObject(o, "eval_count", 7);
  return o;
}

/* blocks: an array (taken). */
static cJSON *anthropic_answer(const char *model, cJSON *blocks, const char *stop_reason) {
  cJSON *o = cJSON_CreateObject(), *u;
  cJSON_AddStringToObject(o, "id", "msg_fake");
  cJSON_AddStringToObject(o, "type", "message");
  cJSON_AddStringToObject(o, "role", "assistant");
  cJSON_AddStringToObject(o, "model", model);
  cJSON_AddItemToObject(o, "content", blocks);
  cJSON_AddStringToObject(o, "stop_reason", stop_reason);
  cJSON_AddNullToObject(o, "stop_sequence");
  u = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(u, "input_tokens", 42);
  cJSON_AddNumberToObject(u, "output_tokens", 7);
  return o;
}

static cJSON *text_block(const char *text) {
  cJSON *a = cJSON_CreateArray(), *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "type", "text");
  cJSON_AddStringToObject(b, "text", text);
  cJSON_AddItemToArray(a, b);
  return a;
}

/* input: taken. */
static cJSON *tool_block(const char *name, cJSON *input) {
  cJSON *a = cJSON_CreateArray(), *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "type", "tool_use");
  cJSON_AddStringToObject(b, "id", "toolu_fake");
  cJSON_AddStringToObject(b, "name", name);
  cJSON_AddItemToObject(b, "input", input);
  cJSON_AddItemToArray(a, b);
  return a;
}

/* An error body in the provider's shape. */
static cJSON *error_body(shape sh, const char *type, const char *code, const char *message) {
  cJSON *o = cJSON_CreateObject(), *e;
  if (sh == OLLAMA) {
    cJSON_AddStringToObject(o, "error", message);
    return o;
  }
  if (sh == ANTHROPIC) cJSON_AddStringToObject(o, "type", "error");
  e = cJSON_AddObjectToObject(o, "error");
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddStringToObject(e, "message", message);
  if (sh == OPENAI) {
    cJSON_AddNullToObject(e, "param");
    if (code) cJSON_AddStringToObject(e, "code", code);
    else cJSON_AddNullToObject(e, "code");
  }
  return o;
}

/* Replaces every string member named "item" or "key" (at any depth) with item; returns how
 * many were replaced. */
static int invent(cJSON *o, const char *item) {
  cJSON *e;
  int n = 0;
  cJSON_ArrayForEach(e, o) {
    if (cJSON_IsString(e) && e->string && (strcmp(e->string, "item") == 0 || strcmp(e->string, "key") == 0)) {
      cJSON_SetValuestring(e, item);
      n++;
    } else if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
      n += invent(e, item);
    }
  }
  return n;
}

static void sleep_ms(long ms) {
  struct timespec ts = {0, 50 * 1000000L};
  for (; ms > 0 && !stopping; ms -= 50) nanosleep(&ts, NULL);
}

/* Answers one provider request in mode m; reply is the configured object (taken). */
static enum MHD_Result answer(struct MHD_Connection *c, shape sh, const char *mode, cJSON *reply, const cJSON *req,
                              const char *item, const char *retry_after, long hang_ms, const char *auth) {
  const cJSON *mj = cJSON_GetObjectItemCaseSensitive(req, "model");
  const char *model = cJSON_IsString(mj) ? mj->valuestring : "fake-model";
  const cJSON *tc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "tool_choice"), "name");
  const char *tool = cJSON_IsString(tc) ? tc->valuestring : "answer";
  cJSON *out = NULL;
  char *text = NULL;
  unsigned status = 200;
  const char *ra = NULL;
  enum MHD_Result ret;
  if (strcmp(mode, "hang") == 0) {
    sleep_ms(hang_ms);
    mode = "good";
  }
  if (strcmp(mode, "violate_schema") == 0) {
    if (reply->child) cJSON_DeleteItemFromArray(reply, 0);
    cJSON_AddStringToObject(reply, "unexpected_field", "injected");
    mode = "good";
  } else if (strcmp(mode, "invent_item") == 0) {
    if (!invent(reply, item)) cJSON_AddStringToObject(reply, "item", item);
    mode = "good";
  }
  text = cJSON_PrintUnformatted(reply);
  if (!text) {
    cJSON_Delete(reply);
    return send_json(c, 500, "{\"error\":\"fake_llm: out of memory\"}");
  }
  if (strcmp(mode, "good") == 0) {
    if (sh == OPENAI) out = openai_answer(model, text, NULL, "stop");
    else if (sh == OLLAMA) out = ollama_answer(model, text, "stop");
    else {
      out = anthropic_answer(model, tool_block(tool, reply), "tool_use");
      reply = NULL;
    }
  } else if (strcmp(mode, "truncate") == 0) {
    text[strlen(text) / 2] = 0;
    if (sh == OPENAI) out = openai_answer(model, text, NULL, "length");
    else if (sh == OLLAMA) out = ollama_answer(model, text, "length");
    else out = anthropic_answer(model, tool_block(tool, cJSON_CreateObject()), "max_tokens");
  } else if (strcmp(mode, "refuse") == 0) {
    static const char sorry[] = "I'm sorry, but I can't help with that request.";
    if (sh == OPENAI) out = openai_answer(model, NULL, sorry, "stop");
    else if (sh == OLLAMA) out = ollama_answer(model, sorry, "stop");
    else out = anthropic_answer(model, text_block(sorry), "refusal");
  } else if (strcmp(mode, "prose") == 0) {
    static const char prose[] = "Sure! Here is what matters today: review the pull request first.";
    if (sh == OPENAI) out = openai_answer(model, prose, NULL, "stop");
    else if (sh == OLLAMA) out = ollama_answer(model, prose, "stop");
    else out = anthropic_answer(model, text_block(prose), "end_turn");
  } else if (strcmp(mode, "rate_limit") == 0) {
    status = 429;
    ra = retry_after;
    out = error_body(sh, sh == ANTHROPIC ? "rate_limit_error" : "requests", "rate_limit_exceeded",
                     sh == OLLAMA ? "too many requests" : "Rate limit reached for requests per minute. Please try again later.");
  } else if (strcmp(mode, "server_error") == 0) {
    status = 500;
    out = error_body(sh, sh == ANTHROPIC ? "api_error" : "server_error", NULL,
                     sh == OLLAMA ? "internal server error" : "The server had an error while processing your request.");
  } else if (strcmp(mode, "overloaded") == 0) {
    status = sh == ANTHROPIC ? 529 : 503;
    out = error_body(sh, sh == ANTHROPIC ? "overloaded_error" : "server_error", NULL,
                     sh == ANTHROPIC ? "Overloaded" : "server busy, please try again. maximum pending requests exceeded");
  } else if (strcmp(mode, "quota") == 0) {
    if (sh == OPENAI) {
      status = 429;
      out = error_body(sh, "insufficient_quota", "insufficient_quota",
                       "You exceeded your current quota, please check your plan and billing details.");
    } else if (sh == ANTHROPIC) {
      status = 400;
      out = error_body(sh, "invalid_request_error", NULL,
                       "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to "
                       "upgrade or purchase credits.");
    } else {
      status = 429;
      out = error_body(sh, NULL, NULL, "enforced_spend_limit_reached: you have reached your monthly spend limit");
    }
  } else if (strcmp(mode, "auth") == 0) {
    char msg[600];
    status = 401;
    snprintf(msg, sizeof msg, "Incorrect API key provided: %.500s.", auth ? auth : "(none)");
    if (sh == OPENAI) out = error_body(sh, "invalid_request_error", "invalid_api_key", msg);
    else if (sh == ANTHROPIC) out = error_body(sh, "authentication_error", NULL, "invalid x-api-key");
    else out = error_body(sh, NULL, NULL, "unauthorized");
  } else if (strcmp(mode, "not_json") == 0) {
    cJSON_Delete(reply);
    free(text);
    return send_text(c, 200, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", NULL);
  }
  cJSON_Delete(reply);
  free(text);
  ret = send_obj(c, status, out, ra);
  return ret;
}

/* ---- request handling ------------------------------------------------------------------ */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  cJSON *h = cls;
  char name[128];
  size_t i;
  (void)kind;
  if (!key || !value || strlen(key) >= sizeof name) return MHD_YES;
  for (i = 0; key[i]; i++) name[i] = (char)tolower((unsigned char)key[i]);
  name[i] = 0;
  cJSON_DeleteItemFromObjectCaseSensitive(h, name);
  cJSON_AddStringToObject(h, name, value);
  return MHD_YES;
}

static enum MHD_Result set_mode(struct MHD_Connection *c, const conn *cs) {
  cJSON *o = cs->body ? cJSON_Parse(cs->body) : NULL;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "mode"), *r = cJSON_GetObjectItemCaseSensitive(o, "reply");
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "item"), *n = cJSON_GetObjectItemCaseSensitive(o, "count");
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "hang_ms"), *ra = cJSON_GetObjectItemCaseSensitive(o, "retry_after");
  if (!cJSON_IsObject(o) || (m && !(cJSON_IsString(m) && known_mode(m->valuestring))) || (r && !cJSON_IsObject(r)) ||
      (it && !(cJSON_IsString(it) && strlen(it->valuestring) < MAX_ITEM)) ||
      (ra && !(cJSON_IsString(ra) && strlen(ra->valuestring) < sizeof g_retry_after))) {
    cJSON_Delete(o);
    return send_json(c, 400,
                     "{\"error\":\"expected {\\\"mode\\\": good|violate_schema|invent_item|truncate|refuse|prose|"
                     "rate_limit|server_error|overloaded|quota|auth|hang|not_json, \\\"reply\\\": {...}, "
                     "\\\"item\\\", \\\"count\\\", \\\"hang_ms\\\", \\\"retry_after\\\"}\"}");
  }
  pthread_mutex_lock(&mu);
  if (m) snprintf(g_mode, sizeof g_mode, "%s", m->valuestring);
  if (r) {
    cJSON_Delete(g_reply);
    g_reply = cJSON_Duplicate(r, 1);
  }
  if (it) snprintf(g_item, sizeof g_item, "%s", it->valuestring);
  if (ra) snprintf(g_retry_after, sizeof g_retry_after, "%s", ra->valuestring);
  if (cJSON_IsNumber(h)) g_hang_ms = (long)h->valuedouble;
  g_count = cJSON_IsNumber(n) && n->valuedouble > 0 ? (long)n->valuedouble : -1;
  pthread_mutex_unlock(&mu);
  cJSON_Delete(o);
  return send_json(c, 200, "{\"ok\":true}");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls) {
  conn *cs = *con_cls;
  cJSON *headers, *entry, *req = NULL, *reply;
  const char *hdr_mode, *auth;
  char mode[MAX_MODE], item[MAX_ITEM], retry_after[64];
  long hang_ms;
  shape sh;
  (void)cls;
  (void)version;
  if (!cs) {
    cs = calloc(1, sizeof *cs);
    if (!cs) return MHD_NO;
    *con_cls = cs;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (conn_add(cs, upload_data, *upload_data_size)) return MHD_NO;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (cs->too_big) return send_json(c, 413, "{\"error\":\"request body too large\"}");
  if (strcmp(url, "/_mode") == 0 && strcmp(method, "POST") == 0) return set_mode(c, cs);
  if (strcmp(url, "/_reset") == 0 && strcmp(method, "POST") == 0) {
    pthread_mutex_lock(&mu);
    cJSON_Delete(g_log);
    g_log = cJSON_CreateArray();
    cJSON_Delete(g_reply);
    g_reply = default_reply();
    snprintf(g_mode, sizeof g_mode, "good");
    snprintf(g_retry_after, sizeof g_retry_after, "2");
    g_count = -1;
    g_hang_ms = 10000;
    pthread_mutex_unlock(&mu);
    return send_json(c, 200, "{\"ok\":true}");
  }
  if (strcmp(url, "/_log") == 0 && strcmp(method, "GET") == 0) {
    cJSON *o = cJSON_CreateObject();
    pthread_mutex_lock(&mu);
    cJSON_AddItemToObject(o, "requests", cJSON_Duplicate(g_log, 1));
    pthread_mutex_unlock(&mu);
    return send_obj(c, 200, o, NULL);
  }
  if (strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/chat/completions") == 0) sh = OPENAI;
  else if (strcmp(url, "/api/chat") == 0) sh = OLLAMA;
  else if (strcmp(url, "/v1/messages") == 0) sh = ANTHROPIC;
  else return send_json(c, 404, "{\"error\":\"fake_llm: no such route\"}");
  if (strcmp(method, "POST") != 0) return send_json(c, 405, "{\"error\":\"fake_llm: POST only\"}");

  /* record */
  headers = cJSON_CreateObject();
  MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, headers);
  entry = cJSON_CreateObject();
  cJSON_AddStringToObject(entry, "method", method);
  cJSON_AddStringToObject(entry, "path", url);
  cJSON_AddItemToObject(entry, "headers", headers);
  cJSON_AddStringToObject(entry, "body", cs->body ? cs->body : "");
  hdr_mode = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Fake-Mode");
  auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, sh == ANTHROPIC ? "x-api-key" : "Authorization");

  pthread_mutex_lock(&mu);
  if (cJSON_GetArraySize(g_log) >= LOG_CAP) cJSON_DeleteItemFromArray(g_log, 0);
  cJSON_AddItemToArray(g_log, entry);
  if (hdr_mode && known_mode(hdr_mode)) {
    snprintf(mode, sizeof mode, "%s", hdr_mode);
  } else {
    snprintf(mode, sizeof mode, "%s", g_mode);
    if (g_count > 0 && --g_count == 0) {
      snprintf(g_mode, sizeof g_mode, "good");
      g_count = -1;
    }
  }
  reply = cJSON_Duplicate(g_reply, 1);
  snprintf(item, sizeof item, "%s", g_item);
  snprintf(retry_after, sizeof retry_after, "%s", g_retry_after);
  hang_ms = g_hang_ms;
  pthread_mutex_unlock(&mu);

  if (!reply) return send_json(c, 500, "{\"error\":\"fake_llm: out of memory\"}");
  req = cs->body ? cJSON_Parse(cs->body) : NULL;
  if (!cJSON_IsObject(req)) {
    cJSON_Delete(req);
    cJSON_Delete(reply);
    return send_json(c, 400, "{\"error\":\"fake_llm: the request body is not a JSON object\"}");
  }
  {
    enum MHD_Result ret = answer(c, sh, mode, reply, req, item, retry_after, hang_ms, auth);
    cJSON_Delete(req);
    return ret;
  }
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  conn *cs = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (cs) {
    free(cs->body);
    free(cs);
    *con_cls = NULL;
  }
}

static void on_signal(int sig) {
  char b = 'q';
  (void)sig;
  stopping = 1;
  if (write(wake_pipe[1], &b, 1) < 0) {
  }
}

/* Serves until SIGTERM/SIGINT. Returns 0 after a clean stop, 1 if it cannot listen, 2 on bad
 * usage. */
int main(int argc, char **argv) {
  const char *port_file = NULL;
  long port = 0;
  int i, rc = 1;
  char b;
  struct sockaddr_in sa;
  struct MHD_Daemon *d = NULL;
  const union MHD_DaemonInfo *di;
  struct sigaction act;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) goto usage;
    } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
      port_file = argv[++i];
    } else {
      goto usage;
    }
  }
  if (pipe(wake_pipe)) {
    perror("pipe");
    return 1;
  }
  memset(&act, 0, sizeof act);
  act.sa_handler = on_signal;
  sigemptyset(&act.sa_mask);
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_reply = default_reply();
  g_log = cJSON_CreateArray();
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
                       (uint16_t)port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                       (unsigned int)120, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "fake_llm: cannot listen on 127.0.0.1:%ld\n", port);
    goto done;
  }
  di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (!di || !di->port) {
    fprintf(stderr, "fake_llm: cannot learn the bound port\n");
    goto done;
  }
  port = di->port;
  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (!f || fprintf(f, "%ld\n", port) < 0 || fclose(f) != 0) {
      fprintf(stderr, "fake_llm: cannot write %s\n", port_file);
      goto done;
    }
  }
  printf("listening on http://127.0.0.1:%ld\n", port);
  fflush(stdout);
  while (!stopping) {
    if (read(wake_pipe[0], &b, 1) < 0 && errno != EINTR) break;
  }
  rc = 0;
done:
  stopping = 1;
  if (d) MHD_stop_daemon(d);
  cJSON_Delete(g_reply);
  cJSON_Delete(g_log);
  return rc;
usage:
  fprintf(stderr, "usage: fake_llm [--port N (0 = random)] [--port-file F]\n");
  return 2;
}
