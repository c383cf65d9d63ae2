# shellcheck shell=bash
# Helpers shared by fetch.sh and fetch-qemu.sh (sourced, bash): candidate
# versions of arm64 packages and their .debs, downloaded once into a cache
# outside the repository (never installed). The caller sets CACHE, SANDBOX
# (apt-get options when run as root) and a die function.

# deb_candidates PKG...: lines "PKG VERSION" for PKG:arm64, from one
# apt-cache call (each call costs about a second). Store the output in
# DEB_CANDIDATES for deb_download.
deb_candidates() {
	# shellcheck disable=SC2046 # one word per package
	apt-cache policy $(for p in "$@"; do echo "$p:arm64"; done) |
		awk '/^[^ ].*:arm64:$/ { sub(/:arm64:$/, ""); p = $0 }
		/^ *Candidate: / { print p, $2 }'
}

# deb_download PKG: the .deb for PKG:arm64 at its candidate version (from
# DEB_CANDIDATES), from the cache when present. Prints the path of the .deb.
deb_download() {
	local pkg=$1 ver deb
	ver=$(echo "$DEB_CANDIDATES" | awk -v p="$pkg" '$1 == p { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $pkg:arm64"
	# Debian file names encode an epoch "1:" as "1%3a".
	deb="$CACHE/${pkg}_${ver//:/%3a}_arm64.deb"
	if [ ! -s "$deb" ]; then
		echo "fetch: downloading $pkg:arm64 $ver" >&2
		# shellcheck disable=SC2086 # SANDBOX is empty or one option
		(cd "$CACHE" && apt-get download -qq $SANDBOX "$pkg:arm64=$ver") ||
			die "apt-get download $pkg:arm64 failed"
	fi
	[ -s "$deb" ] || die "expected $deb after download"
	echo "$deb"
}
