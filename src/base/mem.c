/*
 * mem.c — the core's one allocation door and its bounded buffers (base layer).
 *
 * Every allocation the core makes (and cJSON's, through its hooks) passes through
 * hub__malloc/hub__realloc/hub_free, so a test can make the N-th allocation fail
 * (hub_alloc_fail_at) and check that nothing leaks or corrupts. SQLite keeps its own
 * allocator.
 *
 * Threads: hubd calls the core from several threads (one writer, readers), so the counter and
 * the failure point are per thread (_Thread_local: one TLS access per allocation, no atomic
 * read-modify-write, no sharing between cores). A test that fails the N-th allocation counts
 * the allocations of its own thread.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hub.h"
#include "base/base.h"

static _Thread_local long alloc_count;
static _Thread_local long alloc_fail_at;

void hub_alloc_fail_at(long n) { alloc_fail_at = n > 0 ? alloc_count + n : 0; }
long hub_alloc_count(void) { return alloc_count; }

static int should_fail(void) {
  alloc_count++;
  return alloc_fail_at && alloc_count == alloc_fail_at;
}

void *hub__malloc(size_t n) {
  if (should_fail()) return NULL;
  return malloc(n ? n : 1);
}

void *hub__realloc(void *p, size_t n) {
  if (should_fail()) return NULL;
  return realloc(p, n ? n : 1);
}

void hub_free(void *p) { free(p); }

char *hub__strndup(const char *s, size_t n) {
  char *r = hub__malloc(n + 1);
  if (!r) return NULL;
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

char *hub__strdup(const char *s) { return s ? hub__strndup(s, strlen(s)) : NULL; }

char *hub__printf(const char *fmt, ...) {
  va_list ap;
  char *r = NULL;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  r = hub__malloc((size_t)n + 1);
  if (!r) return NULL;
  va_start(ap, fmt);
  vsnprintf(r, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return r;
}

void hub__put(cJSON *o, const char *k, cJSON *item) {
  if (!o || !item || !cJSON_AddItemToObject(o, k, item)) cJSON_Delete(item);
}

void hub__push(cJSON *a, cJSON *item) {
  if (!a || !item || !cJSON_AddItemToArray(a, item)) cJSON_Delete(item);
}

static void *cjson_malloc(size_t n) { return hub__malloc(n); }

void hub__mem_init(void) {
  static atomic_int state; /* 0 not done, 1 being done by one thread, 2 done */
  int expected = 0;
  cJSON_Hooks hooks;
  if (atomic_load(&state) == 2) return;
  if (!atomic_compare_exchange_strong(&state, &expected, 1)) {
    while (atomic_load(&state) != 2) {
    } /* another thread is setting the hooks: a few instructions */
    return;
  }
  hooks.malloc_fn = cjson_malloc;
  hooks.free_fn = hub_free;
  cJSON_InitHooks(&hooks);
  atomic_store(&state, 2);
}

/* ---- buffers --------------------------------------------------------------------------- */

void hub__buf_init(hub__buf *b, size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max;
}

void hub__buf_add(hub__buf *b, const char *s, size_t n) {
  size_t need, cap;
  char *p;
  if (b->failed) return;
  need = b->len + n + 1;
  if (need > b->max + 1) { b->failed = 1; return; }
  if (need > b->cap) {
    cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    if (cap > b->max + 1) cap = b->max + 1;
    p = hub__realloc(b->p, cap);
    if (!p) { b->failed = 1; return; }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void hub__buf_str(hub__buf *b, const char *s) { hub__buf_add(b, s, strlen(s)); }

void hub__buf_free(hub__buf *b) {
  hub_free(b->p);
  memset(b, 0, sizeof *b);
}
