#!/usr/bin/env bash
# Build the musl sysroot the arm64 VMM links against (issue 10: a static
# glibc costs about 520 KiB of the binary, a static musl about 30 KiB).
#
#   scripts/musl-sysroot.sh DIR      (the Makefile runs it: DIR = build/musl)
#
# Into DIR: usr/include and usr/lib (musl 1.2.3 from Debian 12's
# musl-dev:arm64, apt-get download + dpkg-deb -x, never installed; the
# kernel's uapi headers linked from the cross toolchain); libfdt and
# liburing as Debian 12's own arm64 static libraries and headers
# (libfdt-dev:arm64, liburing-dev:arm64, which scripts/setup.sh installs:
# they call only the C standard's string and memory functions and
# __stack_chk_*, which musl has); json-c, whose Debian build calls glibc's
# fortified __*_chk functions, built from the source of Debian 12's package
# (apt-get source through a deb-src list of its own under the cache; the
# host's apt is untouched) as a static library against that musl; and
# musl-gcc.specs, a gcc specs file pointing the cross gcc at all of it
# (what musl-dev's own specs does for /usr). Downloads are cached in
# MVR_CACHE (default /var/cache/microvm-ras): musl-dev's .deb beside
# fetch.sh's, sources in musl-src/. DIR/stamp records what was built;
# idempotent and quiet when it matches.
#
# CC (default aarch64-linux-gnu-gcc; gcc on an arm64 host) is the glibc
# cross compiler the specs file wraps. A source tree already unpacked in
# <cache>/musl-src/<package>-<upstream version> (what dpkg-source -x makes)
# is used as is, without a download.
set -euo pipefail

OUT=${1:?usage: musl-sysroot.sh DIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CC=${CC:-aarch64-linux-gnu-gcc}
CACHE=${MVR_CACHE:-/var/cache/microvm-ras}
SRC=$CACHE/musl-src
JOBS=${JOBS:-$(nproc)}

# Debian 12's versions: the musl the binary is built with and the source
# packages of the -dev packages the glibc build links (libfdt-dev:arm64,
# liburing-dev:arm64, libjson-c-dev:arm64).
MUSL_VER=1.2.3-1
PKGS="json-c=0.16-2"
# Debian's arm64 static libraries taken as they are (multiarch libdir).
DEB_LIBDIR=/usr/lib/aarch64-linux-gnu

SUDO=
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX="-o APT::Sandbox::User=root" || SUDO=sudo

log() { echo "musl-sysroot: $*" >&2; }
die() { echo "musl-sysroot: error: $*" >&2; exit 1; }

STAMP="musl-dev $MUSL_VER; $PKGS; $(cksum <"$DEB_LIBDIR/libfdt.a" 2>/dev/null) $(cksum <"$DEB_LIBDIR/liburing.a" 2>/dev/null); $("$CC" -dumpfullversion) $(cksum <"$0")"
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ]; then
	# Current. Newer than this script for make's rule, touched only then
	# (the Makefile runs this at every invocation).
	[ ! "$0" -nt "$OUT/stamp" ] || touch "$OUT/stamp"
	exit 0
fi

# A failed build is remembered (DIR/failed, with the stamp it was for):
# the Makefile asks at every run, and a missing download is not retried
# each time. Remove DIR/failed to try again.
if [ -f "$OUT/failed" ] && [ "$(cat "$OUT/failed")" = "$STAMP" ]; then
	log "an earlier build of $OUT failed; rm $OUT/failed to try again"
	exit 1
fi
rm -f "$OUT/failed"
trap 'rc=$?; [ "$rc" = 0 ] || echo "$STAMP" >"$OUT/failed"' EXIT

mkdir -p "$SRC" 2>/dev/null || {
	$SUDO mkdir -p "$SRC" && $SUDO chown "$(id -u):$(id -g)" "$CACHE" "$SRC"
}

# musl-dev:arm64 (libc.a, crt*.o, headers); no musl:arm64 (the dynamic
# loader) is needed for a static binary.
deb=$CACHE/musl-dev_${MUSL_VER}_arm64.deb
if [ ! -s "$deb" ]; then
	log "downloading musl-dev:arm64 $MUSL_VER"
	# shellcheck disable=SC2086 # option words
	(cd "$CACHE" && apt-get download -qq $SANDBOX "musl-dev:arm64=$MUSL_VER") ||
		die "apt-get download musl-dev:arm64=$MUSL_VER failed (scripts/setup.sh adds arm64 to apt)"
fi

