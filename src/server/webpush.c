/*
 * webpush.c — Web Push sending for hubd (native driver layer, OpenSSL 3 EVP; see webpush.h).
 *
 * What is here, in order: error and base64url helpers; P-256 keys as EVP_PKEYs; the URL
 * parser and the endpoint policy; subscriptions; RFC 8291 encryption (ECDH, HKDF-SHA256,
 * one aes128gcm record of RFC 8188); the VAPID JWT of RFC 8292 (ES256, raw R||S); the plan;
 * the classifier of answers and its HTTP-date parser. Nothing reads a clock or keeps state;
 * no heap memory outlives a call (OpenSSL objects are freed before returning).
 */
#include "webpush.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#define MAX_ORIGIN 300   /* "https://" + a 253-char host + ":65535" fits */
#define MAX_B64_IN 8192  /* longest base64url text the decoder looks at */

/* ---- errors ------------------------------------------------------------------------------ */

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || !errlen) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* An OpenSSL failure: "what (openssl: reason)"; clears the thread's OpenSSL error queue. */
static void sslerr(char *err, size_t errlen, const char *what) {
  unsigned long e = ERR_peek_last_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  seterr(err, errlen, "%s (openssl: %s)", what, r ? r : "unknown error");
  ERR_clear_error();
}

/* OpenSSL's OSSL_PARAM constructors take non-const buffers they only read. */
static void *unconst(const void *p) {
  void *q;
  memcpy(&q, &p, sizeof q);
  return q;
}

/* ---- base64url --------------------------------------------------------------------------- */

static const char b64u_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64u_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

long hub_wp_b64u_encode(const unsigned char *in, size_t len, char *out, size_t cap) {
  size_t i, o = 0, need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
  long rc = -1;
  if (!out || cap == 0) goto done;
  out[0] = 0;
  if (need + 1 > cap) goto done;
  for (i = 0; i + 2 < len; i += 3) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
    out[o++] = b64u_alpha[v >> 18 & 63];
    out[o++] = b64u_alpha[v >> 12 & 63];
    out[o++] = b64u_alpha[v >> 6 & 63];
    out[o++] = b64u_alpha[v & 63];
  }
  if (len - i == 1) {
    unsigned long v = (unsigned long)in[i] << 16;
    out[o++] = b64u_alpha[v >> 18 & 63];
    out[o++] = b64u_alpha[v >> 12 & 63];
  } else if (len - i == 2) {
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
    out[o++] = b64u_alpha[v >> 18 & 63];
    out[o++] = b64u_alpha[v >> 12 & 63];
    out[o++] = b64u_alpha[v >> 6 & 63];
  }
  out[o] = 0;
  rc = (long)o;
done:
  return rc;
}

int hub_wp_b64u_decode(const char *in, const char *what, size_t want, unsigned char *out,
                       size_t cap, size_t *outlen, char *err, size_t errlen) {
  size_t n, data, pads = 0, i, o = 0, got;
  unsigned long acc = 0;
  int bits = 0, rc = -1;
  if (!in || !*in) {
    seterr(err, errlen, "%s: missing", what);
    goto done;
  }
  n = strnlen(in, MAX_B64_IN + 1);
  if (n > MAX_B64_IN) {
    seterr(err, errlen, "%s: too long", what);
    goto done;
  }
  while (pads < n && in[n - 1 - pads] == '=') pads++;
  data = n - pads;
  for (i = 0; i < data; i++) {
    if (b64u_val(in[i]) < 0) {
      if (in[i] == '=')
        seterr(err, errlen, "%s: '=' padding in the middle (offset %zu)", what, i);
      else if (in[i] == '+' || in[i] == '/')
        seterr(err, errlen, "%s: standard base64 character '%c' at offset %zu; base64url uses '-' and '_'",
               what, in[i], i);
      else
        seterr(err, errlen, "%s: not base64url (bad character at offset %zu)", what, i);
      goto done;
    }
  }
  if (data % 4 == 1) {
    seterr(err, errlen, "%s: impossible base64url length %zu", what, data);
    goto done;
  }
  if (pads && (pads > 2 || n % 4 != 0 || (data % 4 == 0) || pads != 4 - data % 4)) {
    seterr(err, errlen, "%s: wrong '=' padding", what);
    goto done;
  }
  got = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
  if (want && got != want) {
    seterr(err, errlen, "%s: must be %zu bytes, got %zu", what, want, got);
    goto done;
  }
  if (got > cap) {
    seterr(err, errlen, "%s: longer than %zu bytes", what, cap);
    goto done;
  }
  for (i = 0; i < data; i++) {
    acc = (acc << 6 | (unsigned long)b64u_val(in[i])) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits & 0xff);
    }
  }
  if (bits && (acc & ((1UL << bits) - 1))) {
    seterr(err, errlen, "%s: non-canonical base64url (unused bits set)", what);
    goto done;
  }
  if (outlen) *outlen = o;
  rc = 0;
done:
  return rc;
}

/* ---- P-256 keys -------------------------------------------------------------------------- */

/* Builds an EVP_PKEY from an uncompressed public point and, when d is not NULL, the private
 * scalar. The point must be on the curve. NULL on failure (err set). Caller frees. */
