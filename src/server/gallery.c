/*
 * gallery.c — repository images: checks and storage (native driver layer; see gallery.h). Owns
 * table hub_gallery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hub_int.h"
#include "gallery.h"

static cJSON *error(const char *code, const char *message, const char *field) {
  cJSON *r = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(r, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  if (field) cJSON_AddStringToObject(e, "field", field);
  return r;
}

int hubd_gallery_url_ok(const char *url) {
  hub__url u;
  size_t n = url ? strlen(url) : 0;
  return n > 0 && n <= HUBD_GALLERY_URL_MAX && hub__utf8_valid(url, n) && hub__url_parse(url, &u) == 0 && u.https &&
         !hub__host_private(u.host);
}

/* taken_at: ms, an ISO-8601 date-time or a date. 0 or -1. */
static int read_time(const cJSON *v, int64_t *out) {
  int64_t t;
  if (cJSON_IsNumber(v)) return hub__num_in(v->valuedouble, 0, 32503680000000LL, out); /* before year 3000 */
  if (!cJSON_IsString(v)) return -1;
  if (strlen(v->valuestring) == 10) {
    char full[32];
    snprintf(full, sizeof full, "%sT00:00:00Z", v->valuestring);
    if (hub__parse_iso8601(full, &t)) return -1;
  } else if (hub__parse_iso8601(v->valuestring, &t)) {
    return -1;
  }
  if (t < 0 || t > 32503680000LL) return -1;
  *out = t * 1000;
  return 0;
}

int hubd_gallery_image_check(const cJSON *img, hubd_gallery_image *out, char *err, size_t errlen, const char **field) {
  const cJSON *m;
  memset(out, 0, sizeof *out);
  *field = NULL;
  if (!cJSON_IsObject(img)) {
    snprintf(err, errlen, "an image is a JSON object");
    return -1;
  }
  cJSON_ArrayForEach(m, img) {
    const char *k = m->string;
    *field = k;
    if (strcmp(k, "url") == 0) {
      if (!cJSON_IsString(m) || !hubd_gallery_url_ok(m->valuestring)) goto bad_url;
      snprintf(out->url, sizeof out->url, "%s", m->valuestring);
    } else if (strcmp(k, "link") == 0) {
      out->has_link = 1;
      if (cJSON_IsNull(m)) out->null_link = 1;
      else if (!cJSON_IsString(m) || !hubd_gallery_url_ok(m->valuestring)) goto bad_url;
      else snprintf(out->link, sizeof out->link, "%s", m->valuestring);
    } else if (strcmp(k, "caption") == 0) {
      out->has_caption = 1;
      if (cJSON_IsNull(m)) out->null_caption = 1;
      else if (!cJSON_IsString(m) || strlen(m->valuestring) > HUBD_GALLERY_CAPTION_MAX ||
               !hub__utf8_valid(m->valuestring, strlen(m->valuestring))) {
        snprintf(err, errlen, "caption: text of at most %u bytes", (unsigned)HUBD_GALLERY_CAPTION_MAX);
        return -1;
      } else snprintf(out->caption, sizeof out->caption, "%s", m->valuestring);
    } else if (strcmp(k, "is_highlight") == 0) {
      if (!cJSON_IsBool(m)) {
        snprintf(err, errlen, "is_highlight: true or false");
        return -1;
      }
      out->has_highlight = 1;
      out->is_highlight = cJSON_IsTrue(m);
    } else if (strcmp(k, "taken_at") == 0) {
      out->has_taken_at = 1;
      if (cJSON_IsNull(m)) out->null_taken_at = 1;
      else if (read_time(m, &out->taken_at)) {
        snprintf(err, errlen, "taken_at: an ISO-8601 date or date-time, or epoch milliseconds");
        return -1;
      }
    } else {
      snprintf(err, errlen, "unknown member \"%.40s\" (url, caption, is_highlight, taken_at, link)", k);
      return -1;
    }
  }
  *field = "url";
  if (!out->url[0]) {
    snprintf(err, errlen, "url is required");
    return -1;
  }
  *field = NULL;
  return 0;
bad_url:
  snprintf(err, errlen, "%s: an https URL of a public host, at most %u bytes", *field, (unsigned)HUBD_GALLERY_URL_MAX);
  return -1;
}

