# pack/hnsw.mk: the hnswlib wrapper pack/hnsw_build.cc (the only C++ in pith; hnswlib is
# header-only, /usr/include/hnswlib from libhnswlib-dev) is compiled with $(CXX) into
# libpith_pack.a; the binaries linking that library (pith-pack, pith-tests, the fuzz replays)
# also link libstdc++. The serving binaries (pith, pith-serve) do not link the pack library.
HNSW_OBJ := $(OBJ)/pack/hnsw_build.o
# hnswlib 0.6.2 is not instrumented (asan, fuzz): its searchBaseLayer prefetches one link past
# the end of a full list (`_mm_prefetch(... *(datal + j + 1))`), a read ASan reports as a heap
# overflow although the value is only a prefetch hint. Our wrapper's own code is a few calls.
ifeq ($(VARIANT),asan)
  HNSW_CXXFLAGS := -O1 -g -fno-omit-frame-pointer
else ifeq ($(VARIANT),fuzz)
  HNSW_CXXFLAGS := -O1 -g
else
  HNSW_CXXFLAGS := $(filter -O% -g,$(CFLAGS))
endif

$(HNSW_OBJ): pack/hnsw_build.cc pack/hnsw_build.h pack/hnsw.mk
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -I. $(HNSW_CXXFLAGS) -Wall -Wextra -Werror -MMD -MP -c $< -o $@

$(call stage_lib,pack): $(HNSW_OBJ)
$(OUT)/pith-pack $(OUT)/pith-tests: LIBS += -lstdc++
$(OUT)/replay-% $(OUT)/fuzz-%: LIBS += -lstdc++
