/*
 * upforgrabs.c — up-for-grabs project files (YAML) → the gfi_repos command (native only).
 *
 * Each file is read with libyaml's event API straight into cJSON (scalars as strings), and the
 * depth and node limits are checked as the events arrive — a file of one flow sequence nested
 * 128,000 deep stops at depth 17, instead of being loaded whole first — then validated like the project's JSON schema and its tooling say:
 * required name, desc, site (a URL), tags (a non-empty list of distinct lower-case tags of
 * [a-z0-9+#.-], preferred spellings), upforgrabs.name and upforgrabs.link (a URL), and
 * optional stats (issue-count ≥ 0; last-updated a date-time unless the count is 0). A valid
 * file whose link is a GitHub label or issues page of one repository becomes
 * {"owner","name","label","tags"}; other links are skipped with a reason.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "upforgrabs.h"

#define UFG_MAX_DEPTH 16
#define UFG_MAX_NODES 10000

/* The YAML text buf[0..len) → cJSON (scalars are strings, a plain empty/"~"/"null" scalar is
 * null, a repeated key: the last wins, complex keys skipped). Stops at UFG_MAX_DEPTH nesting or
 * UFG_MAX_NODES nodes as the events arrive; aliases are refused. Returns the value (caller
 * deletes), or NULL with why set. */
static cJSON *load_events(const unsigned char *buf, size_t len, char *why, size_t whylen) {
  yaml_parser_t parser;
  yaml_event_t ev;
  cJSON *stack[UFG_MAX_DEPTH + 2], *root = NULL;
  char *key[UFG_MAX_DEPTH + 2]; /* per open mapping: the key waiting for its value, or NULL */
  int depth = 0, nodes = 0, done = 0, ok = 0, have_event = 0;
  memset(key, 0, sizeof key);
  if (!yaml_parser_initialize(&parser)) {
    snprintf(why, whylen, "out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&parser, buf, len);
  while (!done) {
    cJSON *v = NULL;
    int open = 0, add = 0;
    if (!yaml_parser_parse(&parser, &ev)) {
      snprintf(why, whylen, "YAML error at line %lu: %.120s", (unsigned long)parser.problem_mark.line + 1,
               parser.problem ? parser.problem : "unreadable");
      goto fail;
    }
    have_event = 1;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = 1; break;
    case YAML_DOCUMENT_END_EVENT: done = root != NULL; break;
    case YAML_ALIAS_EVENT:
      snprintf(why, whylen, "YAML aliases are not part of a project file");
      goto fail;
    case YAML_SCALAR_EVENT: {
      const char *sv = (const char *)ev.data.scalar.value;
      if (depth > 0 && cJSON_IsObject(stack[depth]) && !key[depth]) { /* a mapping key */
        key[depth] = strndup(sv, ev.data.scalar.length < 127 ? ev.data.scalar.length : 127);
        if (!key[depth]) goto oom;
        break;
      }
      v = ev.data.scalar.plain_implicit && (!*sv || strcmp(sv, "~") == 0 || strcmp(sv, "null") == 0)
              ? cJSON_CreateNull()
              : cJSON_CreateString(sv);
      add = 1;
      break;
    }
    case YAML_SEQUENCE_START_EVENT: v = cJSON_CreateArray(); open = add = 1; break;
    case YAML_MAPPING_START_EVENT: v = cJSON_CreateObject(); open = add = 1; break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      free(key[depth]);
      key[depth] = NULL;
      depth--;
      break;
    default: break;
    }
    if (add) {
      if (!v) goto oom;
      if (++nodes > UFG_MAX_NODES) {
        cJSON_Delete(v);
        snprintf(why, whylen, "more than %d YAML nodes", UFG_MAX_NODES);
        goto fail;
      }
      if (depth == 0) {
        if (root) cJSON_Delete(root);
        root = v;
      } else if (cJSON_IsArray(stack[depth])) {
        cJSON_AddItemToArray(stack[depth], v);
      } else if (key[depth]) {
        cJSON_DeleteItemFromObjectCaseSensitive(stack[depth], key[depth]);
        cJSON_AddItemToObject(stack[depth], key[depth], v);
        free(key[depth]);
        key[depth] = NULL;
      } else { /* a complex key (a mapping or a sequence as a key): not in this schema */
        if (open) {
          snprintf(why, whylen, "complex YAML keys are not part of a project file");
          cJSON_Delete(v);
          goto fail;
        }
        cJSON_Delete(v);
      }
      if (open) {
        if (depth + 1 > UFG_MAX_DEPTH) {
          snprintf(why, whylen, "YAML nested deeper than %d", UFG_MAX_DEPTH);
          goto fail;
        }
        stack[++depth] = v;
      }
    }
    yaml_event_delete(&ev);
    have_event = 0;
  }
  ok = root != NULL;
  if (!ok) snprintf(why, whylen, "empty");
  goto fail;
oom:
  snprintf(why, whylen, "out of memory");
fail:
  if (have_event) yaml_event_delete(&ev);
  for (; depth >= 0; depth--) free(key[depth]);
  yaml_parser_delete(&parser);
  if (!ok) {
    cJSON_Delete(root);
    root = NULL;
  }
  return root;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "scheme://host…" with a letter-led scheme and a non-empty host. */
static int is_url(const char *s) {
  const char *p = s;
  if (!s || !isalpha((unsigned char)*p)) return 0;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') p++;
  return strncmp(p, "://", 3) == 0 && p[3] && p[3] != '/' && !strchr(s, ' ');
}

/* YYYY-MM-DDTHH:MM:SS followed by fraction/zone or nothing. */
static int is_datetime(const char *s) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  size_t i;
  if (!s || strlen(s) < sizeof shape - 1) return 0;
  for (i = 0; i < sizeof shape - 1; i++) {
    if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : (s[i] != shape[i] && !(i == 10 && s[i] == ' ')))
      return 0;
  }
  return 1;
}

