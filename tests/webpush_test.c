/*
 * webpush_test.c — tests of src/server/webpush.c (native, ASan + UBSan): the RFC 8291 §5
 * example byte for byte, round trips through a decrypter written here from the RFC's text
 * (not shared with the library), VAPID JWTs verified with OpenSSL, key export/import,
 * subscription and base64url validation, the endpoint policy, the answer classifier, and a
 * live exchange over libcurl with the push-service double build/fake_push on 127.0.0.1.
 *
 * usage: webpush_test [FAKE_PUSH_BINARY]   (default build/fake_push; run from the repo root)
 * Ends with "N passed, N failed".
 */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "cJSON.h"
#include "server/webpush.h"

static int passed, failed;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (cond) passed++;                                                                            \
    else {                                                                                         \
      failed++;                                                                                    \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                         \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
    }                                                                                              \
  } while (0)

/* ---- helpers written for the tests (independent of webpush.c) ------------------------------ */

/* base64url text (whitespace ignored, as in the RFC's wrapped examples) → bytes via OpenSSL's
 * standard-base64 decoder. Returns the length; aborts on bad input (test data is fixed). */
static size_t tb64(const char *in, unsigned char *out, size_t cap) {
  char t[1024];
  unsigned char raw[1024];
  size_t n = 0, pads;
  int len;
  for (; *in; in++) {
    if (*in == ' ' || *in == '\n') continue;
    if (n + 4 >= sizeof t) abort();
    t[n++] = *in == '-' ? '+' : *in == '_' ? '/' : *in;
  }
  pads = (4 - n % 4) % 4;
  memset(t + n, '=', pads);
  n += pads;
  len = EVP_DecodeBlock(raw, (const unsigned char *)t, (int)n);
  if (len < 0 || (size_t)len - pads > cap) abort();
  memcpy(out, raw, (size_t)len - pads);
  return (size_t)len - pads;
}

/* HMAC-SHA256 */
static void hmac(const unsigned char *key, size_t kl, const unsigned char *d, size_t dl, unsigned char out[32]) {
  size_t n = 0;
  if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, kl, d, dl, out, 32, &n) || n != 32) abort();
}

/* HKDF for L ≤ 32 as RFC 8291 §3.4 spells it out: PRK = HMAC(salt, IKM);
 * OKM = HMAC(PRK, info || 0x01)[0..L-1]. */
static void t_hkdf(const unsigned char *salt, size_t sl, const unsigned char *ikm, size_t il,
                   const unsigned char *info, size_t nl, unsigned char *out, size_t L) {
  unsigned char prk[32], buf[256], okm[32];
  if (nl + 1 > sizeof buf || L > 32) abort();
  hmac(salt, sl, ikm, il, prk);
  memcpy(buf, info, nl);
  buf[nl] = 0x01;
  hmac(prk, 32, buf, nl + 1, okm);
  memcpy(out, okm, L);
}

/* P-256 EVP_PKEY from the raw public point (and the private scalar if d). */
static EVP_PKEY *t_key(const unsigned char pub[65], const unsigned char *d) {
  OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
  OSSL_PARAM *p = NULL;
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  EVP_PKEY *k = NULL;
  BIGNUM *bn = d ? BN_bin2bn(d, 32, NULL) : NULL;
  if (!b || !c || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) ||
      (d && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn)) || !(p = OSSL_PARAM_BLD_to_param(b)) ||
      EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &k, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, p) != 1)
    k = NULL;
  ERR_clear_error();
  BN_free(bn);
  OSSL_PARAM_free(p);
  OSSL_PARAM_BLD_free(b);
  EVP_PKEY_CTX_free(c);
  return k;
}

/* A fresh UA key pair (the browser's side of a subscription). */
static void t_ua_keys(unsigned char d[32], unsigned char pub[65]) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  BIGNUM *bn = NULL;
  size_t n = 0;
  if (!k || EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &n) != 1 || n != 65 ||
      EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 || BN_bn2binpad(bn, d, 32) != 32)
    abort();
  BN_free(bn);
  EVP_PKEY_free(k);
}

/* The user agent's decryption, from RFC 8291 §3 and RFC 8188 §2: parse the header, ECDH with
 * the keyid, derive IKM/CEK/NONCE, AES-128-GCM open, strip padding up to the 0x02 delimiter.
 * Returns the plaintext length, or -1. */
static long t_decrypt(const unsigned char ua_d[32], const unsigned char ua_pub[65],
                      const unsigned char auth[16], const unsigned char *body, size_t len,
                      unsigned char *out) {
  unsigned char secret[32], ikm[32], cek[16], nonce[12], info[14 + 130], tag[16];
  EVP_PKEY *me = NULL, *peer = NULL;
  EVP_PKEY_CTX *dc = NULL;
  EVP_CIPHER_CTX *cc = NULL;
  size_t sl = 32, clen;
  unsigned long rs;
  long res = -1;
  int n = 0, m = 0;
  if (len < 86 + 17 || body[20] != 65) goto done;
  rs = (unsigned long)body[16] << 24 | (unsigned long)body[17] << 16 | (unsigned long)body[18] << 8 | body[19];
  clen = len - 86;
  if (clen > rs) goto done; /* one record only */
  me = t_key(ua_pub, ua_d);
  peer = t_key(body + 21, NULL);
  dc = me && peer ? EVP_PKEY_CTX_new(me, NULL) : NULL;
  if (!dc || EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, peer) != 1 ||
      EVP_PKEY_derive(dc, secret, &sl) != 1)
    goto done;
  memcpy(info, "WebPush: info\0", 14);
  memcpy(info + 14, ua_pub, 65);
  memcpy(info + 79, body + 21, 65);
  t_hkdf(auth, 16, secret, 32, info, sizeof info, ikm, 32);
  t_hkdf(body, 16, ikm, 32, (const unsigned char *)"Content-Encoding: aes128gcm\0", 28, cek, 16);
  t_hkdf(body, 16, ikm, 32, (const unsigned char *)"Content-Encoding: nonce\0", 24, nonce, 12);
  memcpy(tag, body + len - 16, 16);
  cc = EVP_CIPHER_CTX_new();
  if (!cc || EVP_DecryptInit_ex(cc, EVP_aes_128_gcm(), NULL, cek, nonce) != 1 ||
      EVP_DecryptUpdate(cc, out, &n, body + 86, (int)(clen - 16)) != 1 ||
      EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 || EVP_DecryptFinal_ex(cc, out + n, &m) != 1)
    goto done;
  n += m;
  while (n > 0 && out[n - 1] == 0) n--;
  if (n > 0 && out[n - 1] == 0x02) res = n - 1;
