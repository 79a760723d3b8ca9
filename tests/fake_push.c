/*
 * fake_push.c — a Web Push service double on 127.0.0.1 (libmicrohttpd, OpenSSL) for tests of
 * src/server/webpush.c and, later, hubd. It plays the user agent's side too: it holds each
 * subscription's UA private key and auth secret, decrypts every push (RFC 8291 / RFC 8188
 * aes128gcm, its own code, independent of webpush.c), checks the VAPID JWT (RFC 8292, ES256),
 * prints the decrypted payload and records the push.
 *
 * usage: fake_push [--port N (0 = random)] [--port-file F] [--vapid PUBLIC_B64URL]
 *                  --sub ID:UA_PRIVATE_B64URL:AUTH_B64URL [--sub ...]
 * Routes:
 *   POST /push/<id>   a push; answers 201 (Location: /msg/N) unless scripted; 404 for an unknown
 *                     id; 403 when --vapid is set and the JWT is not valid for that key and this
 *                     origin; 400 when the body does not decrypt; 413 over 8 KiB
 *   POST /_script     {"id":"a","status":410[,"retry_after":"120"][,"count":N]} answers the next
 *                     N pushes to id (0 or absent = all of them) with that status
 *   GET  /_log        the pushes received, oldest first, as a JSON array of {"id","status","ttl",
 *                     "urgency","topic","content_encoding","payload","payload_len","decrypt_ok",
 *                     "decrypt_error","jwt_ok","jwt_error","aud","sub","k"}
 *   POST /_reset      forget the log and the scripts
 *   POST /_quit       stop (as SIGTERM/SIGINT do)
 * Test-only: global state, a coarse lock, and answers nobody outside 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "cJSON.h"

#define MAX_SUBS 64
#define MAX_ID 64
#define MAX_BODY 8192
#define MAX_SCRIPT_BODY 1024
#define LOG_CAP 1000
#define MAX_HDR 4096

typedef struct {
  char id[MAX_ID + 1];
  unsigned char d[32], pub[65], auth[16];
  int status;  /* scripted status, 0 = none */
  long count;  /* answers left for the script, 0 = unlimited */
  char retry_after[64];
} sub;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sub subs[MAX_SUBS];
static size_t nsubs;
static unsigned char vapid_pub[65];
static int have_vapid;
static cJSON *pushlog;
static long nmsg;
static char origin[64];
static int wake_pipe[2] = {-1, -1};

/* ---- small helpers ----------------------------------------------------------------------- */

/* base64url (with or without padding) → bytes, via OpenSSL's standard-base64 decoder. Returns
 * the decoded length or -1. */
static long b64u_dec(const char *in, size_t n, unsigned char *out, size_t cap) {
  char tmp[MAX_HDR + 4];
  unsigned char raw[MAX_HDR];
  size_t i, m;
  int len, pads;
  while (n && in[n - 1] == '=') n--;
  if (n == 0 || n > MAX_HDR - 4 || n % 4 == 1) return -1;
  for (i = 0; i < n; i++) {
    char c = in[i];
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return -1;
    tmp[i] = c;
  }
  pads = (int)((4 - n % 4) % 4);
  for (m = n; m < n + (size_t)pads; m++) tmp[m] = '=';
  tmp[m] = 0;
  len = EVP_DecodeBlock(raw, (const unsigned char *)tmp, (int)m);
  if (len < 0) return -1;
  len -= pads;
  if ((size_t)len > cap) return -1;
  memcpy(out, raw, (size_t)len);
  return len;
}

