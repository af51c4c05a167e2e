# The query side of HTTP embedding against the project's own test server
# (tests/node/embed_server.mjs: the real USE-lite JS model on a loopback port): an index built
# with --embed openai:/ollama:/tei:URL answers `search --mode vector|fused` with the ranking of
# the same fixture indexed with the built-in model; the MANIFEST records the endpoint (never
# the key); --embed-url / $PITH_EMBED_URL override it; the query prefix is sent; server down,
# wrong dims, wrong model and a missing key are one-line errors with a non-zero exit while
# --mode lexical still answers; 429 + Retry-After is waited for, a stall times out and is
# retried; pith-serve --stdio, --mcp and --http embed through pooled connections and answer
# repeated queries from their LRU.
. "$(dirname "$0")/lib.sh"
. tests/node/embed_server.sh
command -v curl >/dev/null || fail "curl is needed"
[ -f "$B/data/use_lite.bin" ] || fail "no built-in model at $B/data/use_lite.bin"
FIX=tests/fixtures/pyresolve

export PITH_E2E_KEY="sk-e2e-$$-$RANDOM-secret"
unset PITH_EMBED_URL
PIDS="" # the servers, killed at the end
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null; rm -rf "$T"' EXIT
start_embed_server --key-env PITH_E2E_KEY
PIDS="$EMBED_SRV"
LOG="$T/all-output.txt" # every output of pith, for the key check
# a loopback port nothing listens on: the server is "down"
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DOWN="http://127.0.0.1:$DEAD"

