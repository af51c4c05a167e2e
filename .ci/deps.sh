#!/usr/bin/env bash
# Installs what pith builds against: Debian packages (apt-get) and the pinned tree-sitter runtime
# and grammars (npm tarballs checked against .ci/third_party.sha256, extracted into third_party/).
# Usage: .ci/deps.sh [--no-apt]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="build-essential pkg-config clang libclang-19-dev protobuf-c-compiler libprotobuf-c-dev
libzstd-dev zstd libhnswlib-dev libcurl4-openssl-dev libcjson-dev libxxhash-dev libmicrohttpd-dev
libstemmer-dev git ca-certificates xz-utils"

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
cd third_party/tarballs
while read -r sum file; do
    [ -n "$sum" ] || continue
    if [ ! -f "$file" ] || ! echo "$sum  $file" | sha256sum -c --quiet - >/dev/null 2>&1; then
        spec="${file%.tgz}"                     # tree-sitter-python-0.25.0
        name="${spec%-*}"; ver="${spec##*-}"
        rm -f "$file"
        npm pack --silent "$name@$ver" >/dev/null
    fi
    echo "$sum  $file" | sha256sum -c --quiet - || { echo "deps: checksum mismatch for $file" >&2; exit 1; }
done < ../../.ci/third_party.sha256

cd ..
for t in tarballs/*.tgz; do
    base=$(basename "$t" .tgz); name="${base%-*}"
    [ -f "$name/.done" ] && [ "$(cat "$name/.done")" = "$base" ] && continue
    rm -rf "$name" && mkdir -p "$name"
    if [ "$name" = tree-sitter ]; then
        tar xzf "$t" -C "$name" --strip-components=1 package/vendor/tree-sitter/lib package/LICENSE
    else
        tar xzf "$t" -C "$name" --strip-components=1 --wildcards 'package/src/*' 'package/queries/*' 'package/LICENSE' 2>/dev/null ||
        tar xzf "$t" -C "$name" --strip-components=1 --wildcards 'package/src/*' 'package/LICENSE'
    fi
    echo "$base" > "$name/.done"
done
echo "deps: ok"