done:
  ERR_clear_error();
  EVP_CIPHER_CTX_free(cc);
  EVP_PKEY_CTX_free(dc);
  EVP_PKEY_free(me);
  EVP_PKEY_free(peer);
  return res;
}

/* Verifies a raw R||S ES256 signature over data with a public point. 1 if valid. */
static int t_verify(const unsigned char pub[65], const char *data, size_t len, const unsigned char sig[64]) {
  ECDSA_SIG *es = ECDSA_SIG_new();
  unsigned char der[80], *dp = der;
  EVP_PKEY *k = t_key(pub, NULL);
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  int dl, ok = 0;
  if (es && ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) &&
      (dl = i2d_ECDSA_SIG(es, &dp)) > 0 && k && m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k) == 1)
    ok = EVP_DigestVerify(m, der, (size_t)dl, (const unsigned char *)data, len) == 1;
  ERR_clear_error();
  ECDSA_SIG_free(es);
  EVP_PKEY_free(k);
  EVP_MD_CTX_free(m);
  return ok;
}

static const char *hval(const hub_wp_request *r, const char *name) {
  size_t i;
  for (i = 0; i < r->nheaders; i++)
    if (strcmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

/* ---- RFC 8291 §5 ------------------------------------------------------------------------- */

static const char RFC_PLAIN[] = "When I grow up, I want to be a watermelon";
static const char RFC_AUTH[] = "BTBZMqHH6r4Tts7J_aSIgg";
static const char RFC_UA_PRIV[] = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
static const char RFC_UA_PUB[] = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx aOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
static const char RFC_AS_PRIV[] = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
static const char RFC_SALT[] = "DGv6ra1nlYgDCS1FRnbzlw";
static const char RFC_BODY[] = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml\n"
                               "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT\n"
                               "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

static void test_rfc8291(void) {
  unsigned char ua_pub[65], ua_d[32], auth[16], as_d[32], salt[16], want[256], out[HUB_WP_MAX_BODY];
  unsigned char plain[HUB_WP_MAX_BODY];
  char err[HUB_WP_ERR] = "";
  size_t wl, ol = 0;
  long pl;
  int rc;
  tb64(RFC_UA_PUB, ua_pub, 65);
  tb64(RFC_UA_PRIV, ua_d, 32);
  tb64(RFC_AUTH, auth, 16);
  tb64(RFC_AS_PRIV, as_d, 32);
  tb64(RFC_SALT, salt, 16);
  wl = tb64(RFC_BODY, want, sizeof want);
  rc = hub__wp_encrypt_with(ua_pub, auth, (const unsigned char *)RFC_PLAIN, strlen(RFC_PLAIN), as_d, salt, out,
                            &ol, err, sizeof err);
  CHECK(rc == 0, "RFC 8291 example encrypts: %s", err);
  CHECK(ol == wl && wl == 86 + strlen(RFC_PLAIN) + 1 + 16, "RFC body length %zu, want %zu", ol, wl);
  CHECK(ol == wl && memcmp(out, want, wl) == 0, "RFC 8291 §5 body reproduced byte for byte");
  pl = t_decrypt(ua_d, ua_pub, auth, want, wl, plain);
  CHECK(pl == (long)strlen(RFC_PLAIN) && memcmp(plain, RFC_PLAIN, (size_t)pl) == 0,
        "the test's own decrypter opens the RFC's body (%ld)", pl);
}

static void test_roundtrip(void) {
  static const size_t sizes[] = {0, 1, 3993};
  unsigned char ua_d[32], ua_pub[65], auth[16], *msg = malloc(4000), out[HUB_WP_MAX_BODY],
                out2[HUB_WP_MAX_BODY], plain[HUB_WP_MAX_BODY], bad[65];
  char err[HUB_WP_ERR];
  size_t i, ol = 0, ol2 = 0;
  long pl;
  int rc;
  if (!msg) abort();
  t_ua_keys(ua_d, ua_pub);
  RAND_bytes(auth, 16);
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i];
    RAND_bytes(msg, (int)(n ? n : 1));
    err[0] = 0;
    CHECK(hub_wp_encrypt(ua_pub, auth, msg, n, out, &ol, err, sizeof err) == 0, "encrypt %zu bytes: %s", n, err);
    CHECK(ol == 86 + n + 17 && ol <= 4096, "body of %zu bytes is %zu", n, ol);
    CHECK(out[16] == 0 && out[17] == 0 && out[18] == 0x10 && out[19] == 0 && out[20] == 65 && out[21] == 0x04,
          "header: rs 4096, idlen 65, keyid an uncompressed point");
    pl = t_decrypt(ua_d, ua_pub, auth, out, ol, plain);
    CHECK(pl == (long)n && (n == 0 || memcmp(plain, msg, n) == 0), "round trip of %zu bytes (got %ld)", n, pl);
    CHECK(hub_wp_encrypt(ua_pub, auth, msg, n, out2, &ol2, err, sizeof err) == 0 && ol2 == ol &&
              memcmp(out, out2, 16) != 0 && memcmp(out + 21, out2 + 21, 65) != 0,
          "a second encryption of %zu bytes uses a fresh salt and ephemeral key", n);
  }
  out[100] ^= 1;
  CHECK(t_decrypt(ua_d, ua_pub, auth, out, ol, plain) < 0, "a flipped ciphertext bit does not decrypt");
  auth[0] ^= 1;
  rc = hub_wp_encrypt(ua_pub, auth, msg, 10, out, &ol, err, sizeof err);
  auth[0] ^= 1;
  CHECK(rc == 0 && t_decrypt(ua_d, ua_pub, auth, out, ol, plain) < 0,
        "a message for another auth secret does not decrypt");
  err[0] = 0;
  CHECK(hub_wp_encrypt(ua_pub, auth, msg, 3994, out, &ol, err, sizeof err) == -1 && strstr(err, "3993"),
        "3994 bytes refused with a message naming the limit: %s", err);
  memcpy(bad, ua_pub, 65);
  bad[64] ^= 1;
  CHECK(hub_wp_encrypt(bad, auth, msg, 1, out, &ol, err, sizeof err) == -1 && strstr(err, "curve"),
        "a UA key off the curve is refused: %s", err);
  free(msg);
}

/* ---- keys, base64url, subscriptions -------------------------------------------------------- */

