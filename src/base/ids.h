/*
 * ids.h — syntax checks for names that end up in URLs and keys (base layer; base/ids.c).
 * Each returns 1 when the name is well-formed, else 0. Nothing is allocated.
 */
#ifndef HUB_IDS_H
#define HUB_IDS_H

#include <stddef.h>

/* GitHub: owner/login 1–39 of [A-Za-z0-9-]; repository name 1–100 of [A-Za-z0-9._-], not "."
 * or ".."; "owner/name". */
int hub__gh_owner_ok(const char *p, size_t n);
int hub__gh_name_ok(const char *p, size_t n);
int hub__gh_login_ok(const char *s);
int hub__gh_repo_ok(const char *s);
/* AT Protocol: a handle (dot-separated DNS labels, at least two, the last not starting with a
 * digit, ≤ 253 bytes); a DID (did:plc:<24 base32> or did:web:<host>[%3Aport]). */
int hub__at_handle_ok(const char *s);
int hub__at_did_ok(const char *s);

#endif
