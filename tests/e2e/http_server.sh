# pith-serve --http against the pyresolve fixture: every operation listed by /v1/ops answers
# byte for byte what `pith query --json` prints, exact call sites, limits (401/404/405/413/414),
# concurrent readers, refusal of a non-loopback address without a token, and a hot swap while a
# loop of requests runs (none may fail; the new artifact is then served; a corrupt one refused).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# start_server LOG ARGS...: starts pith-serve on an ephemeral loopback port; sets $SPID, $PORT
start_server() {
    local log="$1"; shift
    : >"$log" # exists before the first poll (the child opens it asynchronously)
    "$B/pith-serve" "$@" 2>>"$log" &
    SPID=$!
    PIDS="$PIDS $SPID"
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$log")
        [ -n "$PORT" ] && return 0
        kill -0 "$SPID" 2>/dev/null || fail "pith-serve exited: $(cat "$log")"
        sleep 0.05
    done
    fail "pith-serve did not report its port: $(cat "$log")"
}
# get PATH [CURL ARGS...]: sets $body and $code
get() {
    local path="$1"; shift
    code=$(curl -gsS -m 10 -o "$T/body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path") ||
        fail "curl $path failed"
    body=$(cat "$T/body")
}

run "$PITH" index tests/fixtures/pyresolve -o "$T/idx"
[ $rc = 0 ] || fail "index exited $rc: $err"
start_server "$T/log" -i "$T/idx" --http 127.0.0.1:0
[ "$(grep -c 'listening on http://127.0.0.1:' "$T/log")" = 1 ] || fail "log: $(cat "$T/log")"

# health: index path, format version, symbol count, commit
get /v1/health
[ "$code" = 200 ] || fail "health: $code $body"
health=$(printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["index"], d["format_version"], d["symbol_count"] > 0, "source_commit" in d, d["generation"])')
expect_eq "health" "$health" "ok $T/idx 1 True True 1"

# every operation of /v1/ops, GET and POST, against the CLI's --json answer
get /v1/ops
[ "$code" = 200 ] || fail "ops: $code"
printf '%s' "$body" > "$T/ops.json"
nops=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["ops"]))' "$T/ops.json")
[ "$nops" -ge 5 ] || fail "ops: only $nops"
# one line per op: OP, URL query, JSON body, CLI words (fields \x1e-, words \x1f-separated)
python3 - "$T/ops.json" >"$T/cases" <<'EOF'
import json, sys, urllib.parse
sample = {"name": "pkg/core.py:Registry.fetch", "query": "fetch registry", "from": "app.py:main",
          "to": "pkg/core.py:Registry.fetch", "path": "pkg", "file": "pkg/core.py",
          "files": "pkg/core.py"}
ints = {"depth": 2, "k": 3, "budget": 500}
for op in json.load(open(sys.argv[1]))["ops"]:
    params, cli_pos, cli_opt = {}, [], []
    for p in op["params"]:
        n = p["name"]
        if p["type"] == "integer" and n in ints:
            params[n] = ints[n]
            cli_opt += [p["flag"], str(ints[n])]
        elif p["type"] in ("string", "strings") and (p["required"] or n in ("name", "query")):
            v = sample.get(n, "pkg/core.py:Registry.fetch")
            params[n] = v
            if p["flag"]:
                cli_opt += [p["flag"], v]
            else:
                cli_pos.append(v)
    q = urllib.parse.urlencode(params)
    words = [op["name"]] + cli_opt + cli_pos + ["--json"]
    print("\x1e".join([op["name"], q, json.dumps(params), "\x1f".join(words)]))
EOF
while IFS=$'\x1e' read -r op q jbody words; do
    IFS=$'\x1f' read -r -a argv <<<"$words"
    "$PITH" query -i "$T/idx" "${argv[@]}" >"$T/cli.out" 2>/dev/null
    crc=$?
    case $crc in 0) want=200 ;; 1) want="300 404" ;; 2) want=400 ;; *) want=500 ;; esac
    get "/v1/$op?$q"
    case " $want " in *" $code "*) ;; *) fail "GET /v1/$op?$q: status $code, CLI rc $crc: $body" ;; esac
    [ "$crc" = 2 ] || expect_eq "GET /v1/$op?$q vs pith query ${argv[*]}" "$body" "$(cat "$T/cli.out")"
    get "/v1/$op" -X POST -H 'Content-Type: application/json' --data-binary "$jbody"
    case " $want " in *" $code "*) ;; *) fail "POST /v1/$op $jbody: status $code: $body" ;; esac
    [ "$crc" = 2 ] || expect_eq "POST /v1/$op" "$body" "$(cat "$T/cli.out")"
