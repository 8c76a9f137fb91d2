#!/bin/sh
# envsnap: install Debian/Ubuntu packages at the versions captured on the original machine.
# Archives drop superseded versions, so when any pinned version is gone the whole set is installed
# at the archive's candidates (one consistent set, never a mix) and every difference is written to
# the build log (lines starting "envsnap-warning:") and to /etc/envsnap/apt-mismatch.txt.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
mkdir -p /etc/envsnap
: > /etc/envsnap/apt-mismatch.txt
exact=1
for spec in "$@"; do
  name=${spec%%=*}; want=${spec#*=}
  [ "$name" = "$spec" ] && continue
  if ! apt-cache madison "$name" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$want"; then
    exact=0
  fi
done
if [ "$exact" = 1 ]; then
  apt-get install -y -qq --no-install-recommends --allow-downgrades "$@"
else
  names=""
  for spec in "$@"; do names="$names ${spec%%=*}"; done
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $names
fi
for spec in "$@"; do
  name=${spec%%=*}; want=${spec#*=}
  [ "$name" = "$spec" ] && continue
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || echo missing)
  if [ "$have" != "$want" ]; then
    echo "envsnap-warning: $name $want is not in the archive any more; installed $have"
    echo "$name $want $have" >> /etc/envsnap/apt-mismatch.txt
  fi
done
rm -rf /var/lib/apt/lists/*
