/*
 * hubd_log.c — logfmt lines on stderr for hubd (native driver layer; see hubd_log.h).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hubd_log.h"

static atomic_int min_level = HUBD_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void hubd_log_set_level(hubd_log_level level) { atomic_store(&min_level, (int)level); }

int hubd_log_parse_level(const char *s, hubd_log_level *out) {
  int i;
  for (i = 0; s && i < 4; i++)
    if (strcmp(s, level_names[i]) == 0) {
      *out = (hubd_log_level)i;
      return 0;
    }
  return -1;
}

int hubd_log_enabled(hubd_log_level level) { return (int)level >= atomic_load(&min_level); }

typedef struct {
  char buf[HUBD_LOG_LINE_MAX];
  size_t len;
  int cut;
} line;

static void put(line *l, const char *s, size_t n) {
  size_t room = sizeof l->buf - 4 - l->len; /* keep room for "…\n" */
  if (n > room) {
    n = room;
    l->cut = 1;
  }
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

/* Appends a value, quoted when it needs to be. */
static void put_value(line *l, const char *v) {
  const unsigned char *p;
  int quote = *v == 0;
  for (p = (const unsigned char *)v; *p && !quote; p++)
    if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7f) quote = 1;
  if (quote) put(l, "\"", 1);
  for (p = (const unsigned char *)v; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      put(l, esc, 2);
    } else if (*p < ' ' || *p == 0x7f) {
      put(l, "?", 1);
    } else {
      put(l, (const char *)p, 1);
    }
  }
  if (quote) put(l, "\"", 1);
}

void hubd_log(hubd_log_level level, const char *event, ...) {
  line l;
  va_list ap;
  struct timespec ts;
  struct tm tmv;
  char stamp[40];
  const char *k, *v;
  ssize_t w;
  if (!hubd_log_enabled(level)) return;
  l.len = 0;
  l.cut = 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tmv);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tmv);
  put(&l, "ts=", 3);
  put(&l, stamp, strlen(stamp));
  {
    char ms[8];
    long m = ts.tv_nsec / 1000000L;
    ms[0] = '.';
    ms[1] = (char)('0' + m / 100);
    ms[2] = (char)('0' + m / 10 % 10);
    ms[3] = (char)('0' + m % 10);
    ms[4] = 'Z';
    put(&l, ms, 5);
  }
  put(&l, " level=", 7);
  put(&l, level_names[level], strlen(level_names[level]));
  put(&l, " event=", 7);
  put_value(&l, event);
  va_start(ap, event);
  while ((k = va_arg(ap, const char *)) != NULL) {
    v = va_arg(ap, const char *);
    if (!v) continue;
    put(&l, " ", 1);
    put(&l, k, strlen(k));
    put(&l, "=", 1);
    put_value(&l, v);
  }
  va_end(ap);
  if (l.cut) {
    memcpy(l.buf + l.len, "\xe2\x80\xa6", 3); /* … */
    l.len += 3;
  }
  l.buf[l.len++] = '\n';
  w = write(STDERR_FILENO, l.buf, l.len);
  (void)w;
}
