/*
 * testutil.c — see testutil.h. Test-only code: it may abort on OOM.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

int tu_passed, tu_failed;
cJSON *tu_requests;
int tu_feed_bytes;

void tu_host_path(const char *url, const char *base, char *out, size_t outlen) {
  const char *p = strstr(url, "://"), *path;
  size_t hl;
  if (strncmp(url, base, strlen(base)) == 0) {
    snprintf(out, outlen, "%s", url + strlen(base));
    return;
  }
  if (!p) {
    snprintf(out, outlen, "%s", url);
    return;
  }
  p += 3;
  path = strchr(p, '/');
  hl = path ? (size_t)(path - p) : strlen(p);
  snprintf(out, outlen, "/%.*s%s", (int)hl, p, path ? path : "/");
}

hub *tu_open_memory(void) {
  hub *h = NULL;
  char err[256];
  if (hub_open(":memory:", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

cJSON *tu_call(hub *h, const char *fmt, ...) {
  va_list ap;
  char *req, *out;
  int n;
  cJSON *r;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  req = malloc((size_t)n + 1);
  if (!req) abort();
  va_start(ap, fmt);
  vsnprintf(req, (size_t)n + 1, fmt, ap);
  va_end(ap);
  out = hub_call(h, req);
  free(req);
  if (!out) abort();
  r = cJSON_Parse(out);
  hub_free(out);
  if (!r) abort();
  return r;
}

static const cJSON *walk(const cJSON *o, const char *path) {
  char buf[256], *save = NULL, *part;
  snprintf(buf, sizeof buf, "%s", path);
  for (part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save)) {
    char *end;
    long idx = strtol(part, &end, 10);
    if (*end == 0 && cJSON_IsArray(o)) o = cJSON_GetArrayItem(o, (int)idx);
    else o = cJSON_GetObjectItemCaseSensitive(o, part);
  }
  return o;
}

double tu_num(const cJSON *o, const char *path) {
  const cJSON *v = walk(o, path);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

const char *tu_str(const cJSON *o, const char *path) {
  const cJSON *v = walk(o, path);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The sync_feed request for an answer; with_body 0 leaves "body" out (hub_feed). */
static char *feed_request(int64_t id, int64_t now, const replay_response *resp, const char *neterr, int with_body) {
  cJSON *f = cJSON_CreateObject(), *hd;
  char *s;
  size_t i;
  cJSON_AddStringToObject(f, "cmd", "sync_feed");
  cJSON_AddNumberToObject(f, "id", (double)id);
  cJSON_AddNumberToObject(f, "now", (double)now);
  if (neterr) {
    cJSON_AddStringToObject(f, "error", neterr);
  } else {
    cJSON_AddNumberToObject(f, "status", resp->status);
    hd = cJSON_AddObjectToObject(f, "headers");
    for (i = 0; i < resp->nheaders; i++) {
      char name[128];
      size_t k;
      for (k = 0; resp->headers[i].name[k] && k < sizeof name - 1; k++)
        name[k] = (char)(resp->headers[i].name[k] >= 'A' && resp->headers[i].name[k] <= 'Z'
                             ? resp->headers[i].name[k] + 32 : resp->headers[i].name[k]);
      name[k] = 0;
      cJSON_AddStringToObject(hd, name, resp->headers[i].value);
    }
    if (with_body) cJSON_AddStringToObject(f, "body", resp->body ? resp->body : "");
  }
  s = cJSON_PrintUnformatted(f);
  cJSON_Delete(f);
  if (!s) abort();
  return s;
}

char *tu_feed_request(int64_t id, int64_t now, const replay_response *resp, const char *neterr) {
  return feed_request(id, now, resp, neterr, 1);
}

char *tu_feed_bytes_call(hub *h, int64_t id, int64_t now, const replay_response *resp, const char *neterr) {
  char *req = feed_request(id, now, resp, neterr, 0), *body = NULL, *out;
  size_t n = !neterr && resp->body ? resp->body_len : 0;
  if (n) {
    body = malloc(n);
    if (!body) abort();
    memcpy(body, resp->body, n);
  }
  out = hub_feed(h, req, strlen(req), body, n);
  free(req);
  free(body);
  return out;
}

