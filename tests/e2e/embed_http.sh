# The HTTP embedders and the embedding cache against the project's own test server
# (tests/node/embed_server.mjs: the real USE-lite JS model on a loopback port): the three formats,
# equality with the built-in model, every injected fault, resume after a failure, cache
# integrity, reuse of unchanged summaries, and the API key never showing in any output.
. "$(dirname "$0")/lib.sh"
. tests/node/embed_server.sh
EMBED="$B/pith-embed"

export PITH_E2E_KEY="sk-e2e-$$-$RANDOM-secret"
trap 'kill $EMBED_SRV 2>/dev/null; rm -rf "$T"' EXIT
start_embed_server --key-env PITH_E2E_KEY --stall-ms 4000
LOG="$T/all-output.txt" # every stdout and stderr of pith-embed, for the key check

"$B/pith-extract" tests/fixtures/pyresolve -o "$T/facts.pstg" >/dev/null 2>&1 || fail "extract failed"
"$B/pith-analyze" "$T/facts.pstg" -o "$T/graph.pstg" --repo-root tests/fixtures/pyresolve \
    >/dev/null 2>&1 || fail "analyze failed"

# embed NAME SPEC [options...]: pith-embed into $T/NAME.pstg with key and small batches
embed() {
    local name="$1" spec="$2"
    shift 2
    run "$EMBED" "$T/graph.pstg" -o "$T/$name.pstg" --embed "$spec" --embed-key-env PITH_E2E_KEY \
        --embed-batch 4 "$@"
    printf '%s\n%s\n' "$out" "$err" >>"$LOG"
}
faults_seen() { curl -s "$URL/stats" | sed 's/.*"faults":\([0-9]*\).*/\1/'; }
texts_served() { curl -s "$URL/stats" | sed 's/.*"texts":\([0-9]*\).*/\1/'; }
verify_cache() { # DIR: every row checksum holds
    run "$EMBED" --cache-verify "$1"
    printf '%s\n%s\n' "$out" "$err" >>"$LOG"
    [ $rc = 0 ] || fail "cache $1 is corrupt: $out $err"
}

# 1. three formats, vectors equal to each other and to the built-in model
for fmt in openai ollama tei; do
    embed "$fmt" "$fmt:$URL" --embed-model use-lite --embed-parallel 3 --cache "$T/c-$fmt"
    [ $rc = 0 ] || fail "$fmt: exit $rc: $err"
    expect_contains "$fmt stats" "$err" "0 vectors reused, 42 embedded"
    "$EMBED" --dump "$T/$fmt.pstg" >"$T/$fmt.txt" || fail "dump $fmt"
    expect_contains "$fmt id" "$(head -2 "$T/$fmt.txt")" "embedder http:$fmt:use-lite@512"
    verify_cache "$T/c-$fmt"
done
node "$NODE_DIR/embed_compare.mjs" "$T/openai.txt" "$T/ollama.txt" || fail "openai != ollama"
node "$NODE_DIR/embed_compare.mjs" "$T/openai.txt" "$T/tei.txt" || fail "openai != tei"
if [ -f "$B/data/use_lite.bin" ]; then
    "$EMBED" "$T/graph.pstg" -o "$T/builtin.pstg" --embed builtin --threads 2 2>>"$LOG" ||
        fail "builtin embed failed"
    "$EMBED" --dump "$T/builtin.pstg" >"$T/builtin.txt" || fail "dump builtin"
    node "$NODE_DIR/embed_compare.mjs" "$T/openai.txt" "$T/builtin.txt" ||
        fail "http vectors differ from the built-in model's"
else
    fail "$B/data/use_lite.bin missing: cannot compare with the built-in model"
fi