/* The tooling's preferred spellings (a few of them): the tag on the left is refused. */
static const char *preferred(const char *tag) {
  static const struct { const char *bad, *good; } m[] = {
      {"js", "javascript"}, {"csharp", "c#"}, {"c-sharp", "c#"}, {"fsharp", "f#"}, {"golang", "go"},
      {"dotnet", ".net"}, {"py", "python"}, {"ts", "typescript"}, {"nodejs", "node.js"},
      {"node", "node.js"}, {"cpp", "c++"}, {"reactjs", "react"},
  };
  size_t i;
  for (i = 0; i < sizeof m / sizeof m[0]; i++)
    if (strcmp(tag, m[i].bad) == 0) return m[i].good;
  return NULL;
}

static int fail(char *why, size_t whylen, const char *fmt, const char *arg) {
  snprintf(why, whylen, fmt, arg ? arg : "");
  return -1;
}

/* Checks a loaded project (see hub_ufg_read_file). */
static int validate(const cJSON *p, char *why, size_t whylen) {
  static const char *const req[] = {"name", "desc", "site", "tags", "upforgrabs"};
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p, "tags"), *t, *u, *stats;
  size_t i;
  if (!cJSON_IsObject(p)) return fail(why, whylen, "the file is not a mapping of fields%s", NULL);
  for (i = 0; i < sizeof req / sizeof req[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, req[i]);
    if (!v || cJSON_IsNull(v)) return fail(why, whylen, "required field \"%s\" is missing", req[i]);
  }
  if (!str(p, "name") || !*str(p, "name")) return fail(why, whylen, "\"name\" is not a string%s", NULL);
  if (!str(p, "desc")) return fail(why, whylen, "\"desc\" is not a string%s", NULL);
  if (!is_url(str(p, "site"))) return fail(why, whylen, "\"site\" is not a URL%s", NULL);
  if (!cJSON_IsArray(tags) || cJSON_GetArraySize(tags) == 0)
    return fail(why, whylen, "\"tags\" is not a non-empty list%s", NULL);
  cJSON_ArrayForEach(t, tags) {
    const char *s = cJSON_IsString(t) ? t->valuestring : NULL, *q;
    const cJSON *o;
    if (!s || !*s) return fail(why, whylen, "a tag is not a string%s", NULL);
    for (q = s; *q; q++)
      if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || strchr("+#.-", *q)))
        return fail(why, whylen, "tag \"%.60s\" is not lower-case [a-z0-9+#.-]", s);
    if (preferred(s)) return fail(why, whylen, "tag \"%.60s\" has a preferred spelling", s);
    for (o = tags->child; o != t; o = o->next)
      if (cJSON_IsString(o) && strcmp(o->valuestring, s) == 0)
        return fail(why, whylen, "tag \"%.60s\" is listed twice", s);
  }
  u = cJSON_GetObjectItemCaseSensitive(p, "upforgrabs");
  if (!cJSON_IsObject(u)) return fail(why, whylen, "\"upforgrabs\" is not a mapping%s", NULL);
  if (!str(u, "name") || !*str(u, "name")) return fail(why, whylen, "\"upforgrabs.name\" is missing%s", NULL);
  if (!str(u, "link")) return fail(why, whylen, "\"upforgrabs.link\" is missing%s", NULL);
  if (!is_url(str(u, "link"))) return fail(why, whylen, "\"upforgrabs.link\" is not a URL%s", NULL);
  stats = cJSON_GetObjectItemCaseSensitive(p, "stats");
  if (stats && !cJSON_IsNull(stats)) {
    const char *c = str(stats, "issue-count"), *q;
    long long n;
    char *end;
    if (!cJSON_IsObject(stats)) return fail(why, whylen, "\"stats\" is not a mapping%s", NULL);
    if (!c) return fail(why, whylen, "\"stats.issue-count\" is missing%s", NULL);
    for (q = c; *q; q++)
      if (!isdigit((unsigned char)*q) && !(q == c && *q == '-'))
        return fail(why, whylen, "\"stats.issue-count\" (%.40s) is not an integer", c);
    n = strtoll(c, &end, 10);
    if (end == c || n < 0) return fail(why, whylen, "\"stats.issue-count\" (%.40s) is negative", c);
    if (n > 0 && !is_datetime(str(stats, "last-updated")))
      return fail(why, whylen, "\"stats.last-updated\" is not a date-time%s", NULL);
    if (str(stats, "last-updated") && !is_datetime(str(stats, "last-updated")))
      return fail(why, whylen, "\"stats.last-updated\" is not a date-time%s", NULL);
  }
  return 0;
}

