# C call graph end to end: pith index with a compile_commands.json written here (absolute
# paths), then `pith query callers` of a function stored only in an ops table lists the
# function that calls through that field, kind indirect; statics stay per file; a unit that
# does not compile is recorded and skipped; without a database the edges are name matches.
. "$(dirname "$0")/lib.sh"
FX="$(cd "$(dirname "$0")/../fixtures/c" && pwd)"
R="$T/repo"; mkdir -p "$R"
cp "$FX"/*.c "$FX"/*.h "$R/"
{
    printf '['
    sep=''
    for f in a.c b.c ops.c cmd.c broken.c; do
        printf '%s{"directory":"%s","file":"%s/%s","arguments":["cc","-c","%s","-o","%s.o"]}' \
            "$sep" "$R" "$R" "$f" "$f" "$f"
        sep=','
    done
    printf ']\n'
} > "$R/compile_commands.json"

run "$PITH" index "$R" -o "$T/idx"
[ $rc = 1 ] || fail "index should exit 1 (broken.c skipped), got $rc: $err"
expect_contains "broken.c recorded" "$out$err" "broken.c"

run "$PITH" query -i "$T/idx" callers ext4_open
[ $rc = 0 ] || fail "callers ext4_open exited $rc: $err"
expect_contains "ops table caller" "$out" "ops.c:dispatch_open"
expect_contains "kind indirect" "$out" "indirect"

run "$PITH" query -i "$T/idx" callers get_command
[ $rc = 0 ] || fail "callers get_command exited $rc: $err"
expect_contains "command table caller" "$out" "cmd.c:run_command"

run "$PITH" query -i "$T/idx" impact ext4_open
[ $rc = 0 ] || fail "impact ext4_open exited $rc: $err"
expect_contains "impact through the table" "$out" "ops.c:dispatch_open"

# same-named statics stay apart: a.c's helper is called from a.c only
run "$PITH" query -i "$T/idx" callers a.c:helper
[ $rc = 0 ] || fail "callers a.c:helper exited $rc: $err"
expect_contains "a.c helper caller" "$out" "a.c:a_entry"
case "$out" in *b_entry*) fail "b.c's caller attached to a.c's static helper: $out" ;; esac

# a call written inside a macro is attributed to the function that expands it
run "$PITH" query -i "$T/idx" callers log_write
expect_contains "macro call" "$out" "a.c:a_entry"

# the database may live outside the repository: pith index --compdb FILE
mv "$R/compile_commands.json" "$T/cdb.json"
rm "$R/broken.c"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump([e for e in d if not e["file"].endswith("broken.c")], open(sys.argv[1], "w"))' "$T/cdb.json"
run "$PITH" index "$R" -o "$T/idx3" --compdb "$T/cdb.json"
[ $rc = 0 ] || fail "index --compdb exited $rc: $err"
run "$PITH" query -i "$T/idx3" callers ext4_open
expect_contains "--compdb: ops table caller" "$out" "indirect"

# without a compilation database: tree-sitter, name match, said so
run "$PITH" index "$R" -o "$T/idx2"
[ $rc = 0 ] || fail "index without compdb exited $rc: $err"
expect_contains "summary says name match" "$out$err" "without a compilation database"
run "$PITH" query -i "$T/idx2" callers even
expect_contains "name-match caller" "$out" "a.c:odd"
exit 0
