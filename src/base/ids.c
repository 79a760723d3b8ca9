/*
 * ids.c — the syntax of names that end up in URLs and keys (base layer): GitHub logins and
 * repositories, AT Protocol handles and DIDs. Checked before any is used to build a request.
 */
#include <string.h>
#include "base/ids.h"

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hub__gh_owner_ok(const char *p, size_t n) {
  size_t i;
  if (n < 1 || n > 39) return 0;
  for (i = 0; i < n; i++)
    if (!is_alnum(p[i]) && p[i] != '-') return 0;
  return 1;
}

int hub__gh_name_ok(const char *p, size_t n) {
  size_t i;
  if (n < 1 || n > 100 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
  for (i = 0; i < n; i++)
    if (!is_alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.') return 0;
  return 1;
}

int hub__gh_login_ok(const char *s) { return hub__gh_owner_ok(s, strlen(s)); }

int hub__gh_repo_ok(const char *s) {
  const char *slash = strchr(s, '/');
  if (!slash) return 0;
  return hub__gh_owner_ok(s, (size_t)(slash - s)) && hub__gh_name_ok(slash + 1, strlen(slash + 1));
}

int hub__at_handle_ok(const char *s) {
  size_t n = strlen(s), label = 0, labels = 0, i;
  const char *last;
  if (n == 0 || n > 253) return 0;
  for (i = 0; i <= n; i++) {
    char c = s[i];
    if (c == '.' || c == 0) {
      if (label == 0 || label > 63 || s[i - 1] == '-') return 0;
      labels++;
      label = 0;
    } else if (is_alnum(c) || c == '-') {
      if (label == 0 && c == '-') return 0;
      label++;
    } else {
      return 0;
    }
  }
  last = strrchr(s, '.');
  if (!last || (last[1] >= '0' && last[1] <= '9')) return 0;
  return labels >= 2;
}

int hub__at_did_ok(const char *s) {
  size_t i;
  if (strncmp(s, "did:plc:", 8) == 0) {
    for (i = 8; s[i]; i++)
      if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7'))) return 0;
    return i == 32;
  }
  if (strncmp(s, "did:web:", 8) == 0) {
    char host[256];
    const char *p = s + 8, *port = strstr(p, "%3A");
    size_t n = port ? (size_t)(port - p) : strlen(p);
    if (n == 0 || n >= sizeof host) return 0;
    memcpy(host, p, n);
    host[n] = 0;
    if (port) {
      for (i = 3; port[i]; i++)
        if (port[i] < '0' || port[i] > '9' || i > 8) return 0;
      if (i == 3) return 0;
    }
    return hub__at_handle_ok(host) || strcmp(host, "localhost") == 0;
  }
  return 0;
}
