# shellcheck shell=bash
# Helpers of fetch.sh (sourced, bash): which kernel module files a busybox
# initramfs must insmod, in which order, and uncompressed. Read from the
# text files depmod writes into lib/modules/<version>/ (see depmod(8) and
# modules.dep(5)), so that no kmod index and no modprobe are needed and the
# logic can be tested with a made-up tree (tests/host/kmod-order.sh):
#   modules.dep      "path/a.ko[.xz|.zst]: dep1 dep2 ...", every dependency
#                    (direct or not) listed, the one loaded last first
#   modules.softdep  "softdep NAME pre: A B post: C" (modinfo softdep)
#   modules.alias    "alias ALIAS NAME" (e.g. crc32c -> crc32c_generic)
#   modules.builtin  "path/name.ko" of each module built into the kernel
# A module name compares with '-' and '_' as the same character.

# kmod_order DIR NAME...: print the module files (paths relative to DIR, as
# in modules.dep) to insmod for the named modules, each once, dependencies
# and "pre:" soft dependencies before the module. Built-in modules are left
# out (and said so on stderr). An unknown NAME is an error (status 1, one
# line on stderr); an unknown soft dependency only a warning.
kmod_order() {
	local dir=$1 f files=()
	shift
	[ -r "$dir/modules.dep" ] || {
		echo "kmod: no $dir/modules.dep" >&2
		return 1
	}
	files=("$dir/modules.dep")
	for f in builtin alias softdep; do
		[ -r "$dir/modules.$f" ] && files+=("$dir/modules.$f")
	done
	awk -v want="$*" '
	function norm(s) { sub(/.*\//, "", s); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", s); gsub(/-/, "_", s); return s }
	FILENAME ~ /modules\.dep$/ {
		p = $1; sub(/:$/, "", p); n = norm(p)
		path[n] = p; ndeps[n] = NF - 1
		for (i = 2; i <= NF; i++) dep[n, i - 1] = $i
		next
	}
	FILENAME ~ /modules\.builtin$/ { builtin[norm($1)] = 1; next }
	FILENAME ~ /modules\.alias$/ && $1 == "alias" {
		a = $2; gsub(/-/, "_", a)
		if (!(a in alias)) alias[a] = norm($3)
		next
	}
	FILENAME ~ /modules\.softdep$/ && $1 == "softdep" {
		n = norm($2); pre = 0
		for (i = 3; i <= NF; i++) {
			if ($i == "pre:") { pre = 1; continue }
			if ($i ~ /:$/) { pre = 0; continue }
			if (pre) soft[n] = soft[n] " " $i
		}
		next
	}
	function resolve(n) {
		n = norm(n)
		if (n in path || n in builtin) return n
		if (n in alias) return alias[n]
		return ""
	}
	# emit(p): print module file p once.
	function emit(p) { if (!(p in done)) { done[p] = 1; print p } }
	# load(n, top): n with its soft dependencies and dependencies first.
	function load(n, top,    r, k, i, s, m) {
		r = resolve(n)
		if (r == "" || (!(r in path) && !(r in builtin))) {
			if (top) { print "kmod: no module " n > "/dev/stderr"; bad = 1 }
			else print "kmod: warning: soft dependency " n " not found, skipped" > "/dev/stderr"
			return
		}
		if (r in builtin && !(r in path)) {
			if (top) print "kmod: " n " is built into the kernel" > "/dev/stderr"
			return
		}
		if (r in visiting) return
		visiting[r] = 1
		k = split(soft[r], s, " ")
		for (i = 1; i <= k; i++) load(s[i], 0)
		# modules.dep lists the module loaded last first.
		for (i = ndeps[r]; i >= 1; i--) {
			m = norm(dep[r, i])
			if (m in soft && !(m in visiting)) load(m, 0)
			else emit(dep[r, i])
		}
		emit(path[r])
	}
	END {
		nw = split(want, w, " ")
		for (j = 1; j <= nw; j++) load(w[j], 1)
		exit bad
	}' "${files[@]}"
}

# kmod_install DIR OUT NAME...: the files kmod_order names, copied into OUT
# without compression (busybox insmod reads plain ELF: .ko.xz through xz,
# .ko.zst through zstd), and OUT/load.list, their base names in insmod
# order. Two modules with one base name are an error.
kmod_install() {
	local dir=$1 out=$2 order rel b
	shift 2
	order=$(kmod_order "$dir" "$@") || return 1
	mkdir -p "$out"
	: >"$out/load.list"
	while read -r rel; do
		[ -n "$rel" ] || continue
		b=${rel##*/}
		case $b in
		*.ko) install -m 0644 "$dir/$rel" "$out/$b" ;;
		*.ko.xz) b=${b%.xz}; xz -dc "$dir/$rel" >"$out/$b" ;;
		*.ko.zst) b=${b%.zst}; zstd -qdc "$dir/$rel" >"$out/$b" ;;
		*.ko.gz) b=${b%.gz}; gzip -dc "$dir/$rel" >"$out/$b" ;;
		*) echo "kmod: unexpected module file $rel" >&2; return 1 ;;
		esac || { echo "kmod: cannot decompress $rel" >&2; return 1; }
		if grep -qxF "$b" "$out/load.list"; then
			echo "kmod: two modules named $b" >&2
			return 1
		fi
		echo "$b" >>"$out/load.list"
	done <<<"$order"
}