static EVP_PKEY *pkey_from(const unsigned char pub[65], const unsigned char *d, const char *what,
                           char *err, size_t errlen) {
  OSSL_PARAM_BLD *bld = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *pk = NULL;
  EC_GROUP *g = NULL;
  EC_POINT *pt = NULL;
  BIGNUM *bn = NULL;
  if (pub[0] != 0x04) {
    seterr(err, errlen, "%s: not an uncompressed P-256 point (first byte 0x%02x, want 0x04)", what, pub[0]);
    goto done;
  }
  g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  pt = g ? EC_POINT_new(g) : NULL;
  if (!pt) {
    sslerr(err, errlen, "P-256 setup failed");
    goto done;
  }
  if (EC_POINT_oct2point(g, pt, pub, 65, NULL) != 1 || EC_POINT_is_on_curve(g, pt, NULL) != 1 ||
      EC_POINT_is_at_infinity(g, pt)) {
    ERR_clear_error();
    seterr(err, errlen, "%s: not a point on the P-256 curve", what);
    goto done;
  }
  bld = OSSL_PARAM_BLD_new();
  if (d && !(bn = BN_bin2bn(d, 32, NULL))) {
    sslerr(err, errlen, "BN_bin2bn failed");
    goto done;
  }
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) ||
      (bn && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)) ||
      !(params = OSSL_PARAM_BLD_to_param(bld))) {
    sslerr(err, errlen, "building key parameters failed");
    goto done;
  }
  ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pk, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
    pk = NULL;
    sslerr(err, errlen, "loading the P-256 key failed");
    goto done;
  }
done:
  BN_clear_free(bn);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  EC_POINT_free(pt);
  EC_GROUP_free(g);
  return pk;
}

/* Derives the uncompressed public point of the private scalar d (1 ≤ d < n). Returns 0, or
 * -1 with err. */
static int public_of(const unsigned char d[32], unsigned char pub[65], const char *what, char *err,
                     size_t errlen) {
  EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
  BIGNUM *bn = BN_bin2bn(d, 32, NULL);
  int rc = -1;
  if (!pt || !bn) {
    sslerr(err, errlen, "P-256 setup failed");
    goto done;
  }
  if (BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0) {
    seterr(err, errlen, "%s: not a valid P-256 private key (out of range)", what);
    goto done;
  }
  if (EC_POINT_mul(g, pt, bn, NULL, NULL, NULL) != 1 ||
      EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) != 65) {
    sslerr(err, errlen, "deriving the public key failed");
    goto done;
  }
  rc = 0;
done:
  BN_clear_free(bn);
  EC_POINT_free(pt);
  EC_GROUP_free(g);
  return rc;
}

/* A fresh P-256 key pair: d and pub filled, the EVP_PKEY returned (caller frees), or NULL. */
static EVP_PKEY *generate(unsigned char d[32], unsigned char pub[65], char *err, size_t errlen) {
  EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  BIGNUM *bn = NULL;
  size_t n = 0;
  if (!pk || EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &n) != 1 || n != 65 ||
      EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 || BN_bn2binpad(bn, d, 32) != 32) {
    sslerr(err, errlen, "generating a P-256 key failed");
    EVP_PKEY_free(pk);
    pk = NULL;
  }
  BN_clear_free(bn);
  return pk;
}

int hub_wp_vapid_generate(hub_wp_vapid *k, char *err, size_t errlen) {
  hub_wp_vapid t;
  EVP_PKEY *pk = generate(t.d, t.pub, err, errlen);
  int rc = -1;
  if (!pk) goto done;
  *k = t;
  rc = 0;
done:
  EVP_PKEY_free(pk);
  OPENSSL_cleanse(&t, sizeof t);
  return rc;
}

int hub_wp_vapid_export(const hub_wp_vapid *k, char priv[HUB_WP_PRIVATE_B64],
                        char pub[HUB_WP_PUBLIC_B64]) {
  if (priv) hub_wp_b64u_encode(k->d, sizeof k->d, priv, HUB_WP_PRIVATE_B64);
  if (pub) hub_wp_b64u_encode(k->pub, sizeof k->pub, pub, HUB_WP_PUBLIC_B64);
  return 0;
}

int hub_wp_vapid_import(hub_wp_vapid *k, const char *priv, const char *pub, char *err,
                        size_t errlen) {
  hub_wp_vapid t;
  unsigned char given[65];
  int rc = -1;
  if (hub_wp_b64u_decode(priv, "VAPID private key", 32, t.d, sizeof t.d, NULL, err, errlen) ||
      public_of(t.d, t.pub, "VAPID private key", err, errlen))
    goto done;
  if (pub) {
    if (hub_wp_b64u_decode(pub, "VAPID public key", 65, given, sizeof given, NULL, err, errlen)) goto done;
    if (memcmp(given, t.pub, 65) != 0) {
      seterr(err, errlen, "VAPID public key does not belong to the private key");
      goto done;
    }
  }
  *k = t;
  rc = 0;
done:
  OPENSSL_cleanse(&t, sizeof t);
  return rc;
}

/* ---- URLs and the endpoint policy -------------------------------------------------------- */

