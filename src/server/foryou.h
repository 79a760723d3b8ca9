/*
 * foryou.h — users' repositories, their highlights, and the "for you" feed built from other
 * users' highlights with fatigue from exposure counts (native driver layer; multi-user hubd).
 * Owns tables hub_repos, hub_foryou and hub_exposures.
 *
 * Highlights. The repos job reads GET /users/{u}/repos (public, owner's, by push date) and the
 * rules score each repository: 2·ln(1+stars) + ln(1+forks) + 2·exp(−age/180 days) of its last
 * push + 0.5 with a description + 0.25 with a language. Forks, archived repositories, the profile
 * repository (u/u) and ".github" are never highlights. The best HUBD_HIGHLIGHTS (3) scoring at
 * least HUBD_HIGHLIGHT_MIN are highlights, each with why = the term that weighed most (stars,
 * forks, recent, described). With an LLM configured, the best HUBD_HIGHLIGHT_CANDIDATES by the
 * rules go to it and it picks up to 3 with a reason; its answer is checked (only candidates,
 * no repeats, reasons cut to HUBD_WHY_MAX) and, when unusable, the rules' picks stand. A repository
 * with a gallery image marked is_highlight is a highlight whatever the rules say (why "gallery").
 *
 * For you. A viewer's candidates (hub_foryou, rebuilt by the foryou job or POST /for-you/{v})
 * are the highlights of every other user, minus repositories the viewer owns or has among their
 * own, each with its base score (the highlight's). GET /for-you/{v}?limit=N reads them, scores
 * each base × fatigue, keeps at most HUBD_FORYOU_PER_AUTHOR per author, answers the best N and
 * counts them as shown. Fatigue = 1 / (1 + HUBD_FATIGUE_K · s · exp(−(now − last shown) /
 * HUBD_FATIGUE_TAU_MS)) where s counts the shows since the viewer last reacted: an item shown
 * often without a reaction sinks, a reaction resets s, and time heals it. A "hide" reaction
 * removes it for good.
 *
 * Ownership: hubd_repo arrays come from hubd_repos_parse and go with hubd_repos_free; JSON trees
 * and strings returned are new (cJSON_Delete / hub_free).
 */
#ifndef HUBD_FORYOU_H
#define HUBD_FORYOU_H

#include <stddef.h>
#include <stdint.h>
#include "cJSON.h"
#include "pg.h"

#ifndef HUBD_REPOS_MAX
#define HUBD_REPOS_MAX 100 /* repositories read per user (one page) */
#endif
#ifndef HUBD_REPOS_BODY_MAX
#define HUBD_REPOS_BODY_MAX (4u * 1024u * 1024u) /* largest repos answer read */
#endif
#ifndef HUBD_HIGHLIGHTS
#define HUBD_HIGHLIGHTS 3
#endif
#ifndef HUBD_HIGHLIGHT_MIN
#define HUBD_HIGHLIGHT_MIN 1.0
#endif
#ifndef HUBD_HIGHLIGHT_CANDIDATES
#define HUBD_HIGHLIGHT_CANDIDATES 8 /* the rules' best sent to the LLM */
#endif
#ifndef HUBD_WHY_MAX
#define HUBD_WHY_MAX 160 /* bytes of a highlight's reason */
#endif
#ifndef HUBD_FORYOU_CANDIDATES
#define HUBD_FORYOU_CANDIDATES 200 /* candidates kept per viewer (the feed shows at most 100) */
#endif
#ifndef HUBD_FORYOU_LIMIT_MAX
#define HUBD_FORYOU_LIMIT_MAX 100 /* largest ?limit */
#endif
#ifndef HUBD_FORYOU_PER_AUTHOR
#define HUBD_FORYOU_PER_AUTHOR 2 /* entries of one author in one answer */
#endif
#define HUBD_FATIGUE_K 0.5
#define HUBD_FATIGUE_TAU_MS (3.0 * 86400000.0)

typedef struct {
  char repo[144];        /* owner/name */
  char *description, *language, *html_url;
  int64_t stars, forks, pushed_at; /* pushed_at: ms, 0 unknown */
  int fork, archived;
  int highlight;
  double score;
  char why[HUBD_WHY_MAX];
} hubd_repo;

/* Reads a GET /users/{login}/repos answer (a JSON array) into a new array of at most
 * HUBD_REPOS_MAX repositories owned by login. Every field is type-checked; an element that is
 * not a usable repository is skipped. Returns 0 (*out, *n), or -1 with err. */
int hubd_repos_parse(const char *login, const char *json, size_t len, hubd_repo **out, size_t *n, char *err,
                     size_t errlen);
void hubd_repos_free(hubd_repo *r, size_t n);

/* The rules: sets score, highlight and why of each of r[0..n) as of now. */
void hubd_repos_pick(const char *login, hubd_repo *r, size_t n, int64_t now);

/* Refines the rules' picks with the LLM (llm: a const hub_llm_config *; NULL does nothing).
 * Returns 1 when the LLM's picks replaced the rules', 0 when the rules stand (err says why). */
int hubd_repos_refine(const void *llm, const char *login, hubd_repo *r, size_t n, const void *stop_flag, char *err,
                      size_t errlen);

/* Applies the LLM's answer (an object {"picks":[{"repo","why"}]}) to r: 1 used, 0 refused. */
int hubd_repos_apply_picks(const cJSON *answer, hubd_repo *r, size_t n);

/* Within the caller's transaction: replaces login's repositories with r[0..n) (their column
 * highlight is the rules' or the LLM's pick; a gallery image marked is_highlight makes a
 * repository a highlight at read time). Returns 0 or -1 with e. */
int hubd_repos_store(PGconn *c, const char *login, const hubd_repo *r, size_t n, hubd_pg_err *e);

/* login's repositories as a JSON array (new), highlights first; NULL with e. */
cJSON *hubd_repos_json(PGconn *c, const char *login, hubd_pg_err *e);

/* Within the caller's transaction: rebuilds viewer's candidates. Returns their number, or -1. */
int64_t hubd_foryou_rebuild(PGconn *c, const char *viewer, int64_t now, hubd_pg_err *e);

/* GET /for-you/{viewer}: {"viewer","built_at","items":[…]} (new), counting the items shown;
 * NULL with e. */
cJSON *hubd_foryou_get(PGconn *c, const char *viewer, int limit, int64_t now, hubd_pg_err *e);

/* A reaction of viewer to author's repo: "open", "like" or "hide". Returns 1, 0 when the repo is
 * not among viewer's candidates, -1 with e. */
int hubd_foryou_react(PGconn *c, const char *viewer, const char *author, const char *repo, const char *reaction,
                      int64_t now, hubd_pg_err *e);

/* The fatigue factor (0, 1] of an item shown s times since the last reaction, last at
 * last_shown (ms; 0 never). */
double hubd_fatigue(int64_t s, int64_t last_shown, int64_t now);

#endif
