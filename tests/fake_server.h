/*
 * fake_server.h — a fake upstream server (a test double such as build/fake_llm) run as a child
 * process on 127.0.0.1 for native tests, and its control requests (/_mode, /_reset, /_log).
 * Native only (fork, libcurl).
 */
#ifndef HUB_TESTS_FAKE_SERVER_H
#define HUB_TESTS_FAKE_SERVER_H

#include <sys/types.h>
#include "cJSON.h"

typedef struct {
  pid_t pid;     /* the child, or 0 */
  char base[64]; /* "http://127.0.0.1:PORT" */
} tu_fake;

/* Starts the program at path with "--port 0" and reads the port from its first line
 * ("listening on http://127.0.0.1:PORT"). Returns 0, or -1 (f->pid may still be set: stop it). */
int tu_fake_start(tu_fake *f, const char *path);
/* Stops the child (SIGTERM, then waits). Safe to call when none runs. */
void tu_fake_stop(tu_fake *f);
/* A control request (method, path under the base, optional JSON body, 10 s at most); the parsed
 * answer (caller deletes) or NULL. */
cJSON *tu_fake_ctl(const tu_fake *f, const char *method, const char *path, const char *json);

#endif
