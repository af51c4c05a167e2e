# Vector search through the HNSW section: an index built with a low --hnsw-min-rows holds the
# graph (pith dump header), answers --mode vector with the same top hit as --exact, packs
# byte-identically twice, stores f16 rows with --vector-type f16 (same top hits), and a
# corrupted or truncated HNSW section is refused with one line and exit 3.
. "$(dirname "$0")/lib.sh"
[ -f "$B/data/use_lite.bin" ] || fail "no built-in model at $B/data/use_lite.bin"
R="$T/repo"; mkdir -p "$R"
python3 - "$R" <<'PY'
import sys
verbs = ["parse", "read", "write", "send", "close", "open", "validate", "encode", "decode",
         "retry", "cache", "compress", "sort", "hash", "render", "delete", "merge", "split"]
objs = ["http_header", "config_file", "json_body", "socket", "queue_item", "user_record",
        "csv_row", "image", "token", "log_line", "task", "url", "certificate", "archive"]
for f in range(6):
    with open(f"{sys.argv[1]}/mod{f}.py", "w") as out:
        for i, v in enumerate(verbs):
            for j, o in enumerate(objs):
                if (i + j) % 6 != f:
                    continue
                words = o.replace("_", " ")
                out.write(f"def {v}_{o}(x):\n    \"\"\"{v.capitalize()} the {words}.\"\"\"\n"
                          f"    return x\n\n")
PY
run "$PITH" index "$R" --cache "$T/cache" -o "$T/idx" --hnsw-min-rows 1
[ $rc = 0 ] || fail "index exited $rc: $err"
run "$PITH" dump -i "$T/idx" header
expect_contains "graph section" "$out" "section HNSW offset"
run "$PITH" index "$R" --cache "$T/cache" -o "$T/idx2" --hnsw-min-rows 1
cmp -s "$T/idx/shard-0000.pith" "$T/idx2/shard-0000.pith" || fail "two packs differ"
cmp -s "$T/idx/MANIFEST" "$T/idx2/MANIFEST" || fail "two MANIFESTs differ"
run "$PITH" index "$R" --cache "$T/cache" -o "$T/exact" --hnsw-min-rows 0
run "$PITH" dump -i "$T/exact" header
case "$out" in *"section HNSW"*) fail "--hnsw-min-rows 0 still wrote a graph" ;; esac
run "$PITH" index "$R" --cache "$T/cache" -o "$T/half" --hnsw-min-rows 1 --vector-type f16
[ $rc = 0 ] || fail "f16 index exited $rc: $err"
run "$PITH" dump -i "$T/half" vectors
expect_contains "f16 rows" "$out" "elements f16"
f32=$(stat -c %s "$T/exact/shard-0000.pith"); f16=$(stat -c %s "$T/half/shard-0000.pith")
[ "$f16" -lt "$f32" ] || fail "f16 shard ($f16 bytes) not smaller than f32 ($f32)"
run "$PITH" index "$R" --cache "$T/cache" -o "$T/idx" --vector-type f64
[ $rc = 3 ] || [ $rc = 2 ] || fail "bad --vector-type: rc $rc"
expect_contains "bad type" "$err" "--vector-type takes f32 or f16"

top() { # INDEX QUERY [OPTION]: the qualified name ranked first by vector similarity
    "$PITH" query -i "$1" search --json -k 1 --mode vector ${3:-} -- "$2" |
        python3 -c 'import json,sys; h=json.load(sys.stdin)["hits"]; print(h[0]["symbol"]["qualname"] if h else "")'
}
for q in "decompress an archive" "send a message over the network" "check a certificate" \
    "store a token in the cache" "split a line of the log" "turn json into objects" \
    "remove a user" "open a socket connection" "sort rows of a csv file" "draw a picture"; do
    want=$(top "$T/exact" "$q")
    [ -n "$want" ] || fail "no exact hit for '$q'"
    expect_eq "hnsw '$q'" "$(top "$T/idx" "$q")" "$want"
    expect_eq "--exact '$q'" "$(top "$T/idx" "$q" --exact)" "$want"
    expect_eq "f16 '$q'" "$(top "$T/half" "$q")" "$want"
done
# fused search works through the graph too
run "$PITH" query -i "$T/idx" search --json -k 5 "decompress an archive"
[ $rc = 0 ] || fail "fused search exited $rc: $err"
expect_contains "fused" "$out" '"mode":"fused"'

# a corrupted or truncated graph section is refused in one line, exit 3
line=$("$PITH" dump -i "$T/idx" header | grep 'section HNSW')
off=$(echo "$line" | awk '{print $4}'); len=$(echo "$line" | awk '{print $6}')
shard="$T/idx/shard-0000.pith"; cp "$shard" "$T/good"
check_refused() {
    run "$PITH" query -i "$T/idx" search --mode vector "archive"
    [ $rc = 3 ] || fail "$1: expected exit 3, got $rc ($out $err)"
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$1: error is not one line: $err"
}
for at in $off $((off + 24)) $((off + len / 2)) $((off + len - 4)); do
    cp "$T/good" "$shard"
    printf '\x5a\x5a' | dd of="$shard" bs=1 seek="$at" conv=notrunc status=none
    check_refused "flip at $at"
done
for n in $((off + 8)) $((off + len / 2)); do
    head -c "$n" "$T/good" > "$shard"; check_refused "truncated to $n"
done
exit 0
