# bench tool for the flow layers (bench/bench_complexity.sh, bench/bench_flow.sh): make bench-tools
bench-tools: $(OUT)/flow-stats
$(OUT)/flow-stats: $(OBJ)/bench/flow_stats.o $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