static void test_keys(void) {
  hub_wp_vapid k, k2, k3;
  char priv[HUB_WP_PRIVATE_B64], pub[HUB_WP_PUBLIC_B64], other[HUB_WP_PUBLIC_B64], err[HUB_WP_ERR] = "";
  char zero[HUB_WP_PRIVATE_B64], big[HUB_WP_PRIVATE_B64];
  unsigned char z[32], f[32];
  CHECK(hub_wp_vapid_generate(&k, err, sizeof err) == 0, "generate: %s", err);
  hub_wp_vapid_export(&k, priv, pub);
  CHECK(strlen(priv) == 43 && strlen(pub) == 87 && pub[0] == 'B', "export: 43-char private, 87-char public (%s)", pub);
  CHECK(hub_wp_vapid_import(&k2, priv, NULL, err, sizeof err) == 0 && memcmp(&k, &k2, sizeof k) == 0,
        "import from the private key alone derives the same pair: %s", err);
  CHECK(hub_wp_vapid_import(&k2, priv, pub, err, sizeof err) == 0 && memcmp(&k, &k2, sizeof k) == 0,
        "import with a matching public key: %s", err);
  CHECK(hub_wp_vapid_generate(&k3, err, sizeof err) == 0, "second key");
  hub_wp_vapid_export(&k3, NULL, other);
  memset(&k2, 0x5a, sizeof k2);
  CHECK(hub_wp_vapid_import(&k2, priv, other, err, sizeof err) == -1 && strstr(err, "does not belong") &&
            k2.d[0] == 0x5a,
        "a foreign public key is refused and the output left alone: %s", err);
  CHECK(hub_wp_vapid_import(&k2, "AAAA", NULL, err, sizeof err) == -1 && strstr(err, "must be 32 bytes, got 3"),
        "short private key: %s", err);
  memset(z, 0, 32);
  memset(f, 0xff, 32);
  hub_wp_b64u_encode(z, 32, zero, sizeof zero);
  hub_wp_b64u_encode(f, 32, big, sizeof big);
  CHECK(hub_wp_vapid_import(&k2, zero, NULL, err, sizeof err) == -1 && strstr(err, "out of range"), "d = 0: %s", err);
  CHECK(hub_wp_vapid_import(&k2, big, NULL, err, sizeof err) == -1 && strstr(err, "out of range"), "d ≥ n: %s", err);
}

static void test_b64u(void) {
  static const struct {
    const char *in;
    int ok;
    const char *out, *msg;
  } t[] = {
      {"QUJD", 1, "ABC", NULL},           {"QUI", 1, "AB", NULL},     {"QQ", 1, "A", NULL},
      {"QQ==", 1, "A", NULL},             {"QUI=", 1, "AB", NULL},    {"-_-_", 1, "\xfb\xff\xbf", NULL},
      {"", 0, NULL, "missing"},           {"Q", 0, NULL, "length"},   {"QQ=", 0, NULL, "padding"},
      {"QQ===", 0, NULL, "padding"},      {"QUJD=", 0, NULL, "padding"}, {"QUI==", 0, NULL, "padding"},
      {"Q=Q=", 0, NULL, "middle"},        {"QR", 0, NULL, "unused bits"}, {"QUJ", 0, NULL, "unused bits"},
      {"a+b/", 0, NULL, "standard base64"}, {"QU D", 0, NULL, "bad character"}, {"QU\xc3\xa9", 0, NULL, "bad character"},
  };
  unsigned char out[16];
  char err[HUB_WP_ERR], enc[16];
  size_t i, n = 0;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    int rc;
    err[0] = 0;
    rc = hub_wp_b64u_decode(t[i].in, "x", 0, out, sizeof out, &n, err, sizeof err);
    if (t[i].ok)
      CHECK(rc == 0 && n == strlen(t[i].out) && memcmp(out, t[i].out, n) == 0, "decode \"%s\": %s", t[i].in, err);
    else
      CHECK(rc == -1 && strstr(err, t[i].msg), "decode \"%s\" refused with \"%s\": %s", t[i].in, t[i].msg, err);
  }
  CHECK(hub_wp_b64u_decode("QUJD", "x", 4, out, sizeof out, &n, err, sizeof err) == -1 &&
            strstr(err, "must be 4 bytes, got 3"),
        "wrong length named: %s", err);
  CHECK(hub_wp_b64u_decode("QUJDREVG", "x", 0, out, 5, &n, err, sizeof err) == -1, "over the output ceiling");
  CHECK(hub_wp_b64u_encode((const unsigned char *)"\xfb\xff\xbf", 3, enc, sizeof enc) == 4 && strcmp(enc, "-_-_") == 0,
        "encode uses - and _");
  CHECK(hub_wp_b64u_encode((const unsigned char *)"AB", 2, enc, 3) == -1 && enc[0] == 0, "encode respects cap");
}

static void test_subscriptions(void) {
  hub_wp_subscription s;
  unsigned char ua_d[32], ua_pub[65], tmp[65];
  char p256[HUB_WP_PUBLIC_B64], bad[HUB_WP_PUBLIC_B64], err[HUB_WP_ERR] = "", auth[32];
  const char *ep = "https://fcm.googleapis.com/fcm/send/abc:def";
  unsigned char a[16] = {1, 2, 3};
  t_ua_keys(ua_d, ua_pub);
  hub_wp_b64u_encode(ua_pub, 65, p256, sizeof p256);
  hub_wp_b64u_encode(a, 16, auth, sizeof auth);
  CHECK(hub_wp_subscription_parse(&s, ep, p256, auth, err, sizeof err) == 0 && strcmp(s.endpoint, ep) == 0 &&
            memcmp(s.p256dh, ua_pub, 65) == 0 && memcmp(s.auth, a, 16) == 0,
        "valid subscription: %s", err);
  hub_wp_b64u_encode(ua_pub, 64, bad, sizeof bad);
  CHECK(hub_wp_subscription_parse(&s, ep, bad, auth, err, sizeof err) == -1 && strstr(err, "p256dh: must be 65 bytes, got 64"),
        "short p256dh: %s", err);
  CHECK(hub_wp_subscription_parse(&s, ep, p256, "AQID", err, sizeof err) == -1 && strstr(err, "auth: must be 16 bytes, got 3"),
        "short auth: %s", err);
  snprintf(bad, sizeof bad, "%s", p256);
  bad[10] = '+';
  CHECK(hub_wp_subscription_parse(&s, ep, bad, auth, err, sizeof err) == -1 && strstr(err, "p256dh") && strstr(err, "base64"),
        "p256dh in standard base64: %s", err);
  CHECK(hub_wp_subscription_parse(&s, ep, p256, "AQIDBAUGBwgJCgsMDQ4PEA=", err, sizeof err) == -1 && strstr(err, "auth: wrong '=' padding"),
        "auth with bad padding: %s", err);
  memcpy(tmp, ua_pub, 65);
  tmp[40] ^= 0x01;
  hub_wp_b64u_encode(tmp, 65, bad, sizeof bad);
  CHECK(hub_wp_subscription_parse(&s, ep, bad, auth, err, sizeof err) == -1 && strstr(err, "not a point on the P-256 curve"),
        "p256dh off the curve: %s", err);
  tmp[0] = 0x03;
  hub_wp_b64u_encode(tmp, 65, bad, sizeof bad);
  CHECK(hub_wp_subscription_parse(&s, ep, bad, auth, err, sizeof err) == -1 && strstr(err, "uncompressed"),
        "p256dh not uncompressed: %s", err);
  CHECK(hub_wp_subscription_parse(&s, "ftp://x/", p256, auth, err, sizeof err) == -1 && strstr(err, "endpoint"),
        "ftp endpoint: %s", err);
  CHECK(hub_wp_subscription_parse(&s, NULL, p256, auth, err, sizeof err) == -1 && strstr(err, "endpoint: missing"),
        "missing endpoint: %s", err);
}

