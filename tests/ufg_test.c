/*
 * ufg_test.c — the up-for-grabs reader (src/server/upforgrabs.c, native only) on the real
 * project files and the tooling's valid/invalid fixtures in ../shared/fixtures/up-for-grabs,
 * then the command it builds fed to the core (one batch, skipped files counted).
 *
 * usage: ufg_test [FIXTURES_DIR]   (default: $HUB_UFG_DIR, else ../shared/fixtures/up-for-grabs,
 *                                   the shared folder beside the clone)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "server/upforgrabs.h"

static const char *fx = "../shared/fixtures/up-for-grabs";

static void expect(const char *file, int want_rc, const char *want) {
  char path[1024], why[300] = "";
  cJSON *r = NULL;
  int rc;
  snprintf(path, sizeof path, "%s/%s", fx, file);
  rc = hub_ufg_read_file(path, &r, why, sizeof why);
  CHECK(rc == want_rc, "%s: rc %d, want %d (%s)", file, rc, want_rc, why);
  if (rc == 0) {
    char got[300];
    snprintf(got, sizeof got, "%s/%s %s", tu_str(r, "owner"), tu_str(r, "name"), tu_str(r, "label"));
    CHECK(strcmp(got, want) == 0, "%s: got '%s', want '%s'", file, got, want);
  } else {
    CHECK(strstr(why, want) != NULL, "%s: reason '%s' should mention '%s'", file, why, want);
  }
  cJSON_Delete(r);
}

/* Writes text to build/out/ufg-<name>.yml and reads it. Returns rc; why receives the reason. */
static int read_text(const char *name, const char *text, size_t len, cJSON **r, char *why, size_t wl) {
  char path[256];
  snprintf(path, sizeof path, "build/out/ufg-%s.yml", name);
  tu_write_file(path, text, len);
  *r = NULL;
  return hub_ufg_read_file(path, r, why, wl);
}

/* Hostile and odd files the fixtures do not have; no shared fixtures needed. */
static void test_hostile(void) {
  static const char valid[] =
      "name: x\ndesc: d\nsite: https://example.com\ntags:\n  - c\nupforgrabs:\n  name: good first issue\n"
      "  link: https://github.com/%s/proj/labels/good%%20first%%20issue\n";
  static const char *const owners[] = {"i", "is", "o", "or", "issue", "org"};
  char text[512], why[300];
  cJSON *r;
  size_t i, n = 128000;
  char *deep;
  for (i = 0; i < sizeof owners / sizeof owners[0]; i++) {
    snprintf(text, sizeof text, valid, owners[i]);
    CHECK(read_text("owner", text, strlen(text), &r, why, sizeof why) == 0 && strcmp(tu_str(r, "owner"), owners[i]) == 0,
          "an owner named \"%s\" (a prefix of issues/orgs) is a repository: %s", owners[i], why);
    cJSON_Delete(r);
  }
  snprintf(text, sizeof text, "name: x\ndesc: d\nsite: https://example.com\ntags: [c]\nupforgrabs:\n  name: g\n"
                              "  link: https://github.com/issues/proj/labels/g\n");
  CHECK(read_text("issues", text, strlen(text), &r, why, sizeof why) == 1 && strstr(why, "no single repository"),
        "github.com/issues/… names no repository");
  cJSON_Delete(r);
  /* one flow sequence nested 128,000 deep (256 KB, under the file cap) stops at the depth limit
   * while parsing, instead of loading the whole document first */
  deep = malloc(2 * n + 1);
  memset(deep, '[', n);
  memset(deep + n, ']', n);
  deep[2 * n] = 0;
  CHECK(read_text("deep", deep, 2 * n, &r, why, sizeof why) < 0 && strstr(why, "deeper"),
        "a 128,000-deep flow sequence is refused by depth (%s)", why);
  cJSON_Delete(r);
  free(deep);
  snprintf(text, sizeof text, "a: &x [1, 2]\nb: *x\n");
  CHECK(read_text("alias", text, strlen(text), &r, why, sizeof why) < 0 && strstr(why, "aliases"),
        "aliases are refused (%s)", why);
  cJSON_Delete(r);
}

