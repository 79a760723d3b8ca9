/*
 * fuzz_http.c — fuzz target "http" (test layer): hubd's own reading of a request, the parts
 * libmicrohttpd leaves to it — the static file a raw path names (src/server/static.c), the
 * If-None-Match comparison, the API route and the per-user route a method and path select
 * (routes.c, userapi.c), and a login's normal form (users.c).
 *
 * Input: byte 0 picks the method (GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH or "G\tT"), then
 * newline-separated fields: the raw path (percent-encoded, as hubd receives it), Accept-Encoding,
 * If-None-Match and a login; a missing field is an absent header.
 * The static root is a temporary folder made once: index.html, app.js with .br and .gz
 * siblings, a sub-folder with its index.html, a hidden .env, a link to a file outside the root
 * and a link to the root's parent. Checked on every input:
 *   - the answer is 200, 400 or 404; 200 comes with an open regular file whose real path lies
 *     under the root, never a hidden one, with an encoding the request named (in any case);
 *     otherwise no fd;
 *   - the served file's own ETag matches itself and "*", and a different ETag does not;
 *   - a route found for a method and path is an API path, and the path is then known;
 *   - a login the normaliser accepts is 1–39 of [a-z0-9-] (hyphens anywhere: GitHub still has
 *     older logins with a hyphen at an edge or two in a row) and normalises to itself.
 */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp, symlink */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "server/routes.h"
#include "server/static.h"
#include "server/userapi.h"
#include "server/users.h"

static char root[4096], top[64];
static size_t root_len;

/* Removes the temporary folder at exit (its names are all known). */
static void remove_root(void) {
  static const char *const names[] = {"web/sub/index.html", "web/sub", "web/index.html", "web/app.js",
                                      "web/app.js.br",      "web/app.js.gz", "web/.env", "web/out.txt",
                                      "web/up",             "web",           "outside.txt"};
  char p[200];
  size_t i;
  for (i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(p, sizeof p, "%s/%s", top, names[i]);
    if (unlink(p) != 0) rmdir(p);
  }
  rmdir(top);
}

static void put_file(const char *dir, const char *name, const char *text) {
  char p[4200];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (!(f = fopen(p, "w")) || fputs(text, f) < 0 || fclose(f) != 0) fz_fail("http: cannot write %s", p);
}

/* The root under a fresh temporary folder, resolved as hubd resolves it. */
static void make_root(void) {
  char tmpl[] = "/tmp/hub-fuzz-http-XXXXXX", p[4200], *real;
  if (!mkdtemp(tmpl)) fz_fail("http: mkdtemp");
  snprintf(top, sizeof top, "%s", tmpl);
  atexit(remove_root);
  put_file(tmpl, "outside.txt", "secret outside the root");
  snprintf(p, sizeof p, "%s/web", tmpl);
  if (mkdir(p, 0700) != 0) fz_fail("http: mkdir");
  put_file(p, "index.html", "<!doctype html>");
  put_file(p, "app.js", "export {}");
  put_file(p, "app.js.br", "br");
  put_file(p, "app.js.gz", "gz");
  put_file(p, ".env", "TOKEN=x");
  snprintf(p, sizeof p, "%s/web/sub", tmpl);
  if (mkdir(p, 0700) != 0) fz_fail("http: mkdir sub");
  put_file(p, "index.html", "<p>sub</p>");
  snprintf(p, sizeof p, "%s/web/out.txt", tmpl);
  if (symlink("../outside.txt", p) != 0) fz_fail("http: symlink");
  snprintf(p, sizeof p, "%s/web/up", tmpl);
  if (symlink("..", p) != 0) fz_fail("http: symlink up");
  snprintf(p, sizeof p, "%s/web", tmpl);
  if (!(real = realpath(p, NULL))) fz_fail("http: realpath");
  snprintf(root, sizeof root, "%s", real);
  root_len = strlen(root);
  free(real);
}

