# emscripten.mk — the wasm build of hub's core (included by the Makefile).
#
# Uses Debian's emscripten (3.1.6). Its emcc needs NODE_PATH=/usr/share/nodejs with this
# machine's node, and wasm run under node needs --no-experimental-fetch (node's own fetch
# otherwise shadows the loader's file reading): both are set here, not in anyone's shell.
#
#   build/wasm/hub.mjs + hub.wasm   the module the browser worker loads (ES module)
#   build/wasm/fixture_test.js      the fixture tests, same C as natively, run by node
#   build/wasm/bench.js             the benchmark, same C as natively, run by node
# No Asyncify, no pthreads, no SharedArrayBuffer.

EMCC      := NODE_PATH=/usr/share/nodejs emcc
NODE_WASM := node --no-experimental-fetch --stack-size=4000
W         := $(B)/wasm

# Single-threaded SQLite in wasm (no pthreads), whatever the native build uses.
WASM_SQLITE_OPTS := $(filter-out -DSQLITE_THREADSAFE=%,$(SQLITE_OPTS)) -DSQLITE_THREADSAFE=0 \
                    -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE
WASM_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(INCS) $(CJSON_OPTS) $(WASM_SQLITE_OPTS) -MMD -MP
WASM_LDFLAGS := -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB -sMALLOC=emmalloc -lm

WASM_CORE_OBJ := $(call obj,$(W),$(CORE_SRC) $(TP_SRC))

wasm: deps $(W)/hub.mjs $(W)/fixture_test.js $(W)/tangled_test.js $(W)/gfi_test.js $(W)/bench.js $(W)/bench_bandit.js

$(W)/tp/%.o: $(TP)/%.c Makefile emscripten.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  EMCC $<")
	$(Q)$(EMCC) -std=c11 -Oz $(INCS) $(CJSON_OPTS) $(WASM_SQLITE_OPTS) -c $< -o $@
$(W)/%.o: %.c Makefile emscripten.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  EMCC $<")
	$(Q)$(EMCC) $(WASM_CFLAGS) -Oz $(WARN) -c $< -o $@

# The browser module: only the exports listed in wasm/exports.txt.
$(W)/hub.mjs: $(WASM_CORE_OBJ) $(W)/wasm/hub_wasm.o $(W)/wasm/vfs_opfs.o wasm/exports.txt wasm/opfs_lib.js
	$(Q)$(EMCC) -Oz $(WASM_LDFLAGS) $(filter %.o,$^) -o $@ --js-library wasm/opfs_lib.js \
	  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createHub -sENVIRONMENT=web,worker \
	  -sEXPORTED_FUNCTIONS=$$(paste -sd, wasm/exports.txt) \
	  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8,FS

# Test and bench programs read tests/exchanges straight from disk (NODERAWFS).
$(W)/fixture_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/fixture_test.c tests/testutil.c tests/replay.c)
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $^ -o $@
$(W)/tangled_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/tangled_test.c tests/testutil.c tests/replay.c)
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $^ -o $@
$(W)/gfi_test.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/gfi_test.c tests/testutil.c tests/replay.c)
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $^ -o $@
$(W)/bench.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/bench.c tests/testutil.c tests/replay.c)
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $^ -o $@
$(W)/bench_bandit.js: $(WASM_CORE_OBJ) $(call obj,$(W),tests/bench_bandit.c tests/testutil.c tests/replay.c)
	$(Q)$(EMCC) -O2 $(WASM_LDFLAGS) -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node $^ -o $@
$(W)/hub.wasm: $(W)/hub.mjs ;
