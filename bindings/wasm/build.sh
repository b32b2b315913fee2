#!/usr/bin/env bash
# Builds Brisk for WebAssembly and generates its JavaScript packages:
#   pkg-node/  for Node (`wasm-bindgen --target nodejs`), used by tests/node;
#   www/pkg/   for the browser (`--target web`), with worker.js, client.js and their types,
#              served with the playground page (www/index.html).
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli at the wasm-bindgen version in
# Cargo.lock (test.sh installs both).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac

(cd "$root" && cargo build -p brisk-wasm --target wasm32-unknown-unknown --profile wasm)
wasm="$target_dir/wasm32-unknown-unknown/wasm/brisk_wasm.wasm"
rm -rf "$here/pkg-node" "$here/www/pkg"
# Without the name section (function names, a fifth of the file): a panic's message reaches
# console.error through the panic hook (src/lib.rs) all the same.
wasm-bindgen --target nodejs --remove-name-section --out-dir "$here/pkg-node" "$wasm"
wasm-bindgen --target web --remove-name-section --out-dir "$here/www/pkg" "$wasm"
# wasm-bindgen declares an Option argument of a constructor as required (`T | null`); the
# argument of `new Database()` is optional. tests/types checks the result with tsc.
for d in "$here/pkg-node/brisk_wasm.d.ts" "$here/www/pkg/brisk_wasm.d.ts"; do
    sed -i 's/constructor(bytes: Uint8Array | ArrayBuffer | null);/constructor(bytes?: Uint8Array | ArrayBuffer | null);/' "$d"
done
cp "$here/js/worker.js" "$here/js/client.js" "$here/js/client.d.ts" "$here/www/pkg/"
echo "built: $(stat -c %s "$here/www/pkg/brisk_wasm_bg.wasm") bytes of WebAssembly in www/pkg/brisk_wasm_bg.wasm"