cJSON *tu_sync(hub *h, replay *r, int64_t *now, tu_fault_fn fault, void *ud, tu_stats *st) {
  cJSON *res, *run = NULL;
  tu_stats local;
  int guard = 0;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  res = tu_call(h, "{\"cmd\":\"sync_start\",\"now\":%lld,\"max_wait_ms\":0}", (long long)*now);
  if (cJSON_GetObjectItemCaseSensitive(res, "error")) {
    fprintf(stderr, "sync_start: %s\n", tu_str(res, "error.message"));
    cJSON_Delete(res);
    return NULL;
  }
  cJSON_Delete(res);
  while (guard++ < 100000) {
    const cJSON *fetch, *wait, *f;
    res = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)*now);
    if (cJSON_GetObjectItemCaseSensitive(res, "error")) {
      fprintf(stderr, "sync_next: %s\n", tu_str(res, "error.message"));
      cJSON_Delete(res);
      return NULL;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "done"))) {
      run = cJSON_DetachItemFromObjectCaseSensitive(res, "run");
      cJSON_Delete(res);
      return run;
    }
    fetch = cJSON_GetObjectItemCaseSensitive(res, "fetch");
    wait = cJSON_GetObjectItemCaseSensitive(res, "wait_until");
    if (cJSON_GetArraySize(fetch) == 0) {
      if (cJSON_IsNumber(wait)) {
        int64_t d = (int64_t)wait->valuedouble - *now;
        st->waits++;
        st->waited_ms += d;
        if (d > st->max_wait_ms) st->max_wait_ms = d;
        *now = (int64_t)wait->valuedouble;
      }
      cJSON_Delete(res);
      continue;
    }
    cJSON_ArrayForEach(f, fetch) {
      replay_header hdrs[16];
      size_t nh = 0;
      const cJSON *e, *hobj = cJSON_GetObjectItemCaseSensitive(f, "headers");
      replay_response resp;
      const char *neterr = NULL;
      const char *url = tu_str(f, "url"), *method = tu_str(f, "method"), *body = tu_str(f, "body");
      char *feed, *out;
      cJSON_ArrayForEach(e, hobj) {
        if (nh < 16 && cJSON_IsString(e)) {
          hdrs[nh].name = e->string;
          hdrs[nh].value = e->valuestring;
          nh++;
        }
      }
      memset(&resp, 0, sizeof resp);
      if (replay_answer(r, method ? method : "GET", url, hdrs, nh, &resp)) abort();
      if (fault) fault(ud, st->requests, url, &resp, &neterr);
      if (tu_requests) {
        cJSON *lg = cJSON_CreateObject();
        cJSON_AddStringToObject(lg, "method", method ? method : "?");
        cJSON_AddStringToObject(lg, "url", url ? url : "?");
        if (body) cJSON_AddStringToObject(lg, "body", body);
        cJSON_AddNumberToObject(lg, "status", neterr ? 0 : resp.status);
        cJSON_AddItemToArray(tu_requests, lg);
      }
      st->requests++;
      *now += 5;
      if (tu_feed_bytes) {
        out = tu_feed_bytes_call(h, (int64_t)tu_num(f, "id"), *now, &resp, neterr);
      } else {
        feed = tu_feed_request((int64_t)tu_num(f, "id"), *now, &resp, neterr);
        out = hub_call(h, feed);
        free(feed);
      }
      replay_response_free(&resp);
      if (!out) abort();
      hub_free(out);
    }
    cJSON_Delete(res);
  }
  return NULL;
}

