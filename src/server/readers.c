/*
 * readers.c — the pool of read-only hub handles (native driver layer; see readers.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hub_int.h"
#include "readers.h"

#define HUBD_STR2(x) #x
#define HUBD_STR(x) HUBD_STR2(x)

typedef struct {
  hub *h;
} slot;

struct hubd_readers {
  pthread_mutex_t mu;
  pthread_cond_t freed;
  unsigned n, nfree;
  slot all[HUBD_READERS_MAX];
  slot *free_list[HUBD_READERS_MAX];
};

hubd_readers *hubd_readers_open(const char *db, unsigned n, char *err, size_t errlen) {
  hubd_readers *r = calloc(1, sizeof *r);
  pthread_condattr_t ca;
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (n < 1) n = 1;
  if (n > HUBD_READERS_MAX) n = HUBD_READERS_MAX;
  pthread_mutex_init(&r->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->freed, &ca);
  pthread_condattr_destroy(&ca);
  for (r->n = 0; r->n < n; r->n++) {
    if (hub_open(db, NULL, &r->all[r->n].h, err, errlen)) {
      hubd_readers_close(r);
      return NULL;
    }
    /* a small page cache per reader: memory stays bounded as readers × this, while the file's
     * pages stay in the OS cache shared by all (a driver-side setting of the handle's SQLite) */
    sqlite3_exec(r->all[r->n].h->db, "PRAGMA cache_size=-" HUBD_STR(HUBD_READER_CACHE_KB), NULL, NULL, NULL);
    r->free_list[r->nfree++] = &r->all[r->n];
  }
  return r;
}

char *hubd_readers_call(hubd_readers *r, const char *json, size_t len) {
  struct timespec until;
  slot *h = NULL;
  char *out;
  int rc = 0;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += HUBD_READER_WAIT_MS / 1000;
  until.tv_nsec += (long)(HUBD_READER_WAIT_MS % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&r->mu);
  while (r->nfree == 0 && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&r->freed, &r->mu, &until);
  if (r->nfree) h = r->free_list[--r->nfree];
  pthread_mutex_unlock(&r->mu);
  if (!h) return hub__strdup("{\"error\":{\"code\":\"busy\",\"message\":\"every reader is busy; try again\"}}");
  out = hub_call_n(h->h, json, len);
  pthread_mutex_lock(&r->mu);
  r->free_list[r->nfree++] = h;
  pthread_cond_signal(&r->freed);
  pthread_mutex_unlock(&r->mu);
  return out;
}

void hubd_readers_close(hubd_readers *r) {
  unsigned i;
  if (!r) return;
  for (i = 0; i < r->n; i++) hub_close(r->all[i].h);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->freed);
  free(r);
}