texts_served() { curl -s "$URL/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["texts"])'; }
# search INDEX MODE QUERY [ARGS...]: pith query search --json -k 8; sets $out, $err, $rc
search() {
    local ix="$1" mode="$2" q="$3"
    shift 3
    run "$PITH" query -i "$ix" search --json -k 8 --mode "$mode" "$@" -- "$q"
    printf '%s\n%s\n' "$out" "$err" >>"$LOG"
}
# same_ranking NAME JSON_A JSON_B: the same hits in the same order, scores within 2e-3
same_ranking() {
    python3 - "$1" "$2" "$3" <<'EOF' || exit 1
import json, sys
name, a, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ha = [(h["symbol"]["qualname"], h["score"]) for h in a["hits"]]
hb = [(h["symbol"]["qualname"], h["score"]) for h in b["hits"]]
if not ha:
    sys.exit(f"FAIL: {name}: no hits")
if [q for q, _ in ha] != [q for q, _ in hb]:
    sys.exit(f"FAIL: {name}: rankings differ\n{ha}\n{hb}")
worst = max(abs(x - y) for (_, x), (_, y) in zip(ha, hb))
if worst > 2e-3:
    sys.exit(f"FAIL: {name}: scores differ by {worst}")
EOF
}

QUERIES=("area of a square" "lookup item in dictionary" "store a value" "fetch a record from the registry"
    "clean up text")

# 1. the built-in reference, then one index per format: same rankings in vector and fused mode
run "$PITH" index "$FIX" -o "$T/builtin" --embed builtin
[ $rc = 0 ] || fail "index --embed builtin: exit $rc: $err"
for mode in vector fused; do
    for q in "${QUERIES[@]}"; do
        search "$T/builtin" $mode "$q"
        [ $rc = 0 ] || fail "builtin $mode '$q': exit $rc: $err"
        printf '%s' "$out" >"$T/ref-$mode-${q// /_}.json"
    done
done
for fmt in openai ollama tei; do
    run "$PITH" index "$FIX" -o "$T/$fmt" --embed "$fmt:$URL" --embed-model use-lite \
        --embed-key-env PITH_E2E_KEY
    printf '%s\n%s\n' "$out" "$err" >>"$LOG"
    [ $rc = 0 ] || fail "index --embed $fmt: exit $rc: $err"
    run "$PITH" dump -i "$T/$fmt" manifest
    expect_contains "$fmt manifest embedder" "$out" "embedder \"http:$fmt:use-lite@512\""
    expect_contains "$fmt manifest endpoint" "$out" \
        "embed_endpoint format \"$fmt\" url \"$URL\" model \"use-lite\" query_prefix \"\" key_env \"PITH_E2E_KEY\""
    for mode in vector fused; do
        for q in "${QUERIES[@]}"; do
            search "$T/$fmt" $mode "$q"
            [ $rc = 0 ] || fail "$fmt $mode '$q': exit $rc: $err"
            same_ranking "$fmt $mode '$q'" "$(cat "$T/ref-$mode-${q// /_}.json")" "$out"
        done
    done
done
# (which hit comes first is search_fused.sh's business: here, that HTTP equals built-in)
search "$T/openai" fused "area of a square"
expect_contains "fused answers" "$out" '"mode":"fused"'
expect_contains "fused: the lexical channel" "$out" '"lexical":'
expect_contains "fused: the vector channel" "$out" '"similarity":'

# 2. the server is down: one line, non-zero exit, quickly; lexical needs no server
t0=$(date +%s.%N)
search "$T/openai" vector "area of a square" --embed-url "$DOWN"
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
[ $rc = 3 ] || fail "server down: exit $rc, expected 3: $out $err"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "server down: not one line: $err"
expect_contains "server down" "$err" "cannot embed the query with http:openai:use-lite@512 (server URL from --embed-url): request to $DOWN failed"
expect_contains "server down hint" "$err" "--mode lexical needs none"
awk -v e="$elapsed" 'BEGIN { exit !(e < 4) }' || fail "server down took $elapsed s"
for mode in fused; do
    PITH_EMBED_URL="$DOWN" search "$T/openai" $mode "area of a square"
    [ $rc = 3 ] || fail "PITH_EMBED_URL down, $mode: exit $rc"
    expect_contains "env override named" "$err" 'server URL from $PITH_EMBED_URL'
done
PITH_EMBED_URL="$DOWN" search "$T/openai" lexical "area of a square"
[ $rc = 0 ] || fail "lexical with the server down: exit $rc: $err"
expect_contains "lexical answers" "$out" '"qualname":"pkg/shapes.py:Square.area"'
# the flag wins over the variable; the variable over the index
PITH_EMBED_URL="$DOWN" search "$T/tei" vector "area of a square" --embed-url "http://localhost:$PORT/"
[ $rc = 0 ] || fail "--embed-url over PITH_EMBED_URL: exit $rc: $err"
same_ranking "--embed-url" "$(cat "$T/ref-vector-area_of_a_square.json")" "$out"
PITH_EMBED_URL="http://localhost:$PORT" search "$T/ollama" fused "store a value"
[ $rc = 0 ] || fail "PITH_EMBED_URL: exit $rc: $err"
same_ranking "PITH_EMBED_URL" "$(cat "$T/ref-fused-store_a_value.json")" "$out"
# --embed-url before the operation, as for -i
run "$PITH" query -i "$T/openai" --embed-url "$DOWN" search --mode vector "area of a square"
[ $rc = 3 ] || fail "--embed-url before OP: exit $rc"

# 3. wrong dimension, wrong model, missing key, persistent 500: refused in one line
search "$T/openai" vector "area of a square" --embed-url "$URL/f/dimsx100"
[ $rc = 3 ] || fail "wrong dims: exit $rc"
expect_contains "wrong dims" "$err" "511-dimensional vector, expected 512"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "wrong dims: not one line: $err"
search "$T/ollama" vector "area of a square" --embed-url "$URL/f/modelx100"
[ $rc = 3 ] || fail "wrong model: exit $rc"
expect_contains "wrong model" "$err" 'answered with model "other-model", not "use-lite"'
PITH_E2E_KEY= search "$T/openai" vector "area of a square"
[ $rc = 2 ] || fail "unset key: exit $rc"
expect_contains "unset key" "$err" "environment variable PITH_E2E_KEY (the API key) is not set"
PITH_E2E_KEY=wrong-key search "$T/openai" vector "area of a square"
[ $rc = 3 ] || fail "wrong key: exit $rc"
expect_contains "wrong key" "$err" "HTTP 401 (check the API key variable)"
search "$T/openai" vector "area of a square" --embed-url "$URL/f/500x100"
[ $rc = 3 ] || fail "persistent 500: exit $rc"
expect_contains "persistent 500" "$err" "HTTP 500 (retries exhausted)"

# 4. 429 with Retry-After (1 s; an HTTP date 2 s ahead) is waited for, then answered
for f in 429 429d; do
    t0=$(date +%s.%N)
    search "$T/openai" vector "area of a square" --embed-url "$URL/f/$f"
    elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    [ $rc = 0 ] || fail "$f: exit $rc: $err"
    awk -v e="$elapsed" 'BEGIN { exit !(e >= 1) }' || fail "$f: Retry-After not honoured ($elapsed s)"
    same_ranking "after $f" "$(cat "$T/ref-vector-area_of_a_square.json")" "$out"
done

# a stalled answer (the server waits 5 s) hits the 5 s query timeout; the retry is answered
t0=$(date +%s.%N)
search "$T/openai" vector "area of a square" --embed-url "$URL/f/stall"
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
[ $rc = 0 ] || fail "stall: exit $rc: $err"
awk -v e="$elapsed" 'BEGIN { exit !(e >= 4.5 && e < 9) }' || fail "stall: answered after $elapsed s"
same_ranking "after a stall" "$(cat "$T/ref-vector-area_of_a_square.json")" "$out"

# 5. the query prefix is recorded and sent before the query (and only before queries)
run "$PITH" index "$FIX" -o "$T/prefixed" --embed "openai:$URL" --embed-model use-lite \
    --embed-key-env PITH_E2E_KEY --embed-query-prefix "search_query: " --embed-doc-prefix "search_document: "
[ $rc = 0 ] || fail "index with prefixes: exit $rc: $err"
run "$PITH" dump -i "$T/prefixed" manifest
expect_contains "prefix recorded" "$out" 'query_prefix "search_query: "'
curl -s -X POST "$URL/stats/reset" >/dev/null
search "$T/prefixed" vector "area of a square"
[ $rc = 0 ] || fail "prefixed search: exit $rc: $err"
expect_eq "query prefix sent" "$(curl -s "$URL/received")" \
    '{"inputs":["search_query: area of a square"],"models":["use-lite"]}'

# 6. pith-serve --stdio: one pooled connection, the repeated query from the LRU
curl -s -X POST "$URL/stats/reset" >/dev/null
printf '%s\n' "search area of a square --mode vector -k 8" "search store a value --mode fused -k 8" \
    "search area of a square --mode vector -k 8" "search area of a square --mode lexical -k 8" |
    "$B/pith-serve" -i "$T/openai" --stdio >"$T/stdio.out" 2>"$T/stdio.err" ||
    fail "pith-serve --stdio: $(cat "$T/stdio.err")"
[ "$(wc -l <"$T/stdio.out")" = 4 ] || fail "stdio: $(cat "$T/stdio.out")"
same_ranking "stdio vector" "$(cat "$T/ref-vector-area_of_a_square.json")" "$(sed -n 1p "$T/stdio.out")"
same_ranking "stdio fused" "$(cat "$T/ref-fused-store_a_value.json")" "$(sed -n 2p "$T/stdio.out")"
expect_eq "stdio repeated query" "$(sed -n 3p "$T/stdio.out")" "$(sed -n 1p "$T/stdio.out")"
expect_eq "stdio: two texts embedded (the third from the LRU)" "$(texts_served)" 2

# 6b. pith serve --mcp: the search tool embeds through the server; an unreachable one is a
# tool error naming it, and mode lexical still answers
mcp_call() { # ID ARGS-JSON: one tools/call line
    printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"search","arguments":%s}}\n' "$1" "$2"
}
{
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}' \
        '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    mcp_call 2 '{"query":"area of a square","k":8,"mode":"vector"}'
    mcp_call 3 '{"query":"store a value","k":8,"mode":"fused"}'
} | "$PITH" serve -i "$T/tei" --mcp >"$T/mcp.out" 2>"$T/mcp.err" || fail "pith serve --mcp: $(cat "$T/mcp.err")"
mcp_text() { # ID: the text of that answer's content
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m.get("id") == int(sys.argv[2]):
        r = m["result"]
        print(("ERROR " if r["isError"] else "") + r["content"][0]["text"])' "$T/mcp.out" "$1"
}
same_ranking "mcp vector" "$(cat "$T/ref-vector-area_of_a_square.json")" "$(mcp_text 2)"
same_ranking "mcp fused" "$(cat "$T/ref-fused-store_a_value.json")" "$(mcp_text 3)"
{
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}'
    mcp_call 2 '{"query":"area of a square","k":8,"mode":"vector"}'
    mcp_call 3 '{"query":"area of a square","k":8,"mode":"lexical"}'
} | "$PITH" serve -i "$T/tei" --mcp --embed-url "$DOWN" >"$T/mcp.out" 2>"$T/mcp.err" ||
    fail "pith serve --mcp --embed-url: $(cat "$T/mcp.err")"
