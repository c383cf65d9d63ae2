# shellcheck shell=bash
# Helpers shared by fetch.sh and fetch-qemu.sh (sourced, bash): candidate
# versions of arm64 packages and their .debs, downloaded once into a cache
# outside the repository (never installed). The caller sets CACHE, SANDBOX
# (apt-get options when run as root) and a die function; DEB_APT_OPTS
# (optional, words) goes to every apt-cache and apt-get call, e.g. another
# suite's sources list and package lists (fetch.sh, GUEST_KERNEL).

# deb_candidates PKG...: lines "PKG VERSION" for PKG:arm64 (apt-cache names
# it PKG:arm64, or PKG when arm64 is apt's own architecture), from one
# apt-cache call (each call costs about a second). Store the output in
# DEB_CANDIDATES for deb_download.
deb_candidates() {
	# shellcheck disable=SC2046,SC2086 # one word per package / option
	apt-cache ${DEB_APT_OPTS:-} policy $(for p in "$@"; do echo "$p:arm64"; done) |
		awk '/^[^ ].*:$/ { sub(/:$/, ""); sub(/:arm64$/, ""); p = $0 }
		/^ *Candidate: / { print p, $2 }'
}

# deb_download PKG: the .deb for PKG:arm64 at its candidate version (from
# DEB_CANDIDATES), from the cache (DEB_DIR, default CACHE) when present.
# Prints the path of the .deb.
deb_download() {
	local pkg=$1 ver deb
	ver=$(echo "$DEB_CANDIDATES" | awk -v p="$pkg" '$1 == p { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $pkg:arm64"
	# Debian file names encode an epoch "1:" as "1%3a".
	deb="${DEB_DIR:-$CACHE}/${pkg}_${ver//:/%3a}_arm64.deb"
	if [ ! -s "$deb" ]; then
		echo "fetch: downloading $pkg:arm64 $ver" >&2
		# shellcheck disable=SC2086 # SANDBOX is empty or one option
		(cd "${DEB_DIR:-$CACHE}" && apt-get ${DEB_APT_OPTS:-} download -qq $SANDBOX "$pkg:arm64=$ver") ||
			die "apt-get download $pkg:arm64 failed"
	fi
	[ -s "$deb" ] || die "expected $deb after download"
	echo "$deb"
}
