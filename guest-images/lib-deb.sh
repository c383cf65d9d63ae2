# shellcheck shell=bash
# Helpers shared by fetch.sh and fetch-qemu.sh (sourced, bash): candidate
# versions of arm64 packages and their .debs, downloaded once into a cache
# outside the repository (never installed). The caller sets CACHE, SANDBOX
# (apt-get options when run as root) and a die function, and may set
# DEB_APT_OPTS (apt options naming another suite's lists, see deb_suite).

# deb_candidates PKG...: lines "PKG VERSION ARCH" for PKG:arm64 (ARCH
# arm64), or for an architecture-independent PKG (ARCH all, asked for only
# when PKG:arm64 has no candidate), from one or two apt-cache calls (each
# costs about a second). Store the output in DEB_CANDIDATES for
# deb_download.
deb_candidates() {
	local out none
	# shellcheck disable=SC2046 # one word per package
	out=$(apt-cache ${DEB_APT_OPTS:-} policy $(for p in "$@"; do echo "$p:arm64"; done) |
		awk '/^[^ ].*:$/ { sub(/(:arm64)?:$/, ""); p = $0 }
		/^ *Candidate: / { print p, $2, "arm64" }')
	none=$(echo "$out" | awk '$2 == "(none)" { print $1 }')
	echo "$out" | awk '$2 != "(none)"'
	[ -n "$none" ] || return 0
	# shellcheck disable=SC2086 # one word per package
	apt-cache ${DEB_APT_OPTS:-} policy $none |
		awk '/^[^ ].*:$/ { sub(/:$/, ""); p = $0 }
		/^ *Candidate: / { print p, $2, ($2 == "(none)" ? "arm64" : "all") }'
}

# deb_download PKG: the .deb for PKG:arm64 at its candidate version (from
# DEB_CANDIDATES), from the cache (DEB_DIR, default CACHE) when present.
# Prints the path of the .deb.
deb_download() {
	local pkg=$1 ver arch spec deb
	ver=$(echo "$DEB_CANDIDATES" | awk -v p="$pkg" '$1 == p { print $2 }')
	arch=$(echo "$DEB_CANDIDATES" | awk -v p="$pkg" '$1 == p { print $3 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $pkg:arm64"
	spec=$pkg:arm64
	[ "$arch" = all ] && spec=$pkg
	# Debian file names encode an epoch "1:" as "1%3a". With arm64 as the
	# native architecture (deb_suite), PKG:arm64 also finds an
	# architecture-independent PKG: its file ends in _all.
	deb="${DEB_DIR:-$CACHE}/${pkg}_${ver//:/%3a}_${arch:-arm64}.deb"
	[ -s "$deb" ] || [ ! -s "${deb%_arm64.deb}_all.deb" ] || deb=${deb%_arm64.deb}_all.deb
	if [ ! -s "$deb" ]; then
		echo "fetch: downloading $spec $ver" >&2
		# shellcheck disable=SC2086 # SANDBOX and DEB_APT_OPTS: option words
		(cd "${DEB_DIR:-$CACHE}" && apt-get download -qq $SANDBOX ${DEB_APT_OPTS:-} "$spec=$ver") ||
			die "apt-get download $spec failed"
	fi
	[ -s "$deb" ] || [ ! -s "${deb%_arm64.deb}_all.deb" ] || deb=${deb%_arm64.deb}_all.deb
	[ -s "$deb" ] || die "expected $deb after download"
	echo "$deb"
}

# deb_closure PRUNE ROOT...: the arm64 packages ROOT... need, one name a
# line: ROOT... and, transitively, their Depends and Pre-Depends (the first
# of alternatives; for a virtual package, its first provider), from one
# apt-cache call per level. PRUNE is a space-separated list of packages
# neither listed nor followed (tools a package's maintainer scripts or
# full installs want but a guest image does not, such as dpkg).
deb_closure() {
	local prune=" $1 " seen=" " level next p
	shift
	level="$*"
	while [ -n "$level" ]; do
		next=
		for p in $level; do
			case $prune$seen in *" $p "*) continue ;; esac
			seen="$seen$p "
			next="$next $p"
		done
		[ -n "$next" ] || break
		# shellcheck disable=SC2046 # one word per package
		level=$(apt-cache ${DEB_APT_OPTS:-} depends --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances \
			$(for p in $next; do echo "$p:arm64"; done) 2>/dev/null |
			awk '
			# "  Depends: X" or "  PreDepends: X"; "|Depends: X" starts
			# alternatives: X is taken, the ones after it are not.
			/^  [|]?(Pre)?Depends: / {
				alt = skip; skip = ($1 ~ /^[|]/)
				if (alt) { virt = 0; next }
				n = $2
				if (n ~ /^</) { virt = 1; next }
				virt = 0; print n; next
			}
			/^    / { if (virt) { print $1; virt = 0 } next }
			{ virt = 0; skip = 0 }' |
			sed 's/:\(arm64\|any\|all\)$//' | sort -u)
	done
	for p in $seen; do echo "$p"; done
}

# deb_suite SUITE: point the helpers above at Debian SUITE (e.g. trixie) for
# arm64, with its own package lists in $CACHE/apt-SUITE (the host's apt
# state untouched; the archive URI is the host's own); the lists are
# fetched once. Sets DEB_APT_OPTS.
deb_suite() {
	local suite=$1 d=$CACHE/apt-$1 uri
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	if [ ! -s "$d/sources.list" ]; then
		uri=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' \
			/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
		echo "deb [arch=arm64] ${uri:-http://deb.debian.org/debian} $suite main" >"$d/sources.list"
	fi
	DEB_APT_OPTS="-o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Dir::State::status=/dev/null
		-o APT::Architecture=arm64 -o APT::Architectures=arm64"
	if ! ls "$d"/lists/*_Packages* >/dev/null 2>&1; then
		echo "fetch: apt-get update ($suite, arm64)" >&2
		# shellcheck disable=SC2086 # option words
		apt-get $DEB_APT_OPTS $SANDBOX update -qq || die "apt-get update for $suite failed"
	fi
}

# deb_lib_closure X LIB WHAT BIN...: copy into LIB the NEEDED closure of
# the binaries BIN... (readelf -d, breadth first), each soname taken from
# the multiarch library directories of the packages unpacked in X, and the
# glibc loader the binaries name in PT_INTERP (always ld-linux-aarch64.so.1
# on arm64). A soname no package provides, or another loader, stops the
# script naming WHAT.
deb_lib_closure() {
	local x=$1 lib=$2 what=$3 f so src d interp libdirs queue
	local -A have=()
	shift 3
	queue=("$@")
	libdirs=("$x/lib/aarch64-linux-gnu" "$x/usr/lib/aarch64-linux-gnu" "$x/lib" "$x/usr/lib")
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for so in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			[ -z "${have[$so]:-}" ] || continue
			src=
			for d in "${libdirs[@]}"; do
				[ -e "$d/$so" ] && { src=$d/$so; break; }
			done
			[ -n "$src" ] || die "no package of $what provides $so (NEEDED by $(basename "$f"))"
			cp -L "$src" "$lib/$so"
			have[$so]=1
			queue+=("$lib/$so")
		done
	done
	for f in "$@"; do
		interp=$(readelf -l "$f" | sed -n 's/.*interpreter: \(.*\)\]$/\1/p')
		[ "$(basename "$interp")" = ld-linux-aarch64.so.1 ] ||
			die "$what: unexpected interpreter '$interp'"
	done
	if [ -z "${have[ld-linux-aarch64.so.1]:-}" ]; then
		src=$(find "$x" -name ld-linux-aarch64.so.1 | head -n1)
		[ -n "$src" ] || die "no ld-linux-aarch64.so.1 in libc6:arm64"
		cp -L "$src" "$lib/ld-linux-aarch64.so.1"
	fi
	chmod 0755 "$lib/ld-linux-aarch64.so.1"
}
