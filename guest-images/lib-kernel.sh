# shellcheck shell=bash
# The guest kernels the images can be built with (fetch.sh GUEST_KERNEL)
# and where each one's images live: bookworm (Debian 12, the default) in
# build/images itself, the others in build/images/kernel-<name>. Sourced.

GUEST_KERNELS="bookworm trixie sid sid-16k"

# guest_kernel_dir IMG NAME: the image directory of kernel NAME under IMG
# (build/images); fails, printing nothing, for a name not in GUEST_KERNELS.
guest_kernel_dir() {
	case $2 in
	bookworm) echo "$1" ;;
	trixie | sid | sid-16k) echo "$1/kernel-$2" ;;
	*) return 1 ;;
	esac
}
