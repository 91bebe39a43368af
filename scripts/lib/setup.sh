# Sourced by scripts/dev, scripts/test, scripts/bench and scripts/schemathesis: installs what is
# missing, from the package registries only (rustup dist, crates.io, npm, PyPI), at pinned versions, and points
# worker-build at the local tools so it never downloads from anywhere else.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

WORKER_BUILD_VERSION=0.8.7   # must match the worker crate's minor version
# wasm-bindgen-cli must equal the wasm-bindgen version resolved in Cargo.lock, exactly.
WASM_BINDGEN_VERSION=$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)

# The release wasm only is built by this pinned nightly (build_worker), for the standard library
# rebuilt for size with panics that trap at once (README "Benchmarks"); fmt, clippy and the
# native tests stay on stable (Cargo.toml rust-version).
WASM_TOOLCHAIN=nightly-2026-05-20
WASM_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"

# Python tools (schemathesis and all it pulls in, pinned in tests/schemathesis/requirements.txt)
# live in a git-ignored venv, recreated when the pins change.
PY_VENV="$ROOT/.tools/venv"
PY_REQUIREMENTS="$ROOT/tests/schemathesis/requirements.txt"

step() { local started=$SECONDS; echo "==> $*"; "$@"; echo "    ($(( SECONDS - started )) s)"; }

setup_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || step rustup target add wasm32-unknown-unknown
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || step rustup component add clippy rustfmt
  if ! rustup toolchain list | grep -q "^$WASM_TOOLCHAIN-" \
    || ! rustup component list --toolchain "$WASM_TOOLCHAIN" --installed | grep -q '^rust-src' \
    || ! rustup target list --toolchain "$WASM_TOOLCHAIN" --installed | grep -qx wasm32-unknown-unknown; then
    step rustup toolchain install "$WASM_TOOLCHAIN" --profile minimal --component rust-src \
      --target wasm32-unknown-unknown
  fi
  [ "$(worker-build --version 2>/dev/null || true)" = "$WORKER_BUILD_VERSION" ] \
    || step cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
  # No --locked: its lock pins a webpki-roots version the registry no longer has.
  [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] \
    || step cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step npm ci --no-audit --no-fund
  fi
  export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
  export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
  export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
}

setup_python_tools() {
  local stamp="$PY_VENV/.requirements.sha256" wanted
  wanted=$(sha256sum < "$PY_REQUIREMENTS")
  [ -x "$PY_VENV/bin/schemathesis" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && return 0
  rm -rf "$PY_VENV"
  step python3 -m venv "$PY_VENV"
  step "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$PY_REQUIREMENTS"
  echo "$wanted" > "$stamp"
}

# Headless Chromium for the page tests, from Debian's packages (no browser download).
# Pinned to a major version: Debian replaces the exact build with each security update.
CHROMIUM_MAJOR=148
CJK_FONT_VERSION=0.2.0-beta-3.1
setup_browser() {
  if ! chromium --version 2>/dev/null | grep -q "^Chromium $CHROMIUM_MAJOR\."; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y --no-install-recommends "chromium=$CHROMIUM_MAJOR.*" \
      || { step $sudo apt-get update && step $sudo apt-get install -y --no-install-recommends "chromium=$CHROMIUM_MAJOR.*"; }
  fi
  # A CJK font, so pages render (and screenshot) their Chinese instead of boxes.
  if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    step $sudo apt-get install -y --no-install-recommends "fonts-wqy-microhei=$CJK_FONT_VERSION"
  fi
  export CHROMIUM_BIN="$(command -v chromium)"
  echo "    $(chromium --version 2>/dev/null | head -1)"
}

build_worker() {
  # Our own entry shim (scripts/lib/shim.js: a cheap panic safety net at the entry points only)
  # instead of worker-build's default, which pays for its recovery on every call and every
  # crossing into the wasm (README "Benchmarks"). A custom shim takes worker-build's bundler path,
  # which writes build/worker/{shim.mjs,index.wasm}; moved to the usual build/index.js and
  # build/index_bg.wasm.
  # The pinned nightly rebuilds the standard library (build-std) for this build only, with its
  # size-optimised features and `panic=immediate-abort`: a panic is a bare `unreachable` trap (no
  # message or location, no formatting code for them in the wasm), from which the shim recovers
  # as from any trap. Our code must not panic anyway.
  step env CUSTOM_SHIM="$ROOT/scripts/lib/shim.js" RUSTUP_TOOLCHAIN="$WASM_TOOLCHAIN" \
    CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$WASM_RUSTFLAGS" worker-build --release
  [ "$(grep -o '"./index.wasm"' build/worker/shim.mjs | wc -l)" = 1 ] \
    || { echo "build_worker: expected one import of ./index.wasm in build/worker/shim.mjs" >&2; return 1; }
  sed 's#"./index.wasm"#"./index_bg.wasm"#' build/worker/shim.mjs > build/index.js
  mv build/worker/index.wasm build/index_bg.wasm
  rm -rf build/worker
  # worker-build always keeps the function-names section (it passes --debuginfo to wasm-opt
  # after the profile's own flags): about 400 KB raw, 9 % of the gzip size. Stripped here,
  # without another optimisation pass; a crash's stack then shows wasm-function[N].
  step "$WASM_OPT_BIN" build/index_bg.wasm --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling -o build/index_bg.wasm
  # The pages' static files, served through the ASSETS binding (wrangler.toml [assets]) under
  # the names src/pages/site.rs gives them.
  rm -rf build/assets && mkdir -p build/assets
  cp src/pages/assets/* build/assets/
  cp src/pages/vendor/jsqr.min.js build/assets/jsqr.js
  local raw gz
  raw=$(wc -c < build/index_bg.wasm)
  gz=$(gzip -9 -c build/index_bg.wasm | wc -c)
  echo "    wasm: ${raw} bytes raw, ${gz} bytes gzip -9 (limit 3 MiB gzip on the free plan)"
}

# .dev.vars with random secrets (never committed): created once, and any secret a newer
# version needs is appended.
ensure_dev_vars() {
  touch .dev.vars
  for name in MEMBER_JWT_SECRET STAFF_JWT_SECRET CORE_SIGNING_SECRET EDGE_SIGNING_SECRET POSTER_SIGNING_SECRET PICKUP_SIGNING_SECRET REFERRAL_SECRET; do
    if ! grep -q "^$name=" .dev.vars; then
      echo "$name=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')" >> .dev.vars
      echo "==> added a random $name to .dev.vars"
    fi
  done
}