typedef struct {
  int https;           /* 1 https, 0 http */
  char host[254];      /* lower case; "[...]" for an IPv6 literal */
  int ip;              /* the host is an IP literal (v4, v6, or a numeric form) */
  unsigned port;       /* effective port */
  int explicit_port;
} url_parts;

/* Checks a DNS name: labels of [a-z0-9-] (lower case), 1..63 chars, no empty label. */
static int valid_hostname(const char *h) {
  size_t lab = 0;
  const char *c;
  if (!*h || strlen(h) > 253) return 0;
  for (c = h; *c; c++) {
    if (*c == '.') {
      if (lab == 0) return 0;
      lab = 0;
    } else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-') {
      if (++lab > 63) return 0;
    } else {
      return 0;
    }
  }
  return lab > 0;
}

/* A host that a URL parser would treat as an IPv4 address: its last label is numeric or hex
 * ("127.0.0.1", "2130706433", "0x7f.1"). */
static int looks_ipv4(const char *h) {
  const char *last = strrchr(h, '.');
  last = last ? last + 1 : h;
  if (last[0] == '0' && last[1] == 'x') return 1;
  for (; *last; last++)
    if (!isdigit((unsigned char)*last)) return 0;
  return 1;
}

/* Parses an absolute http(s) URL strictly: printable ASCII, no backslash, no fragment, no
 * userinfo, a DNS or IP host, an optional port 1..65535. Returns 0, or -1 with err. */
static int parse_url(const char *url, url_parts *u, char *err, size_t errlen) {
  const char *p, *auth, *end, *colon;
  size_t n, hl, i;
  int rc = -1;
  memset(u, 0, sizeof *u);
  if (!url || !*url) {
    seterr(err, errlen, "endpoint: missing");
    goto done;
  }
  n = strnlen(url, HUB_WP_MAX_URL + 1);
  if (n > HUB_WP_MAX_URL) {
    seterr(err, errlen, "endpoint: longer than %d bytes", HUB_WP_MAX_URL);
    goto done;
  }
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)url[i];
    if (c <= 0x20 || c >= 0x7f || c == '\\') {
      seterr(err, errlen, "endpoint: character 0x%02x at offset %zu is not allowed in a URL", c, i);
      goto done;
    }
  }
  if (strncasecmp(url, "https://", 8) == 0) {
    u->https = 1;
    auth = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    auth = url + 7;
  } else {
    seterr(err, errlen, "endpoint: not an https URL");
    goto done;
  }
  end = auth + strcspn(auth, "/?#");
  if (strchr(url, '#')) {
    seterr(err, errlen, "endpoint: a fragment (#) is not allowed");
    goto done;
  }
  for (p = auth; p < end; p++)
    if (*p == '@') {
      seterr(err, errlen, "endpoint: userinfo (user@host) is not allowed");
      goto done;
    }
  if (end == auth) {
    seterr(err, errlen, "endpoint: no host");
    goto done;
  }
  if (*auth == '[') { /* IPv6 literal */
    const char *rb = memchr(auth, ']', (size_t)(end - auth));
    if (!rb) {
      seterr(err, errlen, "endpoint: unterminated IPv6 literal");
      goto done;
    }
    colon = rb + 1 < end ? rb + 1 : NULL;
    if (colon && *colon != ':') {
      seterr(err, errlen, "endpoint: bad authority after the IPv6 literal");
      goto done;
    }
    hl = (size_t)(rb + 1 - auth);
    u->ip = 1;
  } else {
    colon = memchr(auth, ':', (size_t)(end - auth));
    hl = (size_t)((colon ? colon : end) - auth);
  }
  if (hl == 0 || hl >= sizeof u->host) {
    seterr(err, errlen, "endpoint: bad host length");
    goto done;
  }
  for (i = 0; i < hl; i++) u->host[i] = (char)tolower((unsigned char)auth[i]);
  u->host[hl] = 0;
  if (!u->ip) {
    if (!valid_hostname(u->host)) {
      seterr(err, errlen, "endpoint: \"%.64s\" is not a valid host name", u->host);
      goto done;
    }
    u->ip = looks_ipv4(u->host);
  }
  u->port = u->https ? 443 : 80;
  if (colon) {
    unsigned long v = 0;
    const char *q = colon + 1;
    if (q == end || end - q > 5) {
      seterr(err, errlen, "endpoint: bad port");
      goto done;
    }
    for (; q < end; q++) {
      if (!isdigit((unsigned char)*q)) {
        seterr(err, errlen, "endpoint: bad port");
        goto done;
      }
      v = v * 10 + (unsigned long)(*q - '0');
    }
    if (v == 0 || v > 65535) {
      seterr(err, errlen, "endpoint: port %lu out of range", v);
      goto done;
    }
    u->port = (unsigned)v;
    u->explicit_port = 1;
  }
  rc = 0;
done:
  return rc;
}

static const char *const default_hosts[] = {"fcm.googleapis.com", "updates.push.services.mozilla.com",
                                            "*.push.services.mozilla.com", "*.notify.windows.com",
                                            "web.push.apple.com"};

void hub_wp_policy_default(hub_wp_policy *p) {
  size_t i;
  memset(p, 0, sizeof *p);
  for (i = 0; i < sizeof default_hosts / sizeof default_hosts[0]; i++)
    snprintf(p->hosts[p->nhosts++], sizeof p->hosts[0], "%s", default_hosts[i]);
  p->ports[p->nports++] = 443;
}

