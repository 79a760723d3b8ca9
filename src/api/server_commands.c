/*
 * server_commands.c — the commands only native programs send (api layer; native builds only).
 *
 * Defines hub__build_commands (api/api.h) from api/server_commands.def: hubd's scheduler and
 * LLM drivers and the hub CLI's offline tools. The hub CLI, hubd and the native tests link
 * this module; the browser module links wasm/browser_commands.c instead, so none of these
 * handlers (nor what only they call) is in hub.wasm, and meta there does not list them.
 */
#include "sync/jobs.h"
#include "tip/tip.h"
#include "brief/brief.h"
#include "sources/sources.h"
#include "notify/notify.h"
#include "api/api.h"

static const hub__command server_commands[] = {
#define X(name, fn, writes, when, help) {#name, fn, writes, when, help},
#include "api/server_commands.def"
#undef X
};

const hub__command_set hub__build_commands = {server_commands, sizeof server_commands / sizeof server_commands[0]};
