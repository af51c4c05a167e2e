# cl100k_base BPE ranks for serve/bpe.c: converted at build time from the pinned js-tiktoken
# package into $(OUT)/data/cl100k.bin, found next to the executables at run time.
CL100K_SRC := $(TP)/js-tiktoken/dist/ranks/cl100k_base.js
CL100K_BIN := $(OUT)/data/cl100k.bin

$(CL100K_BIN): $(CL100K_SRC) serve/gen_cl100k.mjs
	@mkdir -p $(dir $@)
	node serve/gen_cl100k.mjs $(CL100K_SRC) $@

all: $(CL100K_BIN)