/* ---- endpoint policy --------------------------------------------------------------------- */

static void test_policy(void) {
  static const struct {
    const char *url;
    int loopback; /* test option on */
    const char *origin; /* NULL = refused */
    const char *msg;    /* expected part of the refusal */
  } t[] = {
      {"https://fcm.googleapis.com/fcm/send/x", 0, "https://fcm.googleapis.com", NULL},
      {"HTTPS://FCM.GoogleAPIs.com/fcm/send/x", 0, "https://fcm.googleapis.com", NULL},
      {"https://fcm.googleapis.com:443/x", 0, "https://fcm.googleapis.com", NULL},
      {"https://updates.push.services.mozilla.com/wpush/v2/x", 0, "https://updates.push.services.mozilla.com", NULL},
      {"https://eu.push.services.mozilla.com/x", 0, "https://eu.push.services.mozilla.com", NULL},
      {"https://wns2-by3p.notify.windows.com/w/?token=x", 0, "https://wns2-by3p.notify.windows.com", NULL},
      {"https://web.push.apple.com/QO8", 0, "https://web.push.apple.com", NULL},
      {"https://push.services.mozilla.com/x", 0, NULL, "allow-list"},
      {"https://notify.windows.com/x", 0, NULL, "allow-list"},
      {"https://fcm.googleapis.com.evil.example/x", 0, NULL, "allow-list"},
      {"https://evilfcm.googleapis.com/x", 0, NULL, "allow-list"},
      {"https://fcm.googleapis.co/x", 0, NULL, "allow-list"},
      {"https://evil.example/?u=https://fcm.googleapis.com/", 0, NULL, "allow-list"},
      {"https://xpush.services.mozilla.com.evil/x", 0, NULL, "allow-list"},
      {"https://fcm.googleapis.com@evil.example/x", 0, NULL, "userinfo"},
      {"https://user:pw@fcm.googleapis.com/x", 0, NULL, "userinfo"},
      {"https://fcm.googleapis.com:443@evil.example/", 0, NULL, "userinfo"},
      {"https://evil.example#@fcm.googleapis.com/", 0, NULL, "fragment"},
      {"https://fcm.googleapis.com\\@evil.example/", 0, NULL, "not allowed"},
      {"https://fcm.googleapis.com/a b", 0, NULL, "not allowed"},
      {"https://fcm%2egoogleapis.com/x", 0, NULL, "host name"},
      {"https://fcm.googleapis.com./x", 0, NULL, "host name"},
      {"http://fcm.googleapis.com/x", 0, NULL, "only https"},
      {"ftp://fcm.googleapis.com/x", 0, NULL, "https"},
      {"//fcm.googleapis.com/x", 0, NULL, "https"},
      {"https://fcm.googleapis.com:8443/x", 0, NULL, "port 8443"},
      {"https://fcm.googleapis.com:80/x", 0, NULL, "port 80"},
      {"https://fcm.googleapis.com:/x", 0, NULL, "bad port"},
      {"https://fcm.googleapis.com:99999/x", 0, NULL, "out of range"},
      {"https://fcm.googleapis.com:+443/x", 0, NULL, "bad port"},
      {"https://142.250.74.42/x", 0, NULL, "IP address"},
      {"https://[2a00:1450::1]/x", 0, NULL, "IP address"},
      {"https://2130706433/x", 0, NULL, "IP address"},
      {"https://0x7f.1/x", 0, NULL, "IP address"},
      {"http://127.0.0.1:8080/push/a", 0, NULL, "only https"},
      {"http://127.0.0.1:8080/push/a", 1, "http://127.0.0.1:8080", NULL},
      {"http://127.0.0.1/push/a", 1, NULL, "only https"},
      {"http://localhost:8080/push/a", 1, NULL, "only https"},
      {"http://127.0.0.2:8080/push/a", 1, NULL, "only https"},
      {"http://[::1]:8080/push/a", 1, NULL, "only https"},
      {"https://127.0.0.1:8443/push/a", 1, NULL, "IP address"},
      {"http://127.0.0.1:8080@evil.example/", 1, NULL, "userinfo"},
      {"https://fcm.googleapis.com/x", 1, "https://fcm.googleapis.com", NULL},
  };
  hub_wp_policy p, q;
  char origin[320], err[HUB_WP_ERR], longurl[HUB_WP_MAX_URL + 64];
  size_t i;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    int rc;
    hub_wp_policy_default(&p);
    p.allow_loopback_http = t[i].loopback;
    err[0] = origin[0] = 0;
    rc = hub_wp_endpoint_check(&p, t[i].url, origin, sizeof origin, err, sizeof err);
    if (t[i].origin)
      CHECK(rc == 0 && strcmp(origin, t[i].origin) == 0, "%s allowed as %s (got %s; %s)", t[i].url, t[i].origin,
            origin, err);
    else
      CHECK(rc == -1 && strstr(err, t[i].msg), "%s refused (\"%s\"): %s", t[i].url, t[i].msg, err);
  }
  CHECK(hub_wp_endpoint_check(NULL, "https://fcm.googleapis.com/x", NULL, 0, err, sizeof err) == 0,
        "NULL policy = defaults");
  snprintf(longurl, sizeof longurl, "https://fcm.googleapis.com/%0*d", HUB_WP_MAX_URL, 0);
  CHECK(hub_wp_endpoint_check(NULL, longurl, NULL, 0, err, sizeof err) == -1 && strstr(err, "longer than"),
        "an over-long URL is refused: %s", err);

  /* a configured list and ports */
  hub_wp_policy_default(&p);
  CHECK(hub_wp_policy_set(&p, "push.example.net, *.Example.ORG", "443 8443", err, sizeof err) == 0, "set: %s", err);
  CHECK(hub_wp_endpoint_check(&p, "https://push.example.net:8443/p/1", origin, sizeof origin, err, sizeof err) == 0 &&
            strcmp(origin, "https://push.example.net:8443") == 0,
        "configured host and port: %s %s", origin, err);
  CHECK(hub_wp_endpoint_check(&p, "https://a.b.example.org/p", origin, sizeof origin, err, sizeof err) == 0,
        "configured wildcard (case-folded): %s", err);
  CHECK(hub_wp_endpoint_check(&p, "https://example.org/p", NULL, 0, err, sizeof err) == -1, "wildcard excludes the apex");
  CHECK(hub_wp_endpoint_check(&p, "https://fcm.googleapis.com/p", NULL, 0, err, sizeof err) == -1,
        "the configured list replaces the defaults");
  CHECK(hub_wp_endpoint_check(&p, "https://push.example.net:9443/p", NULL, 0, err, sizeof err) == -1 &&
            strstr(err, "port 9443"),
        "unlisted port: %s", err);
  q = p;
  CHECK(hub_wp_policy_set(&p, "good.example, evil..example", NULL, err, sizeof err) == -1 && strstr(err, "evil..example") &&
            memcmp(&p, &q, sizeof p) == 0,
        "bad list refused, policy unchanged: %s", err);
  CHECK(hub_wp_policy_set(&p, "10.0.0.1", NULL, err, sizeof err) == -1, "an IP is not a host name");
  CHECK(hub_wp_policy_set(&p, " , ", NULL, err, sizeof err) == -1 && strstr(err, "empty"), "empty list: %s", err);
  CHECK(hub_wp_policy_set(&p, "a.example", "0", err, sizeof err) == -1 && strstr(err, "port"), "port 0: %s", err);
  CHECK(hub_wp_policy_set(&p, "a.example", "443x", err, sizeof err) == -1, "port junk");
  CHECK(hub_wp_policy_set(&p, "a.example", "70000", err, sizeof err) == -1, "port too big");
}