/* An EC P-256 EVP_PKEY from a public point and optionally the private scalar. NULL if bad. */
static EVP_PKEY *ec_key(const unsigned char pub[65], const unsigned char *d) {
  OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
  OSSL_PARAM *pa = NULL;
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  EVP_PKEY *k = NULL;
  BIGNUM *bn = d ? BN_bin2bn(d, 32, NULL) : NULL;
  if (b && c && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
      OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) &&
      (!d || (bn && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn))) &&
      (pa = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(c) == 1 &&
      EVP_PKEY_fromdata(c, &k, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, pa) == 1) {
    EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(k, NULL);
    if (!chk || EVP_PKEY_public_check(chk) != 1) {
      EVP_PKEY_free(k);
      k = NULL;
    }
    EVP_PKEY_CTX_free(chk);
  } else {
    k = NULL;
  }
  ERR_clear_error();
  BN_free(bn);
  OSSL_PARAM_free(pa);
  OSSL_PARAM_BLD_free(b);
  EVP_PKEY_CTX_free(c);
  return k;
}

/* The public point of private scalar d. 0 on success. */
static int derive_pub(const unsigned char d[32], unsigned char pub[65]) {
  EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  EC_POINT *p = g ? EC_POINT_new(g) : NULL;
  BIGNUM *bn = BN_bin2bn(d, 32, NULL);
  int ok = p && bn && EC_POINT_mul(g, p, bn, NULL, NULL, NULL) == 1 &&
           EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) == 65;
  BN_free(bn);
  EC_POINT_free(p);
  EC_GROUP_free(g);
  return ok ? 0 : -1;
}

/* HKDF-SHA256 through the EVP_PKEY HKDF interface. 0 on success. */
static int hkdf(const unsigned char *salt, size_t sl, const unsigned char *ikm, size_t il,
                const unsigned char *info, size_t nl, unsigned char *out, size_t ol) {
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
  size_t n = ol;
  int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)sl) == 1 &&
           EVP_PKEY_CTX_set1_hkdf_key(c, ikm, (int)il) == 1 &&
           EVP_PKEY_CTX_add1_hkdf_info(c, info, (int)nl) == 1 && EVP_PKEY_derive(c, out, &n) == 1 && n == ol;
  EVP_PKEY_CTX_free(c);
  return ok ? 0 : -1;
}

/* ---- the user agent's side: decrypt -------------------------------------------------------- */

/* Decrypts an aes128gcm push body for subscription s into out (cap ≥ len). Returns the
 * plaintext length, or -1 with why set. */
static long ua_decrypt(const sub *s, const unsigned char *body, size_t len, unsigned char *out,
                       const char **why) {
  unsigned char secret[32], ikm[32], cek[16], nonce[12], info[14 + 130];
  unsigned char salt[16], tag[16];
  const unsigned char *as_pub, *ct;
  EVP_PKEY *me = NULL, *peer = NULL;
  EVP_PKEY_CTX *dc = NULL;
  EVP_CIPHER_CTX *cc = NULL;
  size_t sl = 32, ctlen;
  unsigned long rs;
  long res = -1;
  int n = 0, m = 0;
  if (len < 21 + 65 + 17) {
    *why = "body shorter than header + tag";
    goto done;
  }
  memcpy(salt, body, 16);
  rs = (unsigned long)body[16] << 24 | (unsigned long)body[17] << 16 | (unsigned long)body[18] << 8 | body[19];
  if (body[20] != 65) {
    *why = "keyid is not a 65-byte public key";
    goto done;
  }
  as_pub = body + 21;
  ct = body + 86;
  ctlen = len - 86;
  if (rs < 18 || ctlen > rs) {
    *why = "more than one record, or a bad record size";
    goto done;
  }
  me = ec_key(s->pub, s->d);
  peer = ec_key(as_pub, NULL);
  if (!me || !peer) {
    *why = "keyid is not a P-256 point";
    goto done;
  }
  dc = EVP_PKEY_CTX_new(me, NULL);
  if (!dc || EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, peer) != 1 ||
      EVP_PKEY_derive(dc, secret, &sl) != 1 || sl != 32) {
    *why = "ECDH failed";
    goto done;
  }
  memcpy(info, "WebPush: info", 14); /* with its NUL */
  memcpy(info + 14, s->pub, 65);
  memcpy(info + 79, as_pub, 65);
  if (hkdf(s->auth, 16, secret, 32, info, sizeof info, ikm, 32) ||
      hkdf(salt, 16, ikm, 32, (const unsigned char *)"Content-Encoding: aes128gcm", 28, cek, 16) ||
      hkdf(salt, 16, ikm, 32, (const unsigned char *)"Content-Encoding: nonce", 24, nonce, 12)) {
    *why = "HKDF failed";
    goto done;
  }
  memcpy(tag, ct + ctlen - 16, 16);
  cc = EVP_CIPHER_CTX_new();
  if (!cc || EVP_DecryptInit_ex(cc, EVP_aes_128_gcm(), NULL, cek, nonce) != 1 ||
      EVP_DecryptUpdate(cc, out, &n, ct, (int)(ctlen - 16)) != 1 ||
      EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
      EVP_DecryptFinal_ex(cc, out + n, &m) != 1) {
    *why = "AES-GCM authentication failed";
    goto done;
  }
  n += m;
  while (n > 0 && out[n - 1] == 0) n--;
  if (n == 0 || out[n - 1] != 0x02) {
    *why = "padding delimiter is not 0x02";
    goto done;
  }
  res = n - 1;
