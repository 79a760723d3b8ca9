/*
 * events.c — the ring of recent events for the insight console (base layer; see events.h).
 *
 * One block of HUB_EVENTS_MAX fixed-size slots, allocated at the first event and never grown:
 * recording formats the event's values straight into its slot as JSON text, so it allocates
 * nothing after the first call and cannot fail its caller. Reading parses the text back.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/events.h"

typedef struct {
  int64_t seq, at;
  const char *kind;
  char item[HUB_EVENT_ITEM]; /* "" when none */
  int has_item;
  char data[HUB_EVENT_DATA]; /* a JSON object */
} slot;

struct hub__events {
  slot s[HUB_EVENTS_MAX];
  int64_t next_seq; /* seq of the next event */
  int64_t last_at;  /* the latest known time */
  int n, head;      /* held; index of the oldest */
};

/* The length of s cut to at most max bytes on a UTF-8 character boundary. */
static size_t cut_utf8(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  n = max;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  return n;
}

/* Copies s into dst (cap bytes with the NUL): valid UTF-8 as is, other bytes ≥ 0x80 as '?';
 * cut with "…" when it does not fit. */
static void copy_text(char *dst, size_t cap, const char *s) {
  size_t n = strlen(s), i, k;
  int valid = hub__utf8_valid(s, n);
  if (n >= cap) k = cut_utf8(s, n, cap - 4);
  else k = n;
  for (i = 0; i < k; i++) dst[i] = (!valid && (unsigned char)s[i] >= 0x80) ? '?' : s[i];
  if (k < n) memcpy(dst + k, "\xe2\x80\xa6", 3), k += 3;
  dst[k] = 0;
}

/* A JSON text writer into a fixed buffer; 'full' once something did not fit. */
typedef struct {
  char *p;
  size_t len, cap; /* cap excludes the room kept for the closing brace and NUL */
  int full;
} jw;

static void jw_raw(jw *w, const char *s, size_t n) {
  if (w->full || w->len + n > w->cap) {
    w->full = 1;
    return;
  }
  memcpy(w->p + w->len, s, n);
  w->len += n;
}

/* A JSON string of s; when it does not fit, as much as fits (whole characters) and "…". */
static void jw_str(jw *w, const char *s) {
  size_t n = strlen(s), i, save = w->len;
  int valid = hub__utf8_valid(s, n);
  char esc[8];
  jw_raw(w, "\"", 1);
  for (i = 0; i < n && !w->full; i++) {
    unsigned char c = (unsigned char)s[i];
    size_t room = w->cap - w->len;
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      jw_raw(w, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      jw_raw(w, esc, 6);
    } else if (c >= 0x80 && !valid) {
      jw_raw(w, "?", 1);
    } else if (c >= 0x80) {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (len + 4 > room) w->full = 1; /* keep room for "…\"" */
      else jw_raw(w, s + i, len);
      i += len - 1;
    } else {
      if (room < 5) w->full = 1;
      else jw_raw(w, s + i, 1);
    }
  }
  if (w->full) { /* cut: the part written, then an ellipsis, if even that fits */
    w->full = 0;
    if (w->cap - w->len < 4) {
      w->len = save;
      jw_raw(w, "null", 4);
      return;
    }
    jw_raw(w, "\xe2\x80\xa6", 3);
  }
  jw_raw(w, "\"", 1);
}

/* Formats one named value ('i', 'd' or 't'); on overflow the field is left out. */
static void put_field(jw *w, int first, const char *name, char type, va_list *ap) {
  size_t save = w->len;
  char num[40];
  if (!first) jw_raw(w, ",", 1);
  jw_str(w, name ? name : "?");
  jw_raw(w, ":", 1);
  switch (type) {
  case 'i': snprintf(num, sizeof num, "%lld", (long long)va_arg(*ap, int64_t)); jw_raw(w, num, strlen(num)); break;
  case 'd': {
    double v = va_arg(*ap, double);
    if (isfinite(v)) snprintf(num, sizeof num, "%.10g", v);
    else snprintf(num, sizeof num, "null");
    jw_raw(w, num, strlen(num));
    break;
  }
  default: {
    const char *t = va_arg(*ap, const char *);
    if (t) jw_str(w, t);
    else jw_raw(w, "null", 4);
    break;
  }
  }
  if (w->full) { /* the whole field did not fit: leave it out */
    w->len = save;
    w->full = 0;
  }
}