expect_contains "mcp: server down is a tool error" "$(mcp_text 2)" "ERROR "
expect_contains "mcp: server down named" "$(mcp_text 2)" "request to $DOWN failed"
expect_contains "mcp: lexical answers" "$(mcp_text 3)" '"qualname":"pkg/shapes.py:Square.area"'

# 7. pith-serve --http (a thread pool): concurrent vector searches through pooled connections
: >"$T/http.log"
"$B/pith-serve" -i "$T/ollama" --http 127.0.0.1:0 2>>"$T/http.log" &
PIDS="$PIDS $!"
SPORT=""
for _ in $(seq 1 100); do
    SPORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/http.log")
    [ -n "$SPORT" ] && break
    sleep 0.05
done
[ -n "$SPORT" ] || fail "pith-serve --http did not start: $(cat "$T/http.log")"
post() { # N LINE: the answer body in $T/http-N.json, the status in $T/http-N.code
    curl -sS -m 20 -o "$T/http-$1.json" -w '%{http_code}' -X POST \
        --data-binary "{\"line\":\"$2\"}" "http://127.0.0.1:$SPORT/v1/query" >"$T/http-$1.code"
}
curl -s -X POST "$URL/stats/reset" >/dev/null
n=0
CPIDS=""
for q in "${QUERIES[@]}"; do
    for mode in vector fused; do
        n=$((n + 1))
        post $n "search $q --mode $mode -k 8" &
        CPIDS="$CPIDS $!"
    done
