#!/usr/bin/env bash
# tests/image/check_image.sh IMAGE
# What a pod gets from the image (scripts/image builds it): `tarmac version`, a short `tarmac
# eval`, a replay server with the module loaded, all as uid 10001; no compiler, build tree or
# sources inside. Runs each step with `buildah run` (chroot isolation, the host's network).
set -euo pipefail
image=${1:?usage: check_image.sh IMAGE}
container=$(buildah from --quiet "$image")
trap 'buildah rm "$container" >/dev/null' EXIT
run() { buildah run --isolation chroot "$container" -- "$@"; }
fail() { echo "check_image: $*" >&2; exit 1; }

uid=$(run id -u)
[[ $uid == 10001 ]] || fail "the image runs as uid $uid, not 10001"
[[ $(buildah inspect --format '{{.OCIv1.Config.User}}' "$image") == 10001:10001 ]] \
  || fail "the image's USER is not 10001:10001"

version=$(run /usr/local/bin/tarmac version)
echo "$version" | head -3
grep -q '^tarmac ' <<<"$version" || fail "tarmac version printed: $version"
grep -q 'git unknown' <<<"$version" && fail "the image does not know its commit: $version"

# A short evaluation: the expert on two episodes of one family, written where uid 10001 may.
suite='{name: image-check, families: [{family: cut_in, count: 2, seed: 4000}]}'
run sh -c "echo '$suite' > /tmp/suite.yaml"
run /usr/local/bin/tarmac eval --suite /tmp/suite.yaml --out /data/eval >/dev/null
run test -s /data/eval/report.json || fail "tarmac eval wrote no report.json"
run test -s /data/eval/report.html || fail "tarmac eval wrote no report.html"
[[ $(run stat -c %u /data/eval/report.json) == 10001 ]] || fail "the report is not uid 10001's"

# The replay server: redis-server with tarmac_replay loaded (the module found beside the binary
# at ../lib/tarmac/), on a free loopback port of this machine's network.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
modules=$(run sh -c "
  /usr/local/bin/tarmac replay-server --port $port --dir /tmp/replay --appendonly false \
    >/tmp/replay.log 2>&1 &
  for i in \$(seq 100); do redis-cli -p $port PING >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $port MODULE LIST; redis-cli -p $port REPLAY.CREATE rl CAPACITY 10
  redis-cli -p $port SHUTDOWN NOSAVE >/dev/null 2>&1 || true")
grep -q replay <<<"$modules" || fail "the replay server did not load the module: $modules"
grep -q '^OK$' <<<"$modules" || fail "REPLAY.CREATE failed in the image: $modules"

[[ $(run stat -c %a /usr/local/lib/tarmac/tarmac_replay.so) == 755 ]] \
  || fail "tarmac_replay.so is not executable: Redis 7 will not load it"

# Only what the pods need: no toolchain, no sources or build tree, no apt lists.
# (buildah reports each failing command on stderr: expected here.)
for tool in g++ gcc c++ cmake ninja make; do
  if run sh -c "command -v $tool" >/dev/null 2>&1; then fail "the image holds $tool"; fi
done
for path in /src /out /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease \
  /usr/include/torch; do
  if run test -e "$path" 2>/dev/null; then fail "the image holds $path"; fi
done
size=$(buildah images --noheading --format '{{.Size}}' "$image")
echo "image $image: $size, uid 10001, tarmac version, eval, replay server with module: ok"
