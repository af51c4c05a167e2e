#!/usr/bin/env bash
# Installs what pith builds against: Debian packages (apt-get) and the pinned tree-sitter runtime
# and grammars (npm tarballs checked against .ci/third_party.sha256, extracted into third_party/).
# Usage: .ci/deps.sh [--no-apt]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="build-essential pkg-config clang libclang-19-dev protobuf-c-compiler libprotobuf-c-dev
libzstd-dev zstd libhnswlib-dev libcurl4-openssl-dev libcjson-dev libxxhash-dev libmicrohttpd-dev
libstemmer-dev libopenblas-dev libssl-dev curl git ca-certificates xz-utils
python3"

if [ "${1:-}" != "--no-apt" ]; then
    missing=""
    for p in $APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    command -v node >/dev/null || missing="$missing nodejs"
    command -v npm >/dev/null || missing="$missing npm"
    if [ -n "$missing" ]; then
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
    fi
fi

mkdir -p third_party/tarballs
cd third_party
# Each line of .ci/third_party.sha256: sha256, tarball, npm spec, what to extract.
grep -vE '^\s*(#|$)' ../.ci/third_party.sha256 | while read -r sum file spec what; do
    t="tarballs/$file"
    if [ ! -f "$t" ] || ! echo "$sum  $t" | sha256sum -c --quiet - >/dev/null 2>&1; then
        rm -f "$t"
        (cd tarballs && npm pack --silent "$spec" >/dev/null)
    fi
    echo "$sum  $t" | sha256sum -c --quiet - || { echo "deps: checksum mismatch for $file" >&2; exit 1; }
    name="${spec%@*}"; name="${name#@}"; name="${name//\//-}"   # @a/b@1 -> a-b
    [ -f "$name/.done" ] && [ "$(cat "$name/.done")" = "$file" ] && continue
    rm -rf "$name" && mkdir -p "$name"
    case "$what" in
    runtime) tar xzf "$t" -C "$name" --strip-components=1 package/vendor/tree-sitter/lib package/LICENSE ;;
    grammar) tar xzf "$t" -C "$name" --strip-components=1 --wildcards 'package/src/*' 'package/queries/*' \
                 'package/LICENSE' 2>/dev/null ||
             tar xzf "$t" -C "$name" --strip-components=1 --wildcards 'package/src/*' 'package/LICENSE' ;;
    package) tar xzf "$t" -C "$name" --strip-components=1 ;;
    *) echo "deps: unknown extraction '$what' for $file" >&2; exit 1 ;;
    esac
    echo "$file" > "$name/.done"
done
cd ..

# Test-only Node helpers (the MCP SDK client, the embedding reference runtime), pinned by
# tests/node/package-lock.json (integrity hashes); installed without running package scripts.
if [ -f tests/node/package-lock.json ]; then
    if [ ! -f tests/node/node_modules/.package-lock.json ] ||
       ! cmp -s tests/node/package-lock.json tests/node/.installed-lock; then
        (cd tests/node && npm ci --ignore-scripts --no-audit --no-fund --silent) &&
            cp tests/node/package-lock.json tests/node/.installed-lock
    fi
fi
echo "deps: ok"
