# bench tool for the vector index (bench/bench_vectors.sh): make bench-tools
bench-tools: $(OUT)/vec-bench
$(OUT)/vec-bench: $(OBJ)/bench/vec_bench.o $(call stage_lib,serve) $(call stage_lib,pack) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lstdc++
