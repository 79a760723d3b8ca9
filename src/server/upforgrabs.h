/*
 * upforgrabs.h — reader of up-for-grabs project files (YAML, through libyaml) for the native
 * programs (the `hub` CLI, hubd). Never part of the wasm build: a browser does not fetch a
 * thousand YAML files. The result is the gfi_repos command the portable core accepts.
 *
 * Ownership: every cJSON returned is new and freed by the caller with cJSON_Delete.
 */
#ifndef HUB_UPFORGRABS_H
#define HUB_UPFORGRABS_H

#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"

#ifndef HUB_UFG_MAX_FILE
#define HUB_UFG_MAX_FILE (256u * 1024u) /* largest project file read */
#endif
#ifndef HUB_UFG_MAX_FILES
#define HUB_UFG_MAX_FILES 20000 /* project files read from one directory */
#endif

/* Reads and validates one project file against the up-for-grabs schema (name, desc, site,
 * tags, upforgrabs.name/link, optional stats) and the tooling's tag rules (lower case, no
 * duplicates, preferred spellings). Returns
 *    0  valid and naming one GitHub repository: *out = {"owner","name","label","tags":[..]}
 *    1  valid but its issues are not on one GitHub repository (a GitLab link, an org-wide
 *       search): *out = NULL, why = the skip reason
 *   -1  invalid or unreadable: *out = NULL, why = what is wrong (with a YAML line if any)
 * why receives at most whylen-1 bytes. */
int hub_ufg_read_file(const char *path, cJSON **out, char *why, size_t whylen);

/* Reads every *.yml and *.yaml file in dir (in name order) into
 *   {"cmd":"gfi_repos","source":"up-for-grabs","now":now_ms,"repos":[..],
 *    "skipped":{"reason":n},"problems":[{"file","why"}]}
 * ("problems": one line per skipped file, for people; the core ignores it). Returns NULL with
 * a message in err when dir cannot be read or on OOM. */
cJSON *hub_ufg_command(const char *dir, int64_t now_ms, char *err, size_t errlen);

#endif