int hub_wp_policy_set(hub_wp_policy *p, const char *list, const char *ports, char *err,
                      size_t errlen) {
  hub_wp_policy t = *p;
  const char *s = list ? list : "";
  const char *sep = ", \t\r\n";
  int rc = -1;
  t.nhosts = 0;
  while (*s) {
    size_t n, i;
    char tok[256];
    const char *name;
    s += strspn(s, sep);
    n = strcspn(s, sep);
    if (!n) break;
    if (n >= sizeof tok) {
      seterr(err, errlen, "push host list: an entry is too long");
      goto done;
    }
    for (i = 0; i < n; i++) tok[i] = (char)tolower((unsigned char)s[i]);
    tok[n] = 0;
    s += n;
    name = strncmp(tok, "*.", 2) == 0 ? tok + 2 : tok;
    if (!valid_hostname(name) || looks_ipv4(name)) {
      seterr(err, errlen, "push host list: \"%.64s\" is not a host name (or *.domain)", tok);
      goto done;
    }
    if (t.nhosts == HUB_WP_MAX_HOSTS) {
      seterr(err, errlen, "push host list: more than %d entries", HUB_WP_MAX_HOSTS);
      goto done;
    }
    memcpy(t.hosts[t.nhosts++], tok, n + 1);
  }
  if (!t.nhosts) {
    seterr(err, errlen, "push host list: empty");
    goto done;
  }
  if (ports) {
    s = ports;
    t.nports = 0;
    while (*s) {
      unsigned long v = 0;
      size_t n, i;
      s += strspn(s, sep);
      n = strcspn(s, sep);
      if (!n) break;
      for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || i >= 5) {
          v = 0;
          break;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
      }
      if (v == 0 || v > 65535) {
        seterr(err, errlen, "push port list: \"%.*s\" is not a port number", (int)(n > 16 ? 16 : n), s);
        goto done;
      }
      if (t.nports == HUB_WP_MAX_PORTS) {
        seterr(err, errlen, "push port list: more than %d ports", HUB_WP_MAX_PORTS);
        goto done;
      }
      t.ports[t.nports++] = (unsigned short)v;
      s += n;
    }
    if (!t.nports) {
      seterr(err, errlen, "push port list: empty");
      goto done;
    }
  }
  *p = t;
  rc = 0;
done:
  return rc;
}

/* Host matches an allow-list entry: equal, or "*.d" and the host is a proper subdomain of d. */
static int host_allowed(const hub_wp_policy *p, const char *host) {
  size_t i, hl = strlen(host);
  for (i = 0; i < p->nhosts; i++) {
    const char *e = p->hosts[i];
    if (strncmp(e, "*.", 2) == 0) {
      size_t sl = strlen(e + 1); /* ".d" */
      if (hl > sl && strcmp(host + hl - sl, e + 1) == 0) return 1;
    } else if (strcmp(host, e) == 0) {
      return 1;
    }
  }
  return 0;
}

int hub_wp_endpoint_check(const hub_wp_policy *p, const char *url, char *origin, size_t cap,
                          char *err, size_t errlen) {
  hub_wp_policy dflt;
  url_parts u;
  size_t i;
  int rc = -1, ok = 0;
  if (!p) {
    hub_wp_policy_default(&dflt);
    p = &dflt;
  }
  if (parse_url(url, &u, err, errlen)) goto done;
  if (!u.https) {
    if (!(p->allow_loopback_http && strcmp(u.host, "127.0.0.1") == 0 && u.explicit_port)) {
      seterr(err, errlen, "endpoint: only https push endpoints are allowed");
      goto done;
    }
  } else {
    if (u.ip) {
      seterr(err, errlen, "endpoint: an IP address host (%.64s) is not allowed", u.host);
      goto done;
    }
    if (!host_allowed(p, u.host)) {
      seterr(err, errlen, "endpoint: host \"%.64s\" is not on the push service allow-list", u.host);
      goto done;
    }
    for (i = 0; i < p->nports; i++)
      if (p->ports[i] == u.port) ok = 1;
    if (!ok) {
      seterr(err, errlen, "endpoint: port %u is not allowed", u.port);
      goto done;
    }
  }
  if (origin) {
    int w = (u.port == (u.https ? 443u : 80u))
                ? snprintf(origin, cap, "%s://%s", u.https ? "https" : "http", u.host)
                : snprintf(origin, cap, "%s://%s:%u", u.https ? "https" : "http", u.host, u.port);
    if (w < 0 || (size_t)w >= cap) {
      seterr(err, errlen, "endpoint: origin buffer too small");
      goto done;
    }
  }
  rc = 0;
done:
  return rc;
}

/* ---- subscriptions ----------------------------------------------------------------------- */

