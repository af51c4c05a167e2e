# pith — one non-recursive Makefile (tree-sitter, git config.mak.dev style).
#   make deps     install Debian packages and fetch pinned third-party tarballs (.ci/deps.sh)
#   make          build build/pith and the stage executables build/pith-*
#   make test     unit, golden, e2e and fuzz-replay tests; then again under ASan+UBSan
#   make asan     build the ASan+UBSan variant into build/asan/
#   make fuzz     build libFuzzer targets into build/fuzz/ (clang)
#   make format-check / check-headers / check-deps

VARIANT ?= release
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O2 -g
LDFLAGS ?=

ifeq ($(VARIANT),release)
  OUT := build
else
  OUT := build/$(VARIANT)
endif
ifeq ($(VARIANT),asan)
  CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
  override CPPFLAGS += -DPITH_ARENA_DEBUG
endif
ifeq ($(VARIANT),fuzz)
  CC := clang
  CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=fuzzer,address,undefined
  override CPPFLAGS += -DPITH_ARENA_DEBUG
endif

OBJ  := $(OUT)/obj
GEN  := build/gen
TP   := third_party
TS_RUNTIME := $(TP)/tree-sitter/vendor/tree-sitter/lib
TS_GRAMMARS := python c cpp

WARN := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wvla -Wwrite-strings -Wformat=2 -Wpointer-arith -Wundef
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -MMD -MP -pthread
override CPPFLAGS += -I. -I$(GEN) -I$(TS_RUNTIME)/include $(CLANG_CPPFLAGS)
LIBS := -lprotobuf-c -lzstd -lxxhash -lcjson -lmicrohttpd -lcurl -lstemmer -lopenblas -lcrypto -lm -pthread
LLVM_DIR ?= /usr/lib/llvm-19
CLANG_CPPFLAGS := -I$(LLVM_DIR)/include
CLANG_LIBS := -L$(LLVM_DIR)/lib -Wl,-rpath,$(LLVM_DIR)/lib -lclang

PROTOS   := $(wildcard schemas/*.proto)
GEN_SRC  := $(patsubst schemas/%.proto,$(GEN)/schemas/%.pb-c.c,$(PROTOS))
GEN_HDR  := $(GEN_SRC:.c=.h)

STAGES := extract analyze embed pack serve
common_SRC := $(wildcard common/*.c)
$(foreach s,$(STAGES),$(eval $(s)_SRC := $(filter-out %_main.c,$(wildcard $(s)/*.c))))
MAINS := $(wildcard */*_main.c)

TS_SRC := $(TS_RUNTIME)/src/lib.c \
          $(foreach g,$(TS_GRAMMARS),$(wildcard $(TP)/tree-sitter-$(g)/src/parser.c $(TP)/tree-sitter-$(g)/src/scanner.c))

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))

LIB_COMMON := $(OUT)/lib/libpith_common.a
LIB_TS     := $(OUT)/lib/libpith_ts.a
stage_lib   = $(OUT)/lib/libpith_$(1).a
STAGE_LIBS := $(foreach s,$(STAGES),$(call stage_lib,$(s)))

PROGRAMS := $(OUT)/pith $(OUT)/pith-extract $(OUT)/pith-analyze $(OUT)/pith-embed \
            $(OUT)/pith-pack $(OUT)/pith-serve

TEST_SRC := $(wildcard tests/harness/*.c) $(wildcard tests/unit/*/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))

.PHONY: all deps test asan fuzz clean format format-check check-headers check-deps golden-update tests-bin
all: $(PROGRAMS) $(OUT)/pith-tests $(foreach f,$(FUZZ_NAMES),$(OUT)/replay-$(f))

deps:
	.ci/deps.sh

.PHONY: bench-tools
bench-tools: $(OUT)/ts-parse
$(OUT)/ts-parse: $(OBJ)/bench/ts_parse.o $(LIB_COMMON) $(LIB_TS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)


third_party/.ok:
	@test -f $(TS_RUNTIME)/src/lib.c || { echo "third_party/ is missing: run 'make deps' first" >&2; exit 1; }

# --- generated protobuf-c code ---------------------------------------------------------------
$(GEN)/schemas/%.pb-c.c $(GEN)/schemas/%.pb-c.h: schemas/%.proto
	@mkdir -p $(GEN)/schemas
	protoc-c --proto_path=schemas --c_out=$(GEN)/schemas $<

