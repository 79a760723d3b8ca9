/*
 * webpush.h — Web Push sending for hubd (native only, OpenSSL 3): VAPID keys (RFC 8292),
 * subscriptions, message encryption (RFC 8291 over RFC 8188 "aes128gcm"), an endpoint
 * policy against SSRF, a sans-I/O request plan and a classifier of the push service's answer.
 *
 * Ownership: nothing here allocates memory the caller must free. Every result goes into a
 * caller-provided struct or buffer of a fixed, documented size; every function that can fail
 * returns 0 on success and -1 on failure with a one-line message in the caller's err buffer
 * (err may be NULL; HUB_WP_ERR bytes are always enough). No clock is read: `now` is passed in
 * as seconds since the epoch. No global state besides OpenSSL's own.
 */
#ifndef HUB_WEBPUSH_H
#define HUB_WEBPUSH_H

#include <stddef.h>
#include <stdint.h>

/* ---- ceilings ------------------------------------------------------------------------ */
#ifndef HUB_WP_MAX_URL
#define HUB_WP_MAX_URL 2048 /* longest endpoint URL accepted (bytes, without the NUL) */
#endif
#ifndef HUB_WP_MAX_SUBJECT
#define HUB_WP_MAX_SUBJECT 256 /* longest VAPID subject ("mailto:..." or https URL) */
#endif
#ifndef HUB_WP_MAX_HOSTS
#define HUB_WP_MAX_HOSTS 32 /* entries in an endpoint allow-list */
#endif
#ifndef HUB_WP_MAX_PORTS
#define HUB_WP_MAX_PORTS 8 /* https ports an endpoint may use (443 by default) */
#endif
#ifndef HUB_WP_MAX_TTL
#define HUB_WP_MAX_TTL 2419200L /* 28 days, the longest TTL push services keep a message */
#endif
#ifndef HUB_WP_JWT_LIFETIME
#define HUB_WP_JWT_LIFETIME 43200L /* VAPID JWT exp = now + 12 h (RFC 8292 allows ≤ 24 h) */
#endif
#ifndef HUB_WP_BACKOFF_BASE
#define HUB_WP_BACKOFF_BASE 30L /* first retry delay without Retry-After, seconds */
#endif
#ifndef HUB_WP_BACKOFF_MAX
#define HUB_WP_BACKOFF_MAX 3600L /* longest computed backoff, seconds */
#endif
#ifndef HUB_WP_RETRY_MAX
#define HUB_WP_RETRY_MAX 86400L /* a Retry-After further away than this is cut to it */
#endif

#define HUB_WP_ERR 256           /* an err buffer this big never truncates a message */
#define HUB_WP_RECORD_SIZE 4096  /* rs of the single aes128gcm record */
#define HUB_WP_HEADER_LEN 86     /* salt(16) rs(4) idlen(1) keyid(65) */
#define HUB_WP_MAX_PLAINTEXT 3993 /* 4096 - 86 - 1 (delimiter) - 16 (tag) */
#define HUB_WP_MAX_BODY (HUB_WP_HEADER_LEN + HUB_WP_MAX_PLAINTEXT + 1 + 16) /* = 4096 */
#define HUB_WP_MAX_HEADERS 8
#define HUB_WP_MAX_HEADER_VALUE 2048
#define HUB_WP_MAX_TOPIC 32
#define HUB_WP_PRIVATE_B64 44 /* buffer for the base64url private key: 43 chars + NUL */
#define HUB_WP_PUBLIC_B64 88  /* buffer for the base64url public key: 87 chars + NUL */

/* ---- base64url (RFC 4648 §5) ----------------------------------------------------------- */

/* Encodes len bytes without padding into out (cap bytes, NUL-terminated). Returns the
 * encoded length, or -1 if cap is too small (out is then an empty string). */
long hub_wp_b64u_encode(const unsigned char *in, size_t len, char *out, size_t cap);

/* Strict decoder: only the base64url alphabet, optional '=' padding only if exactly right,
 * zero unused trailing bits, and exactly `want` decoded bytes (want 0 = any length up to
 * cap). Writes the bytes to out (cap bytes) and their number to *outlen (may be NULL).
 * Returns 0, or -1 with a message naming `what` in err. */
int hub_wp_b64u_decode(const char *in, const char *what, size_t want, unsigned char *out,
                       size_t cap, size_t *outlen, char *err, size_t errlen);

/* ---- VAPID keys ------------------------------------------------------------------------ */