/* The next newline-terminated field (malloc'd, NUL-terminated; NULL when the input is used up). */
static char *field(fz_in *in) {
  const uint8_t *nl;
  size_t n;
  char *s;
  if (in->n == 0) return NULL;
  nl = memchr(in->p, '\n', in->n);
  n = nl ? (size_t)(nl - in->p) : in->n;
  if (!(s = malloc(n + 1))) abort();
  memcpy(s, in->p, n);
  s[n] = 0;
  in->p += nl ? n + 1 : n;
  in->n -= nl ? n + 1 : n;
  return s;
}

/* 1 when s contains word, ignoring ASCII case (content codings are case-insensitive). */
static int has_ci(const char *s, const char *word) {
  size_t n = strlen(word);
  for (; s && *s; s++)
    if (strncasecmp(s, word, n) == 0) return 1;
  return 0;
}

static void check_static(const char *path, const char *ae, const char *inm) {
  hubd_static_file f;
  char link[64], real[4200];
  const char *base;
  struct stat st;
  ssize_t k;
  int status = hubd_static_open(root, path, ae, &f);
  (void)inm;
  if (status != 200) {
    if (status != 400 && status != 404) fz_fail("http: static answered %d", status);
    if (f.fd != -1) fz_fail("http: status %d with an open file", status);
    return;
  }
  if (f.fd < 0 || fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) fz_fail("http: 200 without a regular file");
  snprintf(link, sizeof link, "/proc/self/fd/%d", f.fd);
  k = readlink(link, real, sizeof real - 1);
  if (k <= 0) fz_fail("http: readlink of the served fd");
  real[k] = 0;
  if (strncmp(real, root, root_len) != 0 || real[root_len] != '/')
    fz_fail("http: %s served %s, outside the root %s", path, real, root);
  base = strrchr(real, '/') + 1;
  if (base[0] == '.') fz_fail("http: %s served the hidden %s", path, real);
  if (f.encoding && !has_ci(ae, strcmp(f.encoding, "br") == 0 ? "br" : "gzip"))
    fz_fail("http: encoding %s for Accept-Encoding %s", f.encoding, ae ? ae : "(none)");
  if (!hubd_static_etag_matches(f.etag, f.etag) || !hubd_static_etag_matches("*", f.etag))
    fz_fail("http: ETag %s does not match itself", f.etag);
  if (hubd_static_etag_matches("\"0000000000000000\"", f.etag) && strcmp(f.etag, "\"0000000000000000\"") != 0)
    fz_fail("http: ETag %s matches another", f.etag);
  close(f.fd);
}

static void check_login(const char *name) {
  char out[48], again[48];
  size_t n, i;
  if (!hubd_login_norm(name, out)) return;
  n = strlen(out);
  if (n < 1 || n > 39)
    fz_fail("http: login \"%s\" normalised to \"%s\"", name, out);
  for (i = 0; i < n; i++)
    if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') || out[i] == '-'))
      fz_fail("http: login \"%s\" normalised to \"%s\"", name, out);
  if (!hubd_login_norm(out, again) || strcmp(out, again) != 0) fz_fail("http: \"%s\" does not normalise to itself", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "G\tT"};
  fz_in in;
  const char *method;
  char *path, *ae, *inm, *login;
  int known = 0;
  const hubd_route *rt;
  if (size < 1) return 0;
  if (!root_len) make_root();
  method = methods[data[0] % 8];
  in.p = data + 1;
  in.n = size - 1;
  path = field(&in);
  ae = field(&in);
  inm = field(&in);
  login = field(&in);
  if (path) {
    check_static(path, ae, inm);
    rt = hubd_route_find(method, path, &known);
    if (rt && !hubd_route_is_api(path)) fz_fail("http: %s %s has a route but is not an API path", method, path);
    known = 0;
    if (hubd_uapi_match(method, path, &known) && !hubd_uapi_is_path(path))
      fz_fail("http: %s %s is a user route outside the user API", method, path);
    if (!hubd_static_type(path)) fz_fail("http: no Content-Type for %s", path);
  }
  if (inm) (void)hubd_static_etag_matches(inm, "\"0123456789abcdef\"");
  if (login) check_login(login);
  free(path);
  free(ae);
  free(inm);
  free(login);
  return 0;
}