int hub_wp_subscription_parse(hub_wp_subscription *s, const char *endpoint, const char *p256dh,
                              const char *auth, char *err, size_t errlen) {
  url_parts u;
  unsigned char key[65], sec[16];
  EVP_PKEY *pk = NULL;
  int rc = -1;
  if (parse_url(endpoint, &u, err, errlen) ||
      hub_wp_b64u_decode(p256dh, "p256dh", 65, key, sizeof key, NULL, err, errlen) ||
      hub_wp_b64u_decode(auth, "auth", 16, sec, sizeof sec, NULL, err, errlen))
    goto done;
  if (!(pk = pkey_from(key, NULL, "p256dh", err, errlen))) goto done;
  snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
  memcpy(s->p256dh, key, sizeof key);
  memcpy(s->auth, sec, sizeof sec);
  rc = 0;
done:
  EVP_PKEY_free(pk);
  return rc;
}

/* ---- encryption -------------------------------------------------------------------------- */

/* HKDF-SHA256 (extract and expand) into out (outlen bytes). Returns 0, or -1 with err. */
static int hkdf(const unsigned char *salt, size_t saltlen, const unsigned char *ikm, size_t ikmlen,
                const unsigned char *info, size_t infolen, unsigned char *out, size_t outlen,
                char *err, size_t errlen) {
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  OSSL_PARAM params[5];
  int rc = -1;
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, unconst("SHA256"), 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, unconst(ikm), ikmlen);
  params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, unconst(salt), saltlen);
  params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, unconst(info), infolen);
  params[4] = OSSL_PARAM_construct_end();
  if (!kc || EVP_KDF_derive(kc, out, outlen, params) != 1) {
    sslerr(err, errlen, "HKDF failed");
    goto done;
  }
  rc = 0;
done:
  EVP_KDF_CTX_free(kc);
  EVP_KDF_free(kdf);
  return rc;
}

/* ECDH between our key pair and the peer: 32-byte shared secret. Returns 0, or -1 with err. */
static int ecdh(EVP_PKEY *mine, EVP_PKEY *peer, unsigned char secret[32], char *err, size_t errlen) {
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(mine, NULL);
  size_t n = 32;
  int rc = -1;
  if (!c || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, peer) != 1 ||
      EVP_PKEY_derive(c, secret, &n) != 1 || n != 32) {
    sslerr(err, errlen, "ECDH failed");
    goto done;
  }
  rc = 0;
done:
  EVP_PKEY_CTX_free(c);
  return rc;
}

int hub__wp_encrypt_with(const unsigned char ua_public[65], const unsigned char auth[16],
                         const unsigned char *plaintext, size_t len,
                         const unsigned char *as_private, const unsigned char *salt,
                         unsigned char *out, size_t *outlen, char *err, size_t errlen) {
  static const char key_label[] = "WebPush: info"; /* + its NUL */
  static const char cek_label[] = "Content-Encoding: aes128gcm";
  static const char nonce_label[] = "Content-Encoding: nonce";
  unsigned char as_d[32], as_pub[65], shared[32], ikm[32], cek[16], nonce[12], s[16];
  unsigned char key_info[sizeof key_label + 65 + 65];
  const unsigned char delim = 0x02;
  EVP_PKEY *ua = NULL, *as = NULL;
  EVP_CIPHER_CTX *c = NULL;
  int n1 = 0, n2 = 0, n3 = 0, rc = -1;
  size_t o;
  if (len > HUB_WP_MAX_PLAINTEXT) {
    seterr(err, errlen, "payload is %zu bytes; at most %d fit in one push message", len,
           HUB_WP_MAX_PLAINTEXT);
    goto done;
  }
  if (!(ua = pkey_from(ua_public, NULL, "p256dh", err, errlen))) goto done;
  if (as_private) {
    memcpy(as_d, as_private, 32);
    if (public_of(as_d, as_pub, "ephemeral key", err, errlen) ||
        !(as = pkey_from(as_pub, as_d, "ephemeral key", err, errlen)))
      goto done;
  } else if (!(as = generate(as_d, as_pub, err, errlen))) {
    goto done;
  }
  if (salt) {
    memcpy(s, salt, 16);
  } else if (RAND_bytes(s, 16) != 1) {
    sslerr(err, errlen, "no random salt");
    goto done;
  }
  if (ecdh(as, ua, shared, err, errlen)) goto done;
  memcpy(key_info, key_label, sizeof key_label); /* incl. the 0x00 */
  memcpy(key_info + sizeof key_label, ua_public, 65);
  memcpy(key_info + sizeof key_label + 65, as_pub, 65);
  if (hkdf(auth, 16, shared, 32, key_info, sizeof key_info, ikm, 32, err, errlen) ||
      hkdf(s, 16, ikm, 32, (const unsigned char *)cek_label, sizeof cek_label, cek, 16, err, errlen) ||
      hkdf(s, 16, ikm, 32, (const unsigned char *)nonce_label, sizeof nonce_label, nonce, 12, err, errlen))
    goto done;
  /* header: salt || rs (uint32 BE) || idlen || keyid */
  memcpy(out, s, 16);
  out[16] = (unsigned char)(HUB_WP_RECORD_SIZE >> 24 & 0xff);
  out[17] = (unsigned char)(HUB_WP_RECORD_SIZE >> 16 & 0xff);
  out[18] = (unsigned char)(HUB_WP_RECORD_SIZE >> 8 & 0xff);
  out[19] = (unsigned char)(HUB_WP_RECORD_SIZE & 0xff);
  out[20] = 65;
  memcpy(out + 21, as_pub, 65);
  o = HUB_WP_HEADER_LEN;
  c = EVP_CIPHER_CTX_new();
  if (!c || EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, cek, nonce) != 1 ||
      (len && EVP_EncryptUpdate(c, out + o, &n1, plaintext, (int)len) != 1) ||
      EVP_EncryptUpdate(c, out + o + n1, &n2, &delim, 1) != 1 ||
      EVP_EncryptFinal_ex(c, out + o + n1 + n2, &n3) != 1 ||
      (size_t)(n1 + n2 + n3) != len + 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + o + len + 1) != 1) {
    sslerr(err, errlen, "AES-128-GCM failed");
    goto done;
  }
  *outlen = o + len + 1 + 16;
  rc = 0;
