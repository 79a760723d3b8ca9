/*
 * registry.c — the sources a sync run starts, in order (sources layer). Adding a source is one
 * table of functions (sync/sync.h) and one line here; the engine names none of them. The
 * outbox comes first: what the user triaged is told to GitHub before anything is fetched.
 */
#include "sources/sources.h"
#include "sources/activity.h"

const hub__source *const hub__source_list[] = {&hub__outbox_source, &hub__github_source, &hub__tangled_source, &hub__gfi_source,
                                               &hub__activity_source};
const int hub__source_count = (int)(sizeof hub__source_list / sizeof hub__source_list[0]);