/* ---- VAPID and the plan ------------------------------------------------------------------- */

/* Splits and checks "vapid t=H.C.S, k=K": the header and claims JSON, the signature with K.
 * Returns the claims (caller deletes) or NULL. */
static cJSON *t_jwt(const char *authz, const char *want_k, int *sig_ok) {
  char t[2048], k[128], hdr[256], cl[1024];
  const char *d1, *d2;
  unsigned char sig[64], kp[65];
  size_t hl, cll;
  cJSON *h, *c = NULL;
  *sig_ok = 0;
  if (sscanf(authz, "vapid t=%2047[^,], k=%127s", t, k) != 2) return NULL;
  CHECK(strcmp(k, want_k) == 0, "k= is the VAPID public key (%s)", k);
  d1 = strchr(t, '.');
  d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!d2 || strchr(t, '=')) return NULL;
  memcpy(hdr, t, (size_t)(d1 - t));
  hdr[d1 - t] = 0;
  memcpy(cl, d1 + 1, (size_t)(d2 - d1 - 1));
  cl[d2 - d1 - 1] = 0;
  hl = tb64(hdr, (unsigned char *)hdr, sizeof hdr - 1);
  hdr[hl] = 0;
  cll = tb64(cl, (unsigned char *)cl, sizeof cl - 1);
  cl[cll] = 0;
  h = cJSON_Parse(hdr);
  CHECK(h && cJSON_GetArraySize(h) == 2 && strcmp(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT") == 0 &&
            strcmp(cJSON_GetObjectItem(h, "alg")->valuestring, "ES256") == 0,
        "JWT header is {typ JWT, alg ES256}: %s", hdr);
  cJSON_Delete(h);
  CHECK(tb64(d2 + 1, sig, sizeof sig) == 64 && strlen(d2 + 1) == 86, "signature is 64 raw bytes, unpadded");
  tb64(k, kp, sizeof kp);
  *sig_ok = t_verify(kp, t, (size_t)(d2 - t), sig);
  c = cJSON_Parse(cl);
  return c;
}

