# hub — top-level Makefile.
#
# Targets:
#   make            deps + native core, the `hub` CLI, the test tools and the wasm module
#   make run        build, start hubd on 127.0.0.1 with the fake upstream replaying the demo; print the URL
#   make run-cluster  many users: a throwaway PostgreSQL + three hubd nodes on 127.0.0.1; print their URLs
#   make test       build and run every test: unit + fixture tests natively under ASan+UBSan,
#                   the same fixture tests in wasm under node, an end-to-end `hub sync`
#   make bench      benchmarks (not part of the tests): ingest, ranking, module size, hubd vs nginx,
#                   many users on PostgreSQL (jobs drained by 1-3 nodes, /users/{u}/data p99)
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
# cJSON and md4c come from Debian source packages (files listed in DEB_SRC, each sha256-pinned).
# cJSON: Debian's `cjson` 1.7.15-1+deb12u4 (bookworm) — upstream 1.7.15 plus Debian's security
# patch series (CVE-2023-50471/50472, CVE-2024-31755, CVE-2023-26819, CVE-2023-53154: parse_object
# read one byte past an unterminated buffer, CVE-2025-57052), unpacked with dpkg-source -x.
CJSON_VERSION     := 1.7.15
CJSON_DEBIAN      := 1.7.15-1+deb12u4
CJSON_SHA256      := 5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
CJSON_DSC_SHA256  := 764c2de141d680f4fb4cada30c526dacaa30ead061b9b9c34f2b81e2df0f8439
CJSON_DEB_SHA256  := afd19a970966cf534ff1e9ec077d710a5e7e78eb4ec9b499c8bdc32e55da12cb
# md4c (markdown → a safe AST, raw HTML off): upstream 0.5.3, the orig tarball of Debian
# unstable's `md4c` 0.5.3-1. Bookworm's 0.4.8 (no Debian patches) reads one byte past
# unterminated input (md4c.c:5687 and :2321); 0.5.2 fixed both, 0.5.3 also two quadratic-time
# inputs (#236, #238). Debian's packaging files for 0.5.3 are not served to this build, and
# carry no parser patch we need: the upstream release is used as is.
MD4C_VERSION      := 0.5.3
MD4C_DEBIAN       := 0.5.3-1
MD4C_SUITE        := sid
MD4C_SHA256       := bc2e3bf85e5e6235ee5246778d608048e0a572d9d84538e5ef9e7d4b59a28ad6
# GitHub Linguist's language list for the activity heatmap: languages.yml and popular.yml from
# the orig tarball of Debian's ruby-github-linguist 7.22.1-1 (bookworm), data only; the build
# generates build/gen/linguist_table.h from them with src/server/linguist_gen.c (libyaml).
LINGUIST_VERSION  := 7.22.1
LINGUIST_DEBIAN   := 7.22.1-1
LINGUIST_SHA256   := 72eb288163ca65c462b8a8bec8beafcf730f36b2bc4b7f6a2b49c7ae29a69497
# package:debian-version:file:sha256 — what `make deps` fetches from Debian's source archive.
DEB_SRC := cjson:$(CJSON_DEBIAN):cjson_$(CJSON_DEBIAN).dsc:$(CJSON_DSC_SHA256) \
           cjson:$(CJSON_DEBIAN):cjson_$(CJSON_VERSION).orig.tar.gz:$(CJSON_SHA256) \
           cjson:$(CJSON_DEBIAN):cjson_$(CJSON_DEBIAN).debian.tar.xz:$(CJSON_DEB_SHA256) \
           md4c:$(MD4C_DEBIAN):md4c_$(MD4C_VERSION).orig.tar.gz:$(MD4C_SHA256) \
           ruby-github-linguist:$(LINGUIST_DEBIAN):ruby-github-linguist_$(LINGUIST_VERSION).orig.tar.gz:$(LINGUIST_SHA256)