done:
  OPENSSL_cleanse(as_d, sizeof as_d);
  OPENSSL_cleanse(shared, sizeof shared);
  OPENSSL_cleanse(ikm, sizeof ikm);
  OPENSSL_cleanse(cek, sizeof cek);
  EVP_CIPHER_CTX_free(c);
  EVP_PKEY_free(ua);
  EVP_PKEY_free(as);
  return rc;
}

int hub_wp_encrypt(const unsigned char ua_public[65], const unsigned char auth[16],
                   const unsigned char *plaintext, size_t len, unsigned char *out,
                   size_t *outlen, char *err, size_t errlen) {
  return hub__wp_encrypt_with(ua_public, auth, plaintext, len, NULL, NULL, out, outlen, err, errlen);
}

/* ---- VAPID ------------------------------------------------------------------------------- */

/* Printable ASCII without '"' and '\\' (so it needs no JSON escaping), at most max bytes. */
static int plain_ascii(const char *s, size_t max) {
  size_t n = 0;
  for (; *s; s++, n++)
    if (n >= max || *s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\') return 0;
  return n > 0;
}

/* ES256 over data: the raw 64-byte R||S signature. Returns 0, or -1 with err. */
static int es256(const hub_wp_vapid *k, const unsigned char *data, size_t len, unsigned char sig[64],
                 char *err, size_t errlen) {
  EVP_PKEY *pk = pkey_from(k->pub, k->d, "VAPID key", err, errlen);
  EVP_MD_CTX *m = NULL;
  ECDSA_SIG *es = NULL;
  unsigned char der[80];
  const unsigned char *p = der;
  const BIGNUM *r = NULL, *s = NULL;
  size_t dl = sizeof der;
  int rc = -1;
  if (!pk) goto done;
  m = EVP_MD_CTX_new();
  if (!m || EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, pk) != 1 ||
      EVP_DigestSign(m, der, &dl, data, len) != 1 || !(es = d2i_ECDSA_SIG(NULL, &p, (long)dl))) {
    sslerr(err, errlen, "ES256 signing failed");
    goto done;
  }
  ECDSA_SIG_get0(es, &r, &s);
  if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) {
    sslerr(err, errlen, "ES256 signature conversion failed");
    goto done;
  }
  rc = 0;
done:
  ECDSA_SIG_free(es);
  EVP_MD_CTX_free(m);
  EVP_PKEY_free(pk);
  return rc;
}

int hub_wp_vapid_auth(const hub_wp_vapid *k, const char *origin, const char *subject,
                      int64_t now, char *out, size_t cap, char *err, size_t errlen) {
  static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
  char claims[MAX_ORIGIN + HUB_WP_MAX_SUBJECT + 64];
  char jwt[(sizeof header + sizeof claims) * 4 / 3 + 100], pub[HUB_WP_PUBLIC_B64];
  unsigned char sig[64];
  long a, b, c;
  int w, rc = -1;
  if (!origin || !plain_ascii(origin, MAX_ORIGIN) ||
      (strncmp(origin, "https://", 8) != 0 && strncmp(origin, "http://", 7) != 0)) {
    seterr(err, errlen, "VAPID audience must be an http(s) origin");
    goto done;
  }
  if (!subject || !plain_ascii(subject, HUB_WP_MAX_SUBJECT) ||
      !((strncmp(subject, "mailto:", 7) == 0 && strchr(subject + 7, '@') && subject[7] != '@') ||
        (strncmp(subject, "https://", 8) == 0 && subject[8]))) {
    seterr(err, errlen, "VAPID subject must be a mailto: address or an https URL (printable ASCII, "
                        "at most %d chars)", HUB_WP_MAX_SUBJECT);
    goto done;
  }
  if (now <= 0) {
    seterr(err, errlen, "VAPID: no current time given");
    goto done;
  }
  w = snprintf(claims, sizeof claims, "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", origin,
               (long long)(now + HUB_WP_JWT_LIFETIME), subject);
  if (w < 0 || (size_t)w >= sizeof claims) {
    seterr(err, errlen, "VAPID claims too long");
    goto done;
  }
  /* the sizes above make every encode below fit; the checks are belts and braces */
  a = hub_wp_b64u_encode((const unsigned char *)header, sizeof header - 1, jwt, sizeof jwt);
  if (a < 0 || (size_t)a + 2 >= sizeof jwt) {
    seterr(err, errlen, "VAPID token too long");
    goto done;
  }
  jwt[a] = '.';
  b = hub_wp_b64u_encode((const unsigned char *)claims, (size_t)w, jwt + a + 1, sizeof jwt - (size_t)a - 1);
  if (b < 0) {
    seterr(err, errlen, "VAPID token too long");
    goto done;
  }
  if (es256(k, (const unsigned char *)jwt, (size_t)(a + 1 + b), sig, err, errlen)) goto done;
  jwt[a + 1 + b] = '.';
  c = hub_wp_b64u_encode(sig, sizeof sig, jwt + a + b + 2, sizeof jwt - (size_t)(a + b + 2));
  hub_wp_b64u_encode(k->pub, sizeof k->pub, pub, sizeof pub);
  w = snprintf(out, cap, "vapid t=%s, k=%s", jwt, pub);
  if (c < 0 || w < 0 || (size_t)w >= cap) {
    seterr(err, errlen, "VAPID header too long for the buffer");
    goto done;
  }
  rc = 0;
done:
  return rc;
}

