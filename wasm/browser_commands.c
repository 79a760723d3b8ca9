/*
 * browser_commands.c — the browser module's answer to the core's hub__build_commands hook
 * (wasm/ layer): no commands beyond api/commands.def. The commands of
 * api/server_commands.def (hubd's scheduler and LLM drivers, the CLI's offline tools) are
 * never sent by the page, so the module leaves them out: the link then drops their handlers.
 */
#include "api/api.h"

const hub__command_set hub__build_commands = {NULL, 0};