$(OBJ)/$(GEN)/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(filter-out -W%,$(CFLAGS)) -w -c $< -o $@

# --- third-party tree-sitter runtime and grammars (relaxed flags) -----------------------------
$(OBJ)/$(TP)/%.o: $(TP)/%.c
	@mkdir -p $(dir $@)
	$(CC) -I$(TS_RUNTIME)/include -I$(TS_RUNTIME)/src $(filter-out -W% -std=%,$(CFLAGS)) -std=gnu11 -w -c $< -o $@

# --- project code ------------------------------------------------------------------------------
$(OBJ)/%.o: %.c | $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(LIB_COMMON): $(call obj,$(common_SRC) $(GEN_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_TS): $(call obj,$(TS_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
define STAGE_LIB_RULE
$(call stage_lib,$(1)): $(call obj,$($(1)_SRC)) | $(LIB_COMMON)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach s,$(STAGES),$(eval $(call STAGE_LIB_RULE,$(s))))

$(OUT)/pith-extract: $(OBJ)/extract/extract_main.o $(call stage_lib,extract) $(LIB_COMMON) $(LIB_TS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CLANG_LIBS)
$(OUT)/pith-analyze: $(OBJ)/analyze/analyze_main.o $(call stage_lib,analyze) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OUT)/pith-embed: $(OBJ)/embed/embed_main.o $(call stage_lib,embed) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OUT)/pith-pack: $(OBJ)/pack/pack_main.o $(call stage_lib,pack) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OUT)/pith-serve: $(OBJ)/serve/serve_main.o $(call stage_lib,serve) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(OUT)/pith: $(OBJ)/serve/pith_main.o $(call stage_lib,serve) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/pith-tests: $(call obj,$(TEST_SRC)) $(STAGE_LIBS) $(LIB_COMMON) $(LIB_TS)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(TEST_SRC)) $(STAGE_LIBS) $(LIB_COMMON) $(LIB_TS) $(LIBS) $(CLANG_LIBS)

# Fuzz targets: replay drivers in every variant, libFuzzer binaries in VARIANT=fuzz.
ifeq ($(VARIANT),fuzz)
$(OUT)/fuzz-%: $(OBJ)/tests/fuzz/fuzz_%.o $(STAGE_LIBS) $(LIB_COMMON) $(LIB_TS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CLANG_LIBS)
fuzz: $(foreach f,$(FUZZ_NAMES),$(OUT)/fuzz-$(f))
else
$(OUT)/replay-%: $(OBJ)/tests/fuzz/fuzz_%.o $(OBJ)/tests/fuzz/replay.o $(STAGE_LIBS) $(LIB_COMMON) $(LIB_TS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CLANG_LIBS)
fuzz:
	$(MAKE) VARIANT=fuzz fuzz
endif

$(call obj,$(common_SRC) $(foreach s,$(STAGES),$($(s)_SRC)) $(MAINS) $(TEST_SRC) $(FUZZ_SRC) tests/fuzz/replay.c): | third_party/.ok

asan:
	$(MAKE) VARIANT=asan all

test:
	$(MAKE) VARIANT=release all
	$(MAKE) VARIANT=asan all
	tests/run_all.sh build build/asan

golden-update: all
	PITH_GOLDEN_UPDATE=1 tests/run_golden.sh build

format:
	clang-format -i $$(git ls-files '*.c' '*.h' ':!tests/fixtures')
format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' ':!tests/fixtures')

check-headers: $(GEN_HDR)
	@for h in $$(git ls-files 'common/*.h' 'extract/*.h' 'analyze/*.h' 'embed/*.h' 'pack/*.h' 'serve/*.h'); do \
	  printf '#include "%s"\nextern int pith_header_test;\n' "$$h" | \
	  $(CC) $(CPPFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -x c -fsyntax-only - || { echo "$$h does not compile alone"; exit 1; }; done; echo "headers: ok"

check-deps:
	tests/check_deps.sh

clean:
	rm -rf build

# Build fragments owned by a stage folder (generated data, converters): <stage>/*.mk
-include $(wildcard */*.mk)

-include $(shell find build -name '*.d' 2>/dev/null)