static void test_vapid_plan(void) {
  const int64_t now = 1700000000;
  hub_wp_vapid k;
  hub_wp_subscription s;
  hub_wp_policy p;
  hub_wp_options o = {3600, "high", "issue-42_x"};
  hub_wp_request *r = malloc(sizeof *r);
  unsigned char ua_d[32], ua_pub[65], plain[HUB_WP_MAX_BODY], auth[16] = {9, 8, 7};
  char pub[HUB_WP_PUBLIC_B64], p256[HUB_WP_PUBLIC_B64], au[32], err[HUB_WP_ERR] = "", *authz;
  const char *payload = "{\"title\":\"hub\",\"body\":\"3 new issues\"}";
  cJSON *c;
  int sig_ok;
  long pl;
  if (!r) abort();
  hub_wp_vapid_generate(&k, err, sizeof err);
  hub_wp_vapid_export(&k, NULL, pub);
  t_ua_keys(ua_d, ua_pub);
  hub_wp_b64u_encode(ua_pub, 65, p256, sizeof p256);
  hub_wp_b64u_encode(auth, 16, au, sizeof au);
  hub_wp_policy_default(&p);
  hub_wp_policy_set(&p, "push.example.net", "443 8443", err, sizeof err);
  CHECK(hub_wp_subscription_parse(&s, "https://push.example.net:8443/push/JzLQ3raZ", p256, au, err, sizeof err) == 0,
        "subscription: %s", err);
  CHECK(hub_wp_plan(r, &s, (const unsigned char *)payload, strlen(payload), &o, &k, "mailto:ops@example.org", now, &p,
                    err, sizeof err) == 0,
        "plan: %s", err);
  CHECK(strcmp(r->method, "POST") == 0 && strcmp(r->url, s.endpoint) == 0, "POST to the endpoint");
  CHECK(hval(r, "Content-Encoding") && strcmp(hval(r, "Content-Encoding"), "aes128gcm") == 0, "Content-Encoding");
  CHECK(hval(r, "Content-Type") && strcmp(hval(r, "Content-Type"), "application/octet-stream") == 0, "Content-Type");
  CHECK(hval(r, "TTL") && strcmp(hval(r, "TTL"), "3600") == 0, "TTL");
  CHECK(hval(r, "Urgency") && strcmp(hval(r, "Urgency"), "high") == 0, "Urgency");
  CHECK(hval(r, "Topic") && strcmp(hval(r, "Topic"), "issue-42_x") == 0, "Topic");
  pl = t_decrypt(ua_d, ua_pub, auth, r->body, r->body_len, plain);
  CHECK(pl == (long)strlen(payload) && memcmp(plain, payload, (size_t)pl) == 0, "the planned body decrypts");
  authz = hval(r, "Authorization") ? strdup(hval(r, "Authorization")) : NULL;
  c = authz ? t_jwt(authz, pub, &sig_ok) : NULL;
  CHECK(c != NULL, "Authorization is vapid t=..., k=...: %s", authz ? authz : "(none)");
  if (c) {
    CHECK(sig_ok, "the ES256 signature verifies with the VAPID public key");
    CHECK(cJSON_GetArraySize(c) == 3, "claims are aud, exp, sub");
    CHECK(strcmp(cJSON_GetObjectItem(c, "aud")->valuestring, "https://push.example.net:8443") == 0,
          "aud is the origin with its non-default port: %s", cJSON_GetObjectItem(c, "aud")->valuestring);
    CHECK(cJSON_GetObjectItem(c, "exp")->valuedouble > (double)now &&
              cJSON_GetObjectItem(c, "exp")->valuedouble <= (double)(now + 12 * 3600),
          "now < exp ≤ now + 12 h");
    CHECK(strcmp(cJSON_GetObjectItem(c, "sub")->valuestring, "mailto:ops@example.org") == 0, "sub");
    cJSON_Delete(c);
  }
  if (authz) { /* tamper with one claims character: the signature must no longer verify */
    char *dot = strchr(authz, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    c = t_jwt(authz, pub, &sig_ok);
    CHECK(!sig_ok, "a tampered token does not verify (the check can fail)");
    cJSON_Delete(c);
  }
  free(authz);

  /* default port: aud has no port; the options' defaults */
  hub_wp_subscription_parse(&s, "https://fcm.googleapis.com:443/fcm/send/x", p256, au, err, sizeof err);
  CHECK(hub_wp_plan(r, &s, NULL, 0, NULL, &k, "https://hub.example.org/contact", now, NULL, err, sizeof err) == 0,
        "plan with default options: %s", err);
  c = hval(r, "Authorization") ? t_jwt(hval(r, "Authorization"), pub, &sig_ok) : NULL;
  CHECK(c && sig_ok && strcmp(cJSON_GetObjectItem(c, "aud")->valuestring, "https://fcm.googleapis.com") == 0,
        "aud omits :443");
  cJSON_Delete(c);
  CHECK(hval(r, "TTL") && strcmp(hval(r, "TTL"), "0") == 0 && strcmp(hval(r, "Urgency"), "normal") == 0 &&
            !hval(r, "Topic"),
        "defaults: TTL 0, Urgency normal, no Topic");

  /* refusals */
  {
    static const struct {
      long ttl;
      const char *urgency, *topic, *subject, *msg;
    } bad[] = {
        {-1, NULL, NULL, "mailto:a@b.c", "TTL"},
        {HUB_WP_MAX_TTL + 1, NULL, NULL, "mailto:a@b.c", "TTL"},
        {60, "urgent", NULL, "mailto:a@b.c", "urgency"},
        {60, NULL, "abcdefghijklmnopqrstuvwxyz0123456", "mailto:a@b.c", "topic"},
        {60, NULL, "a=b", "mailto:a@b.c", "topic"},
        {60, NULL, "a+b", "mailto:a@b.c", "topic"},
        {60, NULL, "new issue", "mailto:a@b.c", "topic"},
        {60, NULL, NULL, "ops@example.org", "subject"},
        {60, NULL, NULL, "http://example.org", "subject"},
        {60, NULL, NULL, "mailto:", "subject"},
        {60, NULL, NULL, "mailto:a\"@b.c", "subject"},
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      hub_wp_options ob = {bad[i].ttl, bad[i].urgency, bad[i].topic};
      err[0] = 0;
      CHECK(hub_wp_plan(r, &s, NULL, 0, &ob, &k, bad[i].subject, now, NULL, err, sizeof err) == -1 &&
                strstr(err, bad[i].msg),
            "refused (%s): %s", bad[i].msg, err);
    }
    CHECK(hub_wp_plan(r, &s, (const unsigned char *)"x", 1, &o, &k, "mailto:a@b.c", now, NULL, err, sizeof err) == 0,
          "a 10-char topic of the alphabet passes");
    {
      hub_wp_options o32 = {60, "very-low", "abcdefghijklmnopqrstuvwxyz012345"};
      CHECK(hub_wp_plan(r, &s, NULL, 0, &o32, &k, "mailto:a@b.c", now, NULL, err, sizeof err) == 0,
            "a 32-char topic passes, very-low urgency: %s", err);
    }
    {
      unsigned char *big = calloc(1, 3994);
      CHECK(big && hub_wp_plan(r, &s, big, 3994, &o, &k, "mailto:a@b.c", now, NULL, err, sizeof err) == -1 &&
                strstr(err, "3993"),
            "3994-byte payload refused: %s", err);
      free(big);
    }
    hub_wp_subscription_parse(&s, "https://fcm.googleapis.com.evil.example/x", p256, au, err, sizeof err);
    CHECK(hub_wp_plan(r, &s, NULL, 0, &o, &k, "mailto:a@b.c", now, NULL, err, sizeof err) == -1 &&
              strstr(err, "allow-list"),
          "the plan applies the endpoint policy: %s", err);
  }
  free(r);
}

/* ---- classifier ---------------------------------------------------------------------------- */

static void fmt_imf(int64_t t, char *out, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void test_classify(void) {
  const int64_t now = 1700000000;
  char date[64];
  int64_t at, d;
  static const struct {
    int status;
    hub_wp_outcome o;
  } t[] = {{201, HUB_WP_DELIVERED}, {200, HUB_WP_DELIVERED}, {202, HUB_WP_DELIVERED}, {404, HUB_WP_GONE},
           {410, HUB_WP_GONE},      {413, HUB_WP_TOO_LARGE}, {400, HUB_WP_VAPID},     {403, HUB_WP_VAPID},
           {429, HUB_WP_RETRY},     {500, HUB_WP_RETRY},     {502, HUB_WP_RETRY},     {503, HUB_WP_RETRY},
           {401, HUB_WP_FAILED},    {301, HUB_WP_FAILED},    {0, HUB_WP_FAILED},      {600, HUB_WP_FAILED}};
  size_t i;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    at = -1;
    CHECK(hub_wp_classify(t[i].status, NULL, now, 0, &at) == t[i].o && (t[i].o == HUB_WP_RETRY ? at > now : at == 0),
          "%d → %s", t[i].status, hub_wp_outcome_name(t[i].o));
  }
  CHECK(hub_wp_classify(429, "120", now, 0, &at) == HUB_WP_RETRY && at == now + 120, "429 Retry-After: 120");
  CHECK(hub_wp_classify(503, " 7 ", now, 5, &at) == HUB_WP_RETRY && at == now + 7, "Retry-After seconds beat backoff");
  CHECK(hub_wp_classify(429, "99999999999999999999", now, 0, &at) == HUB_WP_RETRY && at == now + HUB_WP_RETRY_MAX,
        "a huge Retry-After is cut to the ceiling");
  fmt_imf(now + 300, date, sizeof date);
  CHECK(hub_wp_classify(429, date, now, 0, &at) == HUB_WP_RETRY && at == now + 300, "429 Retry-After: %s", date);
  fmt_imf(now - 300, date, sizeof date);
  CHECK(hub_wp_classify(503, date, now, 0, &at) == HUB_WP_RETRY && at == now, "a past HTTP-date means now");
  CHECK(hub_wp_classify(503, NULL, now, 0, &at) == HUB_WP_RETRY && at == now + HUB_WP_BACKOFF_BASE, "backoff, 1st");
  CHECK(hub_wp_classify(503, NULL, now, 3, &at) == HUB_WP_RETRY && at == now + 8 * HUB_WP_BACKOFF_BASE, "backoff, 4th");
  CHECK(hub_wp_classify(503, NULL, now, 1000, &at) == HUB_WP_RETRY && at == now + HUB_WP_BACKOFF_MAX, "backoff cap");
  CHECK(hub_wp_classify(500, "soon", now, 1, &at) == HUB_WP_RETRY && at == now + 2 * HUB_WP_BACKOFF_BASE,
        "an unreadable Retry-After falls back to backoff");
  CHECK(hub_wp_classify(410, "120", now, 0, &at) == HUB_WP_GONE && at == 0, "Retry-After ignored unless retrying");
  CHECK(hub_wp_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &d) == 0 && d == 784111777, "IMF-fixdate");
  CHECK(hub_wp_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &d) == 0 && d == 784111777, "RFC 850 date");
  CHECK(hub_wp_parse_http_date("Sun Nov  6 08:49:37 1994", &d) == 0 && d == 784111777, "asctime date");
  CHECK(hub_wp_parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", &d) == 0 && d == 1709164800, "leap day");
  CHECK(hub_wp_parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT", &d) == -1, "no 29 Feb 2023");
  CHECK(hub_wp_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &d) == -1, "only GMT");
  CHECK(hub_wp_parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT", &d) == -1, "hour 24");
  CHECK(hub_wp_parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT", &d) == -1, "one-digit day in IMF-fixdate");
  CHECK(hub_wp_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing", &d) == -1, "trailing text");
}

/* ---- live: libcurl → build/fake_push ---------------------------------------------------------- */

typedef struct {
  char *data;
  size_t len;
  char retry_after[64];
} resp_buf;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  resp_buf *b = ud;
  char *nd;
  if (b->len + sz * n > (1u << 20)) return 0;
  nd = realloc(b->data, b->len + sz * n + 1);
  if (!nd) return 0;
  b->data = nd;
  memcpy(b->data + b->len, p, sz * n);
  b->len += sz * n;
  b->data[b->len] = 0;
  return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  resp_buf *b = ud;
  size_t len = sz * n;
  if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
    size_t i = 12, j = 0;
    while (i < len && p[i] == ' ') i++;
    while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof b->retry_after) b->retry_after[j++] = p[i++];
    b->retry_after[j] = 0;
  }
  return len;
}