done:
  ERR_clear_error();
  EVP_CIPHER_CTX_free(cc);
  EVP_PKEY_CTX_free(dc);
  EVP_PKEY_free(me);
  EVP_PKEY_free(peer);
  return res;
}

/* ---- VAPID check --------------------------------------------------------------------------- */

/* Finds "name=" in an Authorization value of the form "vapid t=..., k=...". */
static int auth_param(const char *v, const char *name, char *out, size_t cap) {
  const char *p = v;
  size_t nl = strlen(name), n;
  while ((p = strstr(p, name)) != NULL) {
    if ((p == v || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=') {
      p += nl + 1;
      n = strcspn(p, ", ");
      if (n >= cap) return -1;
      memcpy(out, p, n);
      out[n] = 0;
      return 0;
    }
    p++;
  }
  return -1;
}

/* Verifies the VAPID Authorization value; fills e (aud, sub, k). Returns NULL if valid, else
 * the reason. */
static const char *check_vapid(const char *authz, cJSON *e) {
  static char why[128];
  char t[MAX_HDR], k[200];
  unsigned char kpub[65], sig[64], der[80], hdr[256], claims[1024];
  const char *d1, *d2, *res = NULL;
  long kl, sl, hl, cl;
  EVP_PKEY *pk = NULL;
  EVP_MD_CTX *m = NULL;
  ECDSA_SIG *es = NULL;
  unsigned char *dp = der;
  int dl;
  cJSON *h = NULL, *c = NULL;
  const cJSON *aud, *exp, *sb;
  time_t now = time(NULL);
  if (!authz || strncasecmp(authz, "vapid ", 6) != 0) return "no 'vapid' Authorization";
  if (auth_param(authz + 6, "t", t, sizeof t) || auth_param(authz + 6, "k", k, sizeof k))
    return "Authorization lacks t= or k=";
  cJSON_AddStringToObject(e, "k", k);
  if ((kl = b64u_dec(k, strlen(k), kpub, sizeof kpub)) != 65) return "k is not a 65-byte key";
  if (have_vapid && memcmp(kpub, vapid_pub, 65) != 0) return "k is not the expected VAPID key";
  d1 = strchr(t, '.');
  d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!d2 || strchr(d2 + 1, '.')) return "JWT is not three parts";
  hl = b64u_dec(t, (size_t)(d1 - t), hdr, sizeof hdr - 1);
  cl = b64u_dec(d1 + 1, (size_t)(d2 - d1 - 1), claims, sizeof claims - 1);
  sl = b64u_dec(d2 + 1, strlen(d2 + 1), sig, sizeof sig);
  if (hl < 0 || cl < 0 || sl != 64) return "JWT parts are not base64url (or the signature is not 64 bytes)";
  hdr[hl] = 0;
  claims[cl] = 0;
  h = cJSON_Parse((const char *)hdr);
  c = cJSON_Parse((const char *)claims);
  if (!h || !c) {
    res = "JWT header or claims are not JSON";
    goto done;
  }
  if (!cJSON_IsString(cJSON_GetObjectItem(h, "alg")) ||
      strcmp(cJSON_GetObjectItem(h, "alg")->valuestring, "ES256") != 0) {
    res = "JWT alg is not ES256";
    goto done;
  }
  aud = cJSON_GetObjectItem(c, "aud");
  exp = cJSON_GetObjectItem(c, "exp");
  sb = cJSON_GetObjectItem(c, "sub");
  if (cJSON_IsString(aud)) cJSON_AddStringToObject(e, "aud", aud->valuestring);
  if (cJSON_IsString(sb)) cJSON_AddStringToObject(e, "sub", sb->valuestring);
  if (!cJSON_IsString(aud) || strcmp(aud->valuestring, origin) != 0) {
    snprintf(why, sizeof why, "aud is not this push service's origin %s", origin);
    res = why;
    goto done;
  }
  if (!cJSON_IsNumber(exp) || exp->valuedouble <= (double)now || exp->valuedouble > (double)now + 86400) {
    res = "exp is not within the next 24 hours";
    goto done;
  }
  if (!cJSON_IsString(sb) || (strncmp(sb->valuestring, "mailto:", 7) != 0 && strncmp(sb->valuestring, "https:", 6) != 0)) {
    res = "sub is not mailto: or https:";
    goto done;
  }
  /* raw R||S → DER, then verify over "header.claims" */
  es = ECDSA_SIG_new();
  if (!es || !ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) ||
      (dl = i2d_ECDSA_SIG(es, &dp)) <= 0) {
    res = "bad signature encoding";
    goto done;
  }
  pk = ec_key(kpub, NULL);
  m = EVP_MD_CTX_new();
  if (!pk || !m || EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, pk) != 1 ||
      EVP_DigestVerify(m, der, (size_t)dl, (const unsigned char *)t, (size_t)(d2 - t)) != 1) {
    res = "ES256 signature does not verify";
    goto done;
  }
