# A corrupt artifact is refused with one line and exit 3, never a crash: truncations at every
# 97th byte and a sample of byte flips of a small shard, plus a missing and a garbage MANIFEST.
. "$(dirname "$0")/lib.sh"
R="$T/repo"; mkdir -p "$R"
printf 'def a():\n    b()\n\ndef b():\n    """Doc."""\n    return 1\n' > "$R/m.py"
run "$PITH" index "$R" -o "$T/idx"; [ $rc = 0 ] || fail "index: $err"
shard="$T/idx/shard-0000.pith"
size=$(stat -c %s "$shard")
cp "$shard" "$T/good"
check_refused() {
    run "$PITH" query -i "$T/idx" callers b
    [ $rc = 3 ] || fail "$1: expected exit 3, got $rc ($out $err)"
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$1: error is not one line: $err"
}
for n in $(seq 0 97 $((size - 1))); do
    head -c "$n" "$T/good" > "$shard"; check_refused "truncated to $n"
done
for off in $(seq 3 131 $((size - 1))); do
    cp "$T/good" "$shard"
    printf '\x5a' | dd of="$shard" bs=1 seek="$off" conv=notrunc status=none
    cmp -s "$shard" "$T/good" && continue
    check_refused "flip at $off"
done
cp "$T/good" "$shard"
echo garbage > "$T/idx/MANIFEST"; check_refused "garbage MANIFEST"
rm "$T/idx/MANIFEST"; run "$PITH" query -i "$T/idx" callers b
[ $rc = 3 ] || fail "missing MANIFEST: rc $rc"
exit 0
