# tests/fuzz/fuzz.mk — fuzzing (included from the Makefile).
#
#   make fuzz                    build the libFuzzer targets and their seed corpora, run each
#                                target FUZZ_SECONDS (60) seconds, print target / execs / execs/s /
#                                corpus / crashes; crash inputs land in build/fuzz/artifacts/<target>
#   make fuzz-build              only build: build/fuzz/fuzz_<target>, build/fuzz/corpus/<target>
#   make fuzz-replay             the replay programs `make test` runs (build/asan/fuzz_<target>_replay)
#   make fuzz FUZZ_TARGETS=sync  some targets only
#
# Targets (tests/fuzz/fuzz_<name>.c; invariants in tests/fuzz/fuzz.h):
#   call      hub_call_n on arbitrary bytes (newline-separated requests, one fresh hub per input)
#   sync      sync runs of every source whose every planned request is answered from the input
#   markdown  card bodies → the whitelisted markdown tree (src/api/markdown.c included, see fuzz_core.h)
#   ufg       the up-for-grabs YAML reader (src/server/upforgrabs.c), then gfi_repos
#   obd       the Open Bandit Dataset CSV evaluator through tip_eval
#   query     the inbox search language alone, then as cards' q on a small inbox
#   llm       an LLM provider's answer through hubd's reader and the core's briefing validator
#   http      hubd's reading of a request: the static file a raw path names, ETags, routes, logins
#
# Objects: Debian's clang with ASan + UBSan (float-cast-overflow is part of clang's "undefined");
# the core, cJSON, md4c and the targets carry libFuzzer's coverage (-fsanitize=fuzzer-no-link),
# SQLite does not (its query paths would drown ours as "new coverage"). Every report is fatal
# (UBSAN_OPTIONS=halt_on_error=1) except the open issue-9 sites that tests/fuzz/open-ub.supp
# lists: for those two checks (float-cast-overflow, signed-integer-overflow) the objects are built
# recoverable so the suppression file can name them; with the file empty this is the same as
# -fno-sanitize-recover=all. Runs use fork mode (-fork=1 -ignore_crashes=1) so a target keeps
# going after a crash and the table counts them.
#
# Seeds: build/fuzz/seeds (tests/fuzz/seeds.c) writes build/fuzz/corpus/<target> from
# tests/exchanges, md4c's test examples and FUZZ_FIXTURES (the shared fixtures) at build time;
# the committed seeds in tests/fuzz/corpus/<target> are added. New inputs a run finds go to
# build/fuzz/grown/<target> and are kept between runs (`rm -rf build/fuzz/grown` to start over).

FZ            := $(B)/fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_TARGETS  ?= call sync markdown ufg obd query llm http
FUZZ_FIXTURES ?= ../shared/fixtures
FUZZ_SAN      := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
                 -fsanitize-recover=float-cast-overflow,signed-integer-overflow -fno-omit-frame-pointer
FUZZ_CFLAGS   := -O1 -g $(FUZZ_SAN)
FUZZ_ALL      := call sync markdown ufg obd query llm http

# per target: sources besides tests/fuzz/fuzz_<t>.c and fuzz_util.c, and libraries
FUZZ_EXTRA_sync := tests/fuzz/sync_drive.c
FUZZ_EXTRA_ufg  := src/server/upforgrabs.c
FUZZ_LIBS_ufg   := -lyaml
FUZZ_EXTRA_llm  := src/server/llm.c src/server/llm_curl.c src/server/brief_llm.c src/server/transport_curl.c
FUZZ_LIBS_llm   := -lcurl
FUZZ_EXTRA_http := $(filter-out src/server/hubd.c,$(HUBD_SRC))
FUZZ_LIBS_http  := $(HUBD_LIBS)

FUZZ_LIB_OBJ := $(call obj,$(FZ)/obj,$(CORE_SRC) $(CJSON_DIR)/cJSON.c $(MD4C_DIR)/md4c.c $(SQLITE_DIR)/sqlite3.c)

.PHONY: fuzz fuzz-build fuzz-replay
fuzz: fuzz-build
	@sh tests/fuzz/run_fuzz.sh $(FZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: deps $(foreach t,$(FUZZ_TARGETS),$(FZ)/fuzz_$(t)) $(FZ)/corpus/.stamp

fuzz-replay: $(foreach t,$(FUZZ_ALL),$(B)/asan/fuzz_$(t)_replay)

$(FZ)/obj/tp/sqlite/%.o: $(TP)/sqlite/%.c tests/fuzz/fuzz.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZCC $<")
	$(Q)$(FUZZ_CC) -std=c11 $(FUZZ_CFLAGS) $(INCS) $(SQLITE_OPTS) -c $< -o $@
$(FZ)/obj/tp/%.o: $(TP)/%.c tests/fuzz/fuzz.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZCC $<")
	$(Q)$(FUZZ_CC) -std=c11 $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(INCS) $(CJSON_OPTS) -c $< -o $@
$(FZ)/obj/%.o: %.c tests/fuzz/fuzz.mk | deps
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZCC $<")
	$(Q)$(FUZZ_CC) $(CFLAGS_COMMON) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c $< -o $@

# The core as archives: a target that includes a core .c (markdown) takes its own copy.
$(FZ)/libhub.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^
$(B)/asan/libhub.a: $(ASAN_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

define FUZZ_TARGET_RULES
$(FZ)/fuzz_$(1): $(call obj,$(FZ)/obj,tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz_util.c $(FUZZ_EXTRA_$(1))) $(FZ)/libhub.a
	$$(if $$(Q),@echo "  LINK $$@")
	$$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(FUZZ_LIBS_$(1)) -lm
$(B)/asan/fuzz_$(1)_replay: $(call obj,$(B)/asan,tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz_util.c tests/fuzz/replay_main.c $(FUZZ_EXTRA_$(1))) $(B)/asan/libhub.a
	$$(Q)$$(or $$(ASAN_CC),$$(CC)) $$(ASAN_CFLAGS) -o $$@ $$^ $(FUZZ_LIBS_$(1)) -lm
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_TARGET_RULES,$(t))))

# ---- seeds ----
$(FZ)/seeds: $(NATIVE_OBJ) $(call obj,$(B)/native,tests/fuzz/seeds.c tests/fuzz/sync_drive.c tests/fuzz/fuzz_util.c tests/replay.c)
	$(Q)$(CC) -o $@ $^ -lm
$(FZ)/md4c-test/.stamp: $(DEPS_STAMP)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@# the spec files of md4c's test/ (the orig tarball's top folder is named after a commit)
	@tar -xzf $(DL)/md4c_$(MD4C_VERSION).orig.tar.gz -C $(dir $@) --strip-components=2 --wildcards '*/test/*.txt'
	@touch $@
$(FZ)/corpus/.stamp: $(FZ)/seeds $(FZ)/md4c-test/.stamp $(shell find tests/exchanges tests/fuzz/corpus -type f 2>/dev/null)
	@rm -rf $(FZ)/corpus
	@$(FZ)/seeds $(FZ)/corpus $(FZ)/md4c-test $(FUZZ_FIXTURES) 2>$(FZ)/seeds.log || { cat $(FZ)/seeds.log; exit 1; }
	@for t in $(FUZZ_ALL); do mkdir -p $(FZ)/corpus/$$t $(FZ)/grown/$$t; \
	  [ -d tests/fuzz/corpus/$$t ] && cp tests/fuzz/corpus/$$t/* $(FZ)/corpus/$$t/ 2>/dev/null; true; done
	@touch $@

-include $(shell find $(FZ) -name '*.d' 2>/dev/null)
