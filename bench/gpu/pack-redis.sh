#!/usr/bin/env bash
# Puts this machine's redis-server into a bundle folder for a machine that has none and cannot install one (a lent
# GPU machine with no network): BUNDLE/libexec/redis-server, the libraries it links against except glibc's own in
# BUNDLE/lib/redis, and BUNDLE/bin/redis-server, a wrapper that gives only redis that library path, so that nothing
# else in the bundle's processes loads this machine's libraries. The other machine's glibc must be at least as new
# as the one redis was built against (Debian 12's 2.36 needs 2.34; Ubuntu 24.04 has 2.39).
#
# Usage: bench/gpu/pack-redis.sh BUNDLE
set -euo pipefail
bundle=${1:?usage: bench/gpu/pack-redis.sh BUNDLE}
server=$(command -v redis-server) || { echo "pack-redis.sh: redis-server is not installed here" >&2; exit 2; }
server=$(readlink -f "$server")
mkdir -p "$bundle/bin" "$bundle/libexec" "$bundle/lib/redis"
cp "$server" "$bundle/libexec/redis-server"
# `ldd` prints "name => path (address)" per library; glibc's (libc, libm, the loader, ...) stay the host's.
ldd "$server" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$bundle/lib/redis/"; done
cat >"$bundle/bin/redis-server" <<'WRAPPER'
#!/bin/sh
# redis-server from the bundle, with its own libraries (bench/gpu/pack-redis.sh). The binary keeps its name: redis
# picks server mode (not redis-check-rdb's) from argv[0].
here=$(cd "$(dirname "$0")/.." && pwd)
LD_LIBRARY_PATH="$here/lib/redis" exec "$here/libexec/redis-server" "$@"
WRAPPER
chmod +x "$bundle/bin/redis-server"
"$bundle/bin/redis-server" --version >/dev/null
echo "redis-server $("$bundle/bin/redis-server" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') packed with $(ls "$bundle/lib/redis" | wc -l) libraries"