# Debian packages, each as `probe:package`; the probe is a command on PATH or a header file.
DEB_PACKAGES := cc:build-essential emcc:emscripten curl-config:libcurl4-openssl-dev \
                /usr/include/microhttpd.h:libmicrohttpd-dev node:nodejs npm:npm \
                /usr/bin/chromium:chromium /usr/include/yaml.h:libyaml-dev dpkg-source:dpkg-dev \
                wasm-opt:binaryen brotli:brotli /usr/include/openssl/evp.h:libssl-dev \
                /usr/include/sodium.h:libsodium-dev sqlite3:sqlite3 wrk:wrk /usr/sbin/nginx:nginx-light \
                clang:clang llvm-symbolizer:llvm \
                /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev \
                /usr/include/postgresql/libpq-fe.h:libpq-dev pg_virtualenv:postgresql

SQLITE_DIR := $(TP)/sqlite
CJSON_DIR  := $(TP)/cjson
MD4C_DIR   := $(TP)/md4c
LINGUIST_DIR := $(TP)/linguist
GEN        := $(B)/gen
DEPS_STAMP := $(TP)/.deps-$(shell echo $(SQLITE_SHA256) $(DEB_SRC) '$(DEB_PACKAGES)' | sha256sum | cut -c1-16)-$(PLAYWRIGHT_CORE)

# ---- flags ----------------------------------------------------------------------------------
CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wpointer-arith -Wcast-qual \
            -Wmissing-prototypes -Wconversion -Wno-sign-conversion -Werror
SQLITE_OPTS := -DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_DEPRECATED \
            -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
            -DSQLITE_EXTRA_INIT=hub__sqlfuncs_init -DSQLITE_OMIT_TCL_VARIABLE \
            -DSQLITE_OMIT_AUTHORIZATION -DSQLITE_OMIT_COMPLETE -DSQLITE_OMIT_GET_TABLE \
            -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_THREADSAFE=2 -DSQLITE_MAX_EXPR_DEPTH=256 \
            -DSQLITE_OMIT_JSON -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_TRACE -DSQLITE_OMIT_DECLTYPE \
            -DSQLITE_OMIT_INTROSPECTION_PRAGMAS -DSQLITE_OMIT_COMPILEOPTION_DIAGS \
            -DSQLITE_OMIT_DESERIALIZE -DSQLITE_OMIT_INCRBLOB -DSQLITE_UNTESTABLE \
            -DSQLITE_OMIT_DATETIME_FUNCS -DSQLITE_OMIT_HEX_INTEGER -DSQLITE_OMIT_SCHEMA_PRAGMAS \
            -DSQLITE_OMIT_CASE_SENSITIVE_LIKE_PRAGMA -DSQLITE_OMIT_AUTORESET \
            -DSQLITE_OMIT_SHUTDOWN_DIRECTORIES -DSQLITE_OMIT_XFER_OPT \
            -DSQLITE_OMIT_AUTOVACUUM -DSQLITE_OMIT_EXPLAIN
# The progress handler stays in (no SQLITE_OMIT_PROGRESS_CALLBACK): the console's read-only SQL
# caps a query's work with it (db/rosql.c); it costs the wasm module 778 bytes (221 brotli).
# Native SQLite is multi-threaded (THREADSAFE=2: each connection used by one thread at a time)
# for hubd's writer thread and reader handles; emscripten.mk builds the wasm one with 0.
# (no SQLITE_ENABLE_MATH_FUNCTIONS: src/db/sqlfuncs.c registers the ln and exp the SQL uses,
# through SQLITE_EXTRA_INIT, in both builds)
CJSON_OPTS  := -DCJSON_NESTING_LIMIT=64
INCS     := -Isrc -I$(SQLITE_DIR) -I$(CJSON_DIR) -I$(MD4C_DIR) -I$(GEN) -I/usr/include/postgresql
CFLAGS_COMMON := -std=c11 -D_POSIX_C_SOURCE=200809L $(INCS) $(CJSON_OPTS) $(SQLITE_OPTS) -MMD -MP

NATIVE_CFLAGS := -O2 -g
# The test build uses clang: gcc's -fsanitize=undefined has no float-cast-overflow (issue 9).
ASAN_CC       := clang
ASAN_CFLAGS   := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
                 -fno-sanitize-recover=all