done
for p in $CPIDS; do wait "$p" || fail "a concurrent request failed"; done
n=0
for q in "${QUERIES[@]}"; do
    for mode in vector fused; do
        n=$((n + 1))
        [ "$(cat "$T/http-$n.code")" = 200 ] || fail "http $mode '$q': $(cat "$T/http-$n.code") $(cat "$T/http-$n.json")"
        same_ranking "http $mode '$q'" "$(cat "$T/ref-$mode-${q// /_}.json")" "$(cat "$T/http-$n.json")"
    done
done
served=$(texts_served)
[ "$served" -ge 5 ] && [ "$served" -le 10 ] || fail "http: $served texts embedded for 5 distinct queries"
post again "search area of a square --mode vector -k 8"
expect_eq "http: a repeated query is not embedded again" "$(texts_served)" "$served"

# an embedding server that is down is the upstream's fault: 502 "upstream"; lexical still 200
: >"$T/http2.log"
"$B/pith-serve" -i "$T/ollama" --http 127.0.0.1:0 --embed-url "$DOWN" 2>>"$T/http2.log" &
PIDS="$PIDS $!"
SPORT=""
for _ in $(seq 1 100); do
    SPORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/http2.log")
    [ -n "$SPORT" ] && break
    sleep 0.05
done
[ -n "$SPORT" ] || fail "pith-serve --http --embed-url did not start: $(cat "$T/http2.log")"
post down "search area of a square --mode vector -k 8"
expect_eq "http: embedding server down is 502" "$(cat "$T/http-down.code")" 502
expect_contains "http: 502 body" "$(cat "$T/http-down.json")" '"error":"upstream"'
expect_contains "http: 502 names the server" "$(cat "$T/http-down.json")" "request to $DOWN failed"
post downlex "search area of a square --mode lexical -k 8"
expect_eq "http: lexical needs no embedding server" "$(cat "$T/http-downlex.code")" 200

# the API key never shows in any output or file
grep -rqF "$PITH_E2E_KEY" "$LOG" "$T"/*.out "$T"/*.err "$T"/http-* "$T"/*/MANIFEST && fail "the API key appears in an output"
exit 0
