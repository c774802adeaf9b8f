#!/bin/sh
# Trunk post_build hook (Trunk.toml): writes this build's version and file list into the staged sw.js, so the
# service worker precaches exactly this bundle under a cache named after it.
set -eu
dir="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
cd "$dir"
files="$(find . -type f ! -name sw.js | sed 's|^\./||' | LC_ALL=C sort)"
version="$(printf '%s\n' "$files" | while read -r file; do sha256sum "$file"; done | sha256sum | cut -c1-16)"
list="$(printf '%s\n' "$files" | grep -v '^index\.html$' | sed 's|.*|"/&"|' | paste -sd, -)"
sed -i -e "s|^const BUILD_VERSION = 'dev';|const BUILD_VERSION = '$version';|" \
  -e "s|^const PRECACHE = \[\];|const PRECACHE = [$list];|" sw.js
grep -q "BUILD_VERSION = '$version'" sw.js || { echo "sw-build.sh: could not stamp sw.js" >&2; exit 1; }
