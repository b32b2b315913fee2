#!/usr/bin/env bash
# Installs what the WebAssembly build and its tests need, builds, and runs the tests:
# - the wasm32-unknown-unknown target (rustup);
# - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (cargo install, about
#   five minutes, skipped when that version is on PATH);
# - Debian's chromium, for the browser test (apt-get, skipped when /usr/bin/chromium exists);
# - the Node packages in package-lock.json (npm ci: playwright-core, which drives that chromium
#   and downloads no browser; typescript).
# Then tests/types (tsc --strict over code that uses the generated declarations), tests/node (the JS API under Node) and tests/browser (the playground page and OPFS in
# headless Chromium; its screenshot goes to test-artifacts/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
export PATH="$HOME/.cargo/bin:$PATH"

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" != "$version" ]; then
    echo "installing wasm-bindgen-cli $version"
    # Not --locked: the CLI's own lockfile can pin versions newer than the registry holds.
    cargo install --quiet wasm-bindgen-cli --version "$version"
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium"
    sudo_=""
    [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq
    $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

npm ci --silent --no-audit --no-fund

bash build.sh
node_modules/.bin/tsc -p tests/types
node --test --test-reporter=spec tests/node/
node tests/browser/playground.mjs
