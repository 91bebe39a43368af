#!/usr/bin/env bash
# Builds the Rust floors (this crate) into build/ as scripts/lib/setup.sh's build_worker builds
# pharmedge: the pinned worker-build with the same local tools, the release profile, then the
# same wasm-opt strip of the names section. But on stable Rust, without build_worker's pinned
# nightly (build-std, immediate-abort panics): the floor is what an idiomatic workers-rs build gives.
# Run by scripts/bench-cpu.mjs when build/ is missing or older than the sources; never by scripts/test.
source "$(dirname "$0")/../../lib/setup.sh"
setup_tools
cd "$ROOT/scripts/capacity-baseline/rust"
export CARGO_TARGET_DIR="$PWD/target"
step nice -n 10 worker-build --release
step "$WASM_OPT_BIN" build/index_bg.wasm --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling -o build/index_bg.wasm
echo "    floor wasm: $(wc -c < build/index_bg.wasm) bytes raw, $(gzip -9 -c build/index_bg.wasm | wc -c) bytes gzip -9"
