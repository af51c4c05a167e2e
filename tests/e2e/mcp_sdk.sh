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
exit 0
