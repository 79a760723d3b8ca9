/*
 * fuzz_ufg.c — fuzz target "ufg" (test layer): the up-for-grabs project file reader
 * (src/server/upforgrabs.c, libyaml underneath) on one file holding the input, then, for a
 * valid file, the gfi_repos command it makes, run on a fresh hub. Checked: the reader's
 * contract (rc -1, 0 or 1; on 0 an object with owner, name, label and tags; otherwise no
 * object and a reason), and the core's reply is a JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "server/upforgrabs.h"

static char path[64];
static int fd = -1;

static void remove_file(void) {
  if (fd >= 0) unlink(path);
}

/* The file the input is written to: one per process, in /dev/shm when there is one. */
static void open_file(void) {
  snprintf(path, sizeof path, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/hub-fuzz-ufg-XXXXXX"
                                                                    : "/tmp/hub-fuzz-ufg-XXXXXX");
  fd = mkstemp(path);
  if (fd < 0) fz_fail("cannot create %s", path);
  atexit(remove_file);
}

static int name_ok(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *out = (cJSON *)1, *cmd, *repos;
  char why[300];
  int rc;
  if (fd < 0) open_file();
  if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) fz_fail("cannot write %s", path);
  memset(why, 'x', sizeof why); /* no NUL: a reason must bring its own */
  rc = hub_ufg_read_file(path, &out, why, sizeof why);
  if (rc != 0) {
    if (rc != -1 && rc != 1) fz_fail("hub_ufg_read_file returned %d", rc);
    if (out) fz_fail("rc %d with an object", rc);
    if (!memchr(why, 0, sizeof why)) fz_fail("rc %d: the reason is not NUL-terminated within its buffer", rc);
    if (!why[0]) fz_fail("rc %d without a reason", rc);
    return 0;
  }
  if (!cJSON_IsObject(out)) fz_fail("rc 0 without an object");
  if (!name_ok(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "owner")), 39) ||
      !name_ok(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "name")), 100) ||
      !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(out, "label")) ||
      !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(out, "tags")))
    fz_fail("rc 0 with an incomplete repository object");
  cmd = cJSON_CreateObject();
  repos = cJSON_AddArrayToObject(cmd, "repos");
  cJSON_AddStringToObject(cmd, "cmd", "gfi_repos");
  cJSON_AddStringToObject(cmd, "source", "up-for-grabs");
  cJSON_AddNumberToObject(cmd, "now", 1763900000000.0);
  if (!repos || !cJSON_AddItemToArray(repos, out)) fz_fail("out of memory");
  {
    char *txt = cJSON_PrintUnformatted(cmd);
    hub *h = fz_open();
    if (!txt) fz_fail("out of memory");
    cJSON_Delete(fz_calls(h, txt, NULL, NULL));
    hub_close(h);
    cJSON_free(txt);
  }
  cJSON_Delete(cmd);
  return 0;
}