typedef struct {
  unsigned char d[32];   /* private scalar, big endian */
  unsigned char pub[65]; /* public point, uncompressed (0x04 || X || Y) */
} hub_wp_vapid;

/* Generates a new P-256 key pair into *k. Returns 0, or -1 with err. */
int hub_wp_vapid_generate(hub_wp_vapid *k, char *err, size_t errlen);

/* Writes the private key (43 chars) into priv (HUB_WP_PRIVATE_B64 bytes) and the public key
 * (87 chars) into pub (HUB_WP_PUBLIC_B64 bytes), base64url without padding; either may be
 * NULL. Returns 0 (cannot fail with buffers of those sizes). */
int hub_wp_vapid_export(const hub_wp_vapid *k, char priv[HUB_WP_PRIVATE_B64],
                        char pub[HUB_WP_PUBLIC_B64]);

/* Loads a key pair from its base64url private key; the public key is derived, and when pub
 * is not NULL it must equal the derived one. Returns 0, or -1 with err (*k unchanged). */
int hub_wp_vapid_import(hub_wp_vapid *k, const char *priv, const char *pub, char *err,
                        size_t errlen);

/* ---- endpoint policy (no SSRF) --------------------------------------------------------- */

typedef struct {
  char hosts[HUB_WP_MAX_HOSTS][256]; /* lower-case names; "*.example.com" = any subdomain */
  size_t nhosts;
  unsigned short ports[HUB_WP_MAX_PORTS]; /* https ports allowed */
  size_t nports;
  int allow_loopback_http; /* TESTS ONLY: also allow http://127.0.0.1:PORT/... */
} hub_wp_policy;

/* Fills *p with the defaults: fcm.googleapis.com, updates.push.services.mozilla.com,
 * *.push.services.mozilla.com, *.notify.windows.com, web.push.apple.com; port 443 only;
 * no loopback. Returns nothing. */
void hub_wp_policy_default(hub_wp_policy *p);

/* Replaces the allow-list with the comma/space separated `list` of host names ("*." prefix
 * for subdomains), and, when `ports` is not NULL, the port list with a comma/space separated
 * list of port numbers. Returns 0, or -1 with err (*p unchanged). */
int hub_wp_policy_set(hub_wp_policy *p, const char *list, const char *ports, char *err,
                      size_t errlen);

/* Checks an endpoint URL against the policy (NULL = the defaults): https only (or the test
 * loopback), no userinfo, the parsed host on the allow-list, an allowed port, a clean path.
 * On success writes the origin ("https://host[:port]", default port omitted) into origin
 * (cap bytes; may be NULL). Returns 0, or -1 with err. */
int hub_wp_endpoint_check(const hub_wp_policy *p, const char *url, char *origin, size_t cap,
                          char *err, size_t errlen);

/* ---- subscriptions --------------------------------------------------------------------- */

typedef struct {
  char endpoint[HUB_WP_MAX_URL + 1];
  unsigned char p256dh[65]; /* the user agent's public key, uncompressed, on P-256 */
  unsigned char auth[16];   /* the authentication secret */
} hub_wp_subscription;

/* Parses and validates a subscription (as in PushSubscription.toJSON()): an endpoint that is
 * an absolute http(s) URL within HUB_WP_MAX_URL (the policy is checked by the plan and by
 * hub_wp_endpoint_check), p256dh a base64url uncompressed P-256 point on the curve, auth 16
 * base64url bytes. Returns 0, or -1 with err (*s unchanged). */
int hub_wp_subscription_parse(hub_wp_subscription *s, const char *endpoint, const char *p256dh,
                              const char *auth, char *err, size_t errlen);

/* ---- encryption (RFC 8291 / RFC 8188 aes128gcm) ---------------------------------------- */

/* Encrypts len ≤ HUB_WP_MAX_PLAINTEXT bytes for (ua_public, auth) with a fresh ephemeral key
 * and salt, as one record of rs 4096: header || AES-128-GCM(plaintext || 0x02) || tag. out
 * must hold HUB_WP_MAX_BODY bytes; *outlen = 86 + len + 17. Returns 0, or -1 with err. */
int hub_wp_encrypt(const unsigned char ua_public[65], const unsigned char auth[16],
                   const unsigned char *plaintext, size_t len, unsigned char *out,
                   size_t *outlen, char *err, size_t errlen);