done:
  ERR_clear_error();
  ECDSA_SIG_free(es);
  EVP_MD_CTX_free(m);
  EVP_PKEY_free(pk);
  cJSON_Delete(h);
  cJSON_Delete(c);
  return res;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

typedef struct {
  unsigned char *body;
  size_t len;
  int too_large;
  int seen;
  int quit;
} conn;

static void wake_main(void) {
  char b = 'q';
  if (write(wake_pipe[1], &b, 1) < 0) {
  }
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *retry_after, const char *location) {
  struct MHD_Response *r;
  enum MHD_Result ret;
  void *data;
  memcpy(&data, &body, sizeof data); /* MUST_COPY: only read */
  r = MHD_create_response_from_buffer(strlen(body), data, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "application/json");
  if (retry_after && *retry_after) MHD_add_response_header(r, "Retry-After", retry_after);
  if (location) MHD_add_response_header(r, "Location", location);
  ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static const char *hdr(struct MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void add_str(cJSON *o, const char *k, const char *v) {
  if (v) cJSON_AddStringToObject(o, k, v);
  else cJSON_AddNullToObject(o, k);
}

static enum MHD_Result push(struct MHD_Connection *c, conn *cs, const char *id) {
  unsigned char plain[MAX_BODY];
  char loc[64] = "", ra[64] = "", *text = NULL;
  const char *why = NULL, *jwt_err, *ce = hdr(c, "Content-Encoding");
  cJSON *e = cJSON_CreateObject();
  sub *s = NULL;
  long n = -1;
  unsigned status;
  size_t i;
  if (!e) return MHD_NO;
  pthread_mutex_lock(&mu);
  for (i = 0; i < nsubs; i++)
    if (strcmp(subs[i].id, id) == 0) s = &subs[i];
  add_str(e, "id", id);
  add_str(e, "ttl", hdr(c, "TTL"));
  add_str(e, "urgency", hdr(c, "Urgency"));
  add_str(e, "topic", hdr(c, "Topic"));
  add_str(e, "content_encoding", ce);
  jwt_err = check_vapid(hdr(c, "Authorization"), e);
  cJSON_AddBoolToObject(e, "jwt_ok", jwt_err == NULL);
  add_str(e, "jwt_error", jwt_err);
  if (cs->too_large) why = "body too large";
  else if (!s) why = "unknown subscription";
  else if (!ce || strcmp(ce, "aes128gcm") != 0) why = "Content-Encoding is not aes128gcm";
  else n = ua_decrypt(s, cs->body, cs->len, plain, &why);
  cJSON_AddBoolToObject(e, "decrypt_ok", n >= 0);
  add_str(e, "decrypt_error", n >= 0 ? NULL : why);
  if (n >= 0) {
    text = malloc((size_t)n + 1);
    if (text) {
      memcpy(text, plain, (size_t)n);
      text[n] = 0;
    }
    add_str(e, "payload", text);
  } else {
    cJSON_AddNullToObject(e, "payload");
  }
  cJSON_AddNumberToObject(e, "payload_len", (double)n);
  if (cs->too_large) status = 413;
  else if (!s) status = 404;
  else if (s->status) {
    status = (unsigned)s->status;
    snprintf(ra, sizeof ra, "%s", s->retry_after);
    if (s->count > 0 && --s->count == 0) s->status = 0;
  } else if (have_vapid && jwt_err) status = 403;
  else if (n < 0) status = 400;
  else status = 201;
  if (status == 201) snprintf(loc, sizeof loc, "/msg/%ld", ++nmsg);
  cJSON_AddNumberToObject(e, "status", status);
  if (cJSON_GetArraySize(pushlog) >= LOG_CAP) cJSON_DeleteItemFromArray(pushlog, 0);
  cJSON_AddItemToArray(pushlog, e);
  printf("push %s: %u%s%s%s\n", id, status, n >= 0 ? " payload=" : " (", n >= 0 ? (text ? text : "") : why,
         n >= 0 ? "" : ")");
  fflush(stdout);
  pthread_mutex_unlock(&mu);
  free(text);
  return reply(c, status, status == 201 ? "{}" : "{\"error\":\"scripted or refused\"}", ra,
               status == 201 ? loc : NULL);
}

static enum MHD_Result script(struct MHD_Connection *c, conn *cs) {
  cJSON *j = NULL;
  const cJSON *id, *st, *ra, *cnt;
  enum MHD_Result ret;
  size_t i;
  int found = 0;
  char *txt = malloc(cs->len + 1);
  if (!txt) return MHD_NO;
  memcpy(txt, cs->body ? (const char *)cs->body : "", cs->len);
  txt[cs->len] = 0;
  j = cJSON_Parse(txt);
  free(txt);
  id = cJSON_GetObjectItem(j, "id");
  st = cJSON_GetObjectItem(j, "status");
  ra = cJSON_GetObjectItem(j, "retry_after");
  cnt = cJSON_GetObjectItem(j, "count");
  if (!cJSON_IsString(id) || !cJSON_IsNumber(st) || st->valueint < 100 || st->valueint > 599 ||
      (ra && !cJSON_IsString(ra)) || (ra && strlen(ra->valuestring) >= 64)) {
    cJSON_Delete(j);
    return reply(c, 400, "{\"error\":\"want {\\\"id\\\":\\\"...\\\",\\\"status\\\":N[,\\\"retry_after\\\":\\\"...\\\"][,\\\"count\\\":N]}\"}",
                 NULL, NULL);
  }
  pthread_mutex_lock(&mu);
  for (i = 0; i < nsubs; i++) {
    if (strcmp(subs[i].id, id->valuestring) != 0) continue;
    subs[i].status = st->valueint == 201 ? 0 : st->valueint;
    subs[i].count = cJSON_IsNumber(cnt) && cnt->valueint > 0 ? cnt->valueint : 0;
    snprintf(subs[i].retry_after, sizeof subs[i].retry_after, "%s", ra ? ra->valuestring : "");
    found = 1;
  }
  pthread_mutex_unlock(&mu);
  cJSON_Delete(j);
  ret = found ? reply(c, 200, "{\"ok\":true}", NULL, NULL)
              : reply(c, 404, "{\"error\":\"no such subscription id\"}", NULL, NULL);
  return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  conn *cs = *con_cls;
  (void)cls;
  (void)version;
  if (!cs) {
    cs = calloc(1, sizeof *cs);
    if (!cs) return MHD_NO;
    *con_cls = cs;
    return MHD_YES;
  }
  if (*upload_size) {
    if (cs->len + *upload_size > MAX_BODY) {
      cs->too_large = 1;
    } else {
      if (!cs->body && !(cs->body = malloc(MAX_BODY))) return MHD_NO;
      memcpy(cs->body + cs->len, upload, *upload_size);
      cs->len += *upload_size;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, "POST") == 0 && strncmp(url, "/push/", 6) == 0) {
    const char *id = url + 6;
    size_t n = strlen(id);
    if (n == 0 || n > MAX_ID || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
      return reply(c, 404, "{\"error\":\"bad subscription id\"}", NULL, NULL);
    return push(c, cs, id);
  }
  if (strcmp(method, "POST") == 0 && strcmp(url, "/_script") == 0) return script(c, cs);
  if (strcmp(method, "GET") == 0 && strcmp(url, "/_log") == 0) {
    enum MHD_Result ret;
    char *s;
    pthread_mutex_lock(&mu);
    s = cJSON_PrintUnformatted(pushlog);
    pthread_mutex_unlock(&mu);
    if (!s) return MHD_NO;
    ret = reply(c, 200, s, NULL, NULL);
    free(s);
    return ret;
  }
  if (strcmp(method, "POST") == 0 && strcmp(url, "/_reset") == 0) {
    size_t i;
    pthread_mutex_lock(&mu);
    cJSON_Delete(pushlog);
    pushlog = cJSON_CreateArray();
    for (i = 0; i < nsubs; i++) subs[i].status = 0;
    pthread_mutex_unlock(&mu);
    return reply(c, 200, "{\"ok\":true}", NULL, NULL);
  }
  if (strcmp(method, "POST") == 0 && strcmp(url, "/_quit") == 0) {
    cs->quit = 1;
    return reply(c, 200, "{\"ok\":true}", NULL, NULL);
  }
  return reply(c, 404, "{\"error\":\"no such route\"}", NULL, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  conn *cs = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (!cs) return;
  if (cs->quit) wake_main();
  free(cs->body);
  free(cs);
  *con_cls = NULL;
}

static void on_signal(int sig) {
  (void)sig;
  wake_main();
}

static int usage(FILE *f, int rc) {
  fprintf(f,
          "usage: fake_push [--port N (0 = random)] [--port-file F] [--vapid PUBLIC_B64URL]\n"
          "                 --sub ID:UA_PRIVATE_B64URL:AUTH_B64URL [--sub ...]\n"
          "A Web Push service double on 127.0.0.1 that also plays the browser: it decrypts each\n"
          "push to /push/ID with that subscription's keys, checks the VAPID JWT (against --vapid\n"
          "when given: a mismatch answers 403) and logs it.\n"
          "  POST /push/ID    a push (201 unless scripted; 404 unknown id; 400 undecryptable)\n"
          "  POST /_script    {\"id\":\"ID\",\"status\":410[,\"retry_after\":\"120\"][,\"count\":N]}\n"
          "  GET  /_log       JSON array of the pushes: id status ttl urgency topic payload jwt_ok ...\n"
          "  POST /_reset     clear log and scripts;   POST /_quit   stop\n");
  return rc;
}

/* Parses one --sub ID:PRIV:AUTH. 0 on success. */
static int add_sub(const char *arg) {
  const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  sub *s;
  if (!c2 || nsubs == MAX_SUBS || c1 == arg || (size_t)(c1 - arg) > MAX_ID) return -1;
  s = &subs[nsubs];
  memset(s, 0, sizeof *s);
  memcpy(s->id, arg, (size_t)(c1 - arg));
  if (b64u_dec(c1 + 1, (size_t)(c2 - c1 - 1), s->d, sizeof s->d) != 32 ||
      b64u_dec(c2 + 1, strlen(c2 + 1), s->auth, sizeof s->auth) != 16 || derive_pub(s->d, s->pub))
    return -1;
  nsubs++;
  return 0;
}

/* Serves until SIGTERM/SIGINT or POST /_quit. Returns 0 after a clean stop, 1 if it cannot
 * listen, 2 on bad usage. */
int main(int argc, char **argv) {
  const char *port_file = NULL;
  long port = 0;
  int i, rc = 1;
  char b;
  struct sockaddr_in sa;
  struct MHD_Daemon *d = NULL;
  const union MHD_DaemonInfo *di;
  struct sigaction act;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      return usage(stdout, 0);
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) return usage(stderr, 2);
    } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
      port_file = argv[++i];
    } else if (strcmp(argv[i], "--vapid") == 0 && i + 1 < argc) {
      i++;
      if (b64u_dec(argv[i], strlen(argv[i]), vapid_pub, sizeof vapid_pub) != 65) {
        fprintf(stderr, "fake_push: --vapid is not a 65-byte base64url public key\n");
        return 2;
      }
      have_vapid = 1;
    } else if (strcmp(argv[i], "--sub") == 0 && i + 1 < argc) {
      if (add_sub(argv[++i])) {
        fprintf(stderr, "fake_push: bad --sub %s (want ID:UA_PRIVATE_B64URL:AUTH_B64URL)\n", argv[i]);
        return 2;
      }
    } else {
      return usage(stderr, 2);
    }
  }
  if (!nsubs) return usage(stderr, 2);
  if (pipe(wake_pipe)) {
    perror("pipe");
    return 1;
  }
  pushlog = cJSON_CreateArray();
  memset(&act, 0, sizeof act);
  act.sa_handler = on_signal;
  sigemptyset(&act.sa_mask);
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);
  signal(SIGPIPE, SIG_IGN);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  pthread_mutex_lock(&mu); /* until origin is known */
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
                       (uint16_t)port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                       (unsigned int)60, MHD_OPTION_END);
  di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
  if (!di || !di->port) {
    pthread_mutex_unlock(&mu);
    fprintf(stderr, "fake_push: cannot listen on 127.0.0.1:%ld\n", port);
    goto done;
  }
  port = di->port;
  snprintf(origin, sizeof origin, "http://127.0.0.1:%ld", port);
  pthread_mutex_unlock(&mu);
  if (port_file) {
    char tmp[4096];
    FILE *f;
    if (strlen(port_file) + 5 >= sizeof tmp) goto done;
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%ld\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
      fprintf(stderr, "fake_push: cannot write %s\n", port_file);
      goto done;
    }
  }
  printf("listening on %s (%zu subscriptions)\n", origin, nsubs);
  fflush(stdout);
  while (read(wake_pipe[0], &b, 1) < 0 && errno == EINTR) {
  }
  rc = 0;
done:
  if (d) MHD_stop_daemon(d);
  cJSON_Delete(pushlog);
  return rc;
}