/* One HTTP request; returns the status (0 on a network error). body may be NULL (GET). */
static long t_http(const char *method, const char *url, const hub_wp_request *r, const char *json, resp_buf *out) {
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  long status = 0;
  size_t i;
  char line[HUB_WP_MAX_HEADER_VALUE + 32];
  memset(out, 0, sizeof *out);
  if (!c) return 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (r) {
    for (i = 0; i < r->nheaders; i++) {
      snprintf(line, sizeof line, "%s: %s", r->headers[i].name, r->headers[i].value);
      h = curl_slist_append(h, line);
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
  } else if (json) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  }
  if (strcmp(method, "POST") == 0 && !r && !json) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_live(const char *fake) {
  char dir[] = "/tmp/webpush_test.XXXXXX", pf[64], base[64], url[128], err[HUB_WP_ERR] = "";
  char vpub[HUB_WP_PUBLIC_B64], dpriv[HUB_WP_PRIVATE_B64], p256[HUB_WP_PUBLIC_B64], au[32], subarg[2][160];
  unsigned char ua_d[2][32], ua_pub[2][65], auth[2][16];
  hub_wp_vapid k, wrong;
  hub_wp_subscription s;
  hub_wp_policy p;
  hub_wp_options o = {60, "high", "issues"};
  hub_wp_request *r = malloc(sizeof *r);
  const char *payload = "{\"title\":\"hub\",\"body\":\"push through the double\"}";
  resp_buf rb;
  pid_t pid;
  int i, st = 0, port = 0;
  long status;
  int64_t now = (int64_t)time(NULL), at = 0;
  cJSON *log;
  if (!r || !mkdtemp(dir)) abort();
  if (access(fake, X_OK) != 0) {
    CHECK(0, "push double %s not built (make build/fake_push)", fake);
    free(r);
    return;
  }
  hub_wp_vapid_generate(&k, err, sizeof err);
  hub_wp_vapid_generate(&wrong, err, sizeof err);
  hub_wp_vapid_export(&k, NULL, vpub);
  for (i = 0; i < 2; i++) {
    t_ua_keys(ua_d[i], ua_pub[i]);
    RAND_bytes(auth[i], 16);
    hub_wp_b64u_encode(ua_d[i], 32, dpriv, sizeof dpriv);
    hub_wp_b64u_encode(auth[i], 16, au, sizeof au);
    snprintf(subarg[i], sizeof subarg[i], "%c:%s:%s", 'a' + i, dpriv, au);
  }
  snprintf(pf, sizeof pf, "%s/port", dir);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    execl(fake, fake, "--port", "0", "--port-file", pf, "--vapid", vpub, "--sub", subarg[0], "--sub", subarg[1],
          (char *)NULL);
    _exit(127);
  }
  for (i = 0; i < 400 && port == 0; i++) { /* wait for the port file (not a timing check) */
    FILE *f = fopen(pf, "r");
    struct timespec ts = {0, 25000000};
    if (f) {
      if (fscanf(f, "%d", &port) != 1) port = 0;
      fclose(f);
    }
    if (!port) nanosleep(&ts, NULL);
  }
  CHECK(port > 0, "the push double started");
  if (!port) goto done;
  snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
  hub_wp_policy_default(&p);
  p.allow_loopback_http = 1;

  /* a: delivered */
  snprintf(url, sizeof url, "%s/push/a", base);
  hub_wp_b64u_encode(ua_pub[0], 65, p256, sizeof p256);
  hub_wp_b64u_encode(auth[0], 16, au, sizeof au);
  CHECK(hub_wp_subscription_parse(&s, url, p256, au, err, sizeof err) == 0, "sub a: %s", err);
  CHECK(hub_wp_plan(r, &s, (const unsigned char *)payload, strlen(payload), &o, &k, "mailto:ops@example.org", now,
                    NULL, err, sizeof err) == -1,
        "loopback http refused without the test option");
  CHECK(hub_wp_plan(r, &s, (const unsigned char *)payload, strlen(payload), &o, &k, "mailto:ops@example.org", now, &p,
                    err, sizeof err) == 0,
        "plan a: %s", err);
  status = t_http("POST", r->url, r, NULL, &rb);
  free(rb.data);
  CHECK(status == 201 && hub_wp_classify((int)status, rb.retry_after, now, 0, &at) == HUB_WP_DELIVERED,
        "a: 201 delivered (%ld)", status);

  /* b: scripted 410 → gone */
  snprintf(url, sizeof url, "%s/_script", base);
  status = t_http("POST", url, NULL, "{\"id\":\"b\",\"status\":410}", &rb);
  free(rb.data);
  CHECK(status == 200, "script b 410");
  snprintf(url, sizeof url, "%s/push/b", base);
  hub_wp_b64u_encode(ua_pub[1], 65, p256, sizeof p256);
  hub_wp_b64u_encode(auth[1], 16, au, sizeof au);
  hub_wp_subscription_parse(&s, url, p256, au, err, sizeof err);
  hub_wp_plan(r, &s, (const unsigned char *)"bye", 3, NULL, &k, "mailto:ops@example.org", now, &p, err, sizeof err);
  status = t_http("POST", r->url, r, NULL, &rb);
  free(rb.data);
  CHECK(hub_wp_classify((int)status, rb.retry_after, now, 0, &at) == HUB_WP_GONE, "b: 410 gone (%ld)", status);

  /* a: scripted 429 with Retry-After, once → retry at now + 7 */
  snprintf(url, sizeof url, "%s/_script", base);
  status = t_http("POST", url, NULL, "{\"id\":\"a\",\"status\":429,\"retry_after\":\"7\",\"count\":1}", &rb);
  free(rb.data);
  snprintf(url, sizeof url, "%s/push/a", base);
  hub_wp_b64u_encode(ua_pub[0], 65, p256, sizeof p256);
  hub_wp_b64u_encode(auth[0], 16, au, sizeof au);
  hub_wp_subscription_parse(&s, url, p256, au, err, sizeof err);
  hub_wp_plan(r, &s, (const unsigned char *)"again", 5, NULL, &k, "mailto:ops@example.org", now, &p, err, sizeof err);
  status = t_http("POST", r->url, r, NULL, &rb);
  free(rb.data);
  CHECK(status == 429 && hub_wp_classify((int)status, rb.retry_after, now, 0, &at) == HUB_WP_RETRY && at == now + 7,
        "a: 429 retry at now+7 (%ld, Retry-After \"%s\")", status, rb.retry_after);

  /* a: signed with another VAPID key → 403 → vapid */
  hub_wp_plan(r, &s, (const unsigned char *)"wrong key", 9, NULL, &wrong, "mailto:ops@example.org", now, &p, err,
              sizeof err);
  status = t_http("POST", r->url, r, NULL, &rb);
  free(rb.data);
  CHECK(hub_wp_classify((int)status, rb.retry_after, now, 0, &at) == HUB_WP_VAPID, "wrong VAPID key: %ld", status);

  /* the double's log */
  snprintf(url, sizeof url, "%s/_log", base);
  status = t_http("GET", url, NULL, NULL, &rb);
  log = rb.data ? cJSON_Parse(rb.data) : NULL;
  CHECK(status == 200 && cJSON_GetArraySize(log) == 4, "log has 4 pushes: %s", rb.data ? rb.data : "");
  free(rb.data);
  if (cJSON_GetArraySize(log) == 4) {
    const cJSON *e0 = cJSON_GetArrayItem(log, 0), *e1 = cJSON_GetArrayItem(log, 1), *e2 = cJSON_GetArrayItem(log, 2),
                *e3 = cJSON_GetArrayItem(log, 3);
    CHECK(strcmp(jstr(e0, "id"), "a") == 0 && strcmp(jstr(e0, "payload"), payload) == 0,
          "the double decrypted a's payload: %s", jstr(e0, "payload"));
    CHECK(strcmp(jstr(e0, "ttl"), "60") == 0 && strcmp(jstr(e0, "urgency"), "high") == 0 &&
              strcmp(jstr(e0, "topic"), "issues") == 0 && strcmp(jstr(e0, "content_encoding"), "aes128gcm") == 0,
          "TTL, Urgency, Topic, Content-Encoding arrived");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e0, "jwt_ok")) && strcmp(jstr(e0, "aud"), base) == 0,
          "the double verified the JWT (aud %s): %s", jstr(e0, "aud"), jstr(e0, "jwt_error"));
    CHECK(strcmp(jstr(e1, "id"), "b") == 0 && strcmp(jstr(e1, "payload"), "bye") == 0 &&
              cJSON_GetObjectItem(e1, "status")->valueint == 410,
          "b logged with its scripted 410");
    CHECK(strcmp(jstr(e2, "payload"), "again") == 0 && cJSON_GetObjectItem(e2, "status")->valueint == 429 &&
              strcmp(jstr(e2, "urgency"), "normal") == 0 && cJSON_IsNull(cJSON_GetObjectItem(e2, "topic")),
          "the 429 push logged, default urgency, no topic");
    CHECK(!cJSON_IsTrue(cJSON_GetObjectItem(e3, "jwt_ok")) && strcmp(jstr(e3, "payload"), "wrong key") == 0,
          "the wrong-key push decrypts but its JWT is refused: %s", jstr(e3, "jwt_error"));
  }
  cJSON_Delete(log);
  snprintf(url, sizeof url, "%s/_quit", base);
  t_http("POST", url, NULL, NULL, &rb);
  free(rb.data);
done:
  if (!port) kill(pid, SIGTERM);
  waitpid(pid, &st, 0);
  CHECK(port == 0 || (WIFEXITED(st) && WEXITSTATUS(st) == 0), "the double stopped cleanly");
  unlink(pf);
  rmdir(dir);
  free(r);
}

int main(int argc, char **argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  test_rfc8291();
  test_roundtrip();
  test_keys();
  test_b64u();
  test_subscriptions();
  test_policy();
  test_vapid_plan();
  test_classify();
  test_live(argc > 1 ? argv[1] : "build/fake_push");
  curl_global_cleanup();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