/* ---- the plan ---------------------------------------------------------------------------- */

static void add_header(hub_wp_request *r, const char *name, const char *value) {
  hub_wp_header *h = &r->headers[r->nheaders++];
  snprintf(h->name, sizeof h->name, "%s", name);
  snprintf(h->value, sizeof h->value, "%s", value);
}

int hub_wp_plan(hub_wp_request *req, const hub_wp_subscription *sub, const unsigned char *payload,
                size_t len, const hub_wp_options *opt, const hub_wp_vapid *keys,
                const char *subject, int64_t now, const hub_wp_policy *policy, char *err,
                size_t errlen) {
  static const char *const urgencies[] = {"very-low", "low", "normal", "high"};
  char origin[MAX_ORIGIN + 1], ttl[24];
  const char *urgency = opt && opt->urgency ? opt->urgency : "normal";
  const char *topic = opt && opt->topic && *opt->topic ? opt->topic : NULL;
  long t = opt ? opt->ttl : 0;
  size_t i;
  int ok = 0, rc = -1;
  if (hub_wp_endpoint_check(policy, sub->endpoint, origin, sizeof origin, err, errlen)) goto done;
  if (t < 0 || t > HUB_WP_MAX_TTL) {
    seterr(err, errlen, "TTL must be 0..%ld seconds", (long)HUB_WP_MAX_TTL);
    goto done;
  }
  for (i = 0; i < sizeof urgencies / sizeof urgencies[0]; i++)
    if (strcmp(urgency, urgencies[i]) == 0) ok = 1;
  if (!ok) {
    seterr(err, errlen, "urgency must be very-low, low, normal or high");
    goto done;
  }
  if (topic) {
    size_t n = strnlen(topic, HUB_WP_MAX_TOPIC + 1);
    for (i = 0; i < n && b64u_val(topic[i]) >= 0; i++) {
    }
    if (n > HUB_WP_MAX_TOPIC || i < n) {
      seterr(err, errlen, "topic must be at most %d characters of the base64url alphabet "
                          "(A-Z a-z 0-9 - _)", HUB_WP_MAX_TOPIC);
      goto done;
    }
  }
  if (len > HUB_WP_MAX_PLAINTEXT) {
    seterr(err, errlen, "payload is %zu bytes; at most %d fit in one push message", len,
           HUB_WP_MAX_PLAINTEXT);
    goto done;
  }
  memset(req, 0, offsetof(hub_wp_request, body));
  snprintf(req->method, sizeof req->method, "POST");
  snprintf(req->url, sizeof req->url, "%s", sub->endpoint);
  if (hub_wp_encrypt(sub->p256dh, sub->auth, payload, len, req->body, &req->body_len, err, errlen))
    goto done;
  add_header(req, "Content-Encoding", "aes128gcm");
  add_header(req, "Content-Type", "application/octet-stream");
  snprintf(ttl, sizeof ttl, "%ld", t);
  add_header(req, "TTL", ttl);
  add_header(req, "Urgency", urgency);
  if (topic) add_header(req, "Topic", topic);
  snprintf(req->headers[req->nheaders].name, sizeof req->headers[0].name, "Authorization");
  if (hub_wp_vapid_auth(keys, origin, subject, now, req->headers[req->nheaders].value,
                        sizeof req->headers[0].value, err, errlen))
    goto done;
  req->nheaders++;
  rc = 0;
done:
  return rc;
}

/* ---- answers ----------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

/* Reads exactly n digits at *p (advancing). -1 if not. */
static long digits(const char **p, int n) {
  long v = 0;
  int i;
  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  return v;
}

static int lit(const char **p, const char *s) {
  size_t n = strlen(s);
  if (strncmp(*p, s, n) != 0) return 0;
  *p += n;
  return 1;
}

static int month(const char **p) {
  int i;
  for (i = 0; i < 12; i++)
    if (lit(p, month_names[i])) return i + 1;
  return 0;
}

/* "HH:MM:SS" into seconds of the day, -1 if malformed. */
static long clock_time(const char **p) {
  long h = digits(p, 2), m, s;
  if (h < 0 || !lit(p, ":") || (m = digits(p, 2)) < 0 || !lit(p, ":") || (s = digits(p, 2)) < 0 ||
      h > 23 || m > 59 || s > 60)
    return -1;
  return h * 3600 + m * 60 + s;
}