/* Internal, for tests: hub_wp_encrypt with an injected ephemeral private key (32 bytes) and
 * salt (16 bytes), either of which may be NULL for a fresh random one. */
int hub__wp_encrypt_with(const unsigned char ua_public[65], const unsigned char auth[16],
                         const unsigned char *plaintext, size_t len,
                         const unsigned char *as_private, const unsigned char *salt,
                         unsigned char *out, size_t *outlen, char *err, size_t errlen);

/* ---- VAPID (RFC 8292) ------------------------------------------------------------------ */

/* Builds the value of the Authorization header, "vapid t=<ES256 JWT>, k=<public key>", for
 * an endpoint whose origin is given ("https://host[:port]"), with exp = now + HUB_WP_JWT_LIFETIME
 * and sub = subject ("mailto:..." or an https URL of printable ASCII without quotes or
 * backslashes, ≤ HUB_WP_MAX_SUBJECT). Writes it NUL-terminated into out (cap bytes).
 * Returns 0, or -1 with err. */
int hub_wp_vapid_auth(const hub_wp_vapid *k, const char *origin, const char *subject,
                      int64_t now, char *out, size_t cap, char *err, size_t errlen);

/* ---- the plan ---------------------------------------------------------------------------- */

typedef struct {
  long ttl;            /* seconds the push service may keep the message, 0..HUB_WP_MAX_TTL */
  const char *urgency; /* "very-low", "low", "normal" or "high"; NULL = "normal" */
  const char *topic;   /* NULL/"" = none; else 1..32 chars of the base64url alphabet */
} hub_wp_options;

typedef struct {
  char name[24];
  char value[HUB_WP_MAX_HEADER_VALUE];
} hub_wp_header;

typedef struct {
  char method[8];                 /* "POST" */
  char url[HUB_WP_MAX_URL + 1];   /* the subscription's endpoint */
  hub_wp_header headers[HUB_WP_MAX_HEADERS];
  size_t nheaders;
  unsigned char body[HUB_WP_MAX_BODY];
  size_t body_len;
} hub_wp_request;

/* Plans one push: checks the endpoint against the policy (NULL = defaults), validates the
 * options, encrypts the payload (≤ HUB_WP_MAX_PLAINTEXT bytes) and signs a VAPID JWT. Fills
 * *req with method, url, headers (Content-Encoding: aes128gcm, Content-Type:
 * application/octet-stream, TTL, Urgency, Topic if set, Authorization) and the body; the
 * caller performs it (POST url with exactly these headers and body). Returns 0, or -1 with
 * err (*req is then unspecified). */
int hub_wp_plan(hub_wp_request *req, const hub_wp_subscription *sub, const unsigned char *payload,
                size_t len, const hub_wp_options *opt, const hub_wp_vapid *keys,
                const char *subject, int64_t now, const hub_wp_policy *policy, char *err,
                size_t errlen);

/* ---- the push service's answer ----------------------------------------------------------- */

typedef enum {
  HUB_WP_DELIVERED, /* 200, 201, 202 */
  HUB_WP_GONE,      /* 404, 410: the subscription is gone; delete it */
  HUB_WP_RETRY,     /* 429, 5xx: try again at *retry_at */
  HUB_WP_TOO_LARGE, /* 413: shrink the payload */
  HUB_WP_VAPID,     /* 400, 403: most likely the VAPID key does not match the subscription */
  HUB_WP_FAILED     /* anything else (incl. a network error, status 0) */
} hub_wp_outcome;

/* Classifies a push service answer. For HUB_WP_RETRY, *retry_at (may be NULL) is set from
 * Retry-After (retry_after may be NULL; delay seconds or an HTTP-date, never before now,
 * cut to now + HUB_WP_RETRY_MAX), or else now + HUB_WP_BACKOFF_BASE * 2^attempt capped at
 * HUB_WP_BACKOFF_MAX (attempt = earlier tries, 0 for the first); otherwise to 0. */
hub_wp_outcome hub_wp_classify(int status, const char *retry_after, int64_t now, int attempt,
                               int64_t *retry_at);

/* A short fixed name for an outcome ("delivered", "gone", "retry", "too_large", "vapid",
 * "failed"). Never NULL. */
const char *hub_wp_outcome_name(hub_wp_outcome o);

/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form, as RFC 9110 §5.6.7 asks a
 * recipient to accept) into seconds since the epoch. Returns 0, or -1 if it is not one. */
int hub_wp_parse_http_date(const char *s, int64_t *out);

#endif
