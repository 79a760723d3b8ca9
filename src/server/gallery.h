/*
 * gallery.h — images of a user's repositories (POST|PATCH|DELETE /users/{u}/repos/{o}/{r}/gallery)
 * (native driver layer; multi-user hubd). Owns table hub_gallery.
 *
 * Shapes (JSON bodies; the seed's): one image {"url", "caption"?, "is_highlight"?, "taken_at"?,
 * "link"?} or several {"images": [image, …]}. POST adds (a URL already there, or twice in one
 * request, is a duplicate: counted, not changed); PATCH changes the fields given of the images
 * named by url (an unknown url: 404, nothing changed); DELETE removes the images named by url
 * ({"url"}, {"urls":[…]} or {"images":[{"url"}]}) or, with no body, every image of the
 * repository. Checks: url and link are https URLs of a public host (parsed, never a prefix test),
 * at most HUBD_GALLERY_URL_MAX bytes; caption valid UTF-8 up to HUBD_GALLERY_CAPTION_MAX bytes;
 * taken_at an ISO-8601 date-time, a date (YYYY-MM-DD) or epoch milliseconds; is_highlight a
 * boolean; no other member. Images are never fetched by hubd: only their URLs are kept.
 * An image marked is_highlight makes its repository a highlight (foryou.h).
 *
 * Every function returns an HTTP status and sets *answer to a new JSON tree (the result or
 * {"error":{code, message, field?}}).
 */
#ifndef HUBD_GALLERY_H
#define HUBD_GALLERY_H

#include <stdint.h>
#include "cJSON.h"
#include "pg.h"

#ifndef HUBD_GALLERY_URL_MAX
#define HUBD_GALLERY_URL_MAX 2048
#endif
#ifndef HUBD_GALLERY_CAPTION_MAX
#define HUBD_GALLERY_CAPTION_MAX 500
#endif
#ifndef HUBD_GALLERY_BATCH
#define HUBD_GALLERY_BATCH 20 /* images in one request */
#endif
#ifndef HUBD_GALLERY_PER_REPO
#define HUBD_GALLERY_PER_REPO 30
#endif
#ifndef HUBD_GALLERY_PER_USER
#define HUBD_GALLERY_PER_USER 300
#endif
#ifndef HUBD_GALLERY_BODY_MAX
#define HUBD_GALLERY_BODY_MAX (64u * 1024u) /* largest request body */
#endif

/* One image as checked. has_* say which optional fields were given. */
typedef struct {
  char url[HUBD_GALLERY_URL_MAX + 1];
  char link[HUBD_GALLERY_URL_MAX + 1];
  char caption[HUBD_GALLERY_CAPTION_MAX + 1];
  int has_caption, has_link, has_taken_at, has_highlight, is_highlight, null_caption, null_link, null_taken_at;
  int64_t taken_at; /* ms */
} hubd_gallery_image;

/* Checks one image object (partial: only url is required, as for PATCH). Returns 0, or -1 with
 * a message in err and the member's name in field. */
int hubd_gallery_image_check(const cJSON *img, hubd_gallery_image *out, char *err, size_t errlen, const char **field);

/* 1 when url is an https URL of a public host of at most HUBD_GALLERY_URL_MAX bytes. */
int hubd_gallery_url_ok(const char *url);

int hubd_gallery_post(PGconn *c, const char *login, const char *repo, const cJSON *body, int64_t now, cJSON **answer);
int hubd_gallery_patch(PGconn *c, const char *login, const char *repo, const cJSON *body, cJSON **answer);
int hubd_gallery_delete(PGconn *c, const char *login, const char *repo, const cJSON *body, cJSON **answer);

/* login's images (all repositories, or one when repo is not NULL) as a JSON array; NULL with e. */
cJSON *hubd_gallery_json(PGconn *c, const char *login, const char *repo, hubd_pg_err *e);

#endif