/* The images of a body: one object or {"images":[…]} (1..HUBD_GALLERY_BATCH). Returns a new
 * array (free) with *n, or NULL with *answer set (400). */
static hubd_gallery_image *read_images(const cJSON *body, size_t *n, cJSON **answer) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "images"), *e;
  hubd_gallery_image *imgs;
  char err[200], msg[260];
  const char *field;
  size_t k = 0;
  *n = 0;
  if (!cJSON_IsObject(body)) {
    *answer = error("bad_request", "the body is one image object or {\"images\": [...]}", NULL);
    return NULL;
  }
  if (list && (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > HUBD_GALLERY_BATCH ||
               cJSON_GetArraySize(body) != 1)) {
    snprintf(msg, sizeof msg, "images: an array of 1 to %d images, alone in the body", HUBD_GALLERY_BATCH);
    *answer = error("bad_request", msg, "images");
    return NULL;
  }
  imgs = calloc(list ? (size_t)cJSON_GetArraySize(list) : 1, sizeof *imgs);
  if (!imgs) {
    *answer = error("nomem", "out of memory", NULL);
    return NULL;
  }
  if (!list) {
    if (hubd_gallery_image_check(body, &imgs[0], err, sizeof err, &field)) goto bad;
    k = 1;
  } else {
    cJSON_ArrayForEach(e, list) {
      if (hubd_gallery_image_check(e, &imgs[k], err, sizeof err, &field)) goto bad;
      k++;
    }
  }
  *n = k;
  return imgs;
bad:
  *answer = error("bad_request", err, field);
  free(imgs);
  return NULL;
}

cJSON *hubd_gallery_json(PGconn *c, const char *login, const char *repo, hubd_pg_err *e) {
  PGresult *r = repo ? hubd_pg_run(c, e,
                                   "SELECT repo, url, caption, is_highlight, taken_at, link FROM hub_gallery "
                                   "WHERE login = $1 AND repo = $2 ORDER BY position",
                                   "tt", login, repo)
                     : hubd_pg_run(c, e,
                                   "SELECT repo, url, caption, is_highlight, taken_at, link FROM hub_gallery "
                                   "WHERE login = $1 ORDER BY repo, position",
                                   "t", login);
  cJSON *arr;
  int i;
  if (!r) return NULL;
  arr = cJSON_CreateArray();
  for (i = 0; arr && i < PQntuples(r); i++) {
    cJSON *o = cJSON_CreateObject();
    if (!repo) cJSON_AddStringToObject(o, "repo", hubd_pg_str(r, i, 0));
    cJSON_AddStringToObject(o, "url", hubd_pg_str(r, i, 1));
    if (hubd_pg_str(r, i, 2)) cJSON_AddStringToObject(o, "caption", hubd_pg_str(r, i, 2));
    else cJSON_AddNullToObject(o, "caption");
    cJSON_AddBoolToObject(o, "is_highlight", hubd_pg_bool(r, i, 3));
    if (hubd_pg_str(r, i, 4)) cJSON_AddNumberToObject(o, "taken_at", (double)hubd_pg_int(r, i, 4));
    else cJSON_AddNullToObject(o, "taken_at");
    if (hubd_pg_str(r, i, 5)) cJSON_AddStringToObject(o, "link", hubd_pg_str(r, i, 5));
    else cJSON_AddNullToObject(o, "link");
    cJSON_AddItemToArray(arr, o);
  }
  PQclear(r);
  return arr;
}

/* {"repo", <count name>: n, "images": […]} after a change; the transaction is committed here. */
static int finish(PGconn *c, const char *login, const char *repo, const char *what, int64_t n, const char *what2,
                  int64_t n2, int status, cJSON **answer) {
  hubd_pg_err e;
  cJSON *imgs = hubd_gallery_json(c, login, repo, &e);
  if (!imgs || hubd_pg_commit(c, &e)) {
    cJSON_Delete(imgs);
    hubd_pg_rollback(c);
    *answer = error("unavailable", e.msg, NULL);
    return 503;
  }
  *answer = cJSON_CreateObject();
  cJSON_AddStringToObject(*answer, "repo", repo);
  cJSON_AddNumberToObject(*answer, what, (double)n);
  if (what2) cJSON_AddNumberToObject(*answer, what2, (double)n2);
  cJSON_AddItemToObject(*answer, "images", imgs);
  return status;
}

