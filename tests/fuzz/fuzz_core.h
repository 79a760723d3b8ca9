/*
 * fuzz_core.h — the core sources that fuzz targets include directly (test layer). Including
 * the .c under test lets a target reach a module alone, static functions included; these
 * paths are the one place to repoint when the core's files move into other folders.
 */
#ifndef HUB_FUZZ_CORE_H
#define HUB_FUZZ_CORE_H

#ifndef FZ_MARKDOWN_C
#define FZ_MARKDOWN_C "../../src/api/markdown.c"
#endif

#endif
