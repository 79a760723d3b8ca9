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

int main(int argc, char **argv) {
  hub *h = NULL;
  char err[256], dir[1024], *txt, *out;
  cJSON *cmd, *res;
  if (getenv("HUB_UFG_DIR")) fx = getenv("HUB_UFG_DIR");
  if (argc > 1) fx = argv[1];
  {
    /* the fixtures come from the shared folder beside the clone (CI has it) */
    char probe[1024];
    FILE *f;
    snprintf(probe, sizeof probe, "%s/tooling/schema.json", fx);
    f = fopen(probe, "rb");
    if (!f) {
      printf("note: %s not found; the up-for-grabs reader was not tested\n", fx);
      printf("ufg tests: 0 passed, 0 failed\n");
      return 0;
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