long tu_count(hub *h, const char *sql) {
  sqlite3_stmt *st = NULL;
  long n = -1;
  if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

void tu_watch_writes(hub *h) {
  sqlite3_exec(h->db,
               "CREATE TEMP TABLE IF NOT EXISTS tu_writes(n INTEGER);"
               "DELETE FROM tu_writes; INSERT INTO tu_writes VALUES(0);"
               "CREATE TEMP TRIGGER IF NOT EXISTS tu_i AFTER INSERT ON main.items BEGIN UPDATE tu_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS tu_u AFTER UPDATE ON main.items BEGIN UPDATE tu_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS tu_d AFTER DELETE ON main.items BEGIN UPDATE tu_writes SET n=n+1; END;"
               "CREATE TEMP TRIGGER IF NOT EXISTS tu_ri AFTER INSERT ON main.item_reasons BEGIN UPDATE tu_writes SET n=n+1; END;",
               NULL, NULL, NULL);
}

long tu_item_writes(hub *h) { return tu_count(h, "SELECT n FROM tu_writes"); }

char *tu_dump_items(hub *h) {
  sqlite3_stmt *st = NULL;
  hub__buf b;
  hub__buf_init(&b, 64u * 1024u * 1024u);
  if (sqlite3_prepare_v2(h->db,
                         "SELECT key,kind,state,title,coalesce(author,''),labels,assignees,comments,"
                         "reactions,coalesce(created_at,0),coalesce(updated_at,0),unread,"
                         "(SELECT group_concat(x,',') FROM (SELECT CASE WHEN detail='' THEN code ELSE code||':'||detail END "
                         "AS x FROM item_reasons r WHERE r.item_id=items.id ORDER BY code)),hash,printf('%.6f',base),"
                         "coalesce(url,'') FROM items ORDER BY key",
                         -1, &st, NULL) != SQLITE_OK)
    return NULL;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int i;
    for (i = 0; i < 16; i++) {
      const char *t = (const char *)sqlite3_column_text(st, i);
      if (i) hub__buf_str(&b, " | ");
      hub__buf_str(&b, t ? t : "");
    }
    hub__buf_str(&b, "\n");
  }
  sqlite3_finalize(st);
  if (!b.p) return hub__strdup("");
  return b.p;
}

char *tu_dump_brief(hub *h, int64_t now_ms) {
  cJSON *r = tu_call(h, "{\"cmd\":\"brief\",\"now\":%lld}", (long long)now_ms);
  const cJSON *b = cJSON_GetObjectItem(r, "brief"), *sec, *it;
  hub__buf buf;
  char line[256];
  hub__buf_init(&buf, 1024u * 1024u);
  hub__buf_str(&buf, "headline: ");
  hub__buf_str(&buf, tu_str(b, "headline") ? tu_str(b, "headline") : "(none)");
  snprintf(line, sizeof line, "\nsource: %s\n", tu_str(b, "source") ? tu_str(b, "source") : "(none)");
  hub__buf_str(&buf, line);
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(b, "sections")) {
    snprintf(line, sizeof line, "\n[%s] %s · %s · %s · priority %g · %g in all\n", tu_str(sec, "kind"),
             tu_str(sec, "title"), tu_str(sec, "accent"), tu_str(sec, "icon"), tu_num(sec, "priority"),
             tu_num(cJSON_GetObjectItem(b, "counts"), tu_str(sec, "kind")));
    hub__buf_str(&buf, line);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(sec, "items")) {
      const cJSON *item = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "items"), tu_str(it, "key"));
      hub__buf_str(&buf, "  ");
      hub__buf_str(&buf, tu_str(it, "key"));
      hub__buf_str(&buf, " | ");
      hub__buf_str(&buf, tu_str(item, "title") ? tu_str(item, "title") : "(no title)");
      hub__buf_str(&buf, " | ");
      hub__buf_str(&buf, tu_str(it, "reason"));
      hub__buf_str(&buf, "\n");
    }
  }
  hub__buf_add(&buf, "", 1);
  cJSON_Delete(r);
  if (buf.failed || !buf.p) {
    hub__buf_free(&buf);
    return hub__strdup("");
  }
  return buf.p;
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *p;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  p = malloc((size_t)n + 1);
  if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    fclose(f);
    return NULL;
  }
  p[n] = 0;
  fclose(f);
  if (len) *len = (size_t)n;
  return p;
}

int tu_write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  if (fwrite(data, 1, len, f) != len) {
    fclose(f);
    return -1;
  }
  return fclose(f);
}

void tu_golden(const char *outdir, const char *name, char *dump) {
  char path[512], *want;
  if (!dump) abort();
  snprintf(path, sizeof path, "%s/%s.txt", outdir, name);
  CHECK(tu_write_file(path, dump, strlen(dump)) == 0, "cannot write %s", path);
  snprintf(path, sizeof path, "tests/golden/%s.txt", name);
  if (getenv("UPDATE_GOLDEN")) tu_write_file(path, dump, strlen(dump));
  want = tu_read_file(path, NULL);
  CHECK(want && strcmp(want, dump) == 0, "%s: stored data differ from %s (diff %s/%s.txt)", name, path,
        outdir, name);
  free(want);
  hub_free(dump);
}
