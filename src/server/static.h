/*
 * static.h — resolving a request path to one of the PWA's files under the root directory,
 * safely (native driver layer; used by http.c).
 *
 * The raw path (still percent-encoded; hubd turns off libmicrohttpd's own unescaping) is
 * decoded once; a malformed escape, a NUL, a control character or a backslash is refused (400),
 * and so is a "." or ".." segment. Hidden names (a segment starting with '.') are not served.
 * The candidate is resolved with realpath and must lie under the root's real path on a path
 * boundary, so a symlink pointing out of the root is refused like a missing file (404). A
 * directory is served as its index.html or not at all: there is no listing.
 *
 * A precompressed sibling (name.br, name.gz) is chosen when the client accepts that encoding;
 * it is resolved and checked the same way. The ETag is strong: a digest of the served file's
 * device, inode, size and modification time (nanoseconds), so each encoding has its own.
 */
#ifndef HUBD_STATIC_H
#define HUBD_STATIC_H

#include <stddef.h>

#ifndef HUBD_PATH_MAX
#define HUBD_PATH_MAX 1024 /* longest decoded request path */
#endif

typedef struct {
  int fd;               /* open, read-only; the caller owns it (close or hand to MHD) */
  size_t size;
  const char *type;     /* Content-Type */
  const char *encoding; /* NULL, "br" or "gzip" */
  int compressible;     /* a precompressed variant could exist: answer Vary: Accept-Encoding */
  int no_cache;         /* index.html, sw.js, manifests: always revalidate */
  char etag[24];        /* "\"<16 hex>\"" */
} hubd_static_file;

/* Resolves raw_path (the request target's path, percent-encoded) under root_real (a path
 * already resolved by realpath, without a trailing slash) and opens the file. accept_encoding
 * is the request's Accept-Encoding header or NULL. Returns 200 with *out filled (fd open), or
 * the status to answer (400 malformed, 404 absent, outside the root or not a regular file)
 * with out->fd == -1. */
int hubd_static_open(const char *root_real, const char *raw_path, const char *accept_encoding,
                     hubd_static_file *out);

/* 1 when the If-None-Match header value (may be NULL) matches etag (weak comparison, as
 * RFC 9110 requires for If-None-Match; "*" matches). */
int hubd_static_etag_matches(const char *if_none_match, const char *etag);

/* The Content-Type for a file name (by extension; application/octet-stream otherwise). */
const char *hubd_static_type(const char *name);

#endif