# Sources: apt-get source --download-only through a deb-src list of its own
# (the host's archive URI), then dpkg-source -x (checksums checked).
unpack() {
	local spec=$1 name=${1%%=*} ver=${1#*=} up dir
	up=${ver%-*}
	dir=$SRC/$name-$up
	if [ ! -d "$dir" ]; then
		local d=$CACHE/apt-src uri opts
		mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
		if [ ! -s "$d/sources.list" ]; then
			uri=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' \
				/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
			echo "deb-src ${uri:-http://deb.debian.org/debian} bookworm main" >"$d/sources.list"
		fi
		opts="-o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/nonexistent
			-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Dir::State::status=/dev/null"
		if ! ls "$d"/lists/*_Sources* >/dev/null 2>&1; then
			log "apt-get update (bookworm sources)"
			# shellcheck disable=SC2086 # option words
			apt-get $opts $SANDBOX update -qq || die "apt-get update for the bookworm sources failed"
		fi
		log "downloading the source of $name $ver"
		# shellcheck disable=SC2086 # option words
		(cd "$SRC" && apt-get $opts $SANDBOX source --download-only -qq "$spec") ||
			die "apt-get source $spec failed (or unpack it into $dir)"
		# (gpgv cannot check the .dsc signature without debian-keyring;
		# apt-get source checked every file against the signed index)
		(cd "$SRC" && dpkg-source -x "${name}_$ver.dsc" "$dir.tmp" >"$dir.log" 2>&1) ||
			die "dpkg-source -x ${name}_$ver.dsc failed (see $dir.log)"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}
for f in "$DEB_LIBDIR/libfdt.a" "$DEB_LIBDIR/liburing.a" /usr/include/libfdt.h \
	/usr/include/libfdt_env.h /usr/include/fdt.h /usr/include/liburing.h /usr/include/liburing; do
	[ -e "$f" ] || die "no $f (libfdt-dev:arm64, liburing-dev:arm64: scripts/setup.sh)"
done
JSONC=$(unpack "$PKGS")

log "building into $OUT"
rm -rf "${OUT:?}/usr" "$OUT/work" "$OUT/stamp"
dpkg-deb -x "$deb" "$OUT/x"
mkdir -p "$OUT/usr"
mv "$OUT/x/usr/include/aarch64-linux-musl" "$OUT/usr/include"
mv "$OUT/x/usr/lib/aarch64-linux-musl" "$OUT/usr/lib"
rm -rf "$OUT/x" "$OUT/usr/lib/musl-gcc.specs"
INC=$OUT/usr/include
LIB=$OUT/usr/lib

# The kernel's uapi headers (linux/, asm/, asm-generic/): where the glibc
# compiler finds them (linux-libc-dev).
for h in linux/kvm.h asm/kvm.h asm-generic/int-ll64.h; do
	p=$(echo "#include <$h>" | "$CC" -xc -E -H - 2>&1 >/dev/null | sed -n '1s/^\. //p')
	[ -n "$p" ] || die "$CC finds no <$h> (linux-libc-dev)"
	ln -sfn "${p%/*}" "$INC/${h%%/*}"
done

# The specs file: musl's headers, gcc's own (stddef.h, ...), musl's crt
# and libc instead of glibc's; the same as musl-dev's, with this sysroot.
cat >"$OUT/musl-gcc.specs" <<EOF
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $INC -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $INC -isystem include%s

*link_libgcc:
-L$LIB -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{!shared: $LIB/Scrt1.o} $LIB/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $LIB/crtn.o

*link:
-dynamic-linker /lib/ld-musl-aarch64.so.1 -nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}

EOF
W=$OUT/work
mkdir -p "$W"
# One word for the libraries' build systems (configure scripts quote $CC).
MCC=$W/musl-gcc
printf '#!/bin/sh\nexec %s "$@" -specs %s\n' "$CC" "$OUT/musl-gcc.specs" >"$MCC"
chmod +x "$MCC"
LIBCFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"

# libfdt and liburing: Debian's static libraries and headers as they are.
cp "$DEB_LIBDIR/libfdt.a" "$DEB_LIBDIR/liburing.a" "$LIB/"
cp /usr/include/libfdt.h /usr/include/libfdt_env.h /usr/include/fdt.h \
	/usr/include/liburing.h "$INC/"
cp -a /usr/include/liburing "$INC/"

# json-c: cmake, static only, installed into the sysroot.
cmake -S "$JSONC" -B "$W/json-c" -DCMAKE_BUILD_TYPE=MinSizeRel \
	-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
	-DCMAKE_C_COMPILER="$MCC" -DCMAKE_C_FLAGS="$LIBCFLAGS" \
	-DCMAKE_INSTALL_PREFIX="$OUT/usr" -DCMAKE_INSTALL_LIBDIR=lib \
	-DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF \
	-DBUILD_APPS=OFF -DDISABLE_WERROR=ON >"$W/json-c.log" 2>&1 ||
	die "json-c cmake failed (see $W/json-c.log)"
cmake --build "$W/json-c" -j "$JOBS" >>"$W/json-c.log" 2>&1 ||
	die "json-c build failed (see $W/json-c.log)"
cmake --install "$W/json-c" >>"$W/json-c.log" 2>&1 ||
	die "json-c install failed (see $W/json-c.log)"

# A smoke test: a static program against all of it links and is an
# aarch64 ELF without a program interpreter.
cat >"$W/smoke.c" <<'EOF'
#include <libfdt.h>
#include <liburing.h>
#include <json-c/json.h>
#include <linux/kvm.h>
int main(void)
{
	struct io_uring r;
	char fdt[64];
	json_object *o = json_object_new_object();

	return fdt_create_empty_tree(fdt, sizeof(fdt)) + !o +
	       io_uring_queue_init(1, &r, 0) + KVM_API_VERSION;
}
EOF
"$MCC" -static -o "$W/smoke" "$W/smoke.c" -lfdt -luring -ljson-c ||
	die "a static program against the sysroot does not link"
rm -rf "$W"
echo "$STAMP" >"$OUT/stamp"
log "done: $(du -sh "$OUT" | cut -f1)"