# 2. faults: each is retried (or refused) and the cache stays whole
fault_ok() { # NAME SPEC [options]: the run succeeds despite the fault
    local name="$1" spec="$2"
    shift 2
    local t0=$(date +%s.%N)
    embed "f-$name" "openai:$URL/f/$spec" --embed-dims 512 --embed-parallel 1 --cache "$T/c-f-$name" "$@"
    [ $rc = 0 ] || fail "fault $spec: exit $rc: $err"
    expect_contains "fault $spec stats" "$err" "42 embedded"
    verify_cache "$T/c-f-$name"
    "$EMBED" --dump "$T/f-$name.pstg" >"$T/f-$name.txt" || fail "dump $name"
    node "$NODE_DIR/embed_compare.mjs" "$T/openai.txt" "$T/f-$name.txt" || fail "fault $spec: vectors differ"
    elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
}
fault_ok 500 "500x2"
fault_ok 429 "429"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 1) }' || fail "Retry-After: 1 not honoured ($elapsed s)"
fault_ok 429d "429d"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 1) }' || fail "Retry-After as an HTTP date not honoured ($elapsed s)"
fault_ok stall "stall" --embed-timeout 1
fault_ok trunc "okx2,trunc"
fault_ok short "okx1,short,short"
# a server answering another dimension than --embed-dims is refused, clearly, without retrying
embed f-dims "openai:$URL/f/okx1,dims/" --embed-dims 512 --embed-parallel 1 --cache "$T/c-dims"
[ $rc = 3 ] || fail "wrong dims: exit $rc, expected 3"
expect_contains "wrong dims message" "$err" "511-dimensional vector, expected 512"
verify_cache "$T/c-dims"
embed f-dims2 "tei:$URL" --embed-dims 768 --cache "$T/c-dims2"
[ $rc = 3 ] || fail "dims 768 against a 512-d server: exit $rc"
expect_contains "dims 768" "$err" "expected 768"
# a server answering with another model than --embed-model is refused
embed f-model "ollama:$URL/f/model/" --embed-model use-lite --cache "$T/c-model"
[ $rc = 3 ] || fail "model mismatch: exit $rc"
expect_contains "model mismatch" "$err" 'answered with model "other-model", not "use-lite"'
# a retried fault that never ends fails after the retries
embed f-500 "openai:$URL/f/500x100/" --embed-dims 512 --embed-retries 2 --cache "$T/c-500"
[ $rc = 3 ] || fail "persistent 500: exit $rc"
expect_contains "persistent 500" "$err" "HTTP 500 (retries exhausted)"

# 3. resume: 3 batches of 4 arrive, then the server fails; the next run embeds only the rest
embed r1 "openai:$URL/f/okx3,500x100/" --embed-dims 512 --embed-parallel 1 --embed-retries 1 --cache "$T/c-r"
[ $rc = 3 ] || fail "interrupted run: exit $rc"
verify_cache "$T/c-r"
rows=$("$EMBED" --cache-verify "$T/c-r" | sed 's/.*: \([0-9]*\) rows/\1/')
[ "$rows" -ge 10 ] && [ "$rows" -le 12 ] || fail "interrupted run kept $rows rows, expected the 3 batches"
before=$(texts_served)
embed r2 "openai:$URL" --embed-dims 512 --embed-parallel 2 --cache "$T/c-r"
[ $rc = 0 ] || fail "resumed run: exit $rc: $err"
reused=$(echo "$err" | sed -n 's/.*: \([0-9]*\) vectors reused, \([0-9]*\) embedded.*/\1/p')
embedded=$(echo "$err" | sed -n 's/.*: \([0-9]*\) vectors reused, \([0-9]*\) embedded.*/\2/p')
[ "$reused" -ge 12 ] || fail "resumed run reused $reused, expected at least the 12 embedded before"
[ $((reused + embedded)) = 42 ] || fail "resumed run: $reused + $embedded != 42"
[ $(($(texts_served) - before)) = "$embedded" ] || fail "the server embedded more than the rest"
verify_cache "$T/c-r"
embed r3 "openai:$URL" --embed-dims 512 --cache "$T/c-r"
expect_contains "third run" "$err" "42 vectors reused, 0 embedded"

# 4. a killed run and a torn tail leave a cache that opens and verifies
embed k0 "openai:$URL" --embed-dims 512 --cache "$T/c-k" # fill
rows0=$("$EMBED" --cache-verify "$T/c-k" | sed 's/.*: \([0-9]*\) rows/\1/')
faults0=$(faults_seen)
# 3 batches arrive, the 4th stalls: killed while waiting, the 3 batches stay
"$EMBED" "$T/graph.pstg" -o "$T/k.pstg" --embed "openai:$URL/f/okx3,stall/" --embed-dims 512 \
    --embed-batch 4 --embed-parallel 1 --embed-key-env PITH_E2E_KEY --embed-doc-prefix "x: " \
    --cache "$T/c-k" >>"$LOG" 2>&1 &