static int db_error(PGconn *c, const hubd_pg_err *e, cJSON **answer) {
  hubd_pg_rollback(c);
  *answer = error("unavailable", e->msg, NULL);
  return 503;
}

int hubd_gallery_post(PGconn *c, const char *login, const char *repo, const cJSON *body, int64_t now, cJSON **answer) {
  size_t n, i, j;
  hubd_gallery_image *imgs = read_images(body, &n, answer);
  hubd_pg_err e;
  PGresult *r = NULL;
  int64_t in_repo, in_user, added = 0, dups = 0, pos;
  char ta[24];
  int status;
  if (!imgs) return 400;
  if (hubd_pg_begin(c, &e) || hubd_pg_do(c, &e, NULL, "SELECT 1 FROM hub_users WHERE login = $1 FOR NO KEY UPDATE", "t", login))
    goto dberr;
  r = hubd_pg_run(c, &e,
                  "SELECT count(*) FILTER (WHERE repo = $2), count(*), coalesce(max(position) FILTER (WHERE repo = $2), 0) "
                  "FROM hub_gallery WHERE login = $1",
                  "tt", login, repo);
  if (!r) goto dberr;
  in_repo = hubd_pg_int(r, 0, 0);
  in_user = hubd_pg_int(r, 0, 1);
  pos = hubd_pg_int(r, 0, 2);
  PQclear(r);
  for (i = 0; i < n; i++) {
    int64_t rows = 0;
    for (j = 0; j < i; j++)
      if (strcmp(imgs[j].url, imgs[i].url) == 0) break;
    if (j < i) {
      dups++;
      continue;
    }
    snprintf(ta, sizeof ta, "%lld", (long long)imgs[i].taken_at);
    if (hubd_pg_do(c, &e, &rows,
                   "INSERT INTO hub_gallery (login, repo, url, caption, is_highlight, taken_at, link, position, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (login, repo, url) DO NOTHING",
                   "ttttbttii", login, repo, imgs[i].url, imgs[i].caption[0] ? imgs[i].caption : NULL,
                   imgs[i].is_highlight, imgs[i].has_taken_at && !imgs[i].null_taken_at ? ta : NULL,
                   imgs[i].link[0] ? imgs[i].link : NULL, pos + 1, now))
      goto dberr;
    if (rows == 0) {
      dups++;
      continue;
    }
    pos++;
    added++;
  }
  if (in_repo + added > HUBD_GALLERY_PER_REPO || in_user + added > HUBD_GALLERY_PER_USER) {
    char msg[160];
    hubd_pg_rollback(c);
    snprintf(msg, sizeof msg, "at most %d images per repository and %d per user", HUBD_GALLERY_PER_REPO,
             HUBD_GALLERY_PER_USER);
    *answer = error("too_big", msg, "images");
    free(imgs);
    return 413;
  }
  status = finish(c, login, repo, "added", added, "duplicates", dups, added ? 201 : 200, answer);
  free(imgs);
  return status;
dberr:
  free(imgs);
  return db_error(c, &e, answer);
}

