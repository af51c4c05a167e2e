# Search with vectors: `pith index` embeds with the built-in model by default (VECS section,
# embedder in the MANIFEST); `search` fuses BM25F and vector similarity and finds a function
# by what it does where the lexical channel alone finds nothing;
# --mode lexical|vector|fused; an index without vectors refuses the vector modes in one line.
. "$(dirname "$0")/lib.sh"
[ -f "$B/data/use_lite.bin" ] || fail "no built-in model at $B/data/use_lite.bin"
run "$PITH" index tests/fixtures/pyresolve -o "$T/idx"
[ $rc = 0 ] || fail "index exited $rc: $err"
run "$PITH" dump -i "$T/idx" manifest
expect_contains "manifest embedder" "$out" 'builtin:use-lite@0.2.0+'
run "$PITH" dump -i "$T/idx" vectors
[ $rc = 0 ] || fail "dump vectors exited $rc: $err"
expect_contains "vectors header" "$out" 'vectors dim 512 rows 50 present 42 embedder "builtin:use-lite@0.2.0+'
expect_contains "a function has a unit vector" "$out" 'has norm 1.0000'
expect_contains "a module has none" "$out" 'none norm 0.0000 0.0000 0.0000 0.0000 0.0000 "app.py"'

top() { # MODE QUERY: the qualified name ranked first
    "$PITH" query -i "$T/idx" search --json -k 3 --mode "$1" -- "$2" |
        python3 -c 'import json,sys; h=json.load(sys.stdin)["hits"]; print(h[0]["symbol"]["qualname"] if h else "")'
}
expect_eq "fused: area of a square" "$(top fused 'area of a square')" "pkg/shapes.py:Square.area"
# no word in common with any symbol: lexical finds nothing, fused and vector find the shape
# class (summary format v2 embeds "python class shape"; v1's signature text made
# "lookup item in dictionary" find Store.get(self, key), v2 leaves the signature out)
run "$PITH" query -i "$T/idx" search --mode lexical 'geometric figure'
[ $rc = 1 ] || fail "lexical without matches should exit 1, got $rc: $out"
expect_eq "fused: geometric figure" "$(top fused 'geometric figure')" "pkg/shapes.py:Shape"
expect_eq "vector: geometric figure" "$(top vector 'geometric figure')" "pkg/shapes.py:Shape"

# fused is the default with vectors; hits carry both channels' scores and why they matched
run "$PITH" query -i "$T/idx" search 'size of a square' --json -k 2
[ $rc = 0 ] || fail "search exited $rc: $err"
expect_contains "mode" "$out" '"mode":"fused"'
expect_contains "lexical score" "$out" '"lexical":'
expect_contains "similarity" "$out" '"similarity":'
expect_contains "matched (index terms: stems)" "$out" '"matched":["squar"]'
run "$PITH" query -i "$T/idx" search 'area of a square' -k 1
expect_contains "text hit" "$out" 'pkg/shapes.py:Square.area  pkg/shapes.py:22  score'
expect_contains "text channels" "$out" 'similarity 0.'
run "$PITH" query -i "$T/idx" search 'geometric figure' -k 1
expect_contains "text: vector only" "$out" 'matched: no words, by vector similarity'
run "$PITH" query -i "$T/idx" search 'x' --mode both
[ $rc = 2 ] || fail "bad --mode should be a usage error, got $rc"
expect_contains "bad mode" "$err" "--mode takes lexical, vector or fused, not 'both'"

# the same query twice gives the same answer (exact scan, deterministic ties)
a=$("$PITH" query -i "$T/idx" search --json -k 20 'store a value')
b=$("$PITH" query -i "$T/idx" search --json -k 20 'store a value')
expect_eq "deterministic" "$a" "$b"

# --embed none: no VECS section; lexical is the default, the vector modes are refused
run "$PITH" index tests/fixtures/pyresolve -o "$T/plain" --embed none
[ $rc = 0 ] || fail "index --embed none exited $rc: $err"
run "$PITH" dump -i "$T/plain" vectors
expect_eq "no vectors" "$out" "no vectors"
run "$PITH" query -i "$T/plain" search 'size of a square' --json -k 1
expect_contains "lexical default" "$out" '"mode":"lexical"'
run "$PITH" query -i "$T/plain" search 'size of a square' --mode fused
[ $rc != 0 ] || fail "fused without vectors should fail"
expect_contains "refused" "$err" "the index has no vectors (indexed with --embed none): use --mode lexical"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "refusal is not one line: $err"

# a model with other weights than the index's is refused, in one line
head -c 4096 "$B/data/use_lite.bin" >"$T/bad.bin"
run env PITH_USE_LITE_MODEL="$T/bad.bin" "$PITH" query -i "$T/idx" search 'size of a square'
[ $rc != 0 ] || fail "a broken model should be refused"
expect_contains "model refused" "$err" "cannot embed the query"
echo "search_fused: ok"