KPID=$!
for _ in $(seq 200); do # until the stalled 4th request has reached the server
    [ "$(faults_seen)" -gt "$faults0" ] && break
    sleep 0.1
done
kill -9 $KPID 2>/dev/null
wait $KPID 2>/dev/null
verify_cache "$T/c-k"
rows1=$("$EMBED" --cache-verify "$T/c-k" | sed 's/.*: \([0-9]*\) rows/\1/')
[ $((rows1 - rows0)) -ge 10 ] || fail "the killed run kept $((rows1 - rows0)) rows, expected its 3 batches"
f=$(ls "$T/c-k"/*.vec | head -1)
printf 'torn row bytes' >>"$f"
run "$EMBED" --cache-verify "$T/c-k"
[ $rc = 3 ] || fail "a torn tail was not detected"
embed k1 "openai:$URL" --embed-dims 512 --cache "$T/c-k"
[ $rc = 0 ] || fail "run over a torn cache: exit $rc: $err"
expect_contains "torn cache reused" "$err" "42 vectors reused, 0 embedded"
verify_cache "$T/c-k"

# 5. one changed function is the only one embedded again; unreferenced rows are collected
mkdir -p "$T/repo"
cat >"$T/repo/m.py" <<'EOF'
def fetch_rows(db):
    return db.query("select * from rows")

def save_rows(db, rows):
    db.insert(rows)
    db.commit()

def sync(db):
    save_rows(db, fetch_rows(db))
EOF
index_repo() {
    "$B/pith-extract" "$T/repo" -o "$T/rf.pstg" >/dev/null 2>&1 &&
        "$B/pith-analyze" "$T/rf.pstg" -o "$T/rg.pstg" --repo-root "$T/repo" >/dev/null 2>&1 ||
        fail "extract/analyze of the small repo failed"
    run "$EMBED" "$T/rg.pstg" -o "$T/rv.pstg" --embed "ollama:$URL" --embed-key-env PITH_E2E_KEY \
        --cache "$T/c-repo"
    printf '%s\n%s\n' "$out" "$err" >>"$LOG"
    [ $rc = 0 ] || fail "small repo: exit $rc: $err"
}
index_repo
expect_contains "first index" "$err" "0 vectors reused, 3 embedded"
sed -i 's/db.commit()/db.flush()/' "$T/repo/m.py"
index_repo
expect_contains "one function changed" "$err" "2 vectors reused, 1 embedded (cache: 1 rows collected)"
verify_cache "$T/c-repo"

# 5b. through the driver: pith index passes --embed* on and caches in INDEX.cache/
run "$PITH" index "$T/repo" -o "$T/idx" --embed "tei:$URL" --embed-model use-lite --embed-key-env PITH_E2E_KEY
printf '%s\n%s\n' "$out" "$err" >>"$LOG"
[ $rc = 0 ] || fail "pith index --embed tei: exit $rc: $err"
[ -d "$T/idx.cache" ] || fail "pith index made no INDEX.cache"
run "$PITH" index "$T/repo" -o "$T/idx" --embed "tei:$URL" --embed-model use-lite --embed-key-env PITH_E2E_KEY
expect_contains "pith index again" "$err" "3 vectors reused, 0 embedded"
run "$PITH" dump -i "$T/idx" manifest
expect_contains "manifest embedder" "$out" "http:tei:use-lite@512"

# 6. the API key: required by the server, never in any output or file
"$EMBED" "$T/graph.pstg" -o "$T/nokey.pstg" --embed "openai:$URL" --cache "$T/c-nokey" \
    >>"$LOG" 2>&1 && fail "the server accepted a request without the key"
PITH_E2E_KEY=wrong-key "$EMBED" "$T/graph.pstg" -o "$T/badkey.pstg" --embed "openai:$URL" \
    --embed-key-env PITH_E2E_KEY >"$T/badkey.out" 2>&1 && fail "a wrong key was accepted"
cat "$T/badkey.out" >>"$LOG"
expect_contains "401 message" "$(cat "$T/badkey.out")" "HTTP 401 (check the API key variable)"
grep -q "wrong-key" "$T/badkey.out" && fail "the wrong key was printed"
grep -rqF "$PITH_E2E_KEY" "$LOG" "$T"/*.pstg "$T"/*.txt "$T"/c-* && fail "the API key appears in an output"
exit 0