done <"$T/cases"
[ "$(wc -l <"$T/cases")" = "$nops" ] || fail "cases: $(cat "$T/cases")"

# exact answers
sites() { printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted("%s:%d" % (e["file"], e["line"]) for r in d["results"] for e in r["edges"])))'; }
get "/v1/callers?name=pkg/core.py:Registry.fetch"
[ "$code" = 200 ] || fail "callers: $code $body"
expect_eq "callers of Registry.fetch" "$(sites)" "app.py:12 app.py:20 pkg/__init__.py:11 pkg/shapes.py:31"
get /v1/query -X POST --data-binary '{"op":"callers","name":"Registry.fetch","depth":1}'
expect_eq "POST /v1/query callers" "$(sites)" "app.py:12 app.py:20 pkg/__init__.py:11 pkg/shapes.py:31"
get /v1/query -X POST --data-binary '{"line":"callers pkg/core.py:Registry.fetch"}'
expect_eq "POST /v1/query line" "$(sites)" "app.py:12 app.py:20 pkg/__init__.py:11 pkg/shapes.py:31"
get "/v1/symbol?name=pkg/core.py:Registry.fetch"
expect_contains "symbol" "$body" '"qualname":"pkg/core.py:Registry.fetch"'
expect_contains "symbol line" "$body" '"line":30'
get "/v1/search?query=fetch&k=1"
[ "$code" = 200 ] || fail "search: $code $body"
expect_contains "search" "$body" '"rank":1,'

# errors: JSON objects with the right status
get "/v1/callers?name=no_such_function"
[ "$code" = 404 ] || fail "not found: $code"
expect_contains "not found" "$body" '"error":"not_found"'
get "/v1/frobnicate?name=x"
[ "$code" = 404 ] || fail "unknown op: $code"
expect_contains "unknown op" "$body" '"error":"unknown_op"'
get "/nowhere"
[ "$code" = 404 ] || fail "unknown path: $code"
get "/v1/callers?name=fetch&depth=0"
[ "$code" = 400 ] || fail "bad depth: $code"
expect_contains "bad depth" "$body" '"error":"usage"'
get "/v1/callers?name=fetch&index=/etc"
[ "$code" = 400 ] || fail "index param: $code"
get "/v1/callers"
[ "$code" = 400 ] || fail "missing name: $code"
get "/v1/callers?name=%ff"
[ "$code" = 400 ] || fail "name not UTF-8: $code"
get /v1/query -X POST --data-binary '{"op":"callers","name":"pkg/../../etc"}'
[ "$code" = 404 ] || fail "odd name: $code" # a symbol name, not a path: simply not found
get "/v1/overview?path=../.."
[ "$code" = 400 ] || [ "$code" = 404 ] || fail "path with ..: $code"
get /v1/query -X POST --data-binary 'not json'
[ "$code" = 400 ] || fail "bad json: $code"
get /v1/health -X DELETE
[ "$code" = 405 ] || fail "DELETE: $code"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
get /v1/query -X POST --data-binary "@$T/big"
[ "$code" = 413 ] || fail "70 KB body: $code"
get "/v1/search?query=$(head -c 9000 /dev/zero | tr '\0' 'a')"
[ "$code" = 414 ] || fail "9 KB URL: $code"
get "/v1/symbol?name=fetch" # the connection survives the errors above
[ "$code" = 300 ] || [ "$code" = 200 ] || fail "after errors: $code"

# concurrent readers: 64 requests, 8 at a time
seq 1 64 | xargs -P 8 -I{} curl -s -m 10 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$PORT/v1/callers?name=pkg/core.py:Registry.fetch&depth=2" >"$T/par"
expect_eq "64 parallel requests" "$(sort -u "$T/par")" "200"
[ "$(wc -l <"$T/par")" = 64 ] || fail "parallel: $(wc -l <"$T/par") answers"

# hot swap: re-index a changed copy into the same INDEX while requests run
cp -r tests/fixtures/pyresolve "$T/repo2"
cat >"$T/repo2/extra.py" <<'EOF'
from pkg.core import Registry


def extra():
    r = Registry()
    return r.fetch("extra")
EOF
# two request loops; each runs until it has had 5 answers from the new generation (or 4000
# requests, or 60 s), writing "STATUS GENERATION" per request
loop() {
    local new=0 deadline=$((SECONDS + 60)) line
    for i in $(seq 1 4000); do
        line=$(curl -s -m 10 -o /dev/null -w '%{http_code} %header{x-pith-generation}' \
            "http://127.0.0.1:$PORT/v1/callers?name=pkg/core.py:Registry.fetch") || line="curl-failed"
        echo "$line"
        [ "$line" = "200 2" ] && new=$((new + 1))
        [ $new -ge 5 ] || [ $SECONDS -ge $deadline ] && break
    done >"$1"
}
loop "$T/loop1" &
L1=$!
loop "$T/loop2" &
L2=$!
PIDS="$PIDS $L1 $L2"
for _ in $(seq 1 200); do # both loops have answers from the old index first
    [ -s "$T/loop1" ] && [ -s "$T/loop2" ] && break
    sleep 0.05
