# emscripten.mk — the wasm build of hub's core (included by the Makefile).
#
# Uses Debian's emscripten (3.1.6). Its emcc needs NODE_PATH=/usr/share/nodejs with this
# machine's node, and wasm run under node needs --no-experimental-fetch (node's own fetch
# otherwise shadows the loader's file reading): both are set here, not in anyone's shell.
#
#   build/wasm/hub.mjs + hub.wasm   the module the browser worker loads (ES module)
#   build/wasm/fixture_test.js      the fixture tests, same C as natively, run by node
#   build/wasm/commands_test.js     every command of the API (every SQL statement), run by node
#   build/wasm/strtod_test.js       wasm/strtod.c against known values and the native strtod
#   build/wasm/replica_test.js      sync between two databases (src/replica/), same C as natively
#   build/wasm/bench.js             the benchmark, same C as natively, run by node
# No Asyncify, no pthreads, no SharedArrayBuffer.

EMCC      := NODE_PATH=/usr/share/nodejs emcc
NODE_WASM := node --no-experimental-fetch --stack-size=4000
W         := $(B)/wasm

# SQLite in the module: single-threaded (no pthreads), the native options, no WAL, statements the core never runs, and
# planner shortcuts no query of the core can use (same results without them). The
# amalgamation's parser still has the omitted statements' syntax, so wasm/sqlite3_wasm.c
# makes each refuse with an SQL error. OMITs that the amalgamation would turn into silent
# no-ops or wrong code (CHECK and AUTOINCREMENT ignored; CAST, x'..' blobs and UNION
# miscompiled) are not used, nor those that cost speed (LOOKASIDE, AUTOMATIC_INDEX ...), nor
# VACUUM and the ATTACH it is built on: the console's "delete everything" needs it to leave no
# old text in free pages.
# tests/commands_test.c runs every command of the API in this build and fails on SQL errors.
WASM_SQLITE_OPTS := $(filter-out -DSQLITE_THREADSAFE=%,$(SQLITE_OPTS)) -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE \
                    -DSQLITE_OMIT_ANALYZE -DSQLITE_OMIT_REINDEX -DSQLITE_OMIT_VIEW \
                    -DSQLITE_OMIT_GENERATED_COLUMNS \
                    -DSQLITE_OMIT_LIKE_OPTIMIZATION -DSQLITE_OMIT_BETWEEN_OPTIMIZATION \
                    -DSQLITE_OMIT_TRUNCATE_OPTIMIZATION -DSQLITE_OMIT_BTREECOUNT
# Wasm features past the MVP that shrink the code (Chromium 75+, Firefox 64+, Safari 15+,
# node 12.5+): sign-extension ops and non-trapping float-to-int conversions.
WASM_ISA    := -msign-ext -mnontrapping-fptoint
WASM_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(INCS) $(CJSON_OPTS) $(WASM_SQLITE_OPTS) $(WASM_ISA) -MMD -MP
# wasm/strtod.c, wasm/printf.c and wasm/scanf.c (with wasm/number_lib.js) replace the C
# library's strtod, snprintf/vsnprintf/sprintf and sscanf in every wasm program, so musl's
# printf and scanf and the long-double arithmetic under them are not in the module.
WASM_LDFLAGS := -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB -sMALLOC=emmalloc -lm \
                $(WASM_ISA) --js-library wasm/number_lib.js
# Run again on the linked module: binaryen's size passes until nothing changes.
WASM_OPT := wasm-opt -Oz --converge --enable-sign-ext --enable-nontrapping-float-to-int

# The core without the commands only native programs send (src/api/server_commands.c):
# wasm/browser_commands.c answers the core's hub__build_commands hook with none.
WASM_CORE_OBJ := $(call obj,$(W),$(filter-out $(NATIVE_ONLY_SRC),$(CORE_SRC)) $(filter-out $(SQLITE_DIR)/sqlite3.c,$(TP_SRC)) \
                   wasm/sqlite3_wasm.c wasm/strtod.c wasm/printf.c wasm/scanf.c wasm/browser_commands.c)

wasm: deps $(W)/hub.mjs $(W)/fixture_test.js $(W)/tangled_test.js $(W)/gfi_test.js $(W)/activity_test.js $(W)/commands_test.js \
      $(W)/strtod_test.js $(W)/replica_test.js $(W)/bench.js $(W)/bench_bandit.js

