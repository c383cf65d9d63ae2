# shellcheck shell=bash
# Helpers shared by build-guest.sh and build-l1.sh (sourced, bash): lay out a
# busybox root with applet links and pack a directory as an uncompressed newc
# cpio (the format the Linux initramfs unpacker reads).

# bb_root DIR BUSYBOX: copy the static arm64 busybox to DIR/bin/busybox and
# create one symlink per applet. The applet list is read from busybox itself
# (under qemu-aarch64-static when the host is not arm64); without that, /init
# falls back to "busybox --install -s" at boot.
bb_root() {
	local dir=$1 bb=$2 run=() p
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
	install -m 0755 "$bb" "$dir/bin/busybox"
	case $(uname -m) in
	aarch64) ;;
	*) command -v qemu-aarch64-static >/dev/null || return 0
	   run=(qemu-aarch64-static) ;;
	esac
	"${run[@]}" "$bb" --list-full | while read -r p; do
		[ "$p" = bin/busybox ] && continue
		[ -e "$dir/$p" ] || ln -s /bin/busybox "$dir/$p"
	done
}

# pack_cpio DIR OUT: newc archive of DIR, entries sorted, owned by root, so
# that the same inputs give the same bytes apart from mtimes.
pack_cpio() {
	local dir=$1 out=$2
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --owner 0:0 --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
}
