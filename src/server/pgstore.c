/*
 * pgstore.c — users' SQLite images in PostgreSQL, and the cache of read handles on them
 * (native driver layer; see pgstore.h for why an image). Owns table hub_user_state.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hub_int.h"
#include "hubd_log.h"
#include "pgstore.h"

#define HUBD_STR2(x) #x
#define HUBD_STR(x) HUBD_STR2(x)

#ifndef HUBD_PATH_MAX
#define HUBD_PATH_MAX 1024 /* an image file's path */
#endif

void hubd_image_unlink(const char *path) {
  static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
  char p[HUBD_PATH_MAX + 16];
  size_t i;
  for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    snprintf(p, sizeof p, "%s%s", path, ext[i]);
    unlink(p);
  }
}

/* Writes n bytes to path (0600, replacing it). 0 or -1. */
static int write_file(const char *path, const char *data, size_t n) {
  int fd, rc = -1;
  size_t off = 0;
  hubd_image_unlink(path);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  while (off < n) {
    ssize_t w = write(fd, data + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) goto done;
    off += (size_t)w;
  }
  rc = 0;
done:
  close(fd);
  return rc;
}

/* Reads path whole (at most HUBD_IMAGE_MAX). New buffer (free) with *n, or NULL. */
static char *read_file(const char *path, size_t *n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *buf = NULL;
  size_t off = 0;
  if (fd < 0) return NULL;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > HUBD_IMAGE_MAX) goto fail;
  buf = malloc((size_t)st.st_size);
  if (!buf) goto fail;
  while (off < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) goto fail;
    off += (size_t)r;
  }
  close(fd);
  *n = off;
  return buf;
fail:
  free(buf);
  close(fd);
  return NULL;
}

int hubd_image_load(PGconn *c, const char *login, const char *path, int64_t *version, hubd_pg_err *e) {
  /* binary results: the image as raw bytes; the version cast to text arrives as its digits */
  PGresult *r = hubd_pg_run_bin(c, e, "SELECT version::text, image FROM hub_user_state WHERE login = $1", "t", login);
  int rc = -1;
  *version = 0;
  if (!r) return -1;
  if (PQntuples(r) == 0) {
    rc = 0;
    goto done;
  }
  {
    char v[32];
    int vn = PQgetlength(r, 0, 0);
    snprintf(v, sizeof v, "%.*s", vn < 31 ? vn : 31, PQgetvalue(r, 0, 0));
    *version = strtoll(v, NULL, 10);
  }
  if (write_file(path, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1))) {
    snprintf(e->msg, sizeof e->msg, "cannot write %s: %s", path, strerror(errno));
    e->state[0] = 0;
    goto done;
  }
  rc = 1;
done:
  PQclear(r);
  return rc;
}

int hubd_image_store(PGconn *c, const char *login, const char *path, int64_t old, const char *node, int64_t now,
                     int64_t *newv, hubd_pg_err *e) {
  size_t n = 0;
  char *img = read_file(path, &n);
  PGresult *r = NULL;
  int rc = -1;
  if (!img) {
    snprintf(e->msg, sizeof e->msg, "cannot read the image %s", path);
    e->state[0] = 0;
    return -1;
  }
  if (old == 0)
    r = hubd_pg_run(c, e,
                    "INSERT INTO hub_user_state (login, version, image, bytes, node, updated_at) "
                    "VALUES ($1, 1, $2, $3, $4, $5) ON CONFLICT (login) DO NOTHING RETURNING version",
                    "txiti", login, (const void *)img, n, (int64_t)n, node, now);
  else
    r = hubd_pg_run(c, e,
                    "UPDATE hub_user_state SET version = version + 1, image = $2, bytes = $3, node = $4, "
                    "updated_at = $5 WHERE login = $1 AND version = $6 RETURNING version",
                    "txitii", login, (const void *)img, n, (int64_t)n, node, now, old);
  if (!r) goto done;
  rc = PQntuples(r) == 1;
  if (rc) *newv = hubd_pg_int(r, 0, 0);
done:
  PQclear(r);
  free(img);
  return rc;
}

/* ---- the read cache --------------------------------------------------------------------------- */

typedef struct entry {
  char login[48];
  int64_t version;
  hub *h;
  char path[HUBD_PATH_MAX];
  pthread_mutex_t use; /* one thread at a time on h */
  int refs, stale;
  unsigned long used;  /* LRU tick */
  struct entry *next;
} entry;

struct hubd_imgcache {
  pthread_mutex_t mu;
  char dir[HUBD_PATH_MAX - 80];
  entry *list;      /* live entries first; stale ones stay until their last user leaves */
  unsigned n;       /* live entries */
  unsigned long tick, seq;
};

hubd_imgcache *hubd_imgcache_open(const char *dir, char *err, size_t errlen) {
  hubd_imgcache *ic;
  if (strlen(dir) >= sizeof ic->dir) {
    snprintf(err, errlen, "state directory path too long");
    return NULL;
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return NULL;
  }
  ic = calloc(1, sizeof *ic);
  if (!ic) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  snprintf(ic->dir, sizeof ic->dir, "%s", dir);
  pthread_mutex_init(&ic->mu, NULL);
  return ic;
}

