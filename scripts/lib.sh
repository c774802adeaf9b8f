# shellcheck shell=bash
# Helpers shared by scripts/run and scripts/test. Source it: it enters the repository root and defines
# idempotent `ensure_*` installers (each skips what is already present at the right version).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# One build cache for everything (cargo, wasm-pack, trunk): ./target unless the caller chose another.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Trunk would otherwise ask crates.io for a newer trunk on every build.
export TRUNK_SKIP_VERSION_CHECK=true

TRUNK_VERSION=0.21.14
WASM_PACK_VERSION=0.15.1

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

require_rust() {
  command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 \
    || die "cargo/rustup not found: install Rust with rustup first (https://rustup.rs)"
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The wasm-bindgen version the wallet links against; the CLI must match it exactly.
wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen_cli() {
  local want
  want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    say "installing wasm-bindgen-cli $want (about 2 minutes)"
    # Not --locked: its lock file wants a crate version the registry no longer has.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (about 6 minutes)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

# wasm-split (the `wasm-split-cli` binary of `wasm_split_cli_support`): cuts the wallet's on-demand parts out
# of its wasm (wallet-web/split-build.sh, trunk's post_build hook).
WASM_SPLIT_VERSION=0.2.4
ensure_wasm_split() {
  if ! cargo install --list | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
    say "installing wasm-split $WASM_SPLIT_VERSION (about 2 minutes)"
    cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
  fi
}

ensure_wasm_pack() {
  if ! command -v wasm-pack >/dev/null 2>&1; then
    say "installing wasm-pack $WASM_PACK_VERSION (about 3 minutes)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION"
  fi
}

CARGO_FUZZ_VERSION=0.13.2

# cargo-fuzz and the nightly toolchain it needs (libFuzzer's coverage flags are nightly-only).
ensure_cargo_fuzz() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (for cargo-fuzz only)"
    rustup toolchain install nightly --profile minimal
  fi
  if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 1.5 minutes)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null 2>&1; then
    say "installing chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
}

# ffmpeg (Debian's) turns the wallet's screenshots of its animated QR codes into the .y4m video that headless
# Chromium plays as a fake camera (e2e/camera.test.mjs).
ensure_ffmpeg() {
  if ! command -v ffmpeg >/dev/null 2>&1; then
    say "installing ffmpeg"
    apt_install ffmpeg
  fi
}

ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "installing node and npm"
    apt_install nodejs npm
  fi
}

# e2e/ holds the npm packages: playwright-core (browser tests) and binaryen (wasm-opt, which trunk uses to
# shrink the wallet). `npm ci` runs again only when package-lock.json changed.
ensure_npm_packages() {
  local stamp="e2e/node_modules/.installed-from-lock"
  if [ ! -f "$stamp" ] || ! cmp -s e2e/package-lock.json "$stamp"; then
    say "installing npm packages in e2e/ (npm ci)"
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
    cp e2e/package-lock.json "$stamp"
  fi
  export PATH="$ROOT/e2e/node_modules/.bin:$PATH"
}

# Starts the local PostgreSQL cluster (installing it if missing), makes sure the `mint` role exists, drops
# databases left by earlier test runs, and exports MINT_TEST_POSTGRES_URL for the mint's store tests.
ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    say "installing postgresql"
    apt_install postgresql
  fi
  local version cluster port status
  read -r version cluster port status _ <<<"$(pg_lsclusters -h | head -n 1)"
  if [ "$status" != online ]; then
    say "starting PostgreSQL $version/$cluster"
    as_root pg_ctlcluster "$version" "$cluster" start
  fi
  local tries=0
  until pg_isready -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || die "PostgreSQL did not become ready on port $port"
    sleep 1
  done
  psql_admin() { as_root su postgres -c "psql -p $port -qtAX -c \"$1\""; }
  if [ "$(psql_admin "select 1 from pg_roles where rolname = 'mint'")" != 1 ]; then
    psql_admin "create user mint with password 'mint' createdb" >/dev/null
  fi
  # A database still in use (another test run on this machine) refuses the drop and is kept.
  local database
  for database in $(psql_admin "select datname from pg_database where datname like 'mint\\_test\\_%'"); do
    psql_admin "drop database if exists $database" >/dev/null 2>&1 || true
  done
  export MINT_TEST_POSTGRES_URL="${MINT_TEST_POSTGRES_URL:-postgres://mint:mint@127.0.0.1:$port/postgres}"
}

# Nutshell (PyPI `cashu`: the reference Cashu wallet CLI and mint) for the interoperability tests, in a venv
# under the build directory. Every package is pinned in scripts/nutshell-requirements.txt (why: see there) and
# installed without pip's resolver; it installs again only when that file changed or the venv is broken.
NUTSHELL_VENV="$CARGO_TARGET_DIR/nutshell-venv"
nutshell_version() {
  sed -n 's/^cashu==//p' "$ROOT/scripts/nutshell-requirements.txt"
}

ensure_nutshell() {
  local requirements="$ROOT/scripts/nutshell-requirements.txt" want stamp="$NUTSHELL_VENV/.installed-from"
  want="$(nutshell_version)"
  [ -n "$want" ] || die "no cashu== pin in $requirements"
  if cmp -s "$requirements" "$stamp" \
    && [ "$("$NUTSHELL_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cashu"))' 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "installing nutshell (cashu $want) into $NUTSHELL_VENV (about a minute)"
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "nutshell needs Python >= 3.10; python3 is $(python3 --version 2>&1)"
  # Debian's python3 needs python3-venv (ensurepip) to make a venv.
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  rm -rf "$NUTSHELL_VENV"
  python3 -m venv "$NUTSHELL_VENV"
  timeout 900 "$NUTSHELL_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements" \
    || die "pip could not install nutshell from $requirements (see above)"
  # The CLI must start (imports every module a wallet command needs).
  "$NUTSHELL_VENV/bin/cashu" --help >/dev/null || die "the nutshell CLI does not start"
  cp "$requirements" "$stamp"
}

# Builds the wallet bundle into ./dist: profile wasm-release, the on-demand parts split out (the `split` feature,
# index.html), then wasm-opt -Oz (wallet-web/split-build.sh, trunk's post_build hook; needs ensure_wasm_split).
build_wallet() {
  trunk build --release --dist "$ROOT/dist"
}