int hub_wp_parse_http_date(const char *s, int64_t *out) {
  static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char *p = s;
  long day = -1, year = -1, secs = -1;
  int mon = 0, form = -1, i, rc = -1;
  size_t dn = 0;
  for (i = 0; i < 7 && form < 0; i++) {
    size_t full = strlen(day_names[i]);
    if (strncmp(p, day_names[i], 3) != 0) continue;
    if (strncmp(p + 3, ", ", 2) == 0) { /* IMF-fixdate */
      form = 0;
      dn = 3;
    } else if (strncmp(p, day_names[i], full) == 0 && strncmp(p + full, ", ", 2) == 0) { /* RFC 850 */
      form = 1;
      dn = full;
    } else if (p[3] == ' ') { /* asctime */
      form = 2;
      dn = 3;
    }
  }
  if (form < 0) goto done;
  p += dn;
  if (form == 0) { /* Sun, 06 Nov 1994 08:49:37 GMT */
    p += 2;
    if ((day = digits(&p, 2)) < 0 || !lit(&p, " ") || !(mon = month(&p)) || !lit(&p, " ") ||
        (year = digits(&p, 4)) < 0 || !lit(&p, " ") || (secs = clock_time(&p)) < 0 || !lit(&p, " GMT"))
      goto done;
  } else if (form == 1) { /* Sunday, 06-Nov-94 08:49:37 GMT */
    p += 2;
    if ((day = digits(&p, 2)) < 0 || !lit(&p, "-") || !(mon = month(&p)) || !lit(&p, "-") ||
        (year = digits(&p, 2)) < 0 || !lit(&p, " ") || (secs = clock_time(&p)) < 0 || !lit(&p, " GMT"))
      goto done;
    year += year < 70 ? 2000 : 1900;
  } else { /* Sun Nov  6 08:49:37 1994 */
    p += 1;
    if (!(mon = month(&p)) || !lit(&p, " ")) goto done;
    if (*p == ' ') {
      p++;
      day = digits(&p, 1);
    } else {
      day = digits(&p, 2);
    }
    if (day < 0 || !lit(&p, " ") || (secs = clock_time(&p)) < 0 || !lit(&p, " ") || (year = digits(&p, 4)) < 0)
      goto done;
  }
  if (*p || day < 1 || (unsigned long)day > mdays[mon - 1] ||
      (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
    goto done;
  *out = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + secs;
  rc = 0;
done:
  return rc;
}

/* When to retry: Retry-After (delay seconds or HTTP-date), else exponential backoff. */
static int64_t retry_time(const char *ra, int64_t now, int attempt) {
  int64_t at = -1, when;
  long delay;
  if (ra) {
    const char *p = ra, *e;
    size_t n;
    while (*p == ' ' || *p == '\t') p++;
    n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    e = p;
    while ((size_t)(e - p) < n && isdigit((unsigned char)*e)) e++;
    if (n && (size_t)(e - p) == n) {
      int64_t v = 0;
      size_t i;
      for (i = 0; i < n && v <= HUB_WP_RETRY_MAX; i++) v = v * 10 + (p[i] - '0');
      at = now + (v > HUB_WP_RETRY_MAX ? HUB_WP_RETRY_MAX : v);
    } else if (n < 64) {
      char buf[64];
      memcpy(buf, p, n);
      buf[n] = 0;
      if (hub_wp_parse_http_date(buf, &when) == 0)
        at = when < now ? now : (when - now > HUB_WP_RETRY_MAX ? now + HUB_WP_RETRY_MAX : when);
    }
  }
  if (at >= 0) return at;
  if (attempt < 0) attempt = 0;
  delay = HUB_WP_BACKOFF_BASE;
  while (attempt-- > 0 && delay < HUB_WP_BACKOFF_MAX) delay *= 2;
  return now + (delay > HUB_WP_BACKOFF_MAX ? HUB_WP_BACKOFF_MAX : delay);
}

hub_wp_outcome hub_wp_classify(int status, const char *retry_after, int64_t now, int attempt,
                               int64_t *retry_at) {
  hub_wp_outcome o = HUB_WP_FAILED;
  if (status == 200 || status == 201 || status == 202) o = HUB_WP_DELIVERED;
  else if (status == 404 || status == 410) o = HUB_WP_GONE;
  else if (status == 429 || (status >= 500 && status <= 599)) o = HUB_WP_RETRY;
  else if (status == 413) o = HUB_WP_TOO_LARGE;
  else if (status == 400 || status == 403) o = HUB_WP_VAPID;
  if (retry_at) *retry_at = o == HUB_WP_RETRY ? retry_time(retry_after, now, attempt) : 0;
  return o;
}

const char *hub_wp_outcome_name(hub_wp_outcome o) {
  switch (o) {
  case HUB_WP_DELIVERED: return "delivered";
  case HUB_WP_GONE: return "gone";
  case HUB_WP_RETRY: return "retry";
  case HUB_WP_TOO_LARGE: return "too_large";
  case HUB_WP_VAPID: return "vapid";
  case HUB_WP_FAILED: break;
  }
  return "failed";
}
