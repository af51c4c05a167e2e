# pith-serve --mcp driven by the official MCP TypeScript SDK client (tests/node/mcp_client.mjs)
# over stdio, on an index of the pyresolve fixture: tools/list, exact answers of callers,
# callees, symbol, impact and search, tool errors, protocol errors, version negotiation.
. "$(dirname "$0")/lib.sh"
NODE_DIR="$(cd "$(dirname "$0")/../node" && pwd)"
[ -d "$NODE_DIR/node_modules/@modelcontextprotocol/sdk" ] ||
    fail "tests/node/node_modules is missing the MCP SDK: run 'make deps' (npm ci in tests/node)"
command -v node >/dev/null || fail "node is not installed (Node 20 is needed for the MCP SDK test)"
run "$PITH" index tests/fixtures/pyresolve -o "$T/idx"
[ $rc = 0 ] || fail "index exited $rc: $err"
run node "$NODE_DIR/mcp_client.mjs" "$B/pith-serve" "$T/idx"
[ $rc = 0 ] || fail "MCP SDK client (rc $rc): $out $err"
expect_contains "MCP SDK client" "$out" "ok: "
# the pith driver forwards `pith serve --mcp` to pith-serve
run sh -c "printf '%s\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}' | '$PITH' serve -i '$T/idx' --mcp"
[ $rc = 0 ] || fail "pith serve --mcp exited $rc: $err"
expect_eq "pith serve --mcp ping" "$out" '{"jsonrpc":"2.0","id":1,"result":{}}'
# a long session follows the index when `pith index` replaces it (hot swap)
cp -r tests/fixtures/pyresolve "$T/repo"
run "$PITH" index "$T/repo" -o "$T/idx2"
[ $rc = 0 ] || fail "index of the copy exited $rc: $err"
mkfifo "$T/in"
"$B/pith-serve" -i "$T/idx2" --mcp <"$T/in" >"$T/out" 2>"$T/serve.err" &
pid=$!
exec 3>"$T/in"
call='{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"symbol","arguments":{"name":"pkg/core.py:brand_new"}}}'
echo "${call/ID/1}" >&3
for _ in $(seq 100); do [ -s "$T/out" ] && break; sleep 0.05; done # answered from the old one
printf '\n\ndef brand_new():\n    return 1\n' >>"$T/repo/pkg/core.py"
run "$PITH" index "$T/repo" -o "$T/idx2"
[ $rc = 0 ] || fail "re-index exited $rc: $err"
sleep 0.5 # index_handle looks at INDEX at most every 200 ms
echo "${call/ID/2}" >&3
exec 3>&-
wait $pid || fail "pith-serve --mcp exited $?: $(cat "$T/serve.err")"
first=$(sed -n 1p "$T/out")
second=$(sed -n 2p "$T/out")
expect_contains "before the swap" "$first" '"isError":true'
expect_contains "after the swap" "$second" '\"qualname\":\"pkg/core.py:brand_new\"'
expect_contains "after the swap" "$second" '"isError":false'
exit 0
