#!/usr/bin/env bash
# Provision what the Docker-backed tests need on a fresh Debian host, idempotently:
# a running Docker engine and a local Debian base image. No container registry is
# reachable here, so the base image is built with debootstrap from the host's own
# apt mirror and imported.
set -euo pipefail

BASE_IMAGE="${ENVSNAP_BASE_IMAGE:-envsnap/debian:bookworm}"
SUITE="${ENVSNAP_BASE_SUITE:-bookworm}"
log() { echo "provision: $*" >&2; }

apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The host's Debian mirror, read from apt's own configuration (deb822 or one-line form).
host_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '/^deb / && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "$uri"
}

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io"
    apt_install docker.io
  fi
  log "starting dockerd"
  nohup dockerd >/var/log/envsnap-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/envsnap-dockerd.log"; tail -20 /var/log/envsnap-dockerd.log >&2; exit 1; }
fi
log "docker engine: $(docker version --format '{{.Server.Version}}')"

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || { log "installing debootstrap"; apt_install debootstrap; }
  mirror=$(host_mirror)
  root=$(mktemp -d /var/tmp/envsnap-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  log "debootstrap $SUITE from the host mirror"
  debootstrap --variant=minbase "$SUITE" "$root" ${mirror:+"$mirror"} >/var/log/envsnap-debootstrap.log 2>&1 \
    || { tail -20 /var/log/envsnap-debootstrap.log >&2; exit 1; }
  # Keep the image small and its apt lists fresh-able.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE"
fi
echo "$BASE_IMAGE"