CORE_SRC := $(filter-out src/server/%,$(wildcard src/*/*.c))
# core modules that only native builds link (the browser module has wasm/browser_commands.c)
NATIVE_ONLY_SRC := src/api/server_commands.c
CLI_SRC  := src/server/hub_cli.c src/server/transport_curl.c src/server/upforgrabs.c
HUBD_SRC := src/server/hubd.c src/server/http.c src/server/static.c src/server/routes.c \
            src/server/writer.c src/server/readers.c src/server/secrets.c src/server/hubd_config.c \
            src/server/hubd_log.c src/server/sched.c src/server/transport_curl.c src/server/llm.c src/server/llm_curl.c \
            src/server/brief_llm.c src/server/push.c src/server/webpush.c \
            src/server/pg.c src/server/pgstore.c src/server/cluster.c src/server/users.c src/server/foryou.c \
            src/server/gallery.c src/server/userapi.c
HUBD_LIBS := -lmicrohttpd -lcurl -lsodium -lcrypto -lpq -lpthread -lm
TP_SRC   := $(SQLITE_DIR)/sqlite3.c $(CJSON_DIR)/cJSON.c $(MD4C_DIR)/md4c.c
TEST_SRC := tests/unit_test.c tests/fixture_test.c tests/replay.c tests/testutil.c

MAKEFLAGS += --jobs=$(shell nproc 2>/dev/null || echo 2)
export NODE_PATH := /usr/share/nodejs

# `make V=1` shows the full compiler command lines.
Q := $(if $(V),,@)

.PHONY: all deps native wasm web run run-cluster test test-native test-wasm test-e2e bench clean distclean
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
	@# cJSON and md4c: files of Debian source packages. A private apt state under build/ has the
	@# deb-src lists of this machine's own apt sources (deb -> deb-src) plus Debian's $(MD4C_SUITE);
	@# apt tells each file's URI, the sha256 pinned above decides whether it is the right one.
	@A=$(CURDIR)/$(DL)/apt; O="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$$A/parts -o Dir::State::Lists=$$A/lists"; \
	for e in $(DEB_SRC); do \
	  pkg=$${e%%:*}; r=$${e#*:}; ver=$${r%%:*}; r=$${r#*:}; f=$${r%%:*}; sha=$${r#*:}; \
	  if [ ! -f $(DL)/$$f ]; then \
	    if [ ! -f $$A/parts/extra-$(MD4C_SUITE).sources ] && [ ! -f $$A/parts/extra-$(MD4C_SUITE).list ]; then \
	      rm -rf $$A && mkdir -p $$A/parts $$A/lists/partial; \
	      for s in /etc/apt/sources.list.d/*.sources; do [ -f "$$s" ] || continue; \
	        sed 's/^Types:.*/Types: deb-src/' "$$s" > $$A/parts/$$(basename $$s); \
	        awk -v RS= -v ORS='\n\n' '/\nURIs:[ \t]*[^ \t\n]*\/debian\/?([ \t\n]|$$)/ { sub(/Types:[^\n]*/, "Types: deb-src"); \
	          sub(/Suites:[^\n]*/, "Suites: $(MD4C_SUITE)"); print }' "$$s" >> $$A/parts/extra-$(MD4C_SUITE).sources; \
	      done; \
	      if [ -f /etc/apt/sources.list ]; then \
	        grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > $$A/parts/main.list; \
	        grep -E '^deb +(\[[^]]*\] +)?[^ ]*/debian/? ' /etc/apt/sources.list | head -n 1 | \
	          sed -E 's/^deb /deb-src /; s#(/debian/? +)[^ ]+#\1$(MD4C_SUITE)#' > $$A/parts/extra-$(MD4C_SUITE).list; \
	      fi; \
	      apt-get $$O update -qq >/dev/null 2>&1; \
	    fi; \
	    echo "deps: fetching $$f (Debian source package $$pkg $$ver)"; \
	    uri=$$(cd $$A && apt-get $$O source --print-uris -qq "$$pkg=$$ver" 2>/dev/null | grep " $$f " | cut -d"'" -f2); \
	    [ -n "$$uri" ] && curl -fsSL -o $(DL)/$$f.part "$$uri" && mv $(DL)/$$f.part $(DL)/$$f; \
	    [ -f $(DL)/$$f ] || { rm -f $(DL)/$$f.part; echo "deps: cannot fetch $$f" >&2; exit 1; }; \
	  fi; \
	  echo "$$sha  $(DL)/$$f" | sha256sum -c --quiet - || { echo "deps: $$f does not match its pinned sha256" >&2; exit 1; }; \
	done
	@# cJSON the way Debian builds it: dpkg-source -x applies debian/patches/series in order.
	@rm -rf $(CJSON_DIR) $(MD4C_DIR) $(LINGUIST_DIR) $(TP)/src && mkdir -p $(CJSON_DIR) $(MD4C_DIR) $(LINGUIST_DIR) $(TP)/src
	@dpkg-source -x $(DL)/cjson_$(CJSON_DEBIAN).dsc $(TP)/src/cjson > $(TP)/src/cjson.log 2>&1 \
	  || { cat $(TP)/src/cjson.log >&2; echo "deps: dpkg-source -x cjson failed" >&2; exit 1; }
	@applied=$$(sed -n 's/^dpkg-source: info: applying //p' $(TP)/src/cjson.log | paste -sd, | sed 's/,/, /g'); \
	  series=$$(grep -cvE '^[[:space:]]*(#|$$)' $(TP)/src/cjson/debian/patches/series); \
	  [ "$$(echo "$$applied" | tr ',' '\n' | grep -c .)" = "$$series" ] \
	    || { echo "deps: cjson: applied [$$applied], the series has $$series patches" >&2; exit 1; }; \
	  echo "deps: cjson $(CJSON_DEBIAN): applied $$applied"
	@cp $(TP)/src/cjson/cJSON.c $(TP)/src/cjson/cJSON.h $(CJSON_DIR)/
	@tar -xzf $(DL)/md4c_$(MD4C_VERSION).orig.tar.gz -C $(MD4C_DIR) --strip-components=2 --wildcards \
	  '*/src/md4c.c' '*/src/md4c.h'
	@echo "deps: md4c $(MD4C_VERSION): upstream release, no patches"
	@tar -xzf $(DL)/ruby-github-linguist_$(LINGUIST_VERSION).orig.tar.gz -C $(LINGUIST_DIR) --strip-components=3 \
	  github-linguist-$(LINGUIST_VERSION)/lib/linguist/languages.yml github-linguist-$(LINGUIST_VERSION)/lib/linguist/popular.yml
	@rm -rf $(TP)/src
	@if [ ! -f $(B)/npm/node_modules/playwright-core/package.json ]; then \
	  echo "deps: installing $(PLAYWRIGHT_CORE) (npm)"; mkdir -p $(B)/npm; \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix $(B)/npm --no-audit --no-fund --silent $(PLAYWRIGHT_CORE) >/dev/null \
	    || { echo "deps: npm install $(PLAYWRIGHT_CORE) failed" >&2; exit 1; }; \
	fi
	@touch $@
	@echo "deps: ok (SQLite $(SQLITE_TARBALL), cJSON $(CJSON_DEBIAN), md4c $(MD4C_VERSION))"

# The third-party sources come out of the deps step.
$(TP_SRC): $(DEPS_STAMP) ;

# ---- native builds --------------------------------------------------------------------------
# obj(dir, sources): object paths for one variant.
obj = $(patsubst %.c,$(1)/%.o,$(subst $(TP)/,tp/,$(2)))

NATIVE_OBJ := $(call obj,$(B)/native,$(CORE_SRC) $(TP_SRC))
ASAN_OBJ   := $(call obj,$(B)/asan,$(CORE_SRC) $(TP_SRC))

native: deps $(B)/hub $(B)/hubd $(B)/hub-serve $(B)/fake_upstream $(B)/bench $(B)/bench_bandit

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
$(B)/hubd: $(NATIVE_OBJ) $(call obj,$(B)/native,$(HUBD_SRC))
	$(Q)$(CC) -o $@ $^ $(HUBD_LIBS)
$(B)/asan/hubd: $(ASAN_OBJ) $(call obj,$(B)/asan,$(HUBD_SRC))
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ $(HUBD_LIBS)
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
# the activity heatmap: its source over recorded exchanges, the command, the language table
$(B)/asan/activity_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/activity_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/ufg_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/ufg_test.c src/server/upforgrabs.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lyaml -lm
$(B)/asan/bandit_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/bandit_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
# the insight console's core: read-only SQL, bootstrap intervals, events, export/import
$(B)/asan/console_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/console_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
# scheduled jobs (src/sync/jobs.c) on a simulated clock, and the core fixes that came with them
$(B)/asan/jobs_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/jobs_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lpthread -lm
# the search language (src/api/query.c) on its own and against SQLite
$(B)/asan/query_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/query_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
# triage, its commands, the query in cards and the outbox to GitHub (src/triage/, api/inbox.c)
$(B)/asan/triage_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/triage_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
# sync between databases (src/replica/): the change feed, its import, the conflict rule, the hubd source
$(B)/asan/replica_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/replica_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/fake_llm: $(call obj,$(B)/native,tests/fake_llm.c $(CJSON_DIR)/cJSON.c)
	$(Q)$(CC) -o $@ $^ -lmicrohttpd -lpthread
$(B)/asan/llm_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/llm_test.c tests/fake_server.c src/server/llm.c src/server/llm_curl.c src/server/transport_curl.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lcurl -lm
# The briefing and the AI queue: the core's side alone, then hubd's driver against the fake LLM.
$(B)/asan/brief_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/brief_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/brief_llm_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/brief_llm_test.c tests/fake_server.c src/server/brief_llm.c src/server/llm.c src/server/llm_curl.c src/server/transport_curl.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lcurl -lm
# Web Push sending (src/server/webpush.c, OpenSSL) and its push-service double.
$(B)/asan/webpush_test: $(call obj,$(B)/asan,tests/webpush_test.c src/server/webpush.c $(CJSON_DIR)/cJSON.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lcurl -lcrypto
# Web Push in the core (src/notify/): the decision on a simulated clock, subscriptions, outcomes
$(B)/asan/push_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/push_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/fake_push: $(call obj,$(B)/native,tests/fake_push.c $(CJSON_DIR)/cJSON.c)
	$(Q)$(CC) -o $@ $^ -lmicrohttpd -lcrypto -lpthread
$(B)/asan/commands_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/commands_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/strtod_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/strtod_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
$(B)/asan/deps_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/deps_test.c tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ -lm
# many users (src/server/users.c and friends) without PostgreSQL; tests/cluster_test.sh has the rest
$(B)/asan/users_test: $(ASAN_OBJ) $(call obj,$(B)/asan,tests/users_test.c $(filter-out src/server/hubd.c,$(HUBD_SRC)) tests/testutil.c tests/replay.c)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $^ $(HUBD_LIBS)
$(B)/bench: $(NATIVE_OBJ) $(call obj,$(B)/native,tests/bench.c tests/testutil.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lm
$(B)/bench_bandit: $(NATIVE_OBJ) $(call obj,$(B)/native,tests/bench_bandit.c tests/testutil.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lm

# The activity heatmap's language table, generated from the pinned Linguist data (a native
# build tool; the core compiles the table in and never reads YAML).
$(B)/linguist_gen: src/server/linguist_gen.c src/sources/activity_ext.def Makefile | deps
	$(Q)$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Isrc -O2 $(WARN) $< -o $@ -lyaml
$(GEN)/linguist_table.h: $(B)/linguist_gen $(DEPS_STAMP)
	@mkdir -p $(GEN)
	$(Q)$(B)/linguist_gen $(LINGUIST_DIR)/languages.yml $(LINGUIST_DIR)/popular.yml $(LINGUIST_VERSION) > $@.tmp && mv $@.tmp $@

include emscripten.mk
include tests/fuzz/fuzz.mk

$(call obj,$(B)/native,src/sources/activity_lang.c) $(call obj,$(B)/asan,src/sources/activity_lang.c) \
  $(call obj,$(W),src/sources/activity_lang.c) $(call obj,$(FZ)/obj,src/sources/activity_lang.c): $(GEN)/linguist_table.h

# ---- the static web app ---------------------------------------------------------------------
# web/ plus the wasm module, with __HUB_VERSION__ replaced by a hash of everything shipped
# (the service worker's cache name, so a new build shows "reload to update").
# The main page's app.js is shipped bundled with every module it imports (web/index.html says
# why) by esbuild, pinned, installed from the npm registry into build/npm.
WEB_SRC := $(shell find web -type f 2>/dev/null)
ESBUILD_PKG := esbuild@0.28.2
ESBUILD := $(B)/npm/node_modules/esbuild/bin/esbuild
$(B)/npm/.$(ESBUILD_PKG):
	@echo "deps: installing $(ESBUILD_PKG) (npm)"; mkdir -p $(B)/npm
	@npm install --prefix $(B)/npm --no-audit --no-fund --silent $(ESBUILD_PKG) >/dev/null \
	  || { echo "deps: npm install $(ESBUILD_PKG) failed" >&2; exit 1; }
	@touch $@
web: $(B)/web/.stamp
$(B)/web/.stamp: $(WEB_SRC) $(W)/hub.mjs $(W)/hub.wasm $(B)/npm/.$(ESBUILD_PKG)
	@rm -rf $(B)/web && mkdir -p $(B)/web
	@cp -r web/. $(B)/web/ && cp $(W)/hub.mjs $(W)/hub.wasm $(B)/web/
	@$(ESBUILD) web/app.js --bundle --format=esm --log-level=warning --outfile=$(B)/web/app.js
	@v=$$(cat $(WEB_SRC) $(W)/hub.mjs $(W)/hub.wasm | sha256sum | cut -c1-12); \
	  find $(B)/web -name '*.js' -exec sed -i "s/__HUB_VERSION__/$$v/g" {} +; \
	  echo "  WEB build/web (version $$v)"
	@# precompressed copies of the module, which hubd serves to browsers that accept them
	@gzip -9 -n -k $(B)/web/hub.wasm $(B)/web/hub.mjs && brotli -q 11 -k $(B)/web/hub.wasm $(B)/web/hub.mjs
	@touch $@

# ---- run / test / bench ---------------------------------------------------------------------
run: native web
	@sh tests/run_demo.sh

run-cluster: native web
	@sh tests/run_cluster.sh

# Everything the tests run (one per line, so additions merge cleanly).
TEST_BINS := \
  $(B)/asan/jobs_test \
  $(B)/asan/triage_test \
  $(B)/asan/replica_test \
  $(B)/asan/unit_test \
  $(B)/asan/fixture_test \
  $(B)/asan/bandit_test \
  $(B)/asan/tangled_test \
  $(B)/asan/gfi_test \
  $(B)/asan/activity_test \
  $(B)/asan/ufg_test \
  $(B)/asan/query_test \
  $(B)/asan/console_test \
  $(B)/asan/hub \
  $(B)/asan/llm_test \
  $(B)/fake_llm \
  $(B)/asan/brief_test \
  $(B)/asan/brief_llm_test \
  $(B)/asan/webpush_test \
  $(B)/fake_push \
  $(B)/asan/push_test \
  $(B)/asan/hubd \
  $(B)/asan/users_test \
  $(B)/asan/deps_test \
  $(B)/asan/commands_test \
  $(B)/asan/strtod_test

test: native wasm web $(TEST_BINS) fuzz-replay
	@sh tests/run_tests.sh

bench: native wasm web $(W)/size/hub.wasm
	@sh tests/run_bench.sh

clean:
	rm -rf $(B)/native $(B)/asan $(B)/wasm $(B)/hub $(B)/fake_upstream $(B)/fake_push $(B)/bench $(B)/out
	rm -rf $(B)/native $(B)/asan $(B)/wasm $(B)/hub $(B)/hubd $(B)/fake_upstream $(B)/bench $(B)/out
distclean:
	rm -rf $(B)

-include $(shell find $(B)/native $(B)/asan $(B)/wasm -name '*.d' 2>/dev/null)
