# hub — top-level Makefile.
#
# Targets:
#   make            deps + native core, the `hub` CLI, the test tools and the wasm module
#   make run        build, start the fake upstream with the recorded demo data, sync, print cards
#   make test       build and run every test: unit + fixture tests natively under ASan+UBSan,
#                   the same fixture tests in wasm under node, an end-to-end `hub sync`
#   make bench      benchmarks (not part of the tests): ingest, ranking, module size
#   make fuzz       libFuzzer targets (clang) with seed corpora, each run FUZZ_SECONDS (tests/fuzz/fuzz.mk)
#   make web        the self-contained static app in build/web (copy it to any static host)
#   make deps       install missing Debian packages; fetch pinned third-party sources (sha256-checked)
#   make clean      remove build/ (keeps downloaded sources in build/dl)
#
# Native objects go to build/native (release) and build/asan (test build); wasm objects
# to build/wasm (see emscripten.mk). Third-party sources live in build/third_party, never in git.

B      := build
TP     := $(B)/third_party
DL     := $(B)/dl

# ---- pinned third-party sources -------------------------------------------------------------
# SQLite: the official sqlite-autoconf amalgamation carried inside the npm package sqlite3@6.0.1.
SQLITE_NPM        := sqlite3@6.0.1
SQLITE_NPM_SHA256 := ab8d044a93e05bd031d7ea75547c7fa60387cdc259d27f93c0e3e2832c4b1df9
SQLITE_TARBALL    := sqlite-autoconf-3520000
SQLITE_SHA256     := f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f
# playwright-core drives Debian's Chromium in the browser tests (never a downloaded browser).
PLAYWRIGHT_CORE   := playwright-core@1.65.1
# cJSON: the upstream orig tarball of Debian's `cjson` source package.
CJSON_VERSION     := 1.7.15
CJSON_SHA256      := 5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
# md4c (markdown → a safe AST, raw HTML off): the orig tarball of Debian's `md4c` source package.
MD4C_VERSION      := 0.4.8
MD4C_SHA256       := 4a457df853425b6bb6e3457aa1d1a13bccec587a04c38c622b1013a0da41439f

# Debian packages, each as `probe:package`; the probe is a command on PATH or a header file.
DEB_PACKAGES := cc:build-essential emcc:emscripten curl-config:libcurl4-openssl-dev \
                /usr/include/microhttpd.h:libmicrohttpd-dev node:nodejs npm:npm \
                /usr/bin/chromium:chromium /usr/include/yaml.h:libyaml-dev clang:clang llvm-symbolizer:llvm \
                /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev

SQLITE_DIR := $(TP)/sqlite
CJSON_DIR  := $(TP)/cjson
MD4C_DIR   := $(TP)/md4c
DEPS_STAMP := $(TP)/.deps-$(SQLITE_SHA256)-$(CJSON_SHA256)-$(MD4C_SHA256)-$(PLAYWRIGHT_CORE)

# ---- flags ----------------------------------------------------------------------------------
CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wpointer-arith -Wcast-qual \
            -Wmissing-prototypes -Wconversion -Wno-sign-conversion -Werror
SQLITE_OPTS := -DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_DEPRECATED \
            -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
            -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_OMIT_TCL_VARIABLE \
            -DSQLITE_OMIT_AUTHORIZATION -DSQLITE_OMIT_COMPLETE -DSQLITE_OMIT_GET_TABLE \
            -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_THREADSAFE=0 -DSQLITE_MAX_EXPR_DEPTH=256 \
            -DSQLITE_OMIT_JSON -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_TRACE -DSQLITE_OMIT_DECLTYPE \
            -DSQLITE_OMIT_INTROSPECTION_PRAGMAS -DSQLITE_OMIT_COMPILEOPTION_DIAGS \
            -DSQLITE_OMIT_DESERIALIZE -DSQLITE_OMIT_INCRBLOB -DSQLITE_UNTESTABLE \
            -DSQLITE_OMIT_DATETIME_FUNCS -DSQLITE_OMIT_HEX_INTEGER -DSQLITE_OMIT_SCHEMA_PRAGMAS \
            -DSQLITE_OMIT_CASE_SENSITIVE_LIKE_PRAGMA -DSQLITE_OMIT_AUTORESET \
            -DSQLITE_OMIT_SHUTDOWN_DIRECTORIES -DSQLITE_OMIT_XFER_OPT \
            -DSQLITE_OMIT_AUTOVACUUM -DSQLITE_OMIT_EXPLAIN