int main(int argc, char **argv) {
  hub *h = NULL;
  char err[256], dir[1024], *txt, *out;
  cJSON *cmd, *res;
  if (getenv("HUB_UFG_DIR")) fx = getenv("HUB_UFG_DIR");
  if (argc > 1) fx = argv[1];
  test_hostile();
  {
    /* the fixtures come from the shared folder beside the clone (CI has it) */
    char probe[1024];
    FILE *f;
    snprintf(probe, sizeof probe, "%s/tooling/schema.json", fx);
    f = fopen(probe, "rb");
    if (!f) {
      printf("note: %s not found; the up-for-grabs reader was not tested\n", fx);
      printf("ufg tests: %d passed, %d failed\n", tu_passed, tu_failed);
      return tu_failed ? 1 : 0;
    }
    fclose(f);
  }
  /* the tooling's fixtures */
  expect("tooling/test-fixtures-projects/valid_project_file.yml", 0, "up-for-grabs/up-for-grabs.net up-for-grabs");
  expect("tooling/test-fixtures-projects/valid_project_with_no_open_issues.yml", 0,
         "up-for-grabs/up-for-grabs.net up-for-grabs");
  expect("tooling/test-fixtures-projects/valid_project_with_stats.yml", 0, "up-for-grabs/up-for-grabs.net up-for-grabs");
  expect("tooling/test-fixtures-projects/error_duplicate_tags.yml", -1, "listed twice");
  expect("tooling/test-fixtures-projects/error_empty_tags.yml", -1, "\"tags\"");
  expect("tooling/test-fixtures-projects/error_no_tags.yml", -1, "\"tags\" is missing");
  expect("tooling/test-fixtures-projects/error_parsing.yml", -1, "YAML error at line 1");
  expect("tooling/test-fixtures-projects/error_recommended_tag.yml", -1, "preferred spelling");
  expect("tooling/test-fixtures-projects/error_required_fields.yml", -1, "upforgrabs.name");
  expect("tooling/test-fixtures-projects/error_site_link_url.yml", -1, "\"site\" is not a URL");
  expect("tooling/test-fixtures-projects/error_stats_invalid_last_updated.yml", -1, "last-updated");
  expect("tooling/test-fixtures-projects/error_stats_negative_issue_count.yml", -1, "negative");
  expect("tooling/test-fixtures-projects/error_tags_as_string.yml", -1, "\"tags\" is not a non-empty list");
  expect("tooling/test-fixtures-projects/error_upforgrabs_link_url.yml", -1, "upforgrabs.link\" is not a URL");
  expect("tooling/test-fixtures-projects/error_upper_case_tag.yml", -1, "not lower-case");
  /* the real project files */
  expect("projects/rust.yml", 0, "rust-lang/rust E-easy");
  expect("projects/Giraffe.yml", 0, "giraffe-fsharp/Giraffe help wanted");
  expect("projects/jabref.yml", 0, "JabRef/jabref good first issue");
  expect("projects/dotnet-runtime.yml", 0, "dotnet/runtime help wanted");
  expect("projects/meshery.yaml", 1, "names no single repository");
  expect("projects/Discourse.yml", 1, "not a GitHub repository");
  expect("projects/gitlab.yml", 1, "not a GitHub repository");
  expect("projects/xunit.ts.yml", 0, "ecoAPM/xunit.ts help wanted");
  expect("projects/bagisto.yml", 0, "bagisto/bagisto Easy");
  expect("projects/up-for-grabs.net.yml", 0, "up-for-grabs/up-for-grabs.net up-for-grabs");

  /* a whole directory → the command → the core */
  snprintf(dir, sizeof dir, "%s/projects", fx);
  cmd = hub_ufg_command(dir, 1763900000000LL, err, sizeof err);
  CHECK(cmd != NULL, "hub_ufg_command: %s", err);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cmd, "repos")) == 7, "projects/: 7 repos, got %d",
        cJSON_GetArraySize(cJSON_GetObjectItem(cmd, "repos")));
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cmd, "problems")) == 3, "projects/: 3 files skipped");
  CHECK(tu_str(cmd, "repos.0.tags.0") && strcmp(tu_str(cmd, "repos.0.tags.0"), "f#") == 0,
        "projects/: quoted tags stay as written (Giraffe: f#)");
  CHECK(hub_ufg_command("/nonexistent-dir", 0, err, sizeof err) == NULL && strstr(err, "cannot read"),
        "a missing directory is an error");
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    return 1;
  }
  txt = cJSON_PrintUnformatted(cmd);
  out = hub_call(h, txt);
  res = cJSON_Parse(out);
  CHECK(tu_num(res, "new") == 7 && tu_num(res, "skipped") == 3, "gfi_repos: 7 new, 3 skipped (%s)", out);
  CHECK(tu_num(res, "skip_reasons.not a GitHub repository (link elsewhere)") == 2,
        "gfi_repos: 2 links elsewhere");
  CHECK(tu_count(h, "SELECT count(*) FROM repos WHERE lists='[\"up-for-grabs\"]' AND source='up-for-grabs'") == 7,
        "repos recorded with their list");
  cJSON_Delete(res);
  hub_free(out);
  out = hub_call(h, txt); /* the same files again: nothing changes */
  res = cJSON_Parse(out);
  CHECK(tu_num(res, "unchanged") == 7 && tu_num(res, "new") == 0, "gfi_repos again: 7 unchanged");
  cJSON_Delete(res);
  hub_free(out);
  free(txt);
  cJSON_Delete(cmd);
  {
    /* a tooling directory with only invalid files and the three valid ones */
    snprintf(dir, sizeof dir, "%s/tooling/test-fixtures-projects", fx);
    cmd = hub_ufg_command(dir, 1, err, sizeof err);
    CHECK(cmd && cJSON_GetArraySize(cJSON_GetObjectItem(cmd, "repos")) == 3 &&
              tu_num(cmd, "skipped.invalid up-for-grabs project file") == 12,
          "tooling fixtures: 3 valid, 12 invalid");
    cJSON_Delete(cmd);
  }
  hub_close(h);
  printf("ufg tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed ? 1 : 0;
}