/* owner/name of a https://github.com/OWNER/NAME/… link: 0, 1 when elsewhere or org-wide. */
static int repo_of(const char *link, char owner[40], char name[101], char *why, size_t whylen) {
  const char *p = link, *o, *n;
  size_t on, nn;
  if (strncmp(p, "https://", 8) == 0) p += 8;
  else if (strncmp(p, "http://", 7) == 0) p += 7;
  if (strncmp(p, "www.", 4) == 0) p += 4;
  if (strncmp(p, "github.com/", 11) != 0) {
    snprintf(why, whylen, "not a GitHub repository (link elsewhere)");
    return 1;
  }
  o = p + 11;
  on = strcspn(o, "/?#");
  n = o + on + (o[on] == '/');
  nn = o[on] == '/' ? strcspn(n, "/?#") : 0;
  if (!on || !nn || on > 39 || nn > 100 || (on == 6 && strncmp(o, "issues", 6) == 0) ||
      (on == 4 && strncmp(o, "orgs", 4) == 0)) {
    snprintf(why, whylen, "GitHub link that names no single repository");
    return 1;
  }
  memcpy(owner, o, on);
  owner[on] = 0;
  memcpy(name, n, nn);
  name[nn] = 0;
  return 0;
}

int hub_ufg_read_file(const char *path, cJSON **out, char *why, size_t whylen) {
  FILE *f = NULL;
  unsigned char *buf = NULL;
  size_t len;
  int rc = -1;
  cJSON *p = NULL, *r = NULL;
  char owner[40], name[101];
  *out = NULL;
  f = fopen(path, "rb");
  if (!f) {
    snprintf(why, whylen, "cannot open the file");
    goto done;
  }
  buf = malloc(HUB_UFG_MAX_FILE + 1);
  if (!buf) {
    snprintf(why, whylen, "out of memory");
    goto done;
  }
  len = fread(buf, 1, HUB_UFG_MAX_FILE + 1, f);
  if (len > HUB_UFG_MAX_FILE) {
    snprintf(why, whylen, "file over %u bytes", (unsigned)HUB_UFG_MAX_FILE);
    goto done;
  }
  p = load_events(buf, len, why, whylen);
  if (!p) goto done;
  if (validate(p, why, whylen)) goto done;
  {
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(p, "upforgrabs");
    if (repo_of(str(u, "link"), owner, name, why, whylen)) {
      rc = 1;
      goto done;
    }
    r = cJSON_CreateObject();
    if (!r || !cJSON_AddStringToObject(r, "owner", owner) || !cJSON_AddStringToObject(r, "name", name) ||
        !cJSON_AddStringToObject(r, "label", str(u, "name"))) {
      snprintf(why, whylen, "out of memory");
      goto done;
    }
    cJSON_AddItemToObject(r, "tags", cJSON_DetachItemFromObjectCaseSensitive(p, "tags"));
  }
  *out = r;
  r = NULL;
  rc = 0;
done:
  if (f) fclose(f);
  free(buf);
  cJSON_Delete(p);
  cJSON_Delete(r);
  return rc;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_ext(const char *n) {
  size_t l = strlen(n);
  return (l > 4 && strcmp(n + l - 4, ".yml") == 0) || (l > 5 && strcmp(n + l - 5, ".yaml") == 0);
}

cJSON *hub_ufg_command(const char *dir, int64_t now_ms, char *err, size_t errlen) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  cJSON *cmd = NULL, *repos, *skipped, *problems;
  if (!d) {
    snprintf(err, errlen, "cannot read directory %s", dir);
    return NULL;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !has_ext(e->d_name)) continue;
    if (n == HUB_UFG_MAX_FILES) break;
    if (n == cap) {
      char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
      if (!nn) goto oom;
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) goto oom;
    n++;
  }
  if (names) qsort(names, n, sizeof *names, cmp_names);
  cmd = cJSON_CreateObject();
  if (!cmd || !cJSON_AddStringToObject(cmd, "cmd", "gfi_repos") ||
      !cJSON_AddStringToObject(cmd, "source", "up-for-grabs") ||
      !cJSON_AddNumberToObject(cmd, "now", (double)now_ms) || !(repos = cJSON_AddArrayToObject(cmd, "repos")) ||
      !(skipped = cJSON_AddObjectToObject(cmd, "skipped")) || !(problems = cJSON_AddArrayToObject(cmd, "problems")))
    goto oom;
  for (i = 0; i < n; i++) {
    char path[4096], why[300];
    cJSON *r = NULL, *c, *pr;
    int rc;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    rc = hub_ufg_read_file(path, &r, why, sizeof why);
    if (rc == 0) {
      if (!cJSON_AddItemToArray(repos, r)) {
        cJSON_Delete(r);
        goto oom;
      }
      continue;
    }
    {
      const char *reason = rc == 1 ? why : "invalid up-for-grabs project file";
      c = cJSON_GetObjectItemCaseSensitive(skipped, reason);
      if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
      else if (!cJSON_AddNumberToObject(skipped, reason, 1)) goto oom;
    }
    pr = cJSON_CreateObject();
    if (!pr || !cJSON_AddItemToArray(problems, pr)) {
      cJSON_Delete(pr);
      goto oom;
    }
    cJSON_AddStringToObject(pr, "file", names[i]);
    cJSON_AddStringToObject(pr, "why", why);
  }
  goto done;
oom:
  snprintf(err, errlen, "out of memory");
  cJSON_Delete(cmd);
  cmd = NULL;
done:
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
  closedir(d);
  return cmd;
}
