/*
 * api.h — the api layer's modules (not used below it): the command handlers that live in
 * src/api and the table of commands (api/commands.def).
 */
#ifndef HUB_API_H
#define HUB_API_H

#include "hub_int.h"


cJSON *hub__api_meta(hub *h, const cJSON *req);            /* meta.c */
cJSON *hub__api_settings(hub *h, const cJSON *req);        /* settings.c */
cJSON *hub__api_sync_start(hub *h, const cJSON *req);      /* api.c */
cJSON *hub__api_cards(hub *h, const cJSON *req);           /* cards.c */
cJSON *hub__api_card(hub *h, const cJSON *req);
cJSON *hub__api_first_screen(hub *h, const cJSON *req);
cJSON *hub__api_stats(hub *h, const cJSON *req);
cJSON *hub__api_last_run(hub *h, const cJSON *req);
cJSON *hub__api_runs(hub *h, const cJSON *req);
cJSON *hub__api_runs_prune(hub *h, const cJSON *req);

/* console.c: the insight console's events, data quality, health and the user's data; and the
 * hook hub_call uses to record a command that failed as an "error" event. */
cJSON *hub__api_events(hub *h, const cJSON *req);
cJSON *hub__api_data_quality(hub *h, const cJSON *req);
cJSON *hub__api_health(hub *h, const cJSON *req);
cJSON *hub__api_export(hub *h, const cJSON *req);
cJSON *hub__api_import(hub *h, const cJSON *req);
cJSON *hub__api_purge(hub *h, const cJSON *req);
void hub__console_note(hub *h, const cJSON *req, const cJSON *res);

/* markdown.c: markdown (raw HTML off) into a JSON array of whitelisted nodes. New array, NULL
 * on OOM. md need not be NUL-terminated. */
cJSON *hub__markdown_ast(const char *md, size_t len);

#endif
