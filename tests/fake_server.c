/*
 * fake_server.c — a fake upstream server run as a child process, and its control requests
 * (see fake_server.h). Native tests only.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include "fake_server.h"

int tu_fake_start(tu_fake *f, const char *path) {
  int fd[2];
  FILE *in;
  char line[128];
  unsigned port = 0;
  memset(f, 0, sizeof *f);
  if (pipe(fd)) return -1;
  f->pid = fork();
  if (f->pid < 0) {
    f->pid = 0;
    return -1;
  }
  if (f->pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    execl(path, path, "--port", "0", (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  in = fdopen(fd[0], "r");
  if (!in) return -1;
  if (!fgets(line, sizeof line, in) || sscanf(line, "listening on http://127.0.0.1:%u", &port) != 1) port = 0;
  fclose(in);
  if (!port) return -1;
  snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", port);
  return 0;
}

void tu_fake_stop(tu_fake *f) {
  int st;
  if (f->pid <= 0) return;
  kill(f->pid, SIGTERM);
  waitpid(f->pid, &st, 0);
  f->pid = 0;
}

typedef struct {
  char *p;
  size_t len;
} mbuf;

static size_t on_data(char *d, size_t s, size_t n, void *ud) {
  mbuf *b = ud;
  char *np = realloc(b->p, b->len + s * n + 1);
  if (!np) return 0;
  b->p = np;
  memcpy(b->p + b->len, d, s * n);
  b->len += s * n;
  b->p[b->len] = 0;
  return s * n;
}

cJSON *tu_fake_ctl(const tu_fake *f, const char *method, const char *path, const char *json) {
  CURL *c = curl_easy_init();
  mbuf b = {NULL, 0};
  char url[256];
  cJSON *r = NULL;
  if (!c) return NULL;
  snprintf(url, sizeof url, "%s%s", f->base, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (json) curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  if (curl_easy_perform(c) == CURLE_OK && b.p) r = cJSON_Parse(b.p);
  curl_easy_cleanup(c);
  free(b.p);
  return r;
}
