# Bad input indexes without a crash and every skip is reported with its reason: invalid UTF-8,
# a 5 MB one-line file, a binary file, 5,000-deep nesting; ignored files are never read.
. "$(dirname "$0")/lib.sh"
R="$T/repo"; mkdir -p "$R/pkg" "$R/build" "$R/vendor"
printf 'def ok():\n    return helper()\n\ndef helper():\n    return 1\n' > "$R/pkg/good.py"
printf 'def bad():\n    return "\xff\xfe"\n' > "$R/pkg/latin.py"
head -c 5300000 /dev/zero | tr '\0' 'x' | sed 's/^/y = /' > "$R/pkg/huge.py"
printf 'import os\n\0\0\0binary' > "$R/pkg/blob.py"
python3 -c "print('x = ' + '(' * 5000 + '1' + ')' * 5000)" > "$R/pkg/deep.py"
python3 -c "print('def f():\n' + ''.join('    ' * (i + 1) + 'if x:\n' for i in range(5000)) + '    ' * 5001 + 'pass')" > "$R/pkg/deep_blocks.py"
printf 'def ignored():\n    pass\n' > "$R/build/gen.py"
printf 'def vendored():\n    pass\n' > "$R/vendor/lib.py"
printf 'build/\n' > "$R/.gitignore"
printf 'vendor/\n' > "$R/.pithignore"

run "$PITH" index "$R" -o "$T/idx"
[ $rc -le 1 ] || fail "index exited $rc: $err"
[ -f "$T/idx/MANIFEST" ] || fail "no MANIFEST written"
summary="$out$err"
expect_contains "skip latin" "$summary" "pkg/latin.py"
expect_contains "skip huge" "$summary" "pkg/huge.py"
expect_contains "skip blob" "$summary" "pkg/blob.py"
run "$PITH" dump -i "$T/idx" files
files="$out"
expect_contains "dump files" "$files" "pkg/good.py"
case "$files" in *build/gen.py*|*vendor/lib.py*) fail "ignored file indexed: $files" ;; esac
run "$PITH" query -i "$T/idx" callers helper
[ $rc = 0 ] || fail "query exited $rc: $err"
expect_contains "callers helper" "$out" "pkg/good.py:ok"
exit 0