CJSON_OPTS  := -DCJSON_NESTING_LIMIT=64
INCS     := -Isrc -I$(SQLITE_DIR) -I$(CJSON_DIR) -I$(MD4C_DIR)
CFLAGS_COMMON := -std=c11 -D_POSIX_C_SOURCE=200809L $(INCS) $(CJSON_OPTS) $(SQLITE_OPTS) -MMD -MP

NATIVE_CFLAGS := -O2 -g
# The test build uses clang: gcc's -fsanitize=undefined has no float-cast-overflow (issue 9).
ASAN_CC       := clang
ASAN_CFLAGS   := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
                 -fno-sanitize-recover=all

CORE_SRC := $(wildcard src/*.c)
CLI_SRC  := src/server/hub_cli.c src/server/transport_curl.c src/server/upforgrabs.c
TP_SRC   := $(SQLITE_DIR)/sqlite3.c $(CJSON_DIR)/cJSON.c $(MD4C_DIR)/md4c.c
TEST_SRC := tests/unit_test.c tests/fixture_test.c tests/replay.c tests/testutil.c

MAKEFLAGS += --jobs=$(shell nproc 2>/dev/null || echo 2)
export NODE_PATH := /usr/share/nodejs

# `make V=1` shows the full compiler command lines.
Q := $(if $(V),,@)

.PHONY: all deps native wasm web run test test-native test-wasm test-e2e bench clean distclean
all: native wasm web

# ---- deps -----------------------------------------------------------------------------------
deps: $(DEPS_STAMP)

$(DEPS_STAMP):
	@missing=""; for pp in $(DEB_PACKAGES); do \
	  probe=$${pp%%:*}; p=$${pp#*:}; \
	  case $$probe in /*) [ -e $$probe ] ;; *) command -v $$probe >/dev/null ;; esac || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing Debian packages:$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing >/dev/null; \
	fi
	@mkdir -p $(DL) $(TP)
	@# SQLite amalgamation, from the npm registry package that carries the official tarball.
	@if [ ! -f $(DL)/$(SQLITE_TARBALL).tar.gz ]; then \
	  echo "deps: fetching $(SQLITE_NPM)"; \
	  (cd $(DL) && npm pack --silent $(SQLITE_NPM) >/dev/null 2>&1) || { echo "deps: npm pack $(SQLITE_NPM) failed" >&2; exit 1; }; \
	  echo "$(SQLITE_NPM_SHA256)  $(DL)/sqlite3-6.0.1.tgz" | sha256sum -c --quiet - || exit 1; \
	  tar -xzf $(DL)/sqlite3-6.0.1.tgz -C $(DL) --strip-components=2 package/deps/$(SQLITE_TARBALL).tar.gz; \
	fi
	@echo "$(SQLITE_SHA256)  $(DL)/$(SQLITE_TARBALL).tar.gz" | sha256sum -c --quiet -
	@rm -rf $(SQLITE_DIR) && mkdir -p $(SQLITE_DIR)
	@tar -xzf $(DL)/$(SQLITE_TARBALL).tar.gz -C $(SQLITE_DIR) --strip-components=1 \
	  $(SQLITE_TARBALL)/sqlite3.c $(SQLITE_TARBALL)/sqlite3.h
	@# cJSON and md4c: orig tarballs of Debian source packages; the deb-src list is derived
	@# from this machine's own apt sources (deb -> deb-src) into a private apt state under build/.
	@for pv in cjson:$(CJSON_VERSION) md4c:$(MD4C_VERSION); do \
	  pkg=$${pv%%:*}; ver=$${pv#*:}; \
	  [ -f $(DL)/$${pkg}_$${ver}.orig.tar.gz ] && continue; \
	  echo "deps: fetching Debian source package $$pkg"; \
	  A=$(CURDIR)/$(DL)/apt; \
	  if [ ! -d $$A/lists ]; then \
	    mkdir -p $$A/parts $$A/lists/partial; \
	    for f in /etc/apt/sources.list.d/*.sources; do [ -f "$$f" ] && sed 's/^Types:.*/Types: deb-src/' "$$f" > $$A/parts/$$(basename $$f); done; \
	    if [ -f /etc/apt/sources.list ]; then grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > $$A/parts/main.list; fi; \
	    apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$$A/parts -o Dir::State::Lists=$$A/lists update -qq >/dev/null 2>&1; \
	  fi; \
	  O="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$$A/parts -o Dir::State::Lists=$$A/lists"; \
	  (cd $(DL) && apt-get $$O source --download-only -qq $$pkg >/dev/null 2>&1) || true; \
	  if [ ! -f $(DL)/$${pkg}_$${ver}.orig.tar.gz ]; then \
	    uri=$$(apt-get $$O source --print-uris -qq $$pkg 2>/dev/null | grep "$${pkg}_$${ver}.orig.tar.gz" | cut -d"'" -f2); \
	    [ -n "$$uri" ] && curl -fsSL -o $(DL)/$${pkg}_$${ver}.orig.tar.gz "$$uri"; \
	  fi; \
	  [ -f $(DL)/$${pkg}_$${ver}.orig.tar.gz ] || { echo "deps: cannot fetch the $$pkg $$ver source" >&2; exit 1; }; \
	done
	@echo "$(CJSON_SHA256)  $(DL)/cjson_$(CJSON_VERSION).orig.tar.gz" | sha256sum -c --quiet -
	@echo "$(MD4C_SHA256)  $(DL)/md4c_$(MD4C_VERSION).orig.tar.gz" | sha256sum -c --quiet -
	@rm -rf $(CJSON_DIR) $(MD4C_DIR) && mkdir -p $(CJSON_DIR) $(MD4C_DIR)
	@tar -xzf $(DL)/cjson_$(CJSON_VERSION).orig.tar.gz -C $(CJSON_DIR) --strip-components=1 \
	  cJSON-$(CJSON_VERSION)/cJSON.c cJSON-$(CJSON_VERSION)/cJSON.h
	@tar -xzf $(DL)/md4c_$(MD4C_VERSION).orig.tar.gz -C $(MD4C_DIR) --strip-components=2 \
	  md4c-release-$(MD4C_VERSION)/src/md4c.c md4c-release-$(MD4C_VERSION)/src/md4c.h
	@if [ ! -f $(B)/npm/node_modules/playwright-core/package.json ]; then \
	  echo "deps: installing $(PLAYWRIGHT_CORE) (npm)"; mkdir -p $(B)/npm; \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix $(B)/npm --no-audit --no-fund --silent $(PLAYWRIGHT_CORE) >/dev/null \
	    || { echo "deps: npm install $(PLAYWRIGHT_CORE) failed" >&2; exit 1; }; \
	fi
	@touch $@
	@echo "deps: ok (SQLite $(SQLITE_TARBALL), cJSON $(CJSON_VERSION), md4c $(MD4C_VERSION))"

# The third-party sources come out of the deps step.
$(TP_SRC): $(DEPS_STAMP) ;

# ---- native builds --------------------------------------------------------------------------
# obj(dir, sources): object paths for one variant.
obj = $(patsubst %.c,$(1)/%.o,$(subst $(TP)/,tp/,$(2)))

NATIVE_OBJ := $(call obj,$(B)/native,$(CORE_SRC) $(TP_SRC))
ASAN_OBJ   := $(call obj,$(B)/asan,$(CORE_SRC) $(TP_SRC))

native: deps $(B)/hub $(B)/hub-serve $(B)/fake_upstream $(B)/bench $(B)/bench_bandit

$(B)/native/tp/%.o: $(TP)/%.c Makefile | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC $<")
	$(Q)$(CC) -std=c11 -O2 -g $(INCS) $(CJSON_OPTS) $(SQLITE_OPTS) -c $< -o $@
$(B)/asan/tp/%.o: $(TP)/%.c Makefile | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC $<")
	$(Q)$(ASAN_CC) -std=c11 $(ASAN_CFLAGS) $(INCS) $(CJSON_OPTS) $(SQLITE_OPTS) -c $< -o $@
$(B)/native/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC $<")
	$(Q)$(CC) $(CFLAGS_COMMON) $(NATIVE_CFLAGS) $(WARN) -c $< -o $@
$(B)/asan/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC $<")
	$(Q)$(ASAN_CC) $(CFLAGS_COMMON) $(ASAN_CFLAGS) $(WARN) -c $< -o $@

$(B)/hub: $(NATIVE_OBJ) $(call obj,$(B)/native,$(CLI_SRC))
	$(Q)$(CC) -o $@ $^ -lcurl -lyaml -lm
$(B)/asan/hub: $(ASAN_OBJ) $(call obj,$(B)/asan,$(CLI_SRC))
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lcurl -lyaml -lm
$(B)/hub-serve: $(call obj,$(B)/native,src/server/serve.c)
	$(Q)$(CC) -o $@ $^ -lmicrohttpd
$(B)/fake_upstream: $(call obj,$(B)/native,tests/fake_upstream.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lmicrohttpd -lpthread
$(B)/asan/unit_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/unit_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/fixture_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/fixture_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/tangled_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/tangled_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/gfi_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/gfi_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/ufg_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/ufg_test.c src/server/upforgrabs.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lyaml -lm
$(B)/asan/bandit_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/bandit_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/bench: $(NATIVE_OBJ) $(call obj,$(B)/native,tests/bench.c tests/testutil.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lm
$(B)/bench_bandit: $(NATIVE_OBJ) $(call obj,$(B)/native,tests/bench_bandit.c tests/testutil.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lm

include emscripten.mk
include tests/fuzz/fuzz.mk

# ---- the static web app ---------------------------------------------------------------------
# web/ plus the wasm module, with __HUB_VERSION__ replaced by a hash of everything shipped
# (the service worker's cache name, so a new build shows "reload to update").
WEB_SRC := $(shell find web -type f 2>/dev/null)
web: $(B)/web/.stamp
$(B)/web/.stamp: $(WEB_SRC) $(W)/hub.mjs $(W)/hub.wasm
	@rm -rf $(B)/web && mkdir -p $(B)/web
	@cp -r web/. $(B)/web/ && cp $(W)/hub.mjs $(W)/hub.wasm $(B)/web/
	@v=$$(cat $(WEB_SRC) $(W)/hub.mjs $(W)/hub.wasm | sha256sum | cut -c1-12); \
	  find $(B)/web -name '*.js' -exec sed -i "s/__HUB_VERSION__/$$v/g" {} +; \
	  echo "  WEB build/web (version $$v)"
	@touch $@

# ---- run / test / bench ---------------------------------------------------------------------
run: native web
	@sh tests/run_demo.sh

test: native wasm web $(B)/asan/unit_test $(B)/asan/fixture_test $(B)/asan/bandit_test $(B)/asan/tangled_test $(B)/asan/gfi_test $(B)/asan/ufg_test $(B)/asan/hub fuzz-replay
	@sh tests/run_tests.sh

bench: native wasm
	@sh tests/run_bench.sh

clean:
	rm -rf $(B)/native $(B)/asan $(B)/wasm $(B)/hub $(B)/fake_upstream $(B)/bench $(B)/out
distclean:
	rm -rf $(B)

-include $(shell find $(B)/native $(B)/asan $(B)/wasm -name '*.d' 2>/dev/null)
