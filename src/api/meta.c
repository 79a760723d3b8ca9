/*
 * meta.c — the meta command (api layer): everything the page would otherwise retype, from the
 * tables that declare it once — commands and whether they write, settings with their kinds,
 * defaults and checks, sources, reason codes with their words, error codes, the tip's feature
 * names, the triage actions, and the limits the page must respect (the largest body it may
 * feed, a bulk action, saved searches, a query).
 */
#include "db/db.h"
#include "items/items.h"
#include "sources/sources.h"
#include "tip/tip_int.h"
#include "brief/brief.h"
#include "triage/triage.h"
#include "api/api.h"

static const char *const kinds[] = {"string", "secret", "bool", "number", "list", "map", "choice"};
static const char *const checks[] = {"none", "url", "login", "handle", "github_repos", "tangled_repos",
                                     "range", "weights", "text", "choice"};

/* The command table's data (api/commands.def, expanded here without the handlers, so this
 * module and the dispatcher that lists it do not depend on each other). */
static const struct { const char *name; int writes; const char *when, *help; } c[] = {
#define X(name, fn, writes, when, help) {#name, writes, when, help},
#include "api/commands.def"
#undef X
};

static void add_command(cJSON *o, const char *name, int writes, const char *when, const char *help) {
  cJSON *e = cJSON_AddObjectToObject(o, name);
  if (!e) return;
  cJSON_AddBoolToObject(e, "writes", writes);
  if (when) cJSON_AddStringToObject(e, "writes_with", when);
  cJSON_AddStringToObject(e, "help", help);
}

/* Every command this build answers: api/commands.def's, then the build's own (api.h). */
static cJSON *commands_json(void) {
  size_t n = sizeof c / sizeof c[0], i;
  const hub__command_set *b = &hub__build_commands;
  cJSON *o = cJSON_CreateObject();
  for (i = 0; o && i < n; i++) add_command(o, c[i].name, c[i].writes, c[i].when, c[i].help);
  for (i = 0; o && i < b->n; i++) add_command(o, b->cmds[i].name, b->cmds[i].writes, b->cmds[i].when, b->cmds[i].help);
  return o;
}

static cJSON *settings_json(void) {
  size_t n, i;
  const hub__setting_def *d = hub__settings(&n);
  cJSON *a = cJSON_CreateArray();
  for (i = 0; a && i < n; i++) {
    cJSON *e = cJSON_CreateObject();
    if (!e) continue;
    cJSON_AddStringToObject(e, "key", d[i].key);
    cJSON_AddStringToObject(e, "kind", kinds[d[i].kind]);
    cJSON_AddStringToObject(e, "check", checks[d[i].check]);
    if (d[i].dflt) cJSON_AddStringToObject(e, "default", d[i].dflt);
    else cJSON_AddNullToObject(e, "default");
    cJSON_AddStringToObject(e, "owner", d[i].owner);
    cJSON_AddBoolToObject(e, "rescore", d[i].rescore);
    if (d[i].check == HUB_SC_RANGE || d[i].check == HUB_SC_WEIGHTS) {
      cJSON_AddNumberToObject(e, "min", d[i].min);
      cJSON_AddNumberToObject(e, "max", d[i].max);
    }
    if (d[i].choices) cJSON_AddStringToObject(e, "choices", d[i].choices);
    cJSON_AddStringToObject(e, "help", d[i].help);
    hub__push(a, e);
  }
  return a;
}

/* The briefing's enums (the page has a colour for every accent and an icon for every icon
 * name) and every AI output's schema, from brief/schema.c. */
static cJSON *brief_json(void) {
  static const char *const enums[] = {"kind", "accent", "icon"};
  static const char *const names[] = {"kinds", "accents", "icons"};
  cJSON *o = cJSON_CreateObject(), *s;
  size_t i, j;
  for (i = 0; o && i < 3; i++) {
    const hub__snode *e = hub__schema_brief_enum(enums[i]);
    cJSON *a = cJSON_AddArrayToObject(o, names[i]);
    for (j = 0; a && e && j < e->nvalues; j++) hub__push(a, cJSON_CreateString(e->values[j]));
  }
  s = cJSON_AddObjectToObject(o, "schemas");
  hub__put(s, "briefing", hub__schema_json(&hub__schema_brief));
  hub__put(s, "gfi_intro", hub__schema_json(&hub__schema_gfi_intro));
  hub__put(s, "repo_summary", hub__schema_json(&hub__schema_repo_summary));
  return o;
}

cJSON *hub__api_meta(hub *h, const cJSON *req) {
  cJSON *r = cJSON_CreateObject(), *a, *lim;
  int i;
  (void)h;
  (void)req;
  if (!r) return NULL;
  cJSON_AddNumberToObject(r, "schema", hub__db_schema_version());
  hub__put(r, "commands", commands_json());
  hub__put(r, "settings", settings_json());
  a = cJSON_AddArrayToObject(r, "sources");
  for (i = 0; a && i < hub__source_count; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", hub__source_list[i]->name);
    cJSON_AddStringToObject(e, "label", hub__source_list[i]->label);
    hub__push(a, e);
  }
  a = cJSON_AddArrayToObject(r, "reasons");
  for (i = 0; a && i < HUB_R__COUNT; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", hub__reasons[i].code);
    cJSON_AddStringToObject(e, "words", hub__reasons[i].words);
    cJSON_AddBoolToObject(e, "urgent", hub__reasons[i].urgent);
    cJSON_AddBoolToObject(e, "gfi", hub__reasons[i].cls == HUB_RC_GFI);
    cJSON_AddBoolToObject(e, "yours", hub__reasons[i].cls == HUB_RC_AUTHORED);
    hub__push(a, e);
  }
  a = cJSON_AddArrayToObject(r, "errors");
  for (i = 0; a && i < (int)HUB_E__COUNT; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", hub__err_code((hub_err)i));
    cJSON_AddStringToObject(e, "message", hub__err_msg((hub_err)i));
    hub__push(a, e);
  }
  a = cJSON_AddArrayToObject(r, "triage_actions");
  for (i = 0; a && i < HUB_TA__COUNT; i++) hub__push(a, cJSON_CreateString(hub__triage_actions[i]));
  a = cJSON_AddArrayToObject(r, "tip_features");
  for (i = 0; a && i < TIP_D; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", hub__tip_feature_names[i]);
    if (hub__tip_feature_labels[i]) cJSON_AddStringToObject(e, "label", hub__tip_feature_labels[i]);
    hub__push(a, e);
  }
  a = cJSON_AddArrayToObject(r, "tip_reactions");
  for (i = 0; a && i < N_REACTIONS; i++) hub__push(a, cJSON_CreateString(hub__tip_rewards[i].name));
  hub__put(r, "brief", brief_json());
  lim = cJSON_AddObjectToObject(r, "limits");
  if (lim) {
    cJSON_AddNumberToObject(lim, "body", HUB_MAX_BODY);
    cJSON_AddNumberToObject(lim, "request", (double)HUB_MAX_REQUEST);
    cJSON_AddNumberToObject(lim, "cards", HUB_CARDS_MAX);
    cJSON_AddNumberToObject(lim, "triage", HUB_TRIAGE_MAX);
    cJSON_AddNumberToObject(lim, "searches", HUB_SEARCHES_MAX);
    cJSON_AddNumberToObject(lim, "search_name", HUB_SEARCH_NAME_MAX);
    cJSON_AddNumberToObject(lim, "query", HUB_QUERY_MAX_LEN);
    cJSON_AddNumberToObject(lim, "undo", HUB_TRIAGE_UNDO_DEPTH);
  }
  return r;
}
