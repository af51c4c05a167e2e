# bench tool for vector-channel experiments (bench/cosqa_eval.py): make vec-eval
.PHONY: vec-eval
vec-eval: $(OUT)/vec-eval
$(OUT)/vec-eval: $(OBJ)/bench/vec_eval.o $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
