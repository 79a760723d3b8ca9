/*
 * seeds.c — writes the seed corpora of the fuzz targets (test layer, run by `make fuzz`):
 *
 *   sync/      recorded runs: every request the scenario of sync_drive.h plans is answered
 *              from tests/exchanges (demo, gfi, paginate-issues, tangled) and the choices are
 *              written in the target's input format; variants with the shared fixtures' DID
 *              documents as PLC answers, with page_size 3 (the paginate recording), with every
 *              third request failing, and with only the first N answers recorded
 *   markdown/  every "body" string of the recorded JSON bodies, md4c's own test examples
 *              (MD4C_TEST_DIR: spec.txt, tables.txt … from its Debian orig tarball)
 *   call/      command scripts: a sync fed with recorded pages, gfi_repos from the shared
 *              up-for-grabs files' owners, the tip commands
 *   ufg/       the shared fixtures' up-for-grabs project files (valid and invalid)
 *   obd/       the first rows of the shared Open Bandit Dataset logs, once per policy
 *
 * usage: seeds OUTDIR MD4C_TEST_DIR [FIXTURES_DIR]   (fixtures default: ../shared/fixtures;
 * missing fixtures or md4c tests are skipped with a note). Prints how many seeds it wrote.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "../replay.h"
#include "sync_drive.h"

static const char *outdir;
static long written[8];
static const char *const targets[] = {"sync", "markdown", "call", "ufg", "obd"};

static uint64_t fnv(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
  return h;
}

/* Writes one seed; name NULL names it by its content. */
static void put(int target, const char *name, const void *p, size_t n) {
  char path[1024];
  FILE *f;
  if (name) snprintf(path, sizeof path, "%s/%s/%s", outdir, targets[target], name);
  else snprintf(path, sizeof path, "%s/%s/seed-%016llx", outdir, targets[target], (unsigned long long)fnv(p, n));
  f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "seeds: cannot write %s\n", path);
    exit(1);
  }
  written[target]++;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *p;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  p = malloc((size_t)n + 1);
  if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) abort();
  p[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* Calls fn(path, ud) for each regular file in dir whose name ends with one of exts ("" = any). */
static void each_file(const char *dir, const char *const *exts, void (*fn)(const char *, void *), void *ud) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, i;
  if (!d) return;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    const char *const *x;
    if (e->d_name[0] == '.') continue;
    for (x = exts; *x; x++)
      if (l >= strlen(*x) && strcmp(e->d_name + l - strlen(*x), *x) == 0) break;
    if (!*x) continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (!names || !(names[n] = malloc(strlen(dir) + l + 2))) abort();
    sprintf(names[n++], "%s/%s", dir, e->d_name);
  }
  closedir(d);
  for (i = 0; i < n; i++) { /* readdir order is arbitrary: sort for stable seeds */
    size_t j;
    for (j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) {
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
      }
  }
  for (i = 0; i < n; i++) {
    fn(names[i], ud);
    free(names[i]);
  }
  free(names);
}

/* ---- sync: recorded runs ------------------------------------------------------------------ */

typedef struct {
  replay *gh, *tg;
  const char *plc_body; /* replaces every PLC answer's body when set */
  int fail_every;       /* a network error for every n-th request */
  long n;
} rec_ctx;

