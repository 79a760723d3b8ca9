/*
 * secrets.h — upstream tokens at rest, sealed with libsodium's crypto_secretbox (XSalsa20-
 * Poly1305) under one 32-byte key (native driver layer; hubd only).
 *
 * The key comes from HUBD_SECRET_KEY (base64, see hubd_config) or from a key file that hubd
 * creates on first start with mode 0600; a key file readable by group or others, not a regular
 * file, or owned by someone else is refused. A sealed secret is one text line:
 *   hubd-sealed-v1:<base64 of nonce (24 bytes) || ciphertext with its 16-byte tag>
 * so it can sit in a file, a config value or (later) a database row without ever being the
 * token in clear. Tokens are never written anywhere else by hubd.
 *
 * Ownership: strings returned here are malloc'd; release opened (clear) secrets with
 * hubd_secret_free, which wipes them first; sealed strings with free().
 */
#ifndef HUBD_SECRETS_H
#define HUBD_SECRETS_H

#include <stddef.h>

#ifndef HUBD_SECRET_MAX
#define HUBD_SECRET_MAX 4096u /* longest secret sealed or opened (a token is ~100 bytes) */
#endif
#define HUBD_SEALED_PREFIX "hubd-sealed-v1:"

/* Loads the key from path into key[32], creating the file (0600, new random key, base64 text)
 * when it does not exist; *created tells which. Returns 0, or -1 with a message in err (an
 * unsafe or malformed file, an I/O error). */
int hubd_secret_key_load(const char *path, unsigned char key[32], int *created, char *err, size_t errlen);

/* Seals len bytes of plain under key with a fresh random nonce. Returns the sealed line
 * (NUL-terminated, no newline), or NULL when len is over HUBD_SECRET_MAX or on OOM. */
char *hubd_secret_seal(const unsigned char key[32], const char *plain, size_t len);

/* Opens a sealed line (surrounding whitespace ignored). Returns the clear secret, NUL-
 * terminated, with its length in *len (may be NULL); NULL when the text is not a sealed line,
 * was sealed under another key or was altered. Free with hubd_secret_free. */
char *hubd_secret_open(const unsigned char key[32], const char *sealed, size_t *len);

/* Reads the sealed file at path and opens it (as hubd_secret_open). Returns the clear secret
 * or NULL with a message in err. Free with hubd_secret_free. */
char *hubd_secret_open_file(const unsigned char key[32], const char *path, char *err, size_t errlen);

/* The SHA-256 of an Authorization header's Bearer value (scheme case-insensitive, spaces after it
 * skipped, at most HUBD_BEARER_MAX bytes looked at) into d. Returns 1, or 0 when the header is
 * missing or not Bearer. API keys — hubd's and each user's — are kept and compared as these
 * digests (crypto_verify_32: constant time, equal lengths). */
#ifndef HUBD_BEARER_MAX
#define HUBD_BEARER_MAX 4096u
#endif
int hubd_bearer_digest(const char *authorization, unsigned char d[32]);

/* Wipes and frees a clear secret. NULL is a no-op. */
void hubd_secret_free(char *secret);

#endif
