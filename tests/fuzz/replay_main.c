/*
 * replay_main.c — a main for the fuzz targets without libFuzzer (test layer): runs
 * LLVMFuzzerTestOneInput once per file named on the command line, in order, and prints
 * "ok FILE" after each. A broken invariant or a sanitizer report ends the process, so the
 * caller (tests/fuzz/replay.sh) knows the file after the last "ok" is the one that failed.
 *
 * usage: fuzz_<target>_replay FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (!f) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    do { /* exactly the file's bytes, in a buffer of that size (ASan sees reads past it) */
      if (len == cap) {
        uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 4096);
        if (!nb) abort();
        buf = nb;
      }
      n = fread(buf + len, 1, cap - len, f);
      len += n;
    } while (n > 0);
    fclose(f);
    {
      uint8_t *exact = malloc(len ? len : 1);
      size_t k;
      if (!exact) abort();
      for (k = 0; k < len; k++) exact[k] = buf[k];
      free(buf);
      fprintf(stderr, "running %s\n", argv[i]);
      LLVMFuzzerTestOneInput(exact, len);
      free(exact);
    }
    printf("ok %s\n", argv[i]);
    fflush(stdout);
  }
  return 0;
}