void hub__event(hub *h, const char *kind, const char *item, int64_t at_ms, const char *types, ...) {
  struct hub__events *e;
  slot *sl;
  jw w;
  va_list ap;
  int i;
  if (!h || !kind) return;
  if (!h->events) {
    h->events = hub__malloc(sizeof *h->events);
    if (!h->events) return; /* nowhere to count it either */
    memset(h->events, 0, sizeof *h->events);
    h->events->next_seq = 1;
  }
  e = h->events;
  if (at_ms > 0) e->last_at = at_ms;
  if (e->n < HUB_EVENTS_MAX) {
    sl = &e->s[(e->head + e->n) % HUB_EVENTS_MAX];
    e->n++;
  } else {
    sl = &e->s[e->head];
    e->head = (e->head + 1) % HUB_EVENTS_MAX;
  }
  sl->seq = e->next_seq++;
  sl->at = e->last_at;
  sl->kind = kind;
  sl->has_item = item != NULL;
  copy_text(sl->item, sizeof sl->item, item ? item : "");
  w.p = sl->data;
  w.len = 0;
  w.cap = sizeof sl->data - 2;
  w.full = 0;
  jw_raw(&w, "{", 1);
  va_start(ap, types);
  for (i = 0; types && types[i]; i++) {
    const char *name = va_arg(ap, const char *);
    if (types[i] == 'b') { /* one int argument: read it once */
      int v = va_arg(ap, int);
      size_t save = w.len;
      if (i) jw_raw(&w, ",", 1);
      jw_str(&w, name ? name : "?");
      jw_raw(&w, v ? ":true" : ":false", v ? 5 : 6);
      if (w.full) w.len = save, w.full = 0;
      continue;
    }
    put_field(&w, i == 0, name, types[i], &ap);
  }
  va_end(ap);
  sl->data[w.len++] = '}';
  sl->data[w.len] = 0;
}

int hub__events_count(const hub *h, int64_t *last) {
  const struct hub__events *e = h ? h->events : NULL;
  if (last) *last = e ? e->next_seq - 1 : 0;
  return e ? e->n : 0;
}

/* 1 when slot sl passes the filters. */
static int matches(const slot *sl, int64_t since, const char *kind, const char *item) {
  if (sl->seq <= since) return 0;
  if (kind && *kind && strncmp(sl->kind, kind, strlen(kind)) != 0) return 0;
  if (item && *item && !hub__icontains(sl->item, item)) return 0;
  return 1;
}

static cJSON *slot_json(const slot *sl) {
  cJSON *o = cJSON_CreateObject(), *d;
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "seq", (double)sl->seq);
  cJSON_AddNumberToObject(o, "at", (double)sl->at);
  cJSON_AddStringToObject(o, "kind", sl->kind);
  if (sl->has_item) cJSON_AddStringToObject(o, "item", sl->item);
  else cJSON_AddNullToObject(o, "item");
  d = cJSON_Parse(sl->data);
  hub__put(o, "data", d ? d : cJSON_CreateObject());
  return o;
}

cJSON *hub__events_json(hub *h, int64_t since, const char *kind_prefix, const char *item_part, int limit) {
  const struct hub__events *e = h->events;
  cJSON *res = cJSON_CreateObject(), *arr;
  int i, matched = 0, skip;
  if (!res) return NULL;
  arr = cJSON_AddArrayToObject(res, "events");
  if (limit < 1) limit = 1;
  for (i = 0; e && i < e->n; i++) matched += matches(&e->s[(e->head + i) % HUB_EVENTS_MAX], since, kind_prefix, item_part);
  skip = matched > limit ? matched - limit : 0;
  for (i = 0; e && arr && i < e->n; i++) {
    const slot *sl = &e->s[(e->head + i) % HUB_EVENTS_MAX];
    if (!matches(sl, since, kind_prefix, item_part)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    hub__push(arr, slot_json(sl));
  }
  cJSON_AddNumberToObject(res, "last", e ? (double)(e->next_seq - 1) : 0);
  cJSON_AddNumberToObject(res, "first", e && e->n ? (double)e->s[e->head].seq : 0);
  cJSON_AddNumberToObject(res, "lost", e ? (double)(e->next_seq - 1 - e->n) : 0);
  cJSON_AddBoolToObject(res, "more", matched > limit);
  cJSON_AddNumberToObject(res, "capacity", HUB_EVENTS_MAX);
  return res;
}

void hub__events_clear(hub *h) {
  if (!h || !h->events) return;
  h->events->n = 0;
  h->events->head = 0;
}

void hub__events_free(hub *h) {
  if (!h) return;
  hub_free(h->events);
  h->events = NULL;
}
