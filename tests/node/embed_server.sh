# Sourced by the e2e scripts that need tests/node/embed_server.mjs (after tests/e2e/lib.sh):
# start_embed_server [SERVER ARGS...] starts it on an ephemeral loopback port, logs in
# $T/server.{out,err}, and sets EMBED_SRV (its pid: the caller kills it), PORT and URL.
NODE_DIR="$PWD/tests/node"
command -v node >/dev/null || fail "node is not installed"
[ -d "$NODE_DIR/node_modules/@energetic-ai/embeddings" ] || fail "tests/node/node_modules missing (make deps)"
start_embed_server() {
    (cd "$NODE_DIR" && exec node embed_server.mjs "$@") >"$T/server.out" 2>"$T/server.err" &
    EMBED_SRV=$!
    for _ in $(seq 300); do
        grep -q '^port ' "$T/server.out" 2>/dev/null && break
        kill -0 $EMBED_SRV 2>/dev/null || fail "test server died: $(cat "$T/server.err")"
        sleep 0.1
    done
    PORT=$(awk '/^port /{print $2}' "$T/server.out")
    [ -n "$PORT" ] || fail "test server printed no port"
    URL="http://127.0.0.1:$PORT"
}