static char *dupn(const char *s, size_t n) {
  char *r = malloc(n + 1);
  if (!r) abort();
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

static void record(void *ud, const char *url, const cJSON *req_headers, fz_answer *a) {
  rec_ctx *c = ud;
  replay_header hdrs[16];
  size_t nh = 0, i;
  const cJSON *e;
  replay *r = c->gh;
  replay_response resp;
  char path[4096];
  cJSON_ArrayForEach(e, req_headers) {
    if (nh < 16 && cJSON_IsString(e)) {
      hdrs[nh].name = e->string;
      hdrs[nh].value = e->valuestring;
      nh++;
    }
  }
  /* FZ_TG → the tangled recording; other 127.0.0.1 hosts → the GitHub ones; any other host
   * (did:web) → the tangled recording under /host/path, as tangled_test maps it */
  if (strncmp(url, FZ_TG, strlen(FZ_TG)) == 0) {
    r = c->tg;
    snprintf(path, sizeof path, "%s", url + strlen(FZ_TG));
  } else if (strncmp(url, "http://127.0.0.1:", 17) == 0) {
    const char *p = strchr(url + 17, '/');
    snprintf(path, sizeof path, "%s", p ? p : "/");
  } else {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    r = c->tg;
    snprintf(path, sizeof path, "/%s", h);
  }
  memset(&resp, 0, sizeof resp);
  if (replay_answer(r, "GET", path, hdrs, nh, &resp)) abort();
  c->n++;
  if (c->fail_every && c->n % c->fail_every == 0) {
    a->kind = FZ_A_NETERR;
    a->body = dupn("connect: connection refused", 27);
    a->blen = 27;
    replay_response_free(&resp);
    return;
  }
  a->kind = FZ_A_STATUS;
  a->status = resp.status;
  for (i = 0; i < resp.nheaders; i++) {
    unsigned k;
    for (k = 0; k + 1 < FZ_NHDR; k++) {
      if (strcasecmp(resp.headers[i].name, fz_header_names[k]) == 0 && !(a->mask >> k & 1)) {
        a->mask |= 1u << k;
        a->hv[k] = dupn(resp.headers[i].value, strlen(resp.headers[i].value));
        a->hl[k] = strlen(resp.headers[i].value);
        break;
      }
    }
  }
  if (c->plc_body && strstr(url, "/plc/")) {
    a->body = dupn(c->plc_body, strlen(c->plc_body));
    a->blen = strlen(c->plc_body);
  } else {
    a->body = dupn(resp.body ? resp.body : "", resp.body_len);
    a->blen = resp.body_len;
  }
  replay_response_free(&resp);
}

static void sync_seed(replay *gh, replay *tg, const char *name, unsigned page_size, const char *plc_body,
                      int fail_every, long max_answers) {
  rec_ctx c;
  fz_recorder rec;
  fz_buf out = {0};
  memset(&c, 0, sizeof c);
  memset(&rec, 0, sizeof rec);
  c.gh = gh;
  c.tg = tg;
  c.plc_body = plc_body;
  c.fail_every = fail_every;
  replay_rewind(gh);
  replay_rewind(tg);
  rec.fn = record;
  rec.ud = &c;
  rec.page_size = page_size;
  rec.runs = 2;
  rec.max_answers = max_answers;
  fz_sync_drive(NULL, &rec, 1);
  fz_recorder_bytes(&rec, &out);
  put(0, name, out.p, out.len);
  fz_buf_free(&out);
}

static void did_doc_seed(const char *path, void *ud) {
  replay **r = ud;
  size_t n;
  char *doc = slurp(path, &n), name[300];
  const char *base = strrchr(path, '/');
  snprintf(name, sizeof name, "plc-%s", base ? base + 1 : path);
  sync_seed(r[0], r[1], name, 0, doc, 0, 40);
  free(doc);
}

/* ---- markdown ----------------------------------------------------------------------------- */

static void bodies_of(const cJSON *j) {
  const cJSON *e;
  if (cJSON_IsString(j) && j->string && strcmp(j->string, "body") == 0 && *j->valuestring)
    put(1, NULL, j->valuestring, strlen(j->valuestring));
  cJSON_ArrayForEach(e, j) bodies_of(e);
}

static void json_bodies(const char *path, void *ud) {
  size_t n;
  char *t = slurp(path, &n);
  cJSON *j = cJSON_Parse(t);
  (void)ud;
  bodies_of(j);
  cJSON_Delete(j);
  free(t);
}

/* md4c's test files: examples between a fence of 32 backticks + " example" and a "." line. */
static void md4c_examples(const char *path, void *ud) {
  size_t n;
  char *t = slurp(path, &n), *p = t;
  const char *fence = "````````````````````````````````";
  (void)ud;
  while ((p = strstr(p, fence)) != NULL) {
    char *start = strchr(p, '\n'), *end;
    if (!start) break;
    start++;
    end = strstr(start, "\n.\n");
    if (!end) break;
    {
      size_t len = (size_t)(end - start) + 1, i, k = 0;
      char *ex = dupn(start, len);
      for (i = 0; i < len; i++) /* the tests write a tab as → */
        if ((unsigned char)ex[i] == 0xe2 && i + 2 < len && (unsigned char)ex[i + 1] == 0x86 &&
            (unsigned char)ex[i + 2] == 0x92) {
          ex[k++] = '\t';
          i += 2;
        } else {
          ex[k++] = ex[i];
        }
      put(1, NULL, ex, k);
      free(ex);
    }
    p = strstr(end + 3, fence);
    if (!p) break;
    p += strlen(fence);
  }
  free(t);
}

static void md_file(const char *path, void *ud) {
  size_t n;
  char *t = slurp(path, &n);
  (void)ud;
  put(1, NULL, t, n);
  free(t);
}

/* ---- call --------------------------------------------------------------------------------- */

static void call_seeds(const char *fixtures) {
  static const char *const tip =
      "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"me\",\"contributors\":{\"alice\":2}}}\n"
      "{\"cmd\":\"gfi_repos\",\"source\":\"up-for-grabs\",\"now\":1763900000000,\"repos\":"
      "[{\"owner\":\"octocat\",\"name\":\"Hello-World\",\"label\":\"good first issue\",\"tags\":[\"c\"]}]}\n"
      "{\"cmd\":\"tip\",\"now\":1763900000000,\"seed\":3,\"debug\":true}\n"
      "{\"cmd\":\"tip_feedback\",\"decision\":1,\"now\":1763900001000,\"reaction\":\"snooze\",\"snooze_until\":1763990000000}\n"
      "{\"cmd\":\"tip_policies\",\"set\":{\"enabled\":{\"random\":true,\"linucb\":true,\"score_greedy\":true},\"epsilon\":0.1}}\n"
      "{\"cmd\":\"tip_stats\"}\n{\"cmd\":\"tip_eval\",\"source\":\"log\",\"policy\":\"linucb\"}\n"
      "{\"cmd\":\"tip_simulate\",\"users\":2,\"steps\":20}\n{\"cmd\":\"tip_reset\"}\n";
  static const char *const reads =
      "{\"cmd\":\"settings\"}\n{\"cmd\":\"stats\"}\n{\"cmd\":\"last_run\"}\n{\"cmd\":\"gfi_repos\"}\n"
      "{\"cmd\":\"cards\",\"now\":1763900000000,\"limit\":5,\"from\":\"gfi\"}\n"
      "{\"cmd\":\"card\",\"now\":1763900000000,\"key\":\"github.com/octocat/Hello-World#1\"}\n";
  static const char *const pages[] = {"tests/exchanges/demo/search-authored-1.json",
                                      "tests/exchanges/paginate-issues/page1.json",
                                      "tests/exchanges/demo/notifications.json"};
  size_t i;
  put(2, "tip", tip, strlen(tip));
  put(2, "reads", reads, strlen(reads));
  for (i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    fz_buf b = {0};
    size_t n;
    char *body = slurp(pages[i], &n), name[32];
    if (!body) continue;
    fz_adds(&b, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"github_user\":\"octocat\",\"repos\":[\"o/r\"],"
                "\"notifications\":true,\"search\":true}}\n{\"cmd\":\"sync_start\",\"now\":1763900000000}\n"
                "{\"cmd\":\"sync_next\",\"now\":1763900000000}\n"
                "{\"cmd\":\"sync_feed\",\"id\":1,\"now\":1763900000005,\"status\":200,\"headers\":"
                "{\"etag\":\"\\\"e1\\\"\",\"link\":\"<https://api.github.com/x?page=2>; rel=\\\"next\\\"\","
                "\"x-ratelimit-remaining\":\"0\",\"x-ratelimit-reset\":\"1763900060\"},\"body\":");
    fz_add_json_str(&b, body, n);
    fz_adds(&b, "}\n{\"cmd\":\"sync_next\",\"now\":1763900000010}\n{\"cmd\":\"sync_abort\"}\n");
    fz_adds(&b, reads);
    snprintf(name, sizeof name, "sync-page-%zu", i);
    put(2, name, b.p, b.len);
    fz_buf_free(&b);
    free(body);
  }
  {
    /* gfi_repos with the owners and names the shared up-for-grabs files name */
    char dir[1024];
    DIR *d;
    struct dirent *e;
    fz_buf b = {0};
    snprintf(dir, sizeof dir, "%s/up-for-grabs/projects", fixtures);
    d = opendir(dir);
    fz_adds(&b, "{\"cmd\":\"gfi_repos\",\"source\":\"up-for-grabs\",\"now\":1763900000000,\"repos\":[");
    while (d && (e = readdir(d)) != NULL) {
      char *dot = strrchr(e->d_name, '.');
      if (e->d_name[0] == '.' || !dot) continue;
      if (b.p[b.len - 1] != '[') fz_adds(&b, ",");
      fz_adds(&b, "{\"owner\":");
      fz_add_json_str(&b, e->d_name, (size_t)(dot - e->d_name));
      fz_adds(&b, ",\"name\":\"x\",\"label\":\"help wanted\",\"tags\":[\"c#\"]}");
    }
    if (d) closedir(d);
    fz_adds(&b, "],\"skipped\":{\"not a GitHub repository\":2}}\n");
    fz_adds(&b, reads);
    put(2, "gfi-repos", b.p, b.len);
    fz_buf_free(&b);
  }
}

/* ---- ufg and obd -------------------------------------------------------------------------- */

static void ufg_file(const char *path, void *ud) {
  size_t n;
  char *t = slurp(path, &n);
  (void)ud;
  put(3, NULL, t, n);
  free(t);
}

static void obd_file(const char *path, const char *tag) {
  size_t n, cut = 0;
  char *t = slurp(path, &n), name[64];
  int lines = 0;
  unsigned pol;
  if (!t) return;
  while (cut < n && lines < 25) /* the header and 24 rows */
    if (t[cut++] == '\n') lines++;
  for (pol = 0; pol < 3; pol++) {
    /* the last four bytes, read from the end: policy, position, seed, actions */
    unsigned char tail[4];
    char *s = malloc(cut + 4);
    if (!s) abort();
    tail[3] = (unsigned char)(pol == 2 ? 4 * 3 + 2 : pol); /* uniform, affinity, item:3 */
    tail[2] = 0;
    tail[1] = 3;
    tail[0] = 0;
    memcpy(s, t, cut);
    memcpy(s + cut, tail, 4);
    snprintf(name, sizeof name, "%s-%u", tag, pol);
    put(4, name, s, cut + 4);
    free(s);
  }
  free(t);
}

int main(int argc, char **argv) {
  const char *md4c = argc > 2 ? argv[2] : "", *fx = argc > 3 ? argv[3] : "../shared/fixtures";
  static const char *const json_ext[] = {".json", NULL}, *const txt_ext[] = {".txt", NULL},
                           *const md_ext[] = {".md", NULL}, *const yml_ext[] = {".yml", ".yaml", NULL};
  char path[1024], err[256];
  size_t i;
  replay *gh, *tg;
  if (argc < 2) {
    fprintf(stderr, "usage: seeds OUTDIR MD4C_TEST_DIR [FIXTURES_DIR]\n");
    return 2;
  }
  outdir = argv[1];
  mkdir(outdir, 0777);
  for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", outdir, targets[i]);
    mkdir(path, 0777);
  }
  {
    const char *ghd[] = {"tests/exchanges/demo", "tests/exchanges/gfi", "tests/exchanges/paginate-issues"};
    const char *tgd[] = {"tests/exchanges/tangled"};
    gh = replay_load(ghd, 3, FZ_API, err, sizeof err);
    tg = gh ? replay_load(tgd, 1, FZ_TG, err, sizeof err) : NULL;
    if (!gh || !tg) {
      fprintf(stderr, "seeds: replay_load: %s\n", err);
      return 1;
    }
  }
  sync_seed(gh, tg, "recorded", 0, NULL, 0, 0);
  sync_seed(gh, tg, "recorded-page-size-3", 3, NULL, 0, 0);
  sync_seed(gh, tg, "recorded-neterr-3", 0, NULL, 3, 0);
  {
    /* the first answers only (the rest 404): small inputs the fuzzer mutates quickly */
    static const long firsts[] = {1, 2, 3, 5, 8, 13, 21, 34, 55};
    for (i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
      snprintf(path, sizeof path, "recorded-first-%ld", firsts[i]);
      sync_seed(gh, tg, path, 0, NULL, 0, firsts[i]);
      snprintf(path, sizeof path, "recorded-page-size-3-first-%ld", firsts[i]);
      sync_seed(gh, tg, path, 3, NULL, 0, firsts[i]);
    }
  }
  {
    replay *both[2];
    both[0] = gh;
    both[1] = tg;
    snprintf(path, sizeof path, "%s/atproto/did-documents", fx);
    each_file(path, json_ext, did_doc_seed, both);
  }
  replay_free(gh);
  replay_free(tg);

  each_file("tests/exchanges/demo", json_ext, json_bodies, NULL);
  each_file("tests/exchanges/gfi", json_ext, json_bodies, NULL);
  each_file("tests/exchanges/tangled", json_ext, json_bodies, NULL);
  each_file(md4c, txt_ext, md4c_examples, NULL);
  snprintf(path, sizeof path, "%s/fuzz-input", md4c);
  each_file(path, md_ext, md_file, NULL);

  call_seeds(fx);

  snprintf(path, sizeof path, "%s/up-for-grabs/projects", fx);
  each_file(path, yml_ext, ufg_file, NULL);
  snprintf(path, sizeof path, "%s/up-for-grabs/tooling/test-fixtures-projects", fx);
  each_file(path, yml_ext, ufg_file, NULL);

  snprintf(path, sizeof path, "%s/obd/random/men.csv", fx);
  obd_file(path, "random-men");
  snprintf(path, sizeof path, "%s/obd/bts/men.csv", fx);
  obd_file(path, "bts-men");

  for (i = 0; i < sizeof targets / sizeof targets[0]; i++)
    printf("seeds: %-8s %ld\n", targets[i], written[i]);
  if (!written[3] || !written[4]) printf("seeds: note: no shared fixtures at %s (ufg/obd seeds missing)\n", fx);
  return 0;
}