int hubd_gallery_patch(PGconn *c, const char *login, const char *repo, const cJSON *body, cJSON **answer) {
  size_t n, i;
  hubd_gallery_image *imgs = read_images(body, &n, answer);
  hubd_pg_err e;
  int64_t updated = 0;
  if (!imgs) return 400;
  if (hubd_pg_begin(c, &e)) goto dberr;
  for (i = 0; i < n; i++) {
    const hubd_gallery_image *g = &imgs[i];
    int64_t rows = 0;
    char ta[24];
    snprintf(ta, sizeof ta, "%lld", (long long)g->taken_at);
    if (hubd_pg_do(c, &e, &rows,
                   "UPDATE hub_gallery SET "
                   "caption = CASE WHEN $4 THEN $5 ELSE caption END, "
                   "is_highlight = CASE WHEN $6 THEN $7 ELSE is_highlight END, "
                   "taken_at = CASE WHEN $8 THEN $9::bigint ELSE taken_at END, "
                   "link = CASE WHEN $10 THEN $11 ELSE link END "
                   "WHERE login = $1 AND repo = $2 AND url = $3",
                   "tttbtbbbtbt", login, repo, g->url, g->has_caption, g->null_caption ? NULL : g->caption,
                   g->has_highlight, g->is_highlight, g->has_taken_at, g->null_taken_at ? NULL : ta, g->has_link,
                   g->null_link ? NULL : g->link))
      goto dberr;
    if (rows == 0) {
      char msg[HUBD_GALLERY_URL_MAX + 64];
      hubd_pg_rollback(c);
      snprintf(msg, sizeof msg, "no image with url %s in %s's gallery of %s", g->url, login, repo);
      *answer = error("not_found", msg, "url");
      free(imgs);
      return 404;
    }
    updated++;
  }
  free(imgs);
  return finish(c, login, repo, "updated", updated, NULL, 0, 200, answer);
dberr:
  free(imgs);
  return db_error(c, &e, answer);
}

/* The urls a DELETE body names: {"url"}, {"urls":[…]} or {"images":[{"url"}…]}. Returns a new
 * array of borrowed strings (free) with *n, or NULL with *answer set; *all when no body. */
static const char **urls_of(const cJSON *body, size_t *n, int *all, cJSON **answer) {
  const cJSON *one = cJSON_GetObjectItemCaseSensitive(body, "url");
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "urls"), *imgs = cJSON_GetObjectItemCaseSensitive(body, "images"), *e;
  const char **out;
  size_t k = 0;
  *n = 0;
  *all = !body || (cJSON_IsObject(body) && cJSON_GetArraySize(body) == 0);
  out = calloc(HUBD_GALLERY_BATCH, sizeof *out);
  if (!out) {
    *answer = error("nomem", "out of memory", NULL);
    return NULL;
  }
  if (*all) return out;
  if (cJSON_IsObject(body) && cJSON_GetArraySize(body) == 1) {
    if (cJSON_IsString(one)) out[k++] = one->valuestring;
    else if (cJSON_IsArray(list) && cJSON_GetArraySize(list) <= HUBD_GALLERY_BATCH) {
      cJSON_ArrayForEach(e, list) {
        if (!cJSON_IsString(e)) goto bad;
        out[k++] = e->valuestring;
      }
    } else if (cJSON_IsArray(imgs) && cJSON_GetArraySize(imgs) <= HUBD_GALLERY_BATCH) {
      cJSON_ArrayForEach(e, imgs) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "url");
        if (!cJSON_IsString(u)) goto bad;
        out[k++] = u->valuestring;
      }
    } else goto bad;
    if (k > 0) {
      *n = k;
      return out;
    }
  }
bad:
  free(out);
  *answer = error("bad_request", "name the images by url: {\"url\"}, {\"urls\":[...]} or {\"images\":[{\"url\"}]}; no body deletes them all", NULL);
  return NULL;
}

int hubd_gallery_delete(PGconn *c, const char *login, const char *repo, const cJSON *body, cJSON **answer) {
  size_t n, i;
  int all;
  const char **urls = urls_of(body, &n, &all, answer);
  hubd_pg_err e;
  int64_t deleted = 0, rows;
  if (!urls) return 400;
  if (hubd_pg_begin(c, &e)) goto dberr;
  if (all && hubd_pg_do(c, &e, &deleted, "DELETE FROM hub_gallery WHERE login = $1 AND repo = $2", "tt", login, repo))
    goto dberr;
  for (i = 0; i < n; i++) {
    if (hubd_pg_do(c, &e, &rows, "DELETE FROM hub_gallery WHERE login = $1 AND repo = $2 AND url = $3", "ttt", login,
                   repo, urls[i]))
      goto dberr;
    deleted += rows;
  }
  free(urls);
  return finish(c, login, repo, "deleted", deleted, NULL, 0, 200, answer);
dberr:
  free(urls);
  return db_error(c, &e, answer);
}