$(W)/tp/%.o: $(TP)/%.c Makefile emscripten.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  EMCC $<")
	$(Q)$(EMCC) -std=c11 -Oz $(INCS) $(CJSON_OPTS) $(WASM_SQLITE_OPTS) $(WASM_ISA) -c $< -o $@
# The amalgamation with the stubs for what WASM_SQLITE_OPTS omits (third-party code: no WARN).
$(W)/wasm/sqlite3_wasm.o: wasm/sqlite3_wasm.c $(SQLITE_DIR)/sqlite3.c Makefile emscripten.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  EMCC $<")
	$(Q)$(EMCC) -std=c11 -Oz $(INCS) $(WASM_SQLITE_OPTS) $(WASM_ISA) -c $< -o $@
$(W)/%.o: %.c Makefile emscripten.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  EMCC $<")
	$(Q)$(EMCC) $(WASM_CFLAGS) -Oz $(WARN) -c $< -o $@

# The browser module: only the exports listed in wasm/exports.txt.
HUB_MJS_FLAGS = -Oz $(WASM_LDFLAGS) --js-library wasm/opfs_lib.js \
	  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createHub -sENVIRONMENT=web,worker \
	  -sEXPORTED_FUNCTIONS=$$(paste -sd, wasm/exports.txt) \
	  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8,FS
$(W)/hub.mjs: $(WASM_CORE_OBJ) $(W)/wasm/hub_wasm.o $(W)/wasm/vfs_opfs.o wasm/exports.txt wasm/opfs_lib.js \
             wasm/number_lib.js
	$(Q)$(EMCC) $(filter %.o,$^) -o $@ $(HUB_MJS_FLAGS)
	$(Q)$(WASM_OPT) $(W)/hub.wasm -o $(W)/hub.wasm
# The same link and pass with the function names kept, for tests/wasm_size.sh (make bench).
$(W)/size/hub.wasm: $(W)/hub.mjs
	@mkdir -p $(dir $@)
	$(Q)$(EMCC) $(filter %.o,$(WASM_CORE_OBJ) $(W)/wasm/hub_wasm.o $(W)/wasm/vfs_opfs.o) -o $(W)/size/hub.mjs \
	  $(HUB_MJS_FLAGS) --profiling-funcs
	$(Q)$(WASM_OPT) -g $@ -o $@
	@# the objects of this link, so tests/wasm_size.sh attributes nothing to stale ones
	@printf '%s\n' $(filter %.o,$(WASM_CORE_OBJ) $(W)/wasm/hub_wasm.o $(W)/wasm/vfs_opfs.o) > $(W)/size/objects.txt

# Test and bench programs read tests/exchanges straight from disk (NODERAWFS). The benchmarks'
# CPU time comes from node (tests/bench_clock.js): the process clock does not work here.
$(W)/tests/bench.o $(W)/tests/bench_bandit.o: WASM_CFLAGS += -DHUB_BENCH_NODE_CPU
$(W)/fixture_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/fixture_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/tangled_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/tangled_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
# The good-first-issue test imports repository lists (gfi_repos, a server command): it links
# the server's command set in place of the browser's.
WASM_SERVER_OBJ := $(filter-out %/browser_commands.o,$(WASM_CORE_OBJ)) $(call obj,$(W),src/api/server_commands.c)
$(W)/gfi_test.js: $(WASM_SERVER_OBJ) $(call obj,$(W),tests/gfi_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/activity_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/activity_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/commands_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/commands_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/strtod_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/strtod_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/replica_test.js: $(WASM_SERVER_OBJ) $(call obj,$(W),tests/replica_test.c tests/testutil.c tests/replay.c) wasm/number_lib.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/bench.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/bench.c tests/testutil.c tests/replay.c) wasm/number_lib.js tests/bench_clock.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) --js-library tests/bench_clock.js -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/bench_bandit.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/bench_bandit.c tests/testutil.c tests/replay.c) wasm/number_lib.js tests/bench_clock.js
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) --js-library tests/bench_clock.js -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $(filter %.o,$^) -o $@
$(W)/hub.wasm: $(W)/hub.mjs ;
