#!/usr/bin/env bash
# Builds a two-layer OCI image layout of a real Debian bookworm, as a distro image is made:
#   layer 1: `debootstrap --variant=minbase` plus iputils-ping (ping gets `cap_net_raw=ep` from
#            setcap, so libcap2-bin is included), sudo (setuid) and nano (to be purged);
#   layer 2: nano purged (whiteouts, removed alternatives), a `user.*` xattr, a directory
#            whose mode and owner change.
# Both layers are made by umoci (unpack, modify, repack), the reference unpacker the test
# compares uptick's rootfs with. Usage: debian-image.sh OUT_LAYOUT (created atomically; the
# image is tagged `debian`). Needs root, debootstrap, umoci, setfattr and Debian's mirror.
set -euo pipefail
out=$1
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "debian-image.sh needs root (debootstrap, chroot)" >&2; exit 1; }
[ -e "$out" ] && exit 0
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$out.build.XXXXXX")
cleanup() {
  for m in proc sys dev/pts dev; do
    mountpoint -q "$work/bundle/rootfs/$m" 2>/dev/null && umount -l "$work/bundle/rootfs/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
layout=$work/layout
bundle=$work/bundle
umoci init --layout "$layout"
umoci new --image "$layout:empty"
umoci unpack --image "$layout:empty" "$bundle" >/dev/null
debootstrap --variant=minbase --include=iputils-ping,sudo,libcap2-bin,nano \
  bookworm "$bundle/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -40 "$work/debootstrap.log" >&2; exit 1; }
# debootstrap leaves its apt lists and caches; the image keeps them (a real distro layer does).
umoci repack --refresh-bundle --image "$layout:base" "$bundle" >/dev/null
chroot "$bundle/rootfs" dpkg --purge nano >/dev/null
setfattr -n user.uptick.note -v "layer two" "$bundle/rootfs/etc/hostname"
mkdir -p "$bundle/rootfs/srv/shared"
chown 1000:1000 "$bundle/rootfs/srv" "$bundle/rootfs/srv/shared"
chmod 2775 "$bundle/rootfs/srv/shared"
chmod 0750 "$bundle/rootfs/srv"
umoci repack --image "$layout:debian" "$bundle" >/dev/null
umoci rm --image "$layout:empty"
umoci rm --image "$layout:base"
umoci gc --layout "$layout"
mv "$layout" "$out"