static void entry_free(entry *en) {
  hub_close(en->h);
  hubd_image_unlink(en->path);
  pthread_mutex_destroy(&en->use);
  free(en);
}

/* Unlinks en from the list and frees it when nobody uses it (under mu). */
static void reap(hubd_imgcache *ic) {
  entry **pp = &ic->list;
  while (*pp) {
    entry *en = *pp;
    if (en->stale && en->refs == 0) {
      *pp = en->next;
      entry_free(en);
    } else {
      pp = &en->next;
    }
  }
}

/* Marks login's live entry stale (under mu). */
static void retire(hubd_imgcache *ic, const char *login) {
  entry *en;
  for (en = ic->list; en; en = en->next)
    if (!en->stale && strcmp(en->login, login) == 0) {
      en->stale = 1;
      ic->n--;
    }
}

/* Makes room for one more live entry: retires the least recently used idle one (under mu). */
static void evict(hubd_imgcache *ic) {
  entry *en, *lru = NULL;
  if (ic->n < HUBD_IMAGE_CACHE_SLOTS) return;
  for (en = ic->list; en; en = en->next)
    if (!en->stale && en->refs == 0 && (!lru || en->used < lru->used)) lru = en;
  if (lru) {
    lru->stale = 1;
    ic->n--;
  }
}

/* Downloads login's image and opens it as a new entry (not yet in the list). NULL: *none or e. */
static entry *fetch(hubd_imgcache *ic, PGconn *c, const char *login, int *none, hubd_pg_err *e) {
  entry *en = calloc(1, sizeof *en);
  unsigned long seq;
  char err[300];
  int got;
  if (!en) {
    snprintf(e->msg, sizeof e->msg, "out of memory");
    return NULL;
  }
  pthread_mutex_lock(&ic->mu);
  seq = ++ic->seq;
  pthread_mutex_unlock(&ic->mu);
  snprintf(en->login, sizeof en->login, "%s", login);
  snprintf(en->path, sizeof en->path, "%s/r-%s-%lu.db", ic->dir, login, seq);
  pthread_mutex_init(&en->use, NULL);
  got = hubd_image_load(c, login, en->path, &en->version, e);
  if (got == 0) *none = 1;
  if (got != 1) goto fail;
  if (hub_open(en->path, NULL, &en->h, err, sizeof err)) {
    snprintf(e->msg, sizeof e->msg, "%s", err);
    e->state[0] = 0;
    goto fail;
  }
  /* a small page cache per handle: memory stays slots × this (the OS caches the files) */
  sqlite3_exec(en->h->db, "PRAGMA cache_size=-" HUBD_STR(HUBD_IMAGE_CACHE_KB), NULL, NULL, NULL);
  return en;
fail:
  entry_free(en);
  return NULL;
}

int hubd_imgcache_calls(hubd_imgcache *ic, PGconn *c, const char *login, const char *const *json, size_t n, char **out,
                        int64_t *version, hubd_pg_err *e) {
  PGresult *r = hubd_pg_run(c, e, "SELECT version FROM hub_user_state WHERE login = $1", "t", login);
  entry *en = NULL, *fresh = NULL;
  size_t i;
  int none = 0;
  for (i = 0; i < n; i++) out[i] = NULL;
  *version = 0;
  if (!r) return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return 1;
  }
  *version = hubd_pg_int(r, 0, 0);
  PQclear(r);
  pthread_mutex_lock(&ic->mu);
  for (en = ic->list; en; en = en->next)
    if (!en->stale && strcmp(en->login, login) == 0 && en->version >= *version) break;
  if (en) en->refs++;
  pthread_mutex_unlock(&ic->mu);
  if (!en) {
    fresh = fetch(ic, c, login, &none, e);
    if (!fresh) return none ? 1 : -1;
    pthread_mutex_lock(&ic->mu);
    retire(ic, login);
    evict(ic);
    fresh->refs = 1;
    if (ic->n < HUBD_IMAGE_CACHE_SLOTS) ic->n++;
    else fresh->stale = 1; /* every slot busy: used once, then dropped */
    fresh->next = ic->list;
    ic->list = fresh;
    en = fresh;
    pthread_mutex_unlock(&ic->mu);
  }
  *version = en->version;
  pthread_mutex_lock(&en->use);
  for (i = 0; i < n; i++) out[i] = hub_call(en->h, json[i]);
  pthread_mutex_unlock(&en->use);
  pthread_mutex_lock(&ic->mu);
  en->refs--;
  en->used = ++ic->tick;
  reap(ic);
  pthread_mutex_unlock(&ic->mu);
  return 0;
}

void hubd_imgcache_drop(hubd_imgcache *ic, const char *login) {
  if (!ic) return;
  pthread_mutex_lock(&ic->mu);
  retire(ic, login);
  reap(ic);
  pthread_mutex_unlock(&ic->mu);
}

void hubd_imgcache_close(hubd_imgcache *ic) {
  entry *en, *next;
  if (!ic) return;
  for (en = ic->list; en; en = next) {
    next = en->next;
    entry_free(en);
  }
  pthread_mutex_destroy(&ic->mu);
  free(ic);
}
