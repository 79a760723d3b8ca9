/*
 * bench_clock.js — the benchmarks' CPU clock in wasm under node (an Emscripten --js-library,
 * linked into build/wasm/bench.js and bench_bandit.js only): emscripten's process clock does
 * not work, and on a machine shared with other work the wall clock counts their time too.
 */
mergeInto(LibraryManager.library, {
  /* µs of CPU time node has used so far (user + system, all of its threads). */
  hub_bench_cpu_us: function () {
    var u = process.cpuUsage();
    return u.user + u.system;
  },
});