done
run "$PITH" index "$T/repo2" -o "$T/idx"
[ $rc = 0 ] || fail "re-index exited $rc: $err"
wait "$L1" "$L2"
cat "$T/loop1" "$T/loop2" >"$T/loop"
n=$(wc -l <"$T/loop")
expect_eq "statuses and generations of $n requests across the swap" "$(sort -u "$T/loop")" \
    "$(printf '200 1\n200 2')"
get "/v1/callers?name=pkg/core.py:Registry.fetch"
expect_eq "callers after the swap" "$(sites)" "app.py:12 app.py:20 extra.py:6 pkg/__init__.py:11 pkg/shapes.py:31"
get /v1/health
expect_contains "generation" "$body" '"generation":2'
grep -q 'serving the new index' "$T/log" || fail "no swap line in the log: $(cat "$T/log")"

# a corrupt artifact renamed into place is refused; the previous one keeps serving
cp -r "$T/idx" "$T/bad"
python3 - "$T/bad/shard-0000.pith" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
EOF
mv "$T/idx" "$T/good" && mv "$T/bad" "$T/idx"
sleep 0.6
get "/v1/callers?name=pkg/core.py:Registry.fetch"
[ "$code" = 200 ] || fail "after a corrupt swap: $code $body"
expect_eq "callers after a refused swap" "$(sites)" "app.py:12 app.py:20 extra.py:6 pkg/__init__.py:11 pkg/shapes.py:31"
get /v1/health
expect_contains "refused" "$body" '"refused":1'
expect_contains "still generation 2" "$body" '"generation":2'
[ "$(grep -c 'refused the new index' "$T/log")" = 1 ] || fail "refusal log: $(cat "$T/log")"

# graceful stop on SIGTERM
kill -TERM "$SPID"
wait "$SPID"
src=$?
[ $src = 0 ] || fail "SIGTERM: exit $src"
grep -q 'pith-serve: stopped' "$T/log" || fail "no stop line: $(cat "$T/log")"
rm -rf "$T/idx" && mv "$T/good" "$T/idx"

# a token: every request must carry it; it never reaches the log
export PITH_TEST_TOKEN="s3cret-$$-token"
start_server "$T/log2" -i "$T/idx" --http 127.0.0.1:0 --token-env PITH_TEST_TOKEN
get /v1/health
[ "$code" = 401 ] || fail "no token: $code"
expect_contains "401 body" "$body" '"error":"unauthorized"'
get /v1/health -H "Authorization: Bearer wrong"
[ "$code" = 401 ] || fail "wrong token: $code"
get /v1/health -H "Authorization: Bearer ${PITH_TEST_TOKEN}x"
[ "$code" = 401 ] || fail "longer token: $code"
get /v1/health -H "Authorization: Bearer $PITH_TEST_TOKEN"
[ "$code" = 200 ] || fail "right token: $code $body"
get "/v1/callers?name=pkg/core.py:Registry.fetch" -H "Authorization: Bearer $PITH_TEST_TOKEN"
[ "$code" = 200 ] || fail "right token, callers: $code"
kill -TERM "$SPID"
wait "$SPID"
grep -q "$PITH_TEST_TOKEN" "$T/log2" && fail "the token was logged"

# a non-loopback address without a token is refused before binding
run env -u PITH_HTTP_TOKEN "$B/pith-serve" -i "$T/idx" --http 0.0.0.0:0
[ $rc = 2 ] || fail "0.0.0.0 without a token: rc $rc: $err"
expect_contains "0.0.0.0 refusal" "$err" "refusing to listen on non-loopback address"
run env -u PITH_HTTP_TOKEN "$B/pith-serve" -i "$T/idx" --http "[::]:0"
[ $rc = 2 ] || fail ":: without a token: rc $rc: $err"
run "$B/pith-serve" -i "$T/idx" --http 127.0.0.1:0 --token-env PITH_NO_SUCH_VARIABLE_SET
[ $rc = 2 ] || fail "unset --token-env: rc $rc"
run "$B/pith-serve" -i "$T/nonexistent" --http 127.0.0.1:0
[ $rc = 3 ] || fail "missing index: rc $rc"
exit 0
