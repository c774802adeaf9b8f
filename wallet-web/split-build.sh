#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml), before sw-build.sh: finishes the app's wasm in a release build.
#
# index.html builds the app with the crate's `split` feature (and build.rs keeps its relocations): the
# functions marked as split points (`components::on_demand`, `wallet::on_demand`, the scanner's
# `start_session`) and the code only they reach go to wasm files of their own, fetched the first time one
# runs. This hook cuts them out of the raw wasm rustc wrote (wasm-split, from `wasm_split_cli_support`),
# runs wasm-bindgen on the rest (the start-up bundle) in place of trunk's output, gives each file a
# content-hashed name, runs `wasm-opt -Oz` on every wasm file (index.html turns trunk's own wasm-opt off),
# and puts the new hashes in index.html's integrity attributes. A build without the feature has no split
# points: its wasm is only optimised.
set -euo pipefail
dir="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
[ "${TRUNK_PROFILE:-}" = release ] || exit 0
root="${TRUNK_SOURCE_DIR:?run by trunk as a post_build hook}"
raw="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/wasm-release/wallet-web.wasm"
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)

die() {
  printf 'split-build.sh: %s\n' "$*" >&2
  exit 1
}
# The first 16 hex digits of a file's SHA-256: its name's content hash.
hash16() { sha256sum "$1" | cut -c1-16; }
# The `sha384-…` value of an integrity attribute for a file.
sri() { printf 'sha384-%s' "$(sha384sum "$1" | cut -c1-96 | tr a-f A-F | basenc --base16 -d | base64 -w0)"; }

shopt -s nullglob
apps=("$dir"/wallet-web-*.js)
[ "${#apps[@]}" = 1 ] || die "expected one wallet-web-*.js in $dir, found ${#apps[@]}"
name="$(basename "${apps[0]}" .js)"
js="$dir/$name.js"
wasm="$dir/${name}_bg.wasm"

if ! grep -qa __wasm_split_placeholder__ "$js"; then
  wasm-opt -Oz "${features[@]}" "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  exit 0
fi

[ -f "$raw" ] || die "no $raw (build with scripts/lib.sh's build_wallet)"
grep -qa __wasm_split_placeholder__ "$raw" || die "$raw has no split points: it is not the wasm trunk bundled"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wasm-split-cli "$raw" "$work/split" --out-name "$name" >"$work/split.log" 2>&1 ||
  { cat "$work/split.log" >&2; die "wasm-split failed (was the wasm linked with --emit-relocs?)"; }
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir "$work/bindgen" \
  --out-name "$name" "$work/split/$name.wasm"
wasm-opt -Oz "${features[@]}" "$work/bindgen/${name}_bg.wasm" -o "$wasm"
cp "$work/bindgen/$name.js" "$js"

# Each part, optimised under a content-hashed name; the loader (__wasm_split.js) fetches them by name.
loader="$work/split/__wasm_split.js"
for part in "$work/split"/*.wasm; do
  base="$(basename "$part" .wasm)"
  [ "$base" = "$name" ] && continue
  wasm-opt -Oz "${features[@]}" "$part" -o "$work/$base.wasm"
  hashed="$base-$(hash16 "$work/$base.wasm").wasm"
  mv "$work/$base.wasm" "$dir/$hashed"
  grep -q "\"./$base.wasm\"" "$loader" || die "__wasm_split.js does not name $base.wasm"
  sed -i "s|\"./$base.wasm\"|\"./$hashed\"|" "$loader"
done
hashed_loader="__wasm_split-$(hash16 "$loader").js"
cp "$loader" "$dir/$hashed_loader"
# Only the JS imports change: the wasm names its import module "./__wasm_split.js", and so do the keys of the
# imports object it is instantiated with.
grep -q '^import .* from "./__wasm_split.js"' "$js" || die "$name.js does not import ./__wasm_split.js"
sed -i "s|^\(import .* from \)\"./__wasm_split.js\"|\1\"./$hashed_loader\"|" "$js"

# index.html preloads the app's JS and wasm with integrity hashes: they changed.
html="$dir/index.html"
for file in "$name.js" "${name}_bg.wasm"; do
  grep -q "href=\"/$file\" [^>]*integrity=\"sha384-" "$html" || die "index.html has no integrity for $file"
  sed -i -E "s|(href=\"/$file\" [^>]*integrity=\")sha384-[A-Za-z0-9+/=]+|\1$(sri "$dir/$file")|" "$html"
done
