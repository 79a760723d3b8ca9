/*
 * activity.h — the activity heatmap: which days, repositories and languages a GitHub user's
 * own commits touched over a two-year window (sources layer).
 *
 *   activity_lang.c   a changed file's path → a Linguist language, or why it does not count
 *                     (documentation, vendored, generated: activity_paths.def), over the
 *                     table generated at build time from Linguist's pinned languages.yml
 *   activity_store.c  owns tables activity_repos, activity_commits, activity_commit_langs,
 *                     activity_days, activity_repo_days, activity_language_days; the
 *                     `activity` command
 *   activity.c        the source (hub__activity_source): GitHub's repos, events and commits
 *
 * Calls go activity.c → activity_store.c → activity_lang.c. Strings returned are borrowed
 * (static tables) unless a contract says "new string".
 */
#ifndef HUB_ACTIVITY_H
#define HUB_ACTIVITY_H

#include "sync/sync.h"

/* The window: two years of days, ending with the day of now (UTC). */
#define HUB_ACT_WINDOW_DAYS 731
#ifndef HUB_ACT_PATH_MAX
#define HUB_ACT_PATH_MAX 1024 /* longest file path classified; a longer one does not count */
#endif

extern const hub__source hub__activity_source; /* activity.c */

/* ---- activity_lang.c ---------------------------------------------------------------------- */
typedef enum {
  HUB_ACT_CODE,      /* counts, as *lang */
  HUB_ACT_DOC,       /* documentation (docs/, README, *.md …) */
  HUB_ACT_VENDORED,  /* vendored code (vendor/, node_modules/, *.min.js …) */
  HUB_ACT_GENERATED, /* generated files and lockfiles */
  HUB_ACT_OTHER      /* no counted language (data, prose, unknown extension, too long) */
} hub__act_class;
/* What the file at path (as in a commit's file list) is; *lang is set to the language's index
 * when HUB_ACT_CODE, else -1. */
hub__act_class hub__act_classify(const char *path, int *lang);
/* The language of index i (0 ≤ i < hub__act_lang_count()): its name as Linguist spells it
 * (NULL for an index out of range); its colour as "#rrggbb" into out ("" when Linguist has
 * none or the index is out of range). */
const char *hub__act_lang_name(int i);
void hub__act_lang_color(int i, char out[8]);
int hub__act_lang_count(void);
/* The index of a language by name (exact), or -1. */
int hub__act_lang_find(const char *name);
/* The pinned Linguist version the table was generated from ("7.22.1"). */
const char *hub__act_linguist_version(void);

/* ---- activity_store.c --------------------------------------------------------------------- */
/* "YYYY-MM-DD" of the first day of the window that ends on the day of now_s (UTC). */
void hub__act_window_from(int64_t now_s, char day[11]);
/* Forgets everything when login is not the login the stored activity belongs to (kept in kv
 * "activity.login"), and drops what fell out of the window. 0 or -1 (h->errmsg). */
int hub__act_begin(hub *h, const char *login, int64_t now_s);
/* A repository the user pushed to (listed, or seen in an event) with its pushed_at (s, 0 when
 * unknown): inserted or updated. *walk is set to 1 when its commits must be walked: never
 * walked, or pushed to after the last finished walk. 0 or -1. */
int hub__act_repo_seen(hub *h, const char *repo, int64_t pushed_s, const char *via, int *walk);
/* The since cursor of repo's walk: a week before the newest commit its last finished walk
 * stored, as ISO-8601, or from_iso when that is later. New string, or NULL on OOM. */
char *hub__act_repo_since(hub *h, const char *repo, const char *from_iso);
/* The walk of repo read its last page: it is current up to pushed_at as last listed, and the
 * next walk starts from its newest commit. 0 or -1. */
int hub__act_repo_walked(hub *h, const char *repo);
/* Repositories whose walk is due (never finished, or pushed to since) into a new JSON array
 * of strings (at most max), or NULL on OOM. */
cJSON *hub__act_repos_due(hub *h, int max);
/* A commit of the user: stored once by (repo, sha). *fresh is 1 when it was not stored
 * before. The caller refreshes its day (hub__act_refresh_day) before the batch ends. 0 or -1. */
int hub__act_commit_put(hub *h, const char *repo, const char *sha, int64_t at_s, int *fresh);
/* The languages of a commit's files (indices from hub__act_classify), added to what earlier
 * pages of its file list gave; files is how many files this page listed. Refreshes the
 * commit's day. 0 or -1 (a commit not stored is an error). */
int hub__act_commit_langs(hub *h, const char *repo, const char *sha, const int *langs, int nlangs, int files);
/* Commits whose file lists are still to be read, newest first, at most max, as a new JSON
 * array of ["repo","sha"] pairs (NULL on OOM). */
cJSON *hub__act_pending(hub *h, int max);
/* The number of commits whose file lists are still to be read. */
int64_t hub__act_pending_count(hub *h);
/* Rebuilds the rows of activity_days, activity_repo_days and activity_language_days of one
 * day ("YYYY-MM-DD") from the stored commits (inside the caller's batch). 0 or -1. */
int hub__act_refresh_day(hub *h, const char *day);
/* {"cmd":"activity","now":ms[,"repo":"o/r"][,"language":"C"]} → the activity schema,
 * version 1 (see activity_store.c). */
cJSON *hub__activity_cmd(hub *h, const cJSON *req);

#endif
