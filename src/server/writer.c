/*
 * writer.c — the single writer thread and its job queue (native driver layer; see writer.h).
 *
 * One mutex guards the queue and every job's reply slot; one condition variable wakes the
 * writer, another wakes waiting callers. A waiting caller's job lives on its own stack; a
 * posted job is heap-allocated and freed here after its callback. After a function job (a sync
 * run, a scheduled job) the handle's SQLite page cache and glibc's free heap are released, so
 * the resident set between jobs stays near its start-up size.
 */
#include <pthread.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include "hub_int.h"
#include "writer.h"

typedef struct job {
  struct job *next;
  const char *json; /* a core command (when fn is NULL) */
  size_t len;
  hubd_job_fn fn;
  void *arg;
  hubd_job_done done; /* posted job: called with the result, then the job is freed */
  char *result;
  int finished;
} job;

struct hubd_writer {
  pthread_mutex_t mu;
  pthread_cond_t wake, replied;
  pthread_t thread;
  job *head, *tail;
  size_t queued;
  atomic_int stopping;
  atomic_ulong generation;
  int joined;
  hub *h;
};

static char *error_json(const char *code, const char *message) {
  return hub__printf("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
}

static char *unavailable(void) { return error_json("unavailable", "hubd is stopping"); }

/* Completes j with result (under w->mu). */
static void finish(hubd_writer *w, job *j, char *result) {
  if (j->done) {
    pthread_mutex_unlock(&w->mu);
    j->done(result, j->arg);
    free(j);
    pthread_mutex_lock(&w->mu);
    return;
  }
  j->result = result;
  j->finished = 1;
  pthread_cond_broadcast(&w->replied);
}

static void *writer_main(void *arg) {
  hubd_writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    job *j;
    char *result;
    while (!w->head && !atomic_load(&w->stopping)) pthread_cond_wait(&w->wake, &w->mu);
    if (atomic_load(&w->stopping)) break;
    j = w->head;
    w->head = j->next;
    if (!w->head) w->tail = NULL;
    w->queued--;
    pthread_mutex_unlock(&w->mu);
    result = j->fn ? j->fn(w->h, j->arg) : hub_call_n(w->h, j->json, j->len);
    atomic_fetch_add(&w->generation, 1);
    if (j->fn) { /* a long job (a sync): give back its page cache and freed heap; idle is small */
      sqlite3_db_release_memory(w->h->db);
#ifdef __GLIBC__
      malloc_trim(0);
#endif
    }
    pthread_mutex_lock(&w->mu);
    finish(w, j, result);
  }
  /* stopping: answer what is still queued */
  while (w->head) {
    job *j = w->head;
    w->head = j->next;
    w->queued--;
    finish(w, j, unavailable());
  }
  w->tail = NULL;
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

hubd_writer *hubd_writer_start(hub *h) {
  hubd_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->wake, NULL);
  pthread_cond_init(&w->replied, NULL);
  atomic_init(&w->stopping, 0);
  atomic_init(&w->generation, 0);
  w->h = h;
  if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->replied);
    free(w);
    return NULL;
  }
  return w;
}

/* Appends j (under w->mu). Returns 0, or -1 with *err set to a new error result. */
static int enqueue(hubd_writer *w, job *j, char **err) {
  if (atomic_load(&w->stopping)) {
    *err = unavailable();
    return -1;
  }
  if (w->queued >= HUBD_WRITER_QUEUE_MAX) {
    *err = error_json("busy", "the write queue is full; try again");
    return -1;
  }
  j->next = NULL;
  if (w->tail) w->tail->next = j;
  else w->head = j;
  w->tail = j;
  w->queued++;
  pthread_cond_signal(&w->wake);
  return 0;
}

static char *wait_for(hubd_writer *w, job *j) {
  char *err = NULL;
  pthread_mutex_lock(&w->mu);
  if (enqueue(w, j, &err) == 0)
    while (!j->finished) pthread_cond_wait(&w->replied, &w->mu);
  pthread_mutex_unlock(&w->mu);
  return err ? err : j->result;
}

char *hubd_writer_call(hubd_writer *w, const char *json, size_t len) {
  job j;
  memset(&j, 0, sizeof j);
  j.json = json;
  j.len = len;
  return wait_for(w, &j);
}

char *hubd_writer_run(hubd_writer *w, hubd_job_fn fn, void *arg) {
  job j;
  memset(&j, 0, sizeof j);
  j.fn = fn;
  j.arg = arg;
  return wait_for(w, &j);
}

int hubd_writer_post(hubd_writer *w, hubd_job_fn fn, void *arg, hubd_job_done done) {
  job *j = calloc(1, sizeof *j);
  char *err = NULL;
  int rc;
  if (!j) return -1;
  j->fn = fn;
  j->arg = arg;
  j->done = done;
  pthread_mutex_lock(&w->mu);
  rc = enqueue(w, j, &err);
  pthread_mutex_unlock(&w->mu);
  if (rc) {
    hub_free(err);
    free(j);
  }
  return rc;
}

unsigned long hubd_writer_generation(hubd_writer *w) { return atomic_load(&w->generation); }

const atomic_int *hubd_writer_stopping(hubd_writer *w) { return &w->stopping; }

void hubd_writer_stop(hubd_writer *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  atomic_store(&w->stopping, 1);
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->mu);
  if (!w->joined) {
    pthread_join(w->thread, NULL);
    w->joined = 1;
    hub_close(w->h);
    w->h = NULL;
  }
}

void hubd_writer_free(hubd_writer *w) {
  if (!w) return;
  hubd_writer_stop(w);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->wake);
  pthread_cond_destroy(&w->replied);
  free(w);
}
