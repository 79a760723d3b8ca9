/*
 * secrets.c — crypto_secretbox sealing of upstream tokens and the 0600 key file (native
 * driver layer; see secrets.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "secrets.h"

#define KEY_TEXT_MAX 128 /* a key file: 44 base64 characters and a newline */

static int read_key_file(int fd, const char *path, unsigned char key[32], char *err, size_t errlen) {
  struct stat st;
  char text[KEY_TEXT_MAX + 1];
  ssize_t got;
  size_t bin = 0;
  int rc = -1;
  if (fstat(fd, &st) != 0) {
    snprintf(err, errlen, "secret key file %s: %s", path, strerror(errno));
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "secret key file %s is not a regular file", path);
    goto done;
  }
  if (st.st_mode & 077) {
    snprintf(err, errlen, "secret key file %s is readable by group or others (mode %03o); chmod 600 it",
             path, (unsigned)(st.st_mode & 0777));
    goto done;
  }
  if (st.st_uid != geteuid()) {
    snprintf(err, errlen, "secret key file %s belongs to another user", path);
    goto done;
  }
  got = read(fd, text, KEY_TEXT_MAX);
  if (got <= 0) {
    snprintf(err, errlen, "secret key file %s is empty or unreadable", path);
    goto done;
  }
  text[got] = 0;
  if (sodium_base642bin(key, 32, text, (size_t)got, " \n\r", &bin, NULL, sodium_base64_VARIANT_ORIGINAL) ||
      bin != 32) {
    snprintf(err, errlen, "secret key file %s does not hold 32 bytes in base64", path);
    goto done;
  }
  rc = 0;
done:
  sodium_memzero(text, sizeof text);
  return rc;
}

int hubd_secret_key_load(const char *path, unsigned char key[32], int *created, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
  char text[KEY_TEXT_MAX];
  *created = 0;
  if (fd >= 0) {
    rc = read_key_file(fd, path, key, err, errlen);
    close(fd);
    return rc;
  }
  if (errno != ENOENT) {
    snprintf(err, errlen, "secret key file %s: %s", path, strerror(errno));
    return -1;
  }
  /* first start: a new random key, created exclusively with mode 0600 */
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create secret key file %s: %s", path, strerror(errno));
    return -1;
  }
  randombytes_buf(key, 32);
  sodium_bin2base64(text, sizeof text, key, 32, sodium_base64_VARIANT_ORIGINAL);
  {
    size_t n = strlen(text);
    text[n++] = '\n';
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
      snprintf(err, errlen, "cannot write secret key file %s: %s", path, strerror(errno));
      close(fd);
      unlink(path);
      sodium_memzero(key, 32);
      goto done;
    }
  }
  close(fd);
  *created = 1;
  rc = 0;
done:
  sodium_memzero(text, sizeof text);
  return rc;
}

char *hubd_secret_seal(const unsigned char key[32], const char *plain, size_t len) {
  size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len, tlen, plen;
  unsigned char *box = NULL;
  char *out = NULL;
  if (len > HUBD_SECRET_MAX) return NULL;
  box = malloc(blen);
  if (!box) goto done;
  randombytes_buf(box, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len, box, key);
  plen = strlen(HUBD_SEALED_PREFIX);
  tlen = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
  out = malloc(plen + tlen);
  if (!out) goto done;
  memcpy(out, HUBD_SEALED_PREFIX, plen);
  sodium_bin2base64(out + plen, tlen, box, blen, sodium_base64_VARIANT_ORIGINAL);
done:
  free(box);
  return out;
}

char *hubd_secret_open(const unsigned char key[32], const char *sealed, size_t *len) {
  size_t plen = strlen(HUBD_SEALED_PREFIX), slen, cap, bin = 0;
  unsigned char *box = NULL;
  char *out = NULL;
  while (*sealed == ' ' || *sealed == '\n' || *sealed == '\r' || *sealed == '\t') sealed++;
  if (strncmp(sealed, HUBD_SEALED_PREFIX, plen) != 0) goto done;
  sealed += plen;
  slen = strlen(sealed);
  while (slen && (sealed[slen - 1] == '\n' || sealed[slen - 1] == '\r' || sealed[slen - 1] == ' ')) slen--;
  cap = slen / 4 * 3 + 3;
  if (cap > HUBD_SECRET_MAX + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 3) goto done;
  box = malloc(cap);
  if (!box) goto done;
  if (sodium_base642bin(box, cap, sealed, slen, NULL, &bin, NULL, sodium_base64_VARIANT_ORIGINAL) ||
      bin < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    goto done;
  bin -= crypto_secretbox_NONCEBYTES;
  out = malloc(bin - crypto_secretbox_MACBYTES + 1);
  if (!out) goto done;
  if (crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES, bin, box, key) != 0) {
    free(out);
    out = NULL;
    goto done;
  }
  out[bin - crypto_secretbox_MACBYTES] = 0;
  if (len) *len = bin - crypto_secretbox_MACBYTES;
done:
  if (box) {
    sodium_memzero(box, cap);
    free(box);
  }
  return out;
}

char *hubd_secret_open_file(const unsigned char key[32], const char *path, char *err, size_t errlen) {
  char text[HUBD_SECRET_MAX * 2];
  char *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t got;
  if (fd < 0) {
    snprintf(err, errlen, "cannot read sealed secret %s: %s", path, strerror(errno));
    return NULL;
  }
  got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got < 0) {
    snprintf(err, errlen, "cannot read sealed secret %s: %s", path, strerror(errno));
    return NULL;
  }
  text[got] = 0;
  out = hubd_secret_open(key, text, NULL);
  if (!out)
    snprintf(err, errlen, "%s is not a secret sealed under this key (hubd --seal makes one)", path);
  return out;
}

void hubd_secret_free(char *secret) {
  if (secret) sodium_memzero(secret, strlen(secret));
  free(secret);
}

int hubd_bearer_digest(const char *a, unsigned char d[32]) {
  size_t n;
  if (!a || strncasecmp(a, "Bearer ", 7) != 0) return 0;
  a += 7;
  while (*a == ' ') a++;
  n = strlen(a);
  if (n > HUBD_BEARER_MAX) n = HUBD_BEARER_MAX;
  crypto_hash_sha256(d, (const unsigned char *)a, n);
  return 1;
}
